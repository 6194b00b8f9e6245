import { checkOptions, optionNames } from '../check-options';
import { allocate, isHalfDType } from '../dtype';
import { AxisError, ShapeError, ValueError } from '../errors';
import { decodeHalf } from '../half';
import { normalizeAxis } from '../shape';
import { Tensor } from '../tensor';
import { indexSelect } from './index-select';

/** Options of {@link unique}. */
export interface UniqueOptions {
  /**
   * Return the values in ascending order (default true). `false` is accepted for PyTorch's signature; the
   * values come out sorted either way (see {@link unique}).
   */
  sorted?: boolean;
  /** Also return `inverse`: where each element (or slice) of `x` is in `values` (default false). */
  returnInverse?: boolean;
  /** Also return `counts`: how many times each of `values` occurs in `x` (default false). */
  returnCounts?: boolean;
  /** Find the distinct slices along this axis instead of the distinct elements of the flattened `x`. */
  axis?: number | null;
}

const UNIQUE_OPTIONS = optionNames<UniqueOptions>({
  sorted: true,
  returnInverse: true,
  returnCounts: true,
  axis: true,
});

/**
 * The result of {@link unique}, PyTorch's `(output, inverse_indices, counts)` by name: `inverse` and
 * `counts` are there when they were asked for (see {@link UniqueResultOf}).
 */
export interface UniqueResult {
  /** The distinct elements (1-D), or the distinct slices along the axis (`x`'s shape with the axis resized). */
  values: Tensor;
  /**
   * int32: for each element of `x` (`x`'s shape), or each slice along the axis (1-D), its position in
   * `values`. Present with `returnInverse`.
   */
  inverse?: Tensor;
  /** int32, 1-D: how many elements (or slices) of `x` each of `values` stands for. Present with `returnCounts`. */
  counts?: Tensor;
}

/**
 * The type {@link unique} returns for options `O`: a {@link UniqueResult} whose `inverse` and `counts` are
 * not optional when `O` sets `returnInverse` and `returnCounts` to `true`.
 */
export type UniqueResultOf<O extends UniqueOptions> = UniqueResult &
  (O['returnInverse'] extends true ? Required<Pick<UniqueResult, 'inverse'>> : unknown) &
  (O['returnCounts'] extends true ? Required<Pick<UniqueResult, 'counts'>> : unknown);

function flag(name: string, value: unknown): boolean {
  if (value === undefined) return false;
  if (typeof value !== 'boolean')
    throw new ValueError(`unique: ${name} must be a boolean, got ${JSON.stringify(value)}`);
  return value;
}

/** The elements of `x` as numbers (half bit patterns decoded). */
function numbersOf(x: Tensor): ArrayLike<number> {
  const data = x.values;
  return isHalfDType(x.dtype) ? decodeHalf(data as Uint16Array, x.dtype) : data;
}

/** Ascending, NaN after every number; equal values (NaN with NaN, -0 with 0) are left to the caller. */
function compareNumbers(a: number, b: number): number {
  if (a < b) return -1;
  if (a > b) return 1;
  const nanA = Number.isNaN(a);
  const nanB = Number.isNaN(b);
  if (nanA === nanB) return 0;
  return nanA ? 1 : -1;
}

/**
 * Distinct items among `n`, given how to order two of them (0 for equal in order) and whether two are the
 * same value: the items sorted (ties by position), then split into runs of the same value. Returns each
 * run's first item (its lowest position), each item's run, and each run's length.
 */
function groupItems(
  n: number,
  compare: (i: number, j: number) => number,
  same: (i: number, j: number) => boolean,
): { first: number[]; inverse: Int32Array; counts: number[] } {
  const order = Array.from({ length: n }, (_, i) => i).sort((i, j) => compare(i, j) || i - j);
  const first: number[] = [];
  const counts: number[] = [];
  const inverse = new Int32Array(n);
  for (let k = 0; k < n; k++) {
    const item = order[k];
    if (k === 0 || !same(order[k - 1], item)) {
      first.push(item);
      counts.push(0);
    }
    inverse[item] = first.length - 1;
    counts[counts.length - 1] += 1;
  }
  return { first, inverse, counts };
}

function uniqueElements(x: Tensor): { values: Tensor; inverse: Tensor; counts: number[] } {
  const v = numbersOf(x);
  // NOTE: `===` keeps every NaN apart (PyTorch 1.13 does not merge NaNs either) and merges -0 with 0.
  const { first, inverse, counts } = groupItems(
    v.length,
    (i, j) => compareNumbers(v[i], v[j]),
    (i, j) => v[i] === v[j],
  );
  const raw = x.values;
  const out = allocate(x.dtype, first.length, false);
  for (let k = 0; k < first.length; k++) out[k] = raw[first[k]];
  return {
    values: new Tensor(out, [first.length], x.dtype),
    inverse: new Tensor(inverse, [...x.shape], 'int32'),
    counts,
  };
}

