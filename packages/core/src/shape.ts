import { AxisError, ShapeError, ValueError } from './errors';

/** A tensor shape: one non-negative integer size per dimension, outermost first. */
export type Shape = readonly number[];

/**
 * The number of elements in a tensor of `shape` (1 for a 0-d tensor).
 *
 * @example
 * ```ts
 * shapeSize([2, 3, 4]); // 24
 * ```
 */
export function shapeSize(shape: Shape): number {
  let n = 1;
  for (let i = 0; i < shape.length; i++) n *= shape[i];
  return n;
}

/**
 * Row-major (C-order) strides, in elements, of a contiguous tensor of `shape`.
 *
 * @example
 * ```ts
 * stridesOf([2, 3, 4]); // [12, 4, 1]
 * ```
 */
export function stridesOf(shape: Shape): number[] {
  const strides = new Array<number>(shape.length);
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    strides[i] = s;
    s *= shape[i];
  }
  return strides;
}

/** Slots of the cache of {@link frozenShape} (a power of two). */
const FROZEN_SHAPES = 256;
const frozenShapes: (Shape | undefined)[] = new Array(FROZEN_SHAPES);

/**
 * A frozen copy of `shape`, shared by the tensors of equal shape: the Tensor constructor's. Copying and
 * freezing an array costs about 0.15 µs, a tenth of a small MLP step's JavaScript per tensor, while the
 * shapes of a training step repeat from one step to the next; a small direct-mapped cache by content
 * returns the frozen array made for an equal shape before (a frozen array cannot be changed, so sharing
 * it is safe).
 */
export function frozenShape(shape: Shape): Shape {
  const n = shape.length;
  let h = n;
  for (let i = 0; i < n; i++) h = (Math.imul(h, 31) + shape[i]) | 0;
  const slot = (h ^ (h >>> 11)) & (FROZEN_SHAPES - 1);
  const hit = frozenShapes[slot];
  if (hit !== undefined && hit.length === n) {
    let i = 0;
    while (i < n && hit[i] === shape[i]) i++;
    if (i === n) return hit;
  }
  const made = Object.freeze([...shape]);
  frozenShapes[slot] = made;
  return made;
}

/** `[2,3]` style formatting for error messages. */
export function formatShape(shape: Shape): string {
  return `[${shape.join(',')}]`;
}

/** Whether two shapes are equal. */
export function shapesEqual(a: Shape, b: Shape): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * The broadcast shape of two shapes under NumPy's rules; throws a {@link ShapeError} naming `fn`.
 *
 * @example
 * ```ts
 * broadcastShapes([3, 1], [1, 4]); // [3, 4]
 * ```
 */
export function broadcastShapes(a: Shape, b: Shape, fn = 'broadcast'): number[] {
  const n = Math.max(a.length, b.length);
  const out = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    const da = i < n - a.length ? 1 : a[i - (n - a.length)];
    const db = i < n - b.length ? 1 : b[i - (n - b.length)];
    if (da === db || db === 1) out[i] = da;
    else if (da === 1) out[i] = db;
    else
      throw new ShapeError(
        `${fn}: shapes ${formatShape(a)} and ${formatShape(b)} cannot be broadcast (dimension ${i}: ${da} vs ${db})`,
      );
  }
  return out;
}

/**
 * Turn a possibly negative axis into `[0, ndim)`; throws an {@link AxisError} naming `fn`.
 *
 * @example
 * ```ts
 * normalizeAxis(-1, 3); // 2
 * ```
 */
export function normalizeAxis(axis: number, ndim: number, fn = 'axis'): number {
  if (!Number.isInteger(axis)) throw new AxisError(`${fn}: axis must be an integer, got ${axis}`);
  const lo = ndim === 0 ? -1 : -ndim;
  const hi = ndim === 0 ? 0 : ndim - 1;
  if (axis < lo || axis > hi)
    throw new AxisError(`${fn}: axis ${axis} is out of range for a tensor of ${ndim} dims (expected ${lo}..${hi})`);
  return axis < 0 ? axis + Math.max(ndim, 1) : axis;
}

/**
 * Normalise an axis argument of a reduction (`undefined`/`null` = all axes) into sorted distinct axes.
 *
 * @example
 * ```ts
 * normalizeAxes([0, -1], 3); // [0, 2]
 * normalizeAxes(undefined, 2); // [0, 1]
 * ```
 */
export function normalizeAxes(
  axis: number | readonly number[] | null | undefined,
  ndim: number,
  fn = 'axis',
): number[] {
  if (axis === undefined || axis === null) return Array.from({ length: ndim }, (_, i) => i);
  const list = typeof axis === 'number' ? [axis] : [...axis];
  const out = list.map((a) => normalizeAxis(a, ndim, fn));
  const sorted = [...out].sort((x, y) => x - y);
  for (let i = 1; i < sorted.length; i++)
    if (sorted[i] === sorted[i - 1])
      throw new AxisError(`${fn}: axis ${sorted[i]} appears more than once in ${JSON.stringify(list)}`);
  return ndim === 0 ? [] : sorted;
}

/** The most elements a tensor may have: the largest typed array JavaScript engines allow (2^32 - 1). */
export const MAX_TENSOR_SIZE = 2 ** 32 - 1;

/** Throw a {@link ValueError} unless `shape` is an array of non-negative integers with at most {@link MAX_TENSOR_SIZE} elements in all. */

export function checkShape(fn: string, arg: string, shape: unknown): number[] {
  if (!Array.isArray(shape)) throw new ValueError(`${fn}: ${arg} must be an array of sizes, got ${String(shape)}`);
  let size = 1;
  for (const d of shape) {
    if (typeof d !== 'number' || !Number.isInteger(d) || d < 0)
      throw new ValueError(`${fn}: ${arg} must hold non-negative integers, got ${JSON.stringify(shape)}`);
    size *= d;
  }
  if (size > MAX_TENSOR_SIZE)
    throw new ValueError(
      `${fn}: ${arg} ${JSON.stringify(shape)} has ${size} elements, more than the ${MAX_TENSOR_SIZE} a typed array can hold`,
    );
  return [...shape];
}

/** The shape left after reducing `axes` of `shape`, keeping size-1 dims when `keepdims`. */
export function reducedShape(shape: Shape, axes: readonly number[], keepdims: boolean): number[] {
  const out: number[] = [];
  for (let i = 0; i < shape.length; i++) {
    if (axes.includes(i)) {
      if (keepdims) out.push(1);
    } else out.push(shape[i]);
  }
  return out;
}
