import { minimumKernel } from '../kernels/cpu/elementwise';
import { registerOp } from '../op';
import type { Tensor, TensorLike } from '../tensor';
import { binaryOperands, elementwiseBinary, extremumShare, sumToShape } from './binary';
import { mul } from './mul';

const minimumOp = registerOp<undefined>({
  name: 'minimum',
  forward: ([a, b]) => elementwiseBinary('minimum', a, b, minimumKernel),
  backward: (g, { inputs: [a, b] }) => [
    a.requiresGrad ? sumToShape(mul(g, extremumShare(a, b, g.shape, g.dtype, false)), a.shape) : null,
    b.requiresGrad ? sumToShape(mul(g, extremumShare(b, a, g.shape, g.dtype, false)), b.shape) : null,
  ],
});

/**
 * Elementwise smaller of `a` and `b`, with NumPy broadcasting, like `torch.minimum`; NaN if either is NaN.
 * Either operand may be a number.
 *
 * Gradient: `g` goes to the smaller operand; on ties it is split evenly (`g/2` each), as in PyTorch.
 * Where one operand is NaN, `g` goes to the NaN operand and the other gets 0 (both get `g` when both
 * are NaN); PyTorch 1.13 gives `g` to both operands there.
 *
 * @example
 * ```ts
 * minimum(tensor([1, 5, 3]), tensor([4, 2, 3])).toArray(); // [1, 2, 3]
 * ```
 */
export function minimum(a: TensorLike, b: TensorLike): Tensor {
  const [ta, tb] = binaryOperands(a, b);
  return minimumOp([ta, tb], undefined);
}
