import { full } from '../creation';
import { allocate, type TypedArray } from '../dtype';
import { DTypeError, ValueError } from '../errors';
import { copyKernel } from '../kernels/cpu/elementwise';
import { resolveKernel } from '../kernels/registry';
import { registerOp } from '../op';
import { normalizeAxis, shapesEqual, stridesOf } from '../shape';
import { Tensor } from '../tensor';
import { cast } from './cast';
import { eq, gt } from './compare';
import { div } from './div';
import { gatherOp } from './gather';
import { checkIndexTensor } from './index-select';
import { mul } from './mul';
import { reshape } from './reshape';
import { checkScatterShapes, scatterAddOp } from './scatter-add';
import { crop } from './slice';
import { where } from './where';

/** The reductions of {@link scatterReduce}, PyTorch's names. */
export type ScatterReduction = 'sum' | 'prod' | 'mean' | 'amax' | 'amin';

const REDUCTIONS: readonly ScatterReduction[] = ['sum', 'prod', 'mean', 'amax', 'amin'];

/** Options of {@link scatterReduce}. */
export interface ScatterReduceOptions {
  /** Whether `x`'s own values at the written positions take part in the reduction (default true, as in PyTorch). */
  includeSelf?: boolean;
}

interface ScatterReduceAttrs {
  readonly axis: number;
  readonly reduce: ScatterReduction;
  readonly includeSelf: boolean;
}

/** The value a reduction starts from where `x` does not take part. */
function identity(reduce: ScatterReduction, int: boolean): number {
  if (reduce === 'prod') return 1;
  if (reduce === 'amax') return int ? -2147483648 : Number.NEGATIVE_INFINITY;
  if (reduce === 'amin') return int ? 2147483647 : Number.POSITIVE_INFINITY;
  return 0;
}

/**
 * The cpu kernel of `scatterReduce`, in place on `out` (of `outShape`, holding a copy of `x`): for every
 * position `p` of `index` (of `indexShape`, which `src` has too), `src[p]` is reduced into the element of
 * `out` at `p`'s coordinates with the `axis` coordinate replaced by `index[p]`, in row-major order of `p`.
 * Without `includeSelf` the written elements first start from the reduction's identity. A `'mean'` divides
 * each written element by the number of values it reduced (floor division for int32, as PyTorch's).
 * `amax` and `amin` propagate NaN. The indices are already checked.
 */
export function scatterReduceKernel(
  out: TypedArray,
  outShape: readonly number[],
  index: Int32Array,
  indexShape: readonly number[],
  src: TypedArray,
  axis: number,
  reduce: ScatterReduction,
  includeSelf: boolean,
): void {
  const n = index.length;
  if (n === 0) return;
  const nd = indexShape.length;
  const int = out instanceof Int32Array;
  const outStrides = stridesOf(outShape);
  const axisStride = outStrides[axis];
  const step = outStrides.map((s, d) => (d === axis ? 0 : s));
  // the element of out each position of index writes
  const target = new Int32Array(n);
  const coord = new Array<number>(nd).fill(0);
  let at = 0;
  for (let p = 0; p < n; p++) {
    target[p] = at + index[p] * axisStride;
    for (let d = nd - 1; d >= 0; d--) {
      coord[d] += 1;
      at += step[d];
      if (coord[d] < indexShape[d]) break;
      at -= step[d] * indexShape[d];
      coord[d] = 0;
    }
  }
  if (!includeSelf) {
    const start = identity(reduce, int);
    for (let p = 0; p < n; p++) out[target[p]] = start;
  }
  const counts = reduce === 'mean' ? new Int32Array(out.length).fill(includeSelf ? 1 : 0) : null;
  for (let p = 0; p < n; p++) {
    const t = target[p];
    const a = out[t];
    const b = src[p];
    if (reduce === 'sum' || reduce === 'mean') out[t] = a + b;
    else if (reduce === 'prod') out[t] = int ? Math.imul(a, b) : a * b;
    else out[t] = reduce === 'amax' ? Math.max(a, b) : Math.min(a, b); // NaN wins, as in PyTorch
    if (counts !== null) counts[t]++;
  }
  if (counts !== null)
    for (let p = 0; p < n; p++) {
      const t = target[p];
      const c = counts[t];
      if (c <= 0) continue; // already divided (the count is cleared once used)
      out[t] = int ? Math.floor(out[t] / c) : out[t] / c;
      counts[t] = 0;
    }
}