function uniqueSlices(x: Tensor, axis: number): { values: Tensor; inverse: Tensor; counts: number[] } {
  const shape = x.shape;
  for (let d = 0; d < shape.length; d++)
    if (d !== axis && shape[d] === 0)
      throw new ShapeError(
        `unique: x of shape [${shape.join(',')}] has a dimension of size 0 (${d}) other than axis ${axis}; it has no slices to compare`,
      );
  const v = numbersOf(x);
  const n = shape[axis];
  let inner = 1;
  for (let d = axis + 1; d < shape.length; d++) inner *= shape[d];
  const outer = n === 0 ? 0 : v.length / (n * inner);
  const length = outer * inner;
  // Element t of slice j, in the row-major order of the other axes.
  const at = (j: number, t: number): number => v[(Math.floor(t / inner) * n + j) * inner + (t % inner)];
  const compare = (i: number, j: number): number => {
    for (let t = 0; t < length; t++) {
      const c = compareNumbers(at(i, t), at(j, t));
      if (c !== 0) return c;
    }
    return 0;
  };
  const same = (i: number, j: number): boolean => {
    for (let t = 0; t < length; t++) if (at(i, t) !== at(j, t)) return false;
    return true;
  };
  const { first, inverse, counts } = groupItems(n, compare, same);
  const picked = new Tensor(Int32Array.from(first), [first.length], 'int32');
  return { values: indexSelect(x.detach(), axis, picked), inverse: new Tensor(inverse, [n], 'int32'), counts };
}

/**
 * The distinct elements of `x`, like `torch.unique`: `values` holds them in ascending order (1-D, `x`'s
 * dtype; the flattened `x` is searched, whatever its shape). With `axis`, the distinct slices along that
 * axis instead (`torch.unique(x, dim=axis)`), ordered lexicographically by their elements in row-major
 * order: `values` is `x` with that axis resized to their number. Optionally `inverse` (int32, `x`'s shape, or
 * 1-D over the slices) gives each element's (slice's) position in `values`, so that picking `values` at
 * `inverse` rebuilds `x`, and `counts` (int32, 1-D) how often each value occurs.
 *
 * The result is always an object, never a bare tensor (PyTorch returns a tensor or a tuple depending on the
 * flags): `const { values } = unique(x)`. `inverse` and `counts` are present only when asked for, and are
 * then typed as present.
 *
 * Equality: `-0` equals `0` (the first of them in `x` is kept). NaN is never equal to anything, so each NaN
 * of `x` is a distinct value of its own, as in PyTorch 1.13 on the cpu; nabla sorts them after every
 * number, in the order of `x`, each with a count of 1 (PyTorch 1.13's cpu kernel leaves NaNs among the
 * numbers wherever its sort puts them, with counts of 0 and inverse indices of 0). With `axis`, a slice
 * holding a NaN is likewise never merged with another; slices with NaNs sort as if NaN were larger than
 * every number (PyTorch's order for them is unspecified).
 *
 * `sorted: false` is accepted for PyTorch's signature and still returns sorted values: PyTorch leaves the
 * order unspecified then (1.13's cpu kernel returns the order of its hash table, and sorts with `axis`).
 *
 * The values of `x` are read at once (the result's shape depends on them). Not differentiable.
 *
 * @param x - the tensor to search (any dtype)
 * @param options - `sorted` (default true), `returnInverse` and `returnCounts` (default false), `axis`
 *   (default: none, the flattened tensor)
 *
 * @example
 * ```ts
 * const { values, inverse, counts } = unique(tensor([3, 1, 3, 2, 1]), { returnInverse: true, returnCounts: true });
 * values.toArray(); // [1, 2, 3]
 * inverse.toArray(); // [2, 0, 2, 1, 0]
 * counts.toArray(); // [2, 1, 2]
 * unique(tensor([[1, 2], [0, 5], [1, 2]]), { axis: 0 }).values.toArray(); // [[0, 5], [1, 2]]
 * ```
 */
export function unique<O extends UniqueOptions = UniqueOptions>(x: Tensor, options?: O): UniqueResultOf<O> {
  if (!(x instanceof Tensor)) throw new ValueError(`unique: x must be a Tensor, got ${typeof x}`);
  checkOptions('unique', options, UNIQUE_OPTIONS);
  flag('sorted', options?.sorted); // always sorted (see UniqueOptions.sorted)
  const returnInverse = flag('returnInverse', options?.returnInverse);
  const returnCounts = flag('returnCounts', options?.returnCounts);
  const axis = options?.axis ?? null;
  let found: { values: Tensor; inverse: Tensor; counts: number[] };
  if (axis === null) found = uniqueElements(x);
  else {
    if (typeof axis !== 'number') throw new AxisError(`unique: axis must be an integer, got ${JSON.stringify(axis)}`);
    if (x.ndim === 0)
      throw new AxisError(`unique: axis ${axis} was given but x is 0-d; omit axis to get its one element`);
    found = uniqueSlices(x, normalizeAxis(axis, x.ndim, 'unique'));
  }
  const result: UniqueResult = { values: found.values };
  if (returnInverse) result.inverse = found.inverse;
  if (returnCounts) result.counts = new Tensor(Int32Array.from(found.counts), [found.counts.length], 'int32');
  return result as UniqueResultOf<O>;
}
