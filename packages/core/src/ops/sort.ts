import { checkOptions, optionNames } from '../check-options';
import { allocate, type TypedArray } from '../dtype';
import { ValueError } from '../errors';
import { axisLayout } from '../kernels/cpu/reduce';
import { resolveKernel } from '../kernels/registry';
import { registerOp } from '../op';
import { normalizeAxis, shapeSize } from '../shape';
import { Tensor } from '../tensor';
import { gatherOp } from './gather';
import { reshape } from './reshape';

/** How {@link sortIndicesKernel} orders each row: a whole sort, or the first `k` of it (topk). */
export type SortMode = 'sort' | 'topk';

/**
 * The cpu kernel of sort, argsort and topk: for each of the `outer x inner` rows of `x` (viewed as
 * `[outer, n, inner]`), the positions of its first `k` elements in ascending order (descending when
 * `descending`), NaN counting as the largest value, ties in their original order (the lower position
 * first), written to `out` (viewed as `[outer, k, inner]`). `mode` and `sorted` do not change the result:
 * the order is a total order, so every mode returns the same positions.
 */
export function sortIndicesKernel(
  x: TypedArray,
  outer: number,
  n: number,
  inner: number,
  _mode: SortMode,
  descending: boolean,
  k: number,
  _sorted: boolean,
  out: Int32Array,
): void {
  if (k === 0 || n === 0) return;
  const values = new Float64Array(n);
  const order = Array.from({ length: n }, (_, j) => j);
  const sign = descending ? -1 : 1;
  // Ascending with NaN last (descending: NaN first), then by position: a total order.
  const compare = (a: number, b: number): number => {
    const va = values[a];
    const vb = values[b];
    const na = Number.isNaN(va);
    const nb = Number.isNaN(vb);
    if (na !== nb) return na ? sign : -sign;
    if (!na && va !== vb) return va < vb ? -sign : sign;
    return a - b;
  };
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const start = o * n * inner + i;
      for (let j = 0; j < n; j++) {
        values[j] = x[start + j * inner];
        order[j] = j;
      }
      order.sort(compare);
      const outStart = o * k * inner + i;
      for (let j = 0; j < k; j++) out[outStart + j * inner] = order[j];
    }
  }
}

interface SortAttrs {
  readonly axis: number;
  readonly mode: SortMode;
  readonly descending: boolean;
  readonly k: number;
  readonly sorted: boolean;
}

/** The int32 positions along `axis` (no gradient: the values are picked from them with `gather`). */
const sortIndicesOp = registerOp<SortAttrs>({
  name: 'sortIndices',
  forward: ([x], { axis, mode, descending, k, sorted }) => {
    const { outer, n, inner } = axisLayout(x.shape, axis);
    const shape = [...x.shape];
    if (shape.length > 0) shape[axis] = k;
    const out = allocate('int32', shapeSize(shape)) as Int32Array;
    resolveKernel('sortIndices', sortIndicesKernel)(x._array, outer, n, inner, mode, descending, k, sorted, out);
    return new Tensor(out, shape, 'int32');
  },
});

/** The values of `x` at `indices` along `axis`: differentiable (gather's gradient scatters `g` back). */
function pick(x: Tensor, indices: Tensor, axis: number): Tensor {
  if (x.ndim > 0) return gatherOp([x, indices], axis);
  return reshape(gatherOp([reshape(x, [1]), reshape(indices, [1])], 0), []);
}

function checkTensor(fn: string, x: unknown): asserts x is Tensor {
  if (!(x instanceof Tensor)) throw new ValueError(`${fn}: x must be a Tensor, got ${typeof x}`);
}

function checkFlag(fn: string, name: string, value: unknown): boolean | undefined {
  if (value !== undefined && typeof value !== 'boolean')
    throw new ValueError(`${fn}: ${name} must be a boolean, got ${JSON.stringify(value)}`);
  return value;
}

/**
 * The result of {@link sort} and {@link topk}, like PyTorch's `(values, indices)` (the same shape as
 * `ValuesAndIndices`, the result of `maxWithIndices`).
 */
export interface SortResult {
  /** The elements, in their new order along the axis. */
  values: Tensor;
  /** Where each element of `values` was along the axis (int32, `values`' shape). */
  indices: Tensor;
}

/** Options of {@link sort}. */
export interface SortOptions {
  /** Largest first (default false: smallest first). */
  descending?: boolean;
  /**
   * Keep equal elements in their original order (default true; PyTorch's default is false). nabla's sort
   * is always stable: `false` is accepted for PyTorch's signature, and PyTorch documents no order of ties then.
   */
  stable?: boolean;
}

const SORT_OPTIONS = optionNames<SortOptions>({ descending: true, stable: true });

/** Options of {@link argsort}. */
export type ArgsortOptions = SortOptions;

/** Options of {@link topk}. */
export interface TopkOptions {
  /** Return the `k` largest elements (default true), or the `k` smallest. */
  largest?: boolean;
  /** Return them in sorted order (default true); see {@link topk} for false. */
  sorted?: boolean;
}

const TOPK_OPTIONS = optionNames<TopkOptions>({ largest: true, sorted: true });