/** Apply the registered op to `[x, index, src]` (index and src of one shape) without re-checking arguments. */
const scatterReduceOp: (inputs: readonly Tensor[], attrs: ScatterReduceAttrs) => Tensor =
  registerOp<ScatterReduceAttrs>({
    name: 'scatterReduce',
    forward: ([x, index, src], { axis, reduce, includeSelf }) => {
      const out = allocate(x.dtype, x.size, false);
      resolveKernel('copy', copyKernel)(x._array, out);
      resolveKernel('scatterReduce', scatterReduceKernel)(
        out,
        x.shape,
        index._array as Int32Array,
        index.shape,
        src._array,
        axis,
        reduce,
        includeSelf,
      );
      return new Tensor(out, x.shape, x.dtype);
    },
    backward: (g, { inputs: [x, index, src], output: result, attrs }) => {
      const [gx, gs] = scatterReduceGradients(g, x, index, src, result, attrs);
      return [x.requiresGrad ? gx : null, null, src.requiresGrad ? gs : null];
    },
  });

/**
 * The gradients of `x` and `src` of a scatterReduce with output `result`, PyTorch's formulas (its
 * `scatter_reduce_backward`), written with ops so that they differentiate again; one departure, for
 * `amax`/`amin` without `includeSelf` (see {@link scatterReduce}).
 */
function scatterReduceGradients(
  g: Tensor,
  x: Tensor,
  index: Tensor,
  src: Tensor,
  result: Tensor,
  { axis, reduce, includeSelf }: ScatterReduceAttrs,
): [Tensor, Tensor] {
  const gather = (t: Tensor) => gatherOp([t, index], axis);
  const scatterAdd = (base: Tensor, s: Tensor) => scatterAddOp([base, index, s], axis);
  const asFloat = (mask: Tensor) => cast(mask, x.dtype);
  /** `t` with the positions index writes set to 0 (the gradient of an `x` that did not take part there). */
  const dropWritten = (t: Tensor) =>
    where(gt(scatterAdd(full(x.shape, 0, { dtype: x.dtype }), full(index.shape, 1, { dtype: x.dtype })), 0), 0, t);
  let gx: Tensor;
  let gs: Tensor;
  if (reduce === 'sum') {
    gx = g;
    gs = gather(g);
  } else if (reduce === 'mean') {
    const counts = scatterAdd(
      full(x.shape, includeSelf ? 1 : 0, { dtype: x.dtype }),
      full(src.shape, 1, { dtype: x.dtype }),
    );
    const n = where(eq(counts, 0), 1, counts);
    gx = div(g, n);
    gs = div(gather(g), gather(n));
  } else if (reduce === 'prod') {
    // the product of the others, also where x or a src element is 0 (where result / value would be 0 / 0)
    const maskedSelf = where(eq(x, 0), 1, x);
    const maskedSelfResult = scatterReduceOp([maskedSelf, index, src], { axis, reduce, includeSelf });
    gx = div(mul(g, maskedSelfResult), maskedSelf);
    const srcZero = eq(src, 0);
    const zerosThere = gather(scatterAdd(full(x.shape, 0, { dtype: x.dtype }), asFloat(srcZero)));
    const singleZero = mul(srcZero, eq(zerosThere, 1));
    const maskedSrc = where(singleZero, 1, src);
    const maskedSrcResult = scatterReduceOp([x, index, maskedSrc], { axis, reduce, includeSelf });
    gs = where(singleZero, gather(mul(g, maskedSrcResult)), div(gather(mul(g, result)), where(srcZero, 1, src)));
  } else {
    // amax / amin: the gradient shared evenly between the values equal to the result. PyTorch counts an x
    // that did not take part (includeSelf false) when it happens to equal the result; it does not count here.
    const value = gather(result);
    let selfIsResult = asFloat(eq(x, result));
    if (!includeSelf) selfIsResult = dropWritten(selfIsResult);
    const srcIsResult = asFloat(eq(src, value));
    const shared = div(g, scatterAdd(selfIsResult, srcIsResult));
    gx = mul(selfIsResult, shared);
    gs = mul(srcIsResult, gather(shared));
  }
  return [includeSelf ? gx : dropWritten(gx), gs];
}

