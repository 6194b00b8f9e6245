import { allocate, type DType, isFloatingDType } from '../dtype';
import { logsumexpKernel } from '../kernels/cpu/reduce';
import { resolveKernel } from '../kernels/registry';
import { registerOp } from '../op';
import { reducedShape, shapeSize } from '../shape';
import { type Axis, Tensor } from '../tensor';
import { checkKeepdims } from './check-keepdims';
import { exp } from './exp';
import { mul } from './mul';
import { reshape } from './reshape';
import { sub } from './sub';
import { type ReduceAttrs, reductionAxes } from './sum';

const logsumexpOp = registerOp<ReduceAttrs>({
  name: 'logsumexp',
  forward: ([x], { axes, keepdims }) => {
    const dtype: DType = isFloatingDType(x.dtype) ? x.dtype : 'float32';
    const shape = reducedShape(x.shape, axes, keepdims);
    const out = allocate(dtype, shapeSize(shape));
    resolveKernel('logsumexp', logsumexpKernel)(x._array, x.shape, axes, out);
    return new Tensor(out, shape, dtype);
  },
  backward: (g, { inputs: [x], output, attrs }) => {
    const kept = reducedShape(x.shape, attrs.axes, true);
    // exp(x - logsumexp(x)) is the softmax over the reduced axes; it reuses the (stable) output.
    return [mul(reshape(g, kept), exp(sub(x, reshape(output, kept))))];
  },
});

/**
 * `log(sum(exp(x)))` over `axis` (one axis, several, or all of them when omitted), like
 * `torch.logsumexp`, computed stably as `m + log(sum(exp(x - m)))` with `m` the max: inputs of ±1000
 * give exact results, and a group of only `-Infinity` gives `-Infinity` (not NaN). An int32 input gives
 * a float32 result.
 *
 * Gradient: `softmax(x)` over the reduced axes, `exp(x - logsumexp(x))`, times the upstream gradient.
 *
 * @param x - the tensor to reduce
 * @param axis - the axis or axes to reduce, negative from the end; all of them when omitted or `null`,
 *   none when `[]` (NumPy's rule; PyTorch 1.13 reduces all of them, see {@link Axis})
 * @param keepdims - keep the reduced axes as size-1 dimensions
 *
 * @example
 * ```ts
 * logsumexp(tensor([0, 0])).item(); // 0.6931471805599453 (log 2)
 * logsumexp(tensor([[1000, 1000], [-1000, -1000]]), 1).toArray(); // [1000.6931471805599, -999.3068528194401]
 * ```
 */
export function logsumexp(x: Tensor, axis?: Axis, keepdims = false): Tensor {
  checkKeepdims('logsumexp', keepdims);
  const axes = reductionAxes('logsumexp', x, axis);
  return logsumexpOp([x], { axes, keepdims });
}
