import { allocate, isHalfDType } from '../dtype';
import { AxisError, ValueError } from '../errors';
import { decodeHalf } from '../half';
import {
  argReduceKernel,
  axisLayout,
  maxKernel,
  minKernel,
  pickAlongAxisKernel,
  placeAlongAxisKernel,
  tieWeightsKernel,
} from '../kernels/cpu/reduce';
import { resolveKernel } from '../kernels/registry';
import { registerOp } from '../op';
import { formatShape, reducedShape, shapeSize } from '../shape';
import { type Axis, Tensor } from '../tensor';
import { checkKeepdims } from './check-keepdims';
import { mul } from './mul';
import { reshape } from './reshape';
import { type ReduceAttrs, reductionAxes } from './sum';

/** Throw a {@link ValueError} naming `fn` when one of the reduced axes of `x` is empty. */
function checkNonEmpty(fn: string, x: Tensor, axes: readonly number[]): void {
  const empty = x.ndim === 0 ? x.size === 0 : axes.some((a) => x.shape[a] === 0);
  if (empty)
    throw new ValueError(
      `${fn}: cannot reduce a tensor of shape ${formatShape(x.shape)} over an empty axis (the result has no identity)`,
    );
}

/**
 * Define a max- or min-reduction op: the forward reduces with the kernel, the backward splits the
 * gradient evenly among the elements equal to the result (PyTorch's `amax`/`amin`). The weights
 * `1/k` are locally constant in `x`, so they are computed outside the graph.
 */
export function defineExtremum(name: 'max' | 'min'): (x: Tensor, axis: Axis, keepdims: boolean) => Tensor {
  const kernel = name === 'max' ? maxKernel : minKernel;
  const op = registerOp<ReduceAttrs>({
    name,
    forward: ([x], { axes, keepdims }) => {
      const shape = reducedShape(x.shape, axes, keepdims);
      const out = allocate(x.dtype, shapeSize(shape));
      resolveKernel(name, kernel)(x._array, x.shape, axes, out);
      return new Tensor(out, shape, x.dtype);
    },
    backward: (g, { inputs: [x], output, attrs }) => {
      const weights = allocate(g.dtype, x.size);
      resolveKernel('tieWeights', tieWeightsKernel)(x._array, x.shape, attrs.axes, output._array, weights);
      return [mul(reshape(g, reducedShape(x.shape, attrs.axes, true)), new Tensor(weights, x.shape, g.dtype))];
    },
  });
  return (x, axis, keepdims) => {
    const axes = reductionAxes(name, x, axis);
    checkNonEmpty(name, x, axes);
    return op([x], { axes, keepdims });
  };
}

/** The attributes of the ops that pick (and place back) one element per lane along `axis`. */
interface PickAttrs {
  readonly axis: number;
  /** `outer x inner` positions along the axis. */
  readonly indices: Int32Array;
  /** The shape of the full tensor (the input of a pick, the output of a place). */
  readonly fullShape: readonly number[];
  /** The shape of the picked tensor. */
  readonly pickedShape: readonly number[];
}

const pickOp: (inputs: readonly Tensor[], attrs: PickAttrs) => Tensor = registerOp<PickAttrs>({
  name: 'pickAlongAxis',
  forward: ([x], { axis, indices, fullShape, pickedShape }) => {
    const { outer, n, inner } = axisLayout(fullShape, axis);
    const out = allocate(x.dtype, shapeSize(pickedShape));
    resolveKernel('pickAlongAxis', pickAlongAxisKernel)(x._array, outer, n, inner, indices, out);
    return new Tensor(out, pickedShape, x.dtype);
  },
  backward: (g, { attrs }) => [placeOp([g], attrs)],
});

const placeOp: (inputs: readonly Tensor[], attrs: PickAttrs) => Tensor = registerOp<PickAttrs>({
  name: 'placeAlongAxis',
  forward: ([g], { axis, indices, fullShape }) => {
    const { outer, n, inner } = axisLayout(fullShape, axis);
    const out = allocate(g.dtype, shapeSize(fullShape));
    resolveKernel('placeAlongAxis', placeAlongAxisKernel)(g._array, outer, n, inner, indices, out);
    return new Tensor(out, fullShape, g.dtype);
  },
  backward: (gg, { attrs }) => [pickOp([gg], attrs)],
});

/**
 * Define `maxWithIndices`/`minWithIndices`: find the index of the extreme along `axis` (first
 * occurrence on ties), then pick the values with a differentiable op whose gradient goes entirely to
 * that index.
 */