/**
 * `torch.scatter_reduce` (out of place): a copy of `x` where every `src[p]` is reduced, by `reduce`, into
 * the element at `p`'s coordinates with the `axis` coordinate replaced by `index[p]` (for a 2-D tensor and
 * `axis = 0`: `out[index[i][j]][j] = reduce(out[index[i][j]][j], src[i][j])`). `reduce` is `'sum'`,
 * `'prod'`, `'mean'`, `'amax'` or `'amin'`. With `includeSelf` (the default) the element's own value in `x`
 * takes part; without it, only the values scattered there (positions nothing is scattered to keep `x`'s
 * value either way). `'mean'` divides by the number of values reduced (floor division for int32); `'amax'`
 * and `'amin'` propagate NaN.
 *
 * Arguments, as for {@link scatter}: `index` is int32 with as many dims as `x`, no larger than `src` on every
 * axis nor than `x` off `axis`, with values in `[0, x.shape[axis])`; `src` has `x`'s dtype and number of
 * dims; only the part of `src` that `index` covers is read.
 *
 * Gradient (PyTorch's formulas, differentiable again), in `x` and `src`: `'sum'` passes the upstream
 * gradient (gathered at `index` for `src`); `'mean'` divides it by each element's count; `'prod'` multiplies
 * it by the product of the other values (exactly, also where values are 0); `'amax'`/`'amin'` share it
 * evenly between the values equal to the result. Without `includeSelf`, `x` gets no gradient at the written
 * positions. Departure from PyTorch 1.13: `amax`/`amin` without `includeSelf` do not count an `x` that did
 * not take part when it happens to equal the result (PyTorch then gives the `src` maximum only part of the
 * gradient); and `src` elements that `index` does not cover get a zero gradient (PyTorch throws).
 *
 * See https://pytorch.org/docs/stable/generated/torch.Tensor.scatter_reduce_.html
 *
 * @param x - the tensor to copy and reduce into
 * @param axis - the axis `index` picks positions along (negative counts from the end)
 * @param index - int32 positions along `axis`
 * @param src - the values to reduce, of `x`'s dtype
 * @param reduce - the reduction
 *
 * @example
 * ```ts
 * const index = tensor([0, 1, 0, 1, 2, 1], { dtype: 'int32' });
 * const src = tensor([1, 2, 3, 4, 5, 6]);
 * scatterReduce(tensor([1, 2, 3, 4]), 0, index, src, 'sum').toArray(); // [5, 14, 8, 4]
 * scatterReduce(tensor([1, 2, 3, 4]), 0, index, src, 'amax', { includeSelf: false }).toArray(); // [3, 6, 5, 4]
 * scatterReduce(zeros([3]), 0, index, src, 'mean', { includeSelf: false }).toArray(); // [2, 4, 5]
 * ```
 */
export function scatterReduce(
  x: Tensor,
  axis: number,
  index: Tensor,
  src: Tensor,
  reduce: ScatterReduction,
  options: ScatterReduceOptions = {},
): Tensor {
  const fn = 'scatterReduce';
  if (!(x instanceof Tensor)) throw new ValueError(`${fn}: x must be a Tensor, got ${typeof x}`);
  if (!(index instanceof Tensor)) throw new ValueError(`${fn}: index must be a Tensor, got ${typeof index}`);
  if (!(src instanceof Tensor)) throw new ValueError(`${fn}: src must be a Tensor, got ${typeof src}`);
  if (!REDUCTIONS.includes(reduce))
    throw new ValueError(
      `${fn}: reduce must be one of ${REDUCTIONS.map((r) => `'${r}'`).join(', ')}, got ${JSON.stringify(reduce)}`,
    );
  if (options === null || typeof options !== 'object')
    throw new ValueError(`${fn}: options must be an object, got ${options === null ? 'null' : typeof options}`);
  for (const key of Object.keys(options))
    if (key !== 'includeSelf')
      throw new ValueError(`${fn}: unknown option ${JSON.stringify(key)} (known: includeSelf)`);
  const includeSelf = options.includeSelf ?? true;
  if (typeof includeSelf !== 'boolean')
    throw new ValueError(`${fn}: includeSelf must be a boolean, got ${JSON.stringify(includeSelf)}`);
  if (index.dtype !== 'int32') throw new DTypeError(`${fn}: index must be an int32 tensor, got ${index.dtype}`);
  if (src.dtype !== x.dtype) throw new DTypeError(`${fn}: src must have the dtype of x (${x.dtype}), got ${src.dtype}`);
  if (x.dtype !== 'float32' && x.dtype !== 'float64' && x.dtype !== 'int32')
    throw new DTypeError(`${fn}: x must be float32, float64 or int32, got ${x.dtype}`);
  const base = x.ndim === 0 ? reshape(x, [1]) : x;
  const idx = index.ndim === 0 ? reshape(index, [1]) : index;
  const s = src.ndim === 0 ? reshape(src, [1]) : src;
  const a = normalizeAxis(axis, base.ndim, fn);
  checkScatterShapes(fn, base, idx, s, a);
  checkIndexTensor(fn, idx, base.shape[a]);
  // only the part of src that index covers is read: cut it to index's shape (its gradient pads the rest with 0)
  const used = shapesEqual(idx.shape, s.shape)
    ? s
    : crop(
        s,
        s.shape.map(() => 0),
        idx.shape,
      );
  const out = scatterReduceOp([base, idx, used], { axis: a, reduce, includeSelf });
  return x.ndim === 0 ? reshape(out, []) : out;
}
