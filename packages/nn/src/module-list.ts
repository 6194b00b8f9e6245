import { NablaError, ValueError } from '@nablajs/core';
import { Module } from './module';

/**
 * A list of modules whose parameters are registered (named `'0'`, `'1'`, ...), like `torch.nn.ModuleList`.
 * It has no forward of its own: iterate over it in the parent's `forward`.
 *
 * See https://pytorch.org/docs/stable/generated/torch.nn.ModuleList.html
 *
 * @example
 * ```ts
 * class Deep extends Module {
 *   readonly layers = this.registerModule('layers', new ModuleList([new Linear(8, 8), new Linear(8, 8)]));
 *   forward(x: Tensor): Tensor {
 *     for (const layer of this.layers) x = (layer as Linear).forward(x).relu();
 *     return x;
 *   }
 * }
 * new Deep().namedParameters()[0][0]; // 'layers.0.weight'
 * ```
 */
export class ModuleList extends Module {
  private readonly items: Module[] = [];

  constructor(modules: Iterable<Module> = []) {
    super();
    this.extend(modules);
  }

  /** The number of modules. */
  get length(): number {
    return this.items.length;
  }

  /**
   * Add `module` at the end and return this.
   *
   * @example
   * ```ts
   * list.append(new Linear(4, 4));
   * ```
   */
  append(module: Module): this {
    if (!(module instanceof Module))
      throw new ValueError(`ModuleList.append: expected a Module, got ${module === null ? 'null' : typeof module}`);
    this.registerModule(String(this.items.length), module);
    this.items.push(module);
    return this;
  }

  /**
   * Add every module of `modules` at the end and return this.
   *
   * @example
   * ```ts
   * list.extend([new Linear(4, 4), new ReLU()]);
   * ```
   */
  extend(modules: Iterable<Module>): this {
    if (modules === null || typeof (modules as Iterable<Module>)[Symbol.iterator] !== 'function')
      throw new ValueError('ModuleList.extend: expected an iterable of Modules');
    for (const m of modules) this.append(m);
    return this;
  }

  /**
   * The module at `index` (negative counts from the end).
   *
   * @example
   * ```ts
   * list.at(0);
   * ```
   */
  at(index: number): Module {
    const i = Number.isInteger(index) && index < 0 ? index + this.items.length : index;
    if (!Number.isInteger(i) || i < 0 || i >= this.items.length)
      throw new ValueError(`ModuleList.at: index ${index} is out of range for ${this.items.length} modules`);
    return this.items[i];
  }

  /** Iterate over the modules in order. */
  [Symbol.iterator](): Iterator<Module> {
    return this.items[Symbol.iterator]();
  }

  /** A ModuleList has no forward; iterate over it instead. Always throws. */
  forward(): never {
    throw new NablaError(
      'ModuleList.forward: a ModuleList has no forward; iterate over its modules in the parent forward',
    );
  }
}
