import { full } from '../creation';
import { allocate, type TypedArray } from '../dtype';
import { DTypeError, ShapeError, ValueError } from '../errors';
import { copyKernel } from '../kernels/cpu/elementwise';
import { resolveKernel } from '../kernels/registry';
import { registerOp } from '../op';
import { formatShape, normalizeAxis, stridesOf } from '../shape';
import { Tensor } from '../tensor';
import { checkIndexTensor } from './index-select';
import { reshape } from './reshape';
import { scatteredSourceGradient } from './scatter-add';
import { scatterReduce } from './scatter-reduce';

/** Options of {@link scatter}. */
export interface ScatterOptions {
  /**
   * Combine with `x`'s value instead of overwriting it, as `torch.scatter`'s `reduce` does: `'add'` adds,
   * `'multiply'` multiplies (repeated indices combine every value). Default: overwrite.
   */
  reduce?: 'add' | 'multiply';
}

/**
 * The cpu kernel of `scatter`, in place on `out` (of `outShape`, already holding a copy of `x`): for every
 * position `p` of `index` (of `indexShape`), in row-major order, the element at `p`'s coordinates in `out`
 * with the `axis` coordinate replaced by `index[p]` is set to `src` at `p`'s coordinates (`src`, of
 * `srcShape`, may be larger than `index` in every dimension), or to `value` when `src` is null. All three
 * shapes have the same number of dims (at least 1) and the indices are already checked. Two positions
 * that write the same element share every coordinate but `axis`, so the row-major order makes the one
 * further along `axis` win, as PyTorch's cpu kernel does.
 */
export function scatterKernel(
  out: TypedArray,
  outShape: readonly number[],
  index: Int32Array,
  indexShape: readonly number[],
  src: TypedArray | null,
  srcShape: readonly number[],
  axis: number,
  value: number,
): void {
  const count = index.length;
  if (count === 0) return;
  const nd = indexShape.length;
  const outStrides = stridesOf(outShape);
  const srcStrides = src === null ? new Array<number>(nd).fill(0) : stridesOf(srcShape);
  const axisStride = outStrides[axis];
  // The offsets of position p in out (without its axis coordinate) and in src, kept as p advances.
  const outStep = outStrides.map((s, d) => (d === axis ? 0 : s));
  const coord = new Array<number>(nd).fill(0);
  let outAt = 0;
  let srcAt = 0;
  for (let p = 0; p < count; p++) {
    out[outAt + index[p] * axisStride] = src === null ? value : src[srcAt];
    for (let d = nd - 1; d >= 0; d--) {
      coord[d] += 1;
      outAt += outStep[d];
      srcAt += srcStrides[d];
      if (coord[d] < indexShape[d]) break;
      outAt -= outStep[d] * indexShape[d];
      srcAt -= srcStrides[d] * indexShape[d];
      coord[d] = 0;
    }
  }
}

/** What {@link scatterOp} needs besides its tensors: the axis, and the number written when there is no src. */
export interface ScatterAttrs {
  readonly axis: number;
  /** The number written at every indexed position when the inputs are `[x, index]` (ignored with a src). */
  readonly value: number;
}

/**
 * Apply the registered scatter op without re-checking arguments (used by VJPs): inputs `[x, index, src]`, or
 * `[x, index]` to write `attrs.value`; shapes with the same number of dims (at least 1), src of x's dtype.
 */
export const scatterOp: (inputs: readonly Tensor[], attrs: ScatterAttrs) => Tensor = registerOp<ScatterAttrs>({
  name: 'scatter',
  saves: { inputs: [1], output: false },
  forward: ([x, index, src], { axis, value }) => {
    const out = allocate(x.dtype, x.size, false);
    resolveKernel('copy', copyKernel)(x._array, out);
    resolveKernel('scatter', scatterKernel)(
      out,
      x.shape,
      index._array as Int32Array,
      index.shape,
      src === undefined ? null : src._array,
      src === undefined ? index.shape : src.shape,
      axis,
      value,
    );
    return new Tensor(out, x.shape, x.dtype);
  },
  backward: (g, { inputs: [x, index, src], attrs: { axis } }) => {
    // PyTorch's formulas: x's gradient is g with the written positions zeroed; src's is g gathered at
    // index (every duplicate gets it, also those whose write was overwritten).
    const gx = x.requiresGrad ? scatterOp([g, index], { axis, value: 0 }) : null;
    if (src === undefined) return [gx, null];
    return [gx, null, src.requiresGrad ? scatteredSourceGradient(g, index, src, axis) : null];
  },
});

/** `t` with a 0-d shape read as `[1]`, as PyTorch's scatter reads it. */
function atLeast1d(t: Tensor): Tensor {
  return t.ndim === 0 ? reshape(t, [1]) : t;
}

