import { type DType, isFloatingDType, promoteTypes } from '../dtype';
import { divKernel } from '../kernels/cpu/elementwise';
import { registerOp } from '../op';
import type { Tensor, TensorLike } from '../tensor';
import { binaryOperands, elementwiseBinary, sumToShape } from './binary';
import { mul } from './mul';
import { neg } from './neg';

const divOp = registerOp<undefined>({
  name: 'div',
  saves: { inputs: [1], output: true },
  forward: ([a, b]) => {
    const promoted = promoteTypes(a.dtype, b.dtype);
    // True division, as in PyTorch: integer operands give a float32 result.
    const dtype: DType = isFloatingDType(promoted) ? promoted : 'float32';
    return elementwiseBinary('div', a, b, divKernel, dtype);
  },
  backward: (g, { inputs: [a, b], output }) => {
    if (!a.requiresGrad && !b.requiresGrad) return [null, null];
    const ga = div(g, b);
    return [
      a.requiresGrad ? sumToShape(ga, a.shape) : null,
      // d(a/b)/db = -a/b^2 = -(1/b) * (a/b): reuse g/b and the output.
      b.requiresGrad ? sumToShape(neg(mul(ga, output)), b.shape) : null,
    ];
  },
});

/**
 * Elementwise true division `a / b`, with NumPy broadcasting. Either operand may be a number; integer
 * operands give a float32 result, like PyTorch's `torch.div`.
 *
 * Gradient: `d(a/b)/da = 1/b`, `d(a/b)/db = -a/b²`, each summed back over broadcast dimensions.
 *
 * @example
 * ```ts
 * div(tensor([1, 3]), 2).toArray(); // [0.5, 1.5]
 * div(tensor([[2], [4]]), tensor([1, 2])).toArray(); // [[2, 1], [4, 2]]
 * ```
 */
export function div(a: TensorLike, b: TensorLike): Tensor {
  const [ta, tb] = binaryOperands(a, b);
  return divOp([ta, tb], undefined);
}