function sortIndices(fn: string, x: Tensor, axis: number, options: SortOptions | undefined): Tensor {
  checkTensor(fn, x);
  checkOptions(fn, options, SORT_OPTIONS);
  const descending = checkFlag(fn, 'descending', options?.descending) ?? false;
  checkFlag(fn, 'stable', options?.stable); // always stable (see SortOptions.stable)
  const a = normalizeAxis(axis, x.ndim, fn);
  const n = x.ndim === 0 ? 1 : x.shape[a];
  return sortIndicesOp([x], { axis: a, mode: 'sort', descending, k: n, sorted: true });
}

/**
 * The elements of `x` sorted along `axis`, with the int32 positions they came from, like `torch.sort`:
 * `values` is `x` reordered along `axis` and `indices[..., j, ...]` is where `values[..., j, ...]` was. A
 * NaN sorts above every number (last ascending, first descending) and `-0` equals `0`, as in PyTorch.
 *
 * Ties: equal elements keep their order (as `torch.sort(..., stable=True)`), also with `stable: false`,
 * for which PyTorch documents no order of ties.
 *
 * Gradient (of `values`): the upstream gradient scattered back to the positions in `indices`.
 *
 * @param x - the tensor to sort
 * @param axis - the axis to sort along (default -1, the last)
 * @param options - `descending` (default false) and `stable` (default true)
 *
 * @example
 * ```ts
 * const { values, indices } = sort(tensor([[3, 1, 2], [0, 5, 0]]), -1, { descending: true });
 * values.toArray(); // [[3, 2, 1], [5, 0, 0]]
 * indices.toArray(); // [[0, 2, 1], [1, 0, 2]]
 * ```
 */
export function sort(x: Tensor, axis = -1, options?: SortOptions): SortResult {
  const indices = sortIndices('sort', x, axis, options);
  return { values: pick(x, indices, normalizeAxis(axis, x.ndim, 'sort')), indices };
}

/**
 * The int32 positions that sort `x` along `axis`, like `torch.argsort`: `sort(x, axis, options).indices`,
 * without picking the values. Stable by default (equal elements keep their order); NaN sorts as the largest.
 * Not differentiable.
 *
 * @param x - the tensor to sort
 * @param axis - the axis to sort along (default -1, the last)
 * @param options - `descending` (default false) and `stable` (default true), as for {@link sort}
 *
 * @example
 * ```ts
 * argsort(tensor([2, 0, 1, 0])).toArray(); // [1, 3, 2, 0]
 * argsort(tensor([2, 0, 1, 0]), 0, { descending: true }).toArray(); // [0, 2, 1, 3]
 * ```
 */
export function argsort(x: Tensor, axis = -1, options?: ArgsortOptions): Tensor {
  return sortIndices('argsort', x, axis, options);
}

/**
 * The `k` largest (or smallest) elements of `x` along `axis` and their int32 positions, like `torch.topk`:
 * `values` and `indices` have `x`'s shape with `axis` resized to `k`. NaN counts as the largest value (first
 * with `largest`, picked last without).
 *
 * Ties: among equal values the lower positions are returned first (and receive the gradient); PyTorch
 * documents no order among ties (its CPU and CUDA kernels pick differently). `sorted: false` is accepted
 * for PyTorch's signature; the values come out sorted either way (PyTorch then leaves their order
 * unspecified).
 *
 * Gradient (of `values`): the upstream gradient scattered back to the positions in `indices`; the other
 * elements get 0.
 *
 * @param x - the tensor to search
 * @param k - how many elements to return, in `[0, size of axis]` (1 for a 0-d tensor)
 * @param axis - the axis to search along (default -1, the last)
 * @param options - `largest` (default true) and `sorted` (default true)
 *
 * @example
 * ```ts
 * const { values, indices } = topk(tensor([[1, 9, 4, 7], [3, 2, 8, 0]]), 2);
 * values.toArray(); // [[9, 7], [8, 3]]
 * indices.toArray(); // [[1, 3], [2, 0]]
 * topk(tensor([5, 1, 3]), 1, 0, { largest: false }).values.toArray(); // [1]
 * ```
 */
export function topk(x: Tensor, k: number, axis = -1, options?: TopkOptions): SortResult {
  checkTensor('topk', x);
  checkOptions('topk', options, TOPK_OPTIONS);
  const largest = checkFlag('topk', 'largest', options?.largest) ?? true;
  const sorted = checkFlag('topk', 'sorted', options?.sorted) ?? true;
  const a = normalizeAxis(axis, x.ndim, 'topk');
  const n = x.ndim === 0 ? 1 : x.shape[a];
  if (typeof k !== 'number' || !Number.isInteger(k) || k < 0 || k > n)
    throw new ValueError(`topk: k must be an integer in [0, ${n}] (the size of axis ${a}), got ${k}`);
  // NOTE: PyTorch returns an uninitialised 0-d tensor for k = 0 on a 0-d input; nothing can hold no element there.
  if (x.ndim === 0 && k !== 1) throw new ValueError(`topk: k must be 1 for a 0-d tensor, got ${k}`);
  const indices = sortIndicesOp([x], { axis: a, mode: 'topk', descending: largest, k, sorted });
  return { values: pick(x, indices, a), indices };
}
