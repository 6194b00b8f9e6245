import { broadcastShapes, DTypeError, isFloatingDType, ShapeError, Tensor, ValueError } from '@nablajs/core';

/**
 * A shape written as errors write it, `[2,3]`.
 *
 * @example
 * ```ts
 * describeShape([2, 3]); // '[2,3]'
 * ```
 */
export function describeShape(shape: readonly number[]): string {
  return `[${shape.join(',')}]`;
}

/**
 * Whether two shapes are equal dimension by dimension.
 *
 * @example
 * ```ts
 * sameShape([2, 3], [2, 3]); // true
 * ```
 */
export function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/**
 * Throw a ValueError naming `fn` and `name` unless `value` is a Tensor.
 *
 * @example
 * ```ts
 * checkTensor('mseLoss', 'input', 3); // throws ValueError: mseLoss: input must be a Tensor, got number
 * ```
 */
export function checkTensor(fn: string, name: string, value: unknown): asserts value is Tensor {
  if (!(value instanceof Tensor))
    throw new ValueError(`${fn}: ${name} must be a Tensor, got ${value === null ? 'null' : typeof value}`);
}

/**
 * Throw a DTypeError naming `fn` and `name` unless `t` is a float32 or float64 tensor.
 *
 * @example
 * ```ts
 * checkFloating('mseLoss', 'input', tensor([1], { dtype: 'int32' })); // throws DTypeError
 * ```
 */
export function checkFloating(fn: string, name: string, t: Tensor): void {
  checkTensor(fn, name, t);
  if (!isFloatingDType(t.dtype))
    throw new DTypeError(`${fn}: ${name} must be a float32 or float64 tensor, got ${t.dtype}`);
}

/**
 * Throw a ShapeError naming `fn` unless `a` and `b` have exactly the same shape (no broadcasting).
 *
 * @example
 * ```ts
 * checkSameShape('mseLoss', zeros([4, 3]), zeros([4, 2]));
 * // throws ShapeError: mseLoss: input has shape [4,3] but target has shape [4,2]; they must be equal
 * ```
 */
export function checkSameShape(
  fn: string,
  a: Tensor,
  b: Tensor,
  names: readonly [string, string] = ['input', 'target'],
) {
  if (!sameShape(a.shape, b.shape))
    throw new ShapeError(
      `${fn}: ${names[0]} has shape ${describeShape(a.shape)} but ${names[1]} has shape ${describeShape(b.shape)}; they must be equal`,
    );
}

/**
 * Throw a ShapeError naming `fn` and `name` unless `t` broadcasts to exactly `shape`.
 *
 * @example
 * ```ts
 * checkBroadcastsTo('binaryCrossEntropy', 'weight', zeros([5]), [4, 3]); // throws ShapeError
 * ```
 */
export function checkBroadcastsTo(fn: string, name: string, t: Tensor, shape: readonly number[]): void {
  let ok = true;
  try {
    ok = sameShape(broadcastShapes(t.shape, shape), shape);
  } catch (e) {
    if (!(e instanceof ShapeError)) throw e;
    ok = false;
  }
  if (!ok)
    throw new ShapeError(
      `${fn}: ${name} of shape ${describeShape(t.shape)} cannot be broadcast to the input shape ${describeShape(shape)}`,
    );
}

/**
 * Throw a ValueError naming `fn` and `name` unless `value` is a finite number in `[lo, hi]`.
 *
 * @example
 * ```ts
 * checkNumberIn('dropout', 'p', -0.1, 0, 1); // throws ValueError: dropout: p must be in [0, 1], got -0.1
 * ```
 */
export function checkNumberIn(fn: string, name: string, value: unknown, lo: number, hi: number): number {
  if (typeof value !== 'number' || !(value >= lo && value <= hi)) {
    const range = hi === Number.POSITIVE_INFINITY ? `>= ${lo}` : `in [${lo}, ${hi}]`;
    throw new ValueError(`${fn}: ${name} must be ${range}, got ${String(value)}`);
  }
  return value;
}

/**
 * Throw a ValueError naming `fn` and `name` unless `value` is a finite number greater than 0.
 *
 * @example
 * ```ts
 * checkPositive('huberLoss', 'delta', 0); // throws ValueError: huberLoss: delta must be a finite number > 0, got 0
 * ```
 */
export function checkPositive(fn: string, name: string, value: unknown): number {
  if (typeof value !== 'number' || !(value > 0) || !Number.isFinite(value))
    throw new ValueError(`${fn}: ${name} must be a finite number > 0, got ${String(value)}`);
  return value;
}
