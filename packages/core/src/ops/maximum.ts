import { maximumKernel } from '../kernels/cpu/elementwise';
import { registerOp } from '../op';
import type { Tensor, TensorLike } from '../tensor';
import { binaryOperands, elementwiseBinary, extremumShare, sumToShape } from './binary';
import { mul } from './mul';

const maximumOp = registerOp<undefined>({
  name: 'maximum',
  forward: ([a, b]) => elementwiseBinary('maximum', a, b, maximumKernel),
  backward: (g, { inputs: [a, b] }) => [
    a.requiresGrad ? sumToShape(mul(g, extremumShare(a, b, g.shape, g.dtype, true)), a.shape) : null,
    b.requiresGrad ? sumToShape(mul(g, extremumShare(b, a, g.shape, g.dtype, true)), b.shape) : null,
  ],
});

/**
 * Elementwise larger of `a` and `b`, with NumPy broadcasting, like `torch.maximum`; NaN if either is NaN.
 * Either operand may be a number.
 *
 * Gradient: `g` goes to the larger operand; on ties it is split evenly (`g/2` each), as in PyTorch.
 * Where one operand is NaN, `g` goes to the NaN operand and the other gets 0 (both get `g` when both
 * are NaN); PyTorch 1.13 gives `g` to both operands there.
 *
 * @example
 * ```ts
 * maximum(tensor([1, 5, 3]), tensor([4, 2, 3])).toArray(); // [4, 5, 3]
 * ```
 */
export function maximum(a: TensorLike, b: TensorLike): Tensor {
  const [ta, tb] = binaryOperands(a, b);
  return maximumOp([ta, tb], undefined);
}
