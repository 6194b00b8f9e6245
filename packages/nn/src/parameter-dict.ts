import { NablaError, type Tensor, ValueError } from '@nablajs/core';
import { Module } from './module';
import { asContainerParameter, describeParameters, formatContainer } from './parameter-list';

/**
 * A map from names to parameters registered under those names, like `torch.nn.ParameterDict`: they
 * appear in the owner's {@link Module.parameters}, {@link Module.namedParameters} and
 * {@link Module.stateDict} as `name.key`. Insertion order is kept (replacing a key keeps its place).
 * Like nabla's `ModuleDict` (and a JavaScript `Map`), iterating gives `[key, parameter]` pairs, where
 * PyTorch's iterates over the keys. It has no forward of its own.
 *
 * Values are held as {@link ParameterList} holds them: a float leaf tensor that requires gradients as it
 * is, any other float tensor as a trainable copy made by `parameter()` (PyTorch turns a plain tensor
 * into a `Parameter` sharing its storage); read the held tensors back with {@link ParameterDict.get}.
 * Keys are non-empty strings without `"."`.
 *
 * See https://pytorch.org/docs/stable/generated/torch.nn.ParameterDict.html
 *
 * @example
 * ```ts
 * const gains = new ParameterDict({ query: ones([8]), key: ones([8]) });
 * gains.get('query').requiresGrad; // true
 * gains.namedParameters().map(([n]) => n); // ['query', 'key']
 * ```
 */
export class ParameterDict extends Module {
  /** The keys in insertion order; the tensors are in {@link ParameterDict.byKey}. */
  private readonly order: string[] = [];
  /** Key -> parameter (a plain object without prototype, so that `Module.to` updates it). */
  private readonly byKey: Record<string, Tensor> = Object.create(null);

  constructor(values: Readonly<Record<string, Tensor>> | Iterable<readonly [string, Tensor]> = {}) {
    super();
    if (typeof values !== 'object' || values === null)
      throw new ValueError(
        'ParameterDict: values must be an object of tensors or an iterable of [key, tensor] pairs, got ' +
          (values === null ? 'null' : typeof values),
      );
    const entries =
      typeof (values as Iterable<readonly [string, Tensor]>)[Symbol.iterator] === 'function'
        ? (values as Iterable<readonly [string, Tensor]>)
        : Object.entries(values as Record<string, Tensor>);
    for (const entry of entries) {
      if (!Array.isArray(entry) || entry.length !== 2)
        throw new ValueError('ParameterDict: each entry of values must be a [key, tensor] pair');
      this.set(entry[0], entry[1]);
    }
  }

  /** The number of parameters. */
  get size(): number {
    return this.order.length;
  }

  /**
   * Add or replace the parameter called `key` (as it is if it is a trainable leaf, else as a trainable
   * copy) and return this.
   *
   * @example
   * ```ts
   * gains.set('value', ones([8]));
   * ```
   */
  set(key: string, value: Tensor): this {
    if (typeof key !== 'string' || key === '' || key.includes('.'))
      throw new ValueError(`ParameterDict.set: key must be a non-empty string without ".", got ${JSON.stringify(key)}`);
    if (key === '__proto__') throw new ValueError('ParameterDict.set: "__proto__" is not a valid key');
    const p = asContainerParameter('ParameterDict.set', `value of ${JSON.stringify(key)}`, value);
    this.registerParameter(key, p);
    if (!(key in this.byKey)) this.order.push(key);
    this.byKey[key] = p;
    return this;
  }

  /**
   * The parameter called `key`; throws if there is none.
   *
   * @example
   * ```ts
   * gains.get('query');
   * ```
   */
  get(key: string): Tensor {
    const p = typeof key === 'string' ? this.byKey[key] : undefined;
    if (p === undefined)
      throw new ValueError(
        `ParameterDict.get: no parameter called ${JSON.stringify(key)}; keys are ${JSON.stringify(this.order)}`,
      );
    return p;
  }

  /**
   * Whether a parameter is called `key`.
   *
   * @example
   * ```ts
   * gains.has('query'); // true
   * ```
   */
  has(key: string): boolean {
    return typeof key === 'string' && key in this.byKey;
  }

  /**
   * Remove the parameter called `key`; returns whether it was there.
   *
   * @example
   * ```ts
   * gains.delete('key');
   * ```
   */
  delete(key: string): boolean {
    if (!this.has(key)) return false;
    delete this.byKey[key];
    this.order.splice(this.order.indexOf(key), 1);
    this.unregisterParameter(key);
    return true;
  }

  /** The keys, in insertion order. */
  keys(): string[] {
    return [...this.order];
  }

  /** The parameters, in insertion order. */
  values(): Tensor[] {
    return this.order.map((k) => this.byKey[k]);
  }

  /** `[key, parameter]` pairs, in insertion order. */
  entries(): Array<[string, Tensor]> {
    return this.order.map((k) => [k, this.byKey[k]]);
  }

  /** Iterate over `[key, parameter]` pairs. */
  [Symbol.iterator](): Iterator<[string, Tensor]> {
    return this.entries()[Symbol.iterator]();
  }

  /**
   * One `(key): Parameter containing: [dtype of size AxB]` line per parameter, as PyTorch prints it.
   *
   * @example
   * ```ts
   * String(new ParameterDict({ scale: ones([4]) }));
   * // ParameterDict(
   * //   (scale): Parameter containing: [float32 of size 4]
   * // )
   * ```
   */
  override extraRepr(): string {
    return describeParameters(this.entries());
  }

  /** The printout of {@link ParameterDict.extraRepr} inside `ParameterDict(...)`, as PyTorch prints it. */
  override toString(): string {
    return formatContainer(this.typeName(), this.extraRepr());
  }

  /** A ParameterDict has no forward; use its parameters in the parent forward. Always throws. */
  forward(): never {
    throw new NablaError(
      'ParameterDict.forward: a ParameterDict has no forward; use its parameters in the parent forward',
    );
  }
}