/**
 * Out-of-place `torch.scatter` (`torch.Tensor.scatter` without `reduce`): a copy of `x` where, for every
 * position `p` of `index`, the element at `p`'s coordinates with the `axis` coordinate replaced by
 * `index[p]` is overwritten with `src[p]`, or with the number `src` (for a 2-D tensor and `axis = 0`:
 * `out[index[i][j]][j] = src[i][j]`). Positions of `x` that no index names keep their value.
 *
 * Arguments, as in PyTorch: `index` is int32 with as many dims as `x`, no larger than `x` on the other
 * axes and than a `src` tensor on every axis, with values in `[0, x.shape[axis])` (a 0-d tensor counts as
 * 1-D of size 1); `src` has `x`'s dtype and as many dims; a number is converted to `x`'s dtype (truncated
 * towards zero for int32). An empty `index` returns a copy of `x` whatever its shape.
 *
 * Repeated indices: where several positions of `index` name the same element, the last one along `axis`
 * wins, as on PyTorch's cpu (PyTorch documents the outcome as unspecified, and on CUDA it is).
 *
 * Gradient (PyTorch's formulas): for `x`, the upstream gradient with every written position zeroed; for
 * `src`, the upstream gradient gathered at `index` (so each of several repeated indices receives it, even
 * those whose value was overwritten), and zero where `src` is larger than `index` (where PyTorch throws).
 * Both are differentiable again.
 *
 * With `reduce` (`'add'` or `'multiply'`), the values are combined with `x`'s instead: this is
 * {@link scatterReduce} with `'sum'` or `'prod'` (a number `src` scattered as a tensor of it), and so has
 * gradients, where PyTorch 1.13 has none for `scatter` with `reduce`.
 *
 * @param x - the tensor to copy and write into
 * @param axis - the axis `index` picks positions along (negative counts from the end)
 * @param index - int32 positions along `axis`
 * @param src - the values to write (a tensor of `x`'s dtype), or one number written everywhere
 * @param options - `reduce`: combine with `x` (`'add'`, `'multiply'`) instead of overwriting
 *
 * @example
 * ```ts
 * const rows = tensor([[2, 0], [1, 2]], { dtype: 'int32' });
 * scatter(zeros([3, 2]), 0, rows, tensor([[7, 8], [9, 6]])).toArray(); // [[0, 8], [9, 0], [7, 6]]
 * scatter(ones([4]), 0, tensor([3, 0], { dtype: 'int32' }), -1).toArray(); // [-1, 1, 1, -1]
 * scatter(ones([3]), 0, tensor([0, 0], { dtype: 'int32' }), 5, { reduce: 'add' }).toArray(); // [11, 1, 1]
 * ```
 */
export function scatter(
  x: Tensor,
  axis: number,
  index: Tensor,
  src: Tensor | number,
  options: ScatterOptions = {},
): Tensor {
  if (options === null || typeof options !== 'object')
    throw new ValueError(`scatter: options must be an object, got ${options === null ? 'null' : typeof options}`);
  for (const key of Object.keys(options))
    if (key !== 'reduce') throw new ValueError(`scatter: unknown option ${JSON.stringify(key)} (known: reduce)`);
  if (options.reduce !== undefined) {
    if (options.reduce !== 'add' && options.reduce !== 'multiply')
      throw new ValueError(`scatter: reduce must be 'add' or 'multiply', got ${JSON.stringify(options.reduce)}`);
    if (!(x instanceof Tensor)) throw new ValueError(`scatter: x must be a Tensor, got ${typeof x}`);
    if (!(index instanceof Tensor)) throw new ValueError(`scatter: index must be a Tensor, got ${typeof index}`);
    const values = typeof src === 'number' ? full(index.ndim === 0 ? [] : index.shape, src, { dtype: x.dtype }) : src;
    return scatterReduce(x, axis, index, values, options.reduce === 'add' ? 'sum' : 'prod');
  }
  if (!(x instanceof Tensor)) throw new ValueError(`scatter: x must be a Tensor, got ${typeof x}`);
  if (!(index instanceof Tensor)) throw new ValueError(`scatter: index must be a Tensor, got ${typeof index}`);
  if (!(src instanceof Tensor) && typeof src !== 'number')
    throw new ValueError(`scatter: src must be a Tensor or a number, got ${typeof src}`);
  const a = normalizeAxis(axis, x.ndim, 'scatter');
  if (index.dtype !== 'int32') throw new DTypeError(`scatter: index must be an int32 tensor, got ${index.dtype}`);
  if (src instanceof Tensor && src.dtype !== x.dtype)
    throw new DTypeError(`scatter: src must have the dtype of x (${x.dtype}), got ${src.dtype}`);
  const value = typeof src === 'number' ? src : 0;
  const base = atLeast1d(x);
  const s = src instanceof Tensor ? atLeast1d(src) : null;
  // An empty index writes nothing (PyTorch skips its shape checks then): x's values, its gradient g, and
  // a zero gradient for a src with x's number of dims.
  if (index.size === 0) {
    const none = new Tensor(
      new Int32Array(0),
      base.shape.map(() => 0),
      'int32',
    );
    const inputs = s !== null && s.ndim === base.ndim ? [base, none, s] : [base, none];
    return reshape(scatterOp(inputs, { axis: a, value }), x.shape);
  }
  const idx = atLeast1d(index);
  if (idx.ndim !== base.ndim)
    throw new ShapeError(
      `scatter: index has ${index.ndim} dims but x has ${x.ndim}; they must have the same number of dims`,
    );
  if (s !== null && s.ndim !== base.ndim)
    throw new ShapeError(
      `scatter: src has ${(src as Tensor).ndim} dims but x has ${x.ndim}; they must have the same number of dims`,
    );
  for (let d = 0; d < base.ndim; d++) {
    if (s !== null && idx.shape[d] > s.shape[d])
      throw new ShapeError(
        `scatter: index of shape ${formatShape(index.shape)} is larger than src of shape ${formatShape(s.shape)} at dim ${d}`,
      );
    if (d !== a && idx.shape[d] > base.shape[d])
      throw new ShapeError(
        `scatter: index of shape ${formatShape(index.shape)} is larger than x of shape ${formatShape(x.shape)} at dim ${d} (only axis ${a} may differ)`,
      );
  }
  checkIndexTensor('scatter', idx, base.shape[a]);
  const out = scatterOp(s === null ? [base, idx] : [base, idx, s], { axis: a, value });
  return x.ndim === 0 ? reshape(out, []) : out;
}
