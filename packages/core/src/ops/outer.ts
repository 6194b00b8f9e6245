import { ShapeError, ValueError } from '../errors';
import { formatShape } from '../shape';
import { Tensor } from '../tensor';
import { matmul } from './matmul';
import { reshape } from './reshape';

/**
 * The outer product of two 1-D tensors: `out[i, j] = a[i] · b[j]`, of shape `[a.size, b.size]`
 * (PyTorch's `torch.outer`). Mixed dtypes are promoted.
 *
 * Gradient: `dL/da = G·b`, `dL/db = Gᵀ·a`.
 *
 * @example
 * ```ts
 * outer(tensor([1, 2]), tensor([3, 4, 5])).toArray(); // [[3, 4, 5], [6, 8, 10]]
 * ```
 */
export function outer(a: Tensor, b: Tensor): Tensor {
  if (!(a instanceof Tensor) || !(b instanceof Tensor)) throw new ValueError('outer: a and b must be Tensors');
  if (a.ndim !== 1 || b.ndim !== 1)
    throw new ShapeError(
      `outer: expected two 1-D tensors, got shapes ${formatShape(a.shape)} and ${formatShape(b.shape)}`,
    );
  return matmul(reshape(a, [a.shape[0], 1]), reshape(b, [1, b.shape[0]]));
}
