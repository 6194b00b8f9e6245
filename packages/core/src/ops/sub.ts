import { subKernel } from '../kernels/cpu/elementwise';
import { registerOp } from '../op';
import type { Tensor, TensorLike } from '../tensor';
import { binaryOperands, elementwiseBinary, sumToShape } from './binary';
import { neg } from './neg';

const subOp = registerOp<undefined>({
  name: 'sub',
  saves: { inputs: [], output: false },
  forward: ([a, b]) => elementwiseBinary('sub', a, b, subKernel),
  backward: (g, { inputs: [a, b] }) => [
    a.requiresGrad ? sumToShape(g, a.shape) : null,
    b.requiresGrad ? sumToShape(neg(g), b.shape) : null,
  ],
});

/**
 * Elementwise `a - b`, with NumPy broadcasting. Either operand may be a number.
 *
 * Gradient: `d(a - b)/da = 1`, `d(a - b)/db = -1`, each summed back over broadcast dimensions.
 *
 * @example
 * ```ts
 * sub(tensor([5, 7]), tensor([1, 2])).toArray(); // [4, 5]
 * sub(1, tensor([0.25, 0.5])).toArray(); // [0.75, 0.5]
 * ```
 */
export function sub(a: TensorLike, b: TensorLike): Tensor {
  const [ta, tb] = binaryOperands(a, b);
  return subOp([ta, tb], undefined);
}
