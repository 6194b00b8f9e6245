// Argument checks shared by normalize, cosineSimilarity and pairwiseDistance (not exported from the package).
import { AxisError, broadcastShapes, ShapeError, type Tensor, ValueError } from '@nablajs/core';
import { describeShape } from './check';

/**
 * Throw a ValueError naming `fn` unless `p` is an order core's `norm` accepts: 0, a positive number,
 * `Infinity` or `-Infinity`.
 *
 * @example
 * ```ts
 * checkNormOrder('normalize', -1); // throws ValueError: normalize: p must be 0, a positive number, ...
 * ```
 */
export function checkNormOrder(fn: string, p: unknown): number {
  if (typeof p !== 'number' || Number.isNaN(p) || (p < 0 && p !== Number.NEGATIVE_INFINITY))
    throw new ValueError(`${fn}: p must be 0, a positive number, Infinity or -Infinity, got ${String(p)}`);
  return p;
}

/**
 * Throw a ValueError naming `fn` and `name` unless `value` is a finite number `>= 0`.
 *
 * @example
 * ```ts
 * checkNonNegative('cosineSimilarity', 'eps', -1); // throws ValueError
 * ```
 */
export function checkNonNegative(fn: string, name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0)
    throw new ValueError(`${fn}: ${name} must be a finite number >= 0, got ${String(value)}`);
  return value;
}

/**
 * One axis of a tensor of `ndim` dimensions, negative ones counting from the end, in `[0, ndim)`; throws an
 * AxisError naming `fn` and `name` when it is not an integer or out of range. A 0-d tensor has the one axis
 * `0` (or `-1`), as in PyTorch.
 *
 * @example
 * ```ts
 * resolveAxis('cosineSimilarity', 'axis', -1, 3); // 2
 * ```
 */
export function resolveAxis(fn: string, name: string, axis: unknown, ndim: number): number {
  const lo = ndim === 0 ? -1 : -ndim;
  const hi = ndim === 0 ? 0 : ndim - 1;
  if (typeof axis !== 'number' || !Number.isInteger(axis))
    throw new AxisError(`${fn}: ${name} must be an integer, got ${JSON.stringify(axis)}`);
  if (axis < lo || axis > hi)
    throw new AxisError(
      `${fn}: ${name} ${axis} is out of range for an input of ${ndim} dimension(s) (expected ${lo}..${hi})`,
    );
  return axis < 0 ? axis + Math.max(ndim, 1) : axis;
}

/**
 * One axis or a list of distinct axes (see {@link resolveAxis}), sorted; throws an AxisError naming `fn`
 * and `name` for an empty list or a repeated axis. A 0-d tensor gives `[]`: its only element is the vector.
 *
 * @example
 * ```ts
 * resolveAxes('normalize', 'axis', [-1, 1], 3); // [1, 2]
 * ```
 */
export function resolveAxes(fn: string, name: string, axis: unknown, ndim: number): number[] {
  const list = Array.isArray(axis) ? axis : [axis];
  if (list.length === 0) throw new AxisError(`${fn}: ${name} must be an integer or a non-empty list of them, got []`);
  const axes = list.map((a) => resolveAxis(fn, name, a, ndim)).sort((a, b) => a - b);
  for (let i = 1; i < axes.length; i++)
    if (axes[i] === axes[i - 1])
      throw new AxisError(`${fn}: ${name} ${JSON.stringify(axis)} names dimension ${axes[i]} more than once`);
  return ndim === 0 ? [] : axes;
}

/**
 * The shape `a` and `b` broadcast to; throws a ShapeError naming `fn` and the arguments when they do not
 * broadcast together.
 *
 * @example
 * ```ts
 * broadcastPair('cosineSimilarity', zeros([3, 4]), zeros([4]), ['x1', 'x2']); // [3, 4]
 * ```
 */
export function broadcastPair(fn: string, a: Tensor, b: Tensor, names: readonly [string, string]): number[] {
  try {
    return broadcastShapes(a.shape, b.shape);
  } catch (e) {
    if (!(e instanceof ShapeError)) throw e;
    throw new ShapeError(
      `${fn}: ${names[0]} of shape ${describeShape(a.shape)} and ${names[1]} of shape ${describeShape(b.shape)} cannot be broadcast together`,
    );
  }
}
