// The chain of parametrizations of one tensor and its original(s): `module.parametrizations.get('weight')`.
// It owns the consistency checks of PyTorch's ParametrizationList and register_parametrization, written so that
// a failed check leaves the caller's tensors as they were.

import { DTypeError, noGrad, ShapeError, Tensor, ValueError } from '@nablajs/core';
import { Module } from './module';
import { copyOf } from './parameter';
import type { Parametrization } from './parametrize';

function describe(value: unknown): string {
  return value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value;
}

function shapeText(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/**
 * The parametrizations of one tensor, in the order they apply, and the original tensor(s) they start from,
 * like PyTorch's `torch.nn.utils.parametrize.ParametrizationList`. It is what
 * {@link parametrize.registerParametrization} registers under `parametrizations.<name>` and what
 * {@link parametrize.parametrizationsOf} returns by name; it is not built by hand. Its parameters are
 * `original` (or `original0`, `original1`, ... when the first parametrization's `rightInverse` returns several
 * tensors) and its children `'0'`, `'1'`, ... are the parametrizations.
 *
 * See https://pytorch.org/docs/stable/generated/torch.nn.utils.parametrize.ParametrizationList.html
 *
 * @example
 * ```ts
 * parametrizations.spectralNorm(linear);
 * const list = parametrize.parametrizationsOf(linear)?.get('weight') as parametrize.ParametrizationList;
 * list.original; // the weight before normalisation, the tensor the optimizer updates
 * list.at(0); // the spectral norm parametrization, with its buffers _u and _v
 * ```
 */
export class ParametrizationList extends Module {
  private readonly items: Parametrization[] = [];
  /** Whether a parametrization registered with `unsafe` skipped the consistency checks. */
  unsafe: boolean;
  /** The number of original tensors (1 for `original`, else `original0` ... `original{n-1}`). */
  readonly ntensors: number;
  /** Whether the original is one tensor called `original` (else `original0`, `original1`, ...). */
  readonly isTensor: boolean;
  private readonly target: string;

  /** @internal built by registerParametrization only */
  constructor(label: string, first: Parametrization, original: Tensor, isParameter: boolean, unsafe: boolean) {
    super();
    this.unsafe = unsafe;
    this.target = label.slice(label.indexOf(' of ') + 4);
    const computed = noGrad(() => (first.rightInverse === undefined ? original : first.rightInverse(original)));
    const register = (name: string, t: Tensor): void => {
      if (isParameter) {
        this.registerParameter(name, t);
        t.requiresGrad = original.requiresGrad;
      } else this.registerBuffer(name, t);
    };
    if (computed instanceof Tensor) {
      if (computed.dtype !== original.dtype)
        throw new DTypeError(
          `${label}: when rightInverse returns one tensor it must keep the dtype, got ${computed.dtype} for a ${original.dtype} tensor`,
        );
      this.isTensor = true;
      this.ntensors = 1;
      // Checked on a view first: the caller's tensor takes the new values only once every check has passed.
      register('original', computed === original ? original : computed.detach());
    } else {
      if (!Array.isArray(computed) || computed.length === 0)
        throw new ValueError(
          `${label}: rightInverse must return a Tensor or a non-empty array of Tensors, got ${describe(computed)}`,
        );
      computed.forEach((t: unknown, i: number) => {
        if (!(t instanceof Tensor))
          throw new ValueError(`${label}: element ${i} of what rightInverse returned is ${describe(t)}, not a Tensor`);
      });
      this.isTensor = false;
      this.ntensors = computed.length;
      for (let i = 0; i < computed.length; i++) register(`original${i}`, copyOf((computed[i] as Tensor).detach()));
    }
    this.registerModule('0', first);
    this.items.push(first);
    if (!unsafe) {
      const z = noGrad(() => this.forward());
      if (z.dtype !== original.dtype)
        throw new DTypeError(
          `${label}: the parametrization changes the dtype from ${original.dtype} to ${z.dtype}; pass { unsafe: true } to allow it`,
        );
      if (!sameShape(z.shape, original.shape))
        throw new ShapeError(
          `${label}: the parametrization changes the shape from ${shapeText(original.shape)} to ${shapeText(z.shape)}; pass { unsafe: true } to allow it`,
        );
    }
    if (computed instanceof Tensor && computed !== original) {
      if (sameShape(computed.shape, original.shape)) {
        noGrad(() => original.copy_(computed));
        register('original', original);
      } else register('original', copyOf(computed.detach()));
    }
  }

  /** The number of parametrizations in the chain. */
  get length(): number {
    return this.items.length;
  }

  /**
   * The parametrization at `index` (negative counts from the end).
   *
   * @example
   * ```ts
   * list.at(0); // the first parametrization registered
   * ```
   */
  at(index: number): Parametrization {
    const i = Number.isInteger(index) && index < 0 ? index + this.items.length : index;
    if (!Number.isInteger(i) || i < 0 || i >= this.items.length)
      throw new ValueError(
        `ParametrizationList.at: index ${index} is out of range for ${this.items.length} parametrizations`,
      );
    return this.items[i];
  }

  /** Iterate over the parametrizations in the order they apply. */
  [Symbol.iterator](): Iterator<Parametrization> {
    return this.items[Symbol.iterator]();
  }

  /** The original tensor (`original`); for several originals see {@link ParametrizationList.originals}. */
  get original(): Tensor {
    if (!this.isTensor)
      throw new ValueError(
        `ParametrizationList.original: ${this.target} is parametrized by ${this.ntensors} tensors; read originals instead`,
      );
    return (
      Module._registriesOf(this).parameters.get('original') ??
      (Module._registriesOf(this).buffers.get('original') as Tensor)
    );
  }

  /** The original tensors in order: `[original]`, or `[original0, original1, ...]`. */
  get originals(): Tensor[] {
    const regs = Module._registriesOf(this);
    const names = this.isTensor ? ['original'] : Array.from({ length: this.ntensors }, (_, i) => `original${i}`);
    return names.map((n) => (regs.parameters.get(n) ?? regs.buffers.get(n)) as Tensor);
  }

  /** The parametrized value: the first parametrization on the original(s), then each of the others in turn. */
  forward(): Tensor {
    let x: unknown = this.items[0].forward(...this.originals);
    for (let i = 1; i < this.items.length; i++) {
      if (!(x instanceof Tensor)) break;
      x = this.items[i].forward(x);
    }
    if (!(x instanceof Tensor))
      throw new ValueError(`${this.target}: a parametrization must return a Tensor, got ${describe(x)}`);
    return x;
  }

  /**
   * Assign `value` to the parametrized tensor: run each parametrization's `rightInverse`, last first, and write
   * the result into the original(s). This is what `module.weight = value` runs.
   *
   * @example
   * ```ts
   * linear.weight = eye(5); // runs list.rightInverse(eye(5))
   * ```
   */
  rightInverse(value: Tensor): void {
    const fn = `assigning ${this.target}`;
    if (!(value instanceof Tensor)) throw new ValueError(`${fn}: the value must be a Tensor, got ${describe(value)}`);
    const computed = noGrad(() => {
      let v: Tensor | readonly Tensor[] = value;
      for (let i = this.items.length - 1; i >= 0; i--) {
        const p = this.items[i];
        if (p.rightInverse === undefined)
          throw new ValueError(
            `${fn}: the parametrization ${p.constructor.name} has no rightInverse, so the tensor cannot be assigned`,
          );
        if (!(v instanceof Tensor))
          throw new ValueError(`${fn}: ${p.constructor.name}.rightInverse needs a Tensor, got ${describe(v)}`);
        v = p.rightInverse(v);
      }
      return v;
    });
    const originals = this.originals;
    const values: unknown[] = this.isTensor ? [computed] : Array.isArray(computed) ? computed : [];
    if (values.length !== originals.length || (this.isTensor && !(computed instanceof Tensor)))
      throw new ValueError(
        `${fn}: rightInverse must return ${this.isTensor ? 'a Tensor' : `an array of ${this.ntensors} Tensors`}, got ${describe(computed)}`,
      );
    values.forEach((v, i) => {
      const o = originals[i];
      if (!(v instanceof Tensor)) throw new ValueError(`${fn}: rightInverse returned ${describe(v)} for original ${i}`);
      if (v.dtype !== o.dtype)
        throw new DTypeError(`${fn}: rightInverse returned a ${v.dtype} tensor for the ${o.dtype} original ${i}`);
      if (!sameShape(v.shape, o.shape))
        throw new ShapeError(
          `${fn}: rightInverse returned shape ${shapeText(v.shape)} for original ${i} of shape ${shapeText(o.shape)}`,
        );
    });
    noGrad(() => {
      for (let i = 0; i < values.length; i++) originals[i].copy_(values[i] as Tensor);
    });
  }

  /**
   * Check, as PyTorch does before appending `p` to a chain, that it keeps the current value's shape and dtype
   * and that its rightInverse does too.
   *
   * @internal
   */
  checkAppended(label: string, p: Parametrization): void {
    noGrad(() => {
      const y = this.forward();
      const x = p.forward(y);
      if (!(x instanceof Tensor))
        throw new ValueError(`${label}: a parametrization must return a Tensor, got ${describe(x)}`);
      if (x.dtype !== y.dtype || !sameShape(x.shape, y.shape))
        throw new ShapeError(
          `${label}: the parametrization maps a ${y.dtype} ${shapeText(y.shape)} tensor to a ${x.dtype} ${shapeText(x.shape)} one; pass { unsafe: true } to allow it`,
        );
      if (p.rightInverse === undefined) return;
      const z = p.rightInverse(x);
      if (!(z instanceof Tensor))
        throw new ValueError(`${label}: rightInverse must return a Tensor, got ${describe(z)}`);
      if (z.dtype !== y.dtype || !sameShape(z.shape, y.shape))
        throw new ShapeError(
          `${label}: rightInverse maps a ${x.dtype} ${shapeText(x.shape)} tensor to a ${z.dtype} ${shapeText(z.shape)} one; pass { unsafe: true } to allow it`,
        );
    });
  }

  /** @internal append `p` to the chain (see {@link parametrize.registerParametrization}). */
  append(p: Parametrization, unsafe: boolean): void {
    this.registerModule(String(this.items.length), p);
    this.items.push(p);
    this.unsafe ||= unsafe;
  }

  /**
   * The tensor to register back in place of the parametrization: the original, holding the parametrized value
   * when `leave` (a new tensor when there are several originals or the shape changed).
   *
   * @internal
   */
  restore(label: string, leave: boolean): Tensor {
    if (!this.isTensor) {
      if (!leave)
        throw new ValueError(
          `${label}: a tensor parametrized by several tensors cannot be left unparametrized (leaveParametrized: false)`,
        );
      const t = this.forward();
      const out = copyOf(t.detach());
      out.requiresGrad = t.requiresGrad;
      return out;
    }
    const original = this.original;
    if (!leave) return original;
    const t = noGrad(() => this.forward());
    if (t.dtype !== original.dtype)
      throw new DTypeError(
        `${label}: the parametrization changes the dtype from ${original.dtype} to ${t.dtype}, so its value cannot be left in the original (leaveParametrized: true)`,
      );
    if (!sameShape(t.shape, original.shape)) {
      const out = copyOf(t);
      out.requiresGrad = original.requiresGrad;
      return out;
    }
    noGrad(() => original.copy_(t));
    return original;
  }
}
