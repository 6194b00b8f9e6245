import { allocate, checkDType, type DType, isFloatingDType } from '../dtype';
import { noGrad } from '../grad-mode';
import { castKernel } from '../kernels/cpu/cast';
import { resolveKernel } from '../kernels/registry';
import { registerOp } from '../op';
import { Tensor } from '../tensor';

const castOp = registerOp<DType>({
  name: 'cast',
  saves: { inputs: [], output: false },
  halfNative: true,
  forward: ([x], dtype) => {
    const data = allocate(dtype, x.size);
    // NOTE: through the registry, so that on the webgpu backend a cast waits for its input's values.
    resolveKernel('cast', castKernel)(x._array, x.dtype, data, dtype);
    return new Tensor(data, x.shape, dtype);
  },
  backward: (g, { inputs: [x] }) => [isFloatingDType(x.dtype) ? cast(g, x.dtype) : null],
});

/**
 * A copy of `x` converted to `dtype`; float to int truncates toward zero. Differentiable between
 * float dtypes. A cast to an integer dtype is not differentiable and, as in PyTorch, its result does
 * not require gradients and has no graph node, even when `x` requires them (integer tensors cannot):
 * a backward through it throws instead of leaving `x.grad` silently null. Converting to `float16` or
 * `bfloat16` rounds to nearest with ties to even (a float64 is rounded to float32 first, as in
 * PyTorch), overflowing to Infinity (see {@link DType}).
 *
 * @example
 * ```ts
 * cast(tensor([1.7, -1.7]), 'int32').toArray(); // [1, -1]
 * cast(tensor([1 / 3]), 'bfloat16').item(); // 0.333984375
 * cast(tensor([1.5], { requiresGrad: true }), 'int32').requiresGrad; // false
 * ```
 */
export function cast(x: Tensor, dtype: DType): Tensor {
  checkDType('cast', 'dtype', dtype);
  if (x.dtype === dtype) return x;
  // NOTE: PyTorch's integer tensors never require gradients, so a cast to one records no node.
  if (!isFloatingDType(dtype)) return noGrad(() => castOp([x], dtype));
  return castOp([x], dtype);
}
