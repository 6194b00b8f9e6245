import { DTypeError, isFloatingDType, NablaError, Tensor, ValueError } from '@nablajs/core';
import { Module } from './module';
import { parameter } from './parameter';

/**
 * The tensor a parameter container holds for `value` (see {@link ParameterList}): a float leaf that
 * requires gradients as it is (nabla's counterpart of a `torch.nn.Parameter`, kept so that a tied weight
 * stays tied), any other float tensor as a new trainable copy made by {@link parameter}. `fn` and `what`
 * name the caller and the argument in errors.
 */
export function asContainerParameter(fn: string, what: string, value: unknown): Tensor {
  if (!(value instanceof Tensor))
    throw new ValueError(`${fn}: ${what} must be a Tensor, got ${value === null ? 'null' : typeof value}`);
  if (!isFloatingDType(value.dtype))
    throw new DTypeError(`${fn}: ${what} must be a floating-point tensor, got ${value.dtype}`);
  return value.isLeaf && value.requiresGrad ? value : parameter(value);
}

/** `(name): Parameter containing: [float32 of size 3x4]` lines, PyTorch's printout of a parameter container. */
export function describeParameters(entries: Iterable<readonly [string, Tensor]>): string {
  const lines: string[] = [];
  for (const [name, t] of entries)
    lines.push(`(${name}): Parameter containing: [${t.dtype} of size ${t.shape.join('x')}]`);
  return lines.join('\n');
}

/** `Name()`, or `Name(` with the lines of `extra` indented by two spaces, then `)`. */
export function formatContainer(typeName: string, extra: string): string {
  return extra === '' ? `${typeName}()` : `${typeName}(\n  ${extra.split('\n').join('\n  ')}\n)`;
}

/**
 * A list of parameters registered by position (named `'0'`, `'1'`, ...), like `torch.nn.ParameterList`:
 * they appear in the owner's {@link Module.parameters}, {@link Module.namedParameters} and
 * {@link Module.stateDict} as `name.0`, `name.1`, ... It has no forward of its own: use its parameters
 * in the parent's `forward`.
 *
 * As PyTorch turns a plain tensor into a `Parameter` and keeps a `Parameter` as it is, a float leaf
 * tensor that requires gradients is held as it is (so a weight shared with another module stays shared),
 * and any other float tensor is replaced by a trainable copy made by {@link parameter} (PyTorch's new
 * `Parameter` shares the tensor's storage instead); read the held tensors back with {@link ParameterList.at}.
 * Values must be floating-point tensors (PyTorch also accepts other objects).
 *
 * See https://pytorch.org/docs/stable/generated/torch.nn.ParameterList.html
 *
 * @example
 * ```ts
 * class Scales extends Module {
 *   readonly scales = this.registerModule('scales', new ParameterList([ones([4]), ones([4])]));
 *   forward(x: Tensor): Tensor {
 *     for (const s of this.scales) x = x.mul(s);
 *     return x;
 *   }
 * }
 * new Scales().namedParameters().map(([n]) => n); // ['scales.0', 'scales.1']
 * ```
 */
export class ParameterList extends Module {
  private readonly items: Tensor[] = [];

  constructor(values: Iterable<Tensor> = []) {
    super();
    this.extend(values);
  }

  /** The number of parameters. */
  get length(): number {
    return this.items.length;
  }

  /**
   * Add `value` at the end (as it is if it is a trainable leaf, else as a trainable copy) and return this.
   *
   * @example
   * ```ts
   * list.append(zeros([8]));
   * list.at(-1).requiresGrad; // true
   * ```
   */
  append(value: Tensor): this {
    const p = asContainerParameter('ParameterList.append', 'value', value);
    this.registerParameter(String(this.items.length), p);
    this.items.push(p);
    return this;
  }

  /**
   * Add every tensor of `values` at the end (each as {@link ParameterList.append} does) and return this.
   *
   * @example
   * ```ts
   * list.extend([zeros([8]), ones([8])]);
   * ```
   */
  extend(values: Iterable<Tensor>): this {
    if (values === null || typeof (values as Iterable<Tensor>)?.[Symbol.iterator] !== 'function')
      throw new ValueError('ParameterList.extend: values must be an iterable of Tensors');
    for (const t of values) this.append(t);
    return this;
  }

  /**
   * The parameter at `index` (negative counts from the end).
   *
   * @example
   * ```ts
   * list.at(0).shape;
   * ```
   */
  at(index: number): Tensor {
    const i = Number.isInteger(index) && index < 0 ? index + this.items.length : index;
    if (!Number.isInteger(i) || i < 0 || i >= this.items.length)
      throw new ValueError(`ParameterList.at: index ${index} is out of range for ${this.items.length} parameters`);
    return this.items[i];
  }

  /** Iterate over the parameters in order. */
  [Symbol.iterator](): Iterator<Tensor> {
    return this.items[Symbol.iterator]();
  }

  /**
   * One `(i): Parameter containing: [dtype of size AxB]` line per parameter, as PyTorch prints it.
   *
   * @example
   * ```ts
   * String(new ParameterList([zeros([3, 4])]));
   * // ParameterList(
   * //   (0): Parameter containing: [float32 of size 3x4]
   * // )
   * ```
   */
  override extraRepr(): string {
    return describeParameters(this.items.map((t, i) => [String(i), t] as const));
  }

  /** The printout of {@link ParameterList.extraRepr} inside `ParameterList(...)`, as PyTorch prints it. */
  override toString(): string {
    return formatContainer(this.typeName(), this.extraRepr());
  }

  /** A ParameterList has no forward; use its parameters in the parent forward. Always throws. */
  forward(): never {
    throw new NablaError(
      'ParameterList.forward: a ParameterList has no forward; use its parameters in the parent forward',
    );
  }
}
