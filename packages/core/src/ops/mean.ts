import { allocate, type DType, isFloatingDType } from '../dtype';
import { meanKernel } from '../kernels/cpu/reduce';
import { resolveKernel } from '../kernels/registry';
import { registerOp } from '../op';
import { reducedShape, shapeSize } from '../shape';
import { type Axis, Tensor } from '../tensor';
import { checkKeepdims } from './check-keepdims';
import { mul } from './mul';
import { expandReduced, type ReduceAttrs, reducedCount, reductionAxes } from './sum';

const meanOp = registerOp<ReduceAttrs>({
  name: 'mean',
  saves: { inputs: [], output: false },
  forward: ([x], { axes, keepdims }) => {
    const dtype: DType = isFloatingDType(x.dtype) ? x.dtype : 'float32';
    const shape = reducedShape(x.shape, axes, keepdims);
    const out = allocate(dtype, shapeSize(shape));
    resolveKernel('mean', meanKernel)(x._array, x.shape, axes, out, reducedCount(x.shape, axes));
    return new Tensor(out, shape, dtype);
  },
  backward: (g, { inputs: [x], attrs }) => [
    expandReduced(mul(g, 1 / reducedCount(x.shape, attrs.axes)), x.shape, attrs.axes),
  ],
});

/**
 * The arithmetic mean over `axis` (one axis, several, or all of them when omitted), like `torch.mean`.
 * An int32 input gives a float32 result (PyTorch refuses integer inputs). The mean of no elements is NaN.
 *
 * Gradient: the upstream gradient divided by the number of elements averaged, broadcast back over the
 * reduced axes.
 *
 * @param x - the tensor to reduce
 * @param axis - the axis or axes to reduce, negative from the end; all of them when omitted or `null`,
 *   none when `[]` (NumPy's rule; PyTorch 1.13 reduces all of them, see {@link Axis})
 * @param keepdims - keep the reduced axes as size-1 dimensions
 *
 * @example
 * ```ts
 * const x = tensor([[1, 2], [3, 4]]);
 * mean(x).item(); // 2.5
 * mean(x, 1).toArray(); // [1.5, 3.5]
 * mean(x, 0, true).toArray(); // [[2, 3]]
 * ```
 */
export function mean(x: Tensor, axis?: Axis, keepdims = false): Tensor {
  checkKeepdims('mean', keepdims);
  const axes = reductionAxes('mean', x, axis);
  return meanOp([x], { axes, keepdims });
}
