import { type Tensor, ValueError } from '@nablajs/core';
import { ReLU } from './layers/activations';
import { Linear } from './layers/linear';
import { Module } from './module';

/**
 * Whether `m` is an instance of exactly `cls` whose `forward` is the class's own: not a subclass, and no
 * forward hook (hooks install an own `forward` on the instance), so that fusing it with its neighbour
 * changes nothing a user can observe but the speed.
 */
function isPlain(m: Module, cls: abstract new (...args: never[]) => Module): boolean {
  return Object.getPrototypeOf(m) === cls.prototype && !Object.hasOwn(m, 'forward');
}

/**
 * A chain of modules applied in order, like `torch.nn.Sequential`: `forward(x)` feeds `x` to the first
 * child, its output to the second, and so on. Children are named `'0'`, `'1'`, ...
 *
 * See https://pytorch.org/docs/stable/generated/torch.nn.Sequential.html
 *
 * @example
 * ```ts
 * const mlp = new Sequential(new Linear(4, 16), new ReLU(), new Linear(16, 3));
 * mlp.forward(randn([8, 4])).shape; // [8, 3]
 * mlp.namedParameters()[0][0]; // '0.weight'
 * ```
 */
export class Sequential extends Module {
  private readonly items: Module[] = [];

  constructor(...modules: Module[]) {
    super();
    for (const m of modules) this.append(m);
  }

  /** The number of modules in the chain. */
  get length(): number {
    return this.items.length;
  }

  /**
   * Add `module` at the end (named by its position) and return this.
   *
   * @example
   * ```ts
   * new Sequential().append(new Linear(2, 2)).append(new Tanh());
   * ```
   */
  append(module: Module): this {
    if (!(module instanceof Module))
      throw new ValueError(`Sequential.append: expected a Module, got ${module === null ? 'null' : typeof module}`);
    this.registerModule(String(this.items.length), module);
    this.items.push(module);
    return this;
  }

  /**
   * The module at `index` (negative counts from the end).
   *
   * @example
   * ```ts
   * mlp.at(-1); // the last Linear
   * ```
   */
  at(index: number): Module {
    const i = Number.isInteger(index) && index < 0 ? index + this.items.length : index;
    if (!Number.isInteger(i) || i < 0 || i >= this.items.length)
      throw new ValueError(`Sequential.at: index ${index} is out of range for ${this.items.length} modules`);
    return this.items[i];
  }

  /** Iterate over the modules in order. */
  [Symbol.iterator](): Iterator<Module> {
    return this.items[Symbol.iterator]();
  }

  /** Apply each module in turn: `mN(...m1(m0(input)))`. */
  forward(input: Tensor): Tensor {
    let out: unknown = input;
    const items = this.items;
    for (let i = 0; i < items.length; i++) {
      const m = items[i];
      if (i + 1 < items.length && m instanceof Linear && isPlain(m, Linear) && isPlain(items[i + 1], ReLU)) {
        // A Linear then a ReLU: one op (core's fusedLinear), the same values as the two modules' forwards.
        out = m._forwardRelu(out as Tensor);
        i++;
      } else out = m.forward(out);
    }
    return out as Tensor;
  }
}
