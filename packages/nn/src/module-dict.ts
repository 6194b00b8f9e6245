import { NablaError, ValueError } from '@nablajs/core';
import { Module } from './module';

/**
 * A map from names to modules whose parameters are registered under those names, like
 * `torch.nn.ModuleDict`. Insertion order is kept. It has no forward of its own.
 *
 * See https://pytorch.org/docs/stable/generated/torch.nn.ModuleDict.html
 *
 * @example
 * ```ts
 * const heads = new ModuleDict({ cls: new Linear(16, 10), box: new Linear(16, 4) });
 * heads.get('cls').forward(features);
 * heads.namedParameters().map(([n]) => n); // ['cls.weight', 'cls.bias', 'box.weight', 'box.bias']
 * ```
 */
export class ModuleDict extends Module {
  private readonly items = new Map<string, Module>();

  constructor(modules: Readonly<Record<string, Module>> | Iterable<readonly [string, Module]> = {}) {
    super();
    const entries =
      typeof (modules as Iterable<readonly [string, Module]>)[Symbol.iterator] === 'function'
        ? (modules as Iterable<readonly [string, Module]>)
        : Object.entries(modules as Record<string, Module>);
    for (const [key, m] of entries) this.set(key, m);
  }

  /** The number of modules. */
  get size(): number {
    return this.items.size;
  }

  /**
   * Add or replace the module called `key` and return this.
   *
   * @example
   * ```ts
   * heads.set('aux', new Linear(16, 2));
   * ```
   */
  set(key: string, module: Module): this {
    if (!(module instanceof Module))
      throw new ValueError(
        `ModuleDict.set: module ${JSON.stringify(key)} must be a Module, got ${module === null ? 'null' : typeof module}`,
      );
    this.registerModule(key, module);
    this.items.set(key, module);
    return this;
  }

  /**
   * The module called `key`; throws if there is none.
   *
   * @example
   * ```ts
   * heads.get('cls');
   * ```
   */
  get(key: string): Module {
    const m = this.items.get(key);
    if (m === undefined)
      throw new ValueError(
        `ModuleDict.get: no module called ${JSON.stringify(key)}; keys are ${JSON.stringify([...this.items.keys()])}`,
      );
    return m;
  }

  /**
   * Whether a module is called `key`.
   *
   * @example
   * ```ts
   * heads.has('cls'); // true
   * ```
   */
  has(key: string): boolean {
    return this.items.has(key);
  }

  /**
   * Remove the module called `key`; returns whether it was there.
   *
   * @example
   * ```ts
   * heads.delete('aux');
   * ```
   */
  delete(key: string): boolean {
    if (!this.items.has(key)) return false;
    this.items.delete(key);
    this.unregisterModule(key);
    return true;
  }

  /** The names, in insertion order. */
  keys(): string[] {
    return [...this.items.keys()];
  }

  /** The modules, in insertion order. */
  values(): Module[] {
    return [...this.items.values()];
  }

  /** `[name, module]` pairs, in insertion order. */
  entries(): Array<[string, Module]> {
    return [...this.items.entries()];
  }

  /** Iterate over `[name, module]` pairs. */
  [Symbol.iterator](): Iterator<[string, Module]> {
    return this.items.entries();
  }

  /** A ModuleDict has no forward; call its modules instead. Always throws. */
  forward(): never {
    throw new NablaError('ModuleDict.forward: a ModuleDict has no forward; call its modules in the parent forward');
  }
}
