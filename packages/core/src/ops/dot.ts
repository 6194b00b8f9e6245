import { ShapeError, ValueError } from '../errors';
import { formatShape } from '../shape';
import { Tensor } from '../tensor';
import { matmul } from './matmul';

/**
 * The dot product `Σᵢ aᵢ·bᵢ` of two 1-D tensors of the same length, as a 0-d tensor (PyTorch's
 * `torch.dot`). Mixed dtypes are promoted.
 *
 * Gradient: `d(a·b)/da = b`, `d(a·b)/db = a`.
 *
 * @example
 * ```ts
 * dot(tensor([1, 2, 3]), tensor([4, 5, 6])).item(); // 32
 * ```
 */
export function dot(a: Tensor, b: Tensor): Tensor {
  if (!(a instanceof Tensor) || !(b instanceof Tensor)) throw new ValueError('dot: a and b must be Tensors');
  if (a.ndim !== 1 || b.ndim !== 1)
    throw new ShapeError(
      `dot: expected two 1-D tensors, got shapes ${formatShape(a.shape)} and ${formatShape(b.shape)}`,
    );
  if (a.shape[0] !== b.shape[0])
    throw new ShapeError(
      `dot: shapes ${formatShape(a.shape)} and ${formatShape(b.shape)} do not align (${a.shape[0]} != ${b.shape[0]})`,
    );
  return matmul(a, b);
}
