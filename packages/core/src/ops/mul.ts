import { mulKernel } from '../kernels/cpu/elementwise';
import { registerOp } from '../op';
import type { Tensor, TensorLike } from '../tensor';
import { binaryOperands, elementwiseBinary, sumToShape } from './binary';

const mulOp = registerOp<undefined>({
  name: 'mul',
  saves: { output: false },
  forward: ([a, b]) => elementwiseBinary('mul', a, b, mulKernel),
  backward: (g, { inputs: [a, b] }) => [
    a.requiresGrad ? sumToShape(mul(g, b), a.shape) : null,
    b.requiresGrad ? sumToShape(mul(g, a), b.shape) : null,
  ],
});

/**
 * Elementwise `a * b`, with NumPy broadcasting. Either operand may be a number.
 *
 * Gradient: `d(ab)/da = b`, `d(ab)/db = a`, each summed back over broadcast dimensions.
 *
 * @example
 * ```ts
 * mul(tensor([1, 2, 3]), 2).toArray(); // [2, 4, 6]
 * ```
 */
export function mul(a: TensorLike, b: TensorLike): Tensor {
  const [ta, tb] = binaryOperands(a, b);
  return mulOp([ta, tb], undefined);
}