/** The result of {@link maxWithIndices} and {@link minWithIndices}, like PyTorch's `(values, indices)`. */
export interface ValuesAndIndices {
  /** The extreme values along the axis. */
  values: Tensor;
  /** Their positions along the axis (int32; the first one on ties). */
  indices: Tensor;
}

export function defineExtremumWithIndices(
  name: 'maxWithIndices' | 'minWithIndices',
): (x: Tensor, axis: number, keepdims: boolean) => ValuesAndIndices {
  const kind = name === 'maxWithIndices' ? 'max' : 'min';
  return (x, axis, keepdims) => {
    if (typeof axis !== 'number') throw new AxisError(`${name}: axis must be one integer, got ${JSON.stringify(axis)}`);
    const axes = reductionAxes(name, x, axis);
    const ax = axes.length === 0 ? 0 : axes[0];
    checkNonEmpty(name, x, axes);
    const { outer, n, inner } = axisLayout(x.shape, ax);
    const pickedShape = reducedShape(x.shape, axes, keepdims);
    const indices = new Int32Array(outer * inner);
    // float16/bfloat16 store bit patterns: compare the decoded numbers.
    const src = isHalfDType(x.dtype) ? decodeHalf(x.values as Uint16Array, x.dtype) : x._array;
    resolveKernel(name, argReduceKernel)(kind, src, outer, n, inner, indices);
    const values = pickOp([x], { axis: ax, indices, fullShape: x.shape, pickedShape });
    return { values, indices: new Tensor(indices, pickedShape, 'int32') };
  };
}

const maxFn = defineExtremum('max');
const maxWithIndicesFn = defineExtremumWithIndices('maxWithIndices');

/**
 * The largest element over `axis` (one axis, several, or all of them when omitted), like `torch.amax`
 * (and `torch.max(x)` for a full reduction). NaN propagates. For the values together with their
 * indices, use {@link maxWithIndices}.
 *
 * Gradient: split evenly among the elements equal to the maximum (with `k` ties, each gets `g/k`),
 * as in PyTorch's `amax`. Where a reduced group holds NaN, the gradient is split evenly among its NaN
 * elements (the others get 0). For a full reduction that is PyTorch's result too; per axis, PyTorch
 * 1.13's `amax` gives NaN to every element of such a group instead (it divides by the count of
 * elements equal to a NaN result, which is 0).
 *
 * @param x - the tensor to reduce
 * @param axis - the axis or axes to reduce, negative from the end; all of them when omitted or `null`,
 *   none when `[]` (NumPy's rule; PyTorch 1.13 reduces all of them, see {@link Axis})
 * @param keepdims - keep the reduced axes as size-1 dimensions
 *
 * @example
 * ```ts
 * const x = tensor([[1, 5, 2], [7, 0, 7]]);
 * max(x).item(); // 7
 * max(x, 1).toArray(); // [5, 7]
 * max(x, 0, true).toArray(); // [[7, 5, 7]]
 * ```
 */
export function max(x: Tensor, axis?: Axis, keepdims = false): Tensor {
  checkKeepdims('max', keepdims);
  return maxFn(x, axis, keepdims);
}

/**
 * The largest element over `axis`: {@link max} itself, also exported under PyTorch's name `amax`.
 *
 * Gradient: split evenly among tied maxima.
 *
 * @example
 * ```ts
 * amax(tensor([[1, 3], [4, 2]]), -1).toArray(); // [3, 4]
 * ```
 */
export const amax: typeof max = max;

/**
 * The largest elements along one `axis` and their int32 indices, like `torch.max(x, dim)`. On ties the
 * first occurrence is returned; a NaN counts as the largest.
 *
 * Gradient: the whole upstream gradient goes to the returned index (unlike {@link max}, which splits
 * it among ties).
 *
 * @param x - the tensor to reduce
 * @param axis - the axis to reduce, negative from the end
 * @param keepdims - keep the reduced axis as a size-1 dimension
 *
 * @example
 * ```ts
 * const { values, indices } = maxWithIndices(tensor([[1, 5, 5], [7, 0, 2]]), 1);
 * values.toArray(); // [5, 7]
 * indices.toArray(); // [1, 0]
 * ```
 */
export function maxWithIndices(x: Tensor, axis: number, keepdims = false): ValuesAndIndices {
  checkKeepdims('maxWithIndices', keepdims);
  return maxWithIndicesFn(x, axis, keepdims);
}
