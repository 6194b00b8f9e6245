import { Tensor, ValueError } from '@nablajs/core';

/**
 * Where a {@link DataLoader} takes an epoch's indices from, like `torch.utils.data.Sampler`: an iterable
 * whose every iteration is one epoch (a random sampler draws a new order each time), with the number of
 * values one iteration yields as `length`. A plain array of indices is a sampler too; a batch sampler
 * yields arrays of indices instead of indices (`Sampler<number[]>`).
 *
 * Unlike PyTorch, where `__len__` is optional, a sampler given to a `DataLoader` needs its `length`:
 * the loader's own `length` (batches per epoch) follows from it.
 *
 * See https://pytorch.org/docs/1.13/data.html#torch.utils.data.Sampler
 *
 * @example
 * ```ts
 * // every other item, in order: a custom sampler is an object with an iterator and a length
 * const evens: Sampler = {
 *   length: 5,
 *   *[Symbol.iterator]() {
 *     for (let i = 0; i < 10; i += 2) yield i;
 *   },
 * };
 * new DataLoader(dataset, { sampler: evens, batchSize: 2 }); // 3 batches per epoch
 * ```
 */
export interface Sampler<I = number> extends Iterable<I> {
  /** The number of values one iteration (one epoch) yields. */
  readonly length: number;
}

/** The most indices a sampler holds or yields per epoch, and the bound of an index: they are stored as int32. */
export const MAX_SAMPLES = 2 ** 31 - 1;

/**
 * Whether `value` looks like a {@link Sampler}: an object with an iterator and a numeric `length`.
 *
 * @internal
 */
export function isSampler(value: unknown): value is Sampler<unknown> {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as Partial<Sampler<unknown>>)[Symbol.iterator] === 'function' &&
    typeof (value as { length?: unknown }).length === 'number'
  );
}

/**
 * Throw a ValueError unless `value` is an integer in `[min, MAX_SAMPLES]`; `fn` and `arg` name the caller.
 *
 * @internal
 */
export function checkCount(fn: string, arg: string, value: unknown, min: 0 | 1): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min)
    throw new ValueError(
      `${fn}: ${arg} must be a ${min === 1 ? 'positive' : 'non-negative'} integer, got ${describe(value)}`,
    );
  if (value > MAX_SAMPLES)
    throw new ValueError(`${fn}: ${arg} must be at most ${MAX_SAMPLES} (indices are int32), got ${value}`);
  return value;
}

/**
 * Throw a ValueError unless `value` is a boolean; `fn` and `arg` name the caller.
 *
 * @internal
 */
export function checkBoolean(fn: string, arg: string, value: unknown): boolean {
  if (typeof value !== 'boolean') throw new ValueError(`${fn}: ${arg} must be a boolean, got ${describe(value)}`);
  return value;
}

/**
 * The numbers of `values` (an array, a typed array or a 1-D tensor) as a fresh Float64Array, or a ValueError
 * naming `fn` and `arg`.
 *
 * @internal
 */
export function readNumbers(fn: string, arg: string, values: unknown): Float64Array {
  let source: unknown = values;
  if (values instanceof Tensor) {
    if (values.ndim !== 1)
      throw new ValueError(`${fn}: ${arg} must be 1-D, got a tensor of shape [${values.shape.join(',')}]`);
    source = values.values;
  }
  if (
    source === null ||
    typeof source !== 'object' ||
    typeof (source as ArrayLike<unknown>).length !== 'number' ||
    !Number.isInteger((source as ArrayLike<unknown>).length)
  )
    throw new ValueError(`${fn}: ${arg} must be an array of numbers, a typed array or a 1-D tensor`);
  const list = source as ArrayLike<unknown>;
  if (list.length > MAX_SAMPLES)
    throw new ValueError(`${fn}: ${arg} has ${list.length} entries, more than ${MAX_SAMPLES}`);
  const out = new Float64Array(list.length);
  for (let i = 0; i < list.length; i++) {
    const v = list[i];
    if (typeof v !== 'number') throw new ValueError(`${fn}: ${arg}[${i}] must be a number, got ${describe(v)}`);
    out[i] = v;
  }
  return out;
}

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object' && value !== null) return 'an object';
  return String(value);
}
