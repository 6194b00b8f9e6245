import { ValueError } from '../errors';
import { normalizeAxis } from '../shape';
import { Tensor } from '../tensor';
import { permute } from './permute';

/**
 * Swap dimensions `dim0` and `dim1` of `x` (negative axes count from the end), like `torch.transpose`.
 *
 * Gradient: the upstream gradient with the same two dimensions swapped back.
 *
 * @example
 * ```ts
 * transpose(tensor([[1, 2, 3], [4, 5, 6]]), 0, 1).toArray(); // [[1, 4], [2, 5], [3, 6]]
 * transpose(zeros([2, 3, 4]), 0, -1).shape; // [4, 3, 2]
 * ```
 */
export function transpose(x: Tensor, dim0: number, dim1: number): Tensor {
  if (!(x instanceof Tensor)) throw new ValueError(`transpose: x must be a Tensor, got ${typeof x}`);
  const a = normalizeAxis(dim0, x.ndim, 'transpose');
  const b = normalizeAxis(dim1, x.ndim, 'transpose');
  const perm = x.shape.map((_, i) => i);
  if (x.ndim > 0) {
    perm[a] = b;
    perm[b] = a;
  }
  return permute(x, perm);
}
