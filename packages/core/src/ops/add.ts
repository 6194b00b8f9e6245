import { addKernel } from '../kernels/cpu/elementwise';
import { registerOp } from '../op';
import type { Tensor, TensorLike } from '../tensor';
import { binaryOperands, elementwiseBinary, sumToShape } from './binary';

const addOp = registerOp<undefined>({
  name: 'add',
  saves: { inputs: [], output: false },
  forward: ([a, b]) => elementwiseBinary('add', a, b, addKernel),
  backward: (g, { inputs: [a, b] }) => [sumToShape(g, a.shape), sumToShape(g, b.shape)],
});

/**
 * Elementwise `a + b`, with NumPy broadcasting. Either operand may be a number.
 *
 * @example
 * ```ts
 * add(tensor([[1], [2]]), tensor([10, 20])).toArray(); // [[11, 21], [12, 22]]
 * add(tensor([1, 2]), 1).toArray(); // [2, 3]
 * ```
 */
export function add(a: TensorLike, b: TensorLike): Tensor {
  const [ta, tb] = binaryOperands(a, b);
  return addOp([ta, tb], undefined);
}
