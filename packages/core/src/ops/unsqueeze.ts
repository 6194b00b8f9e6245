import { ValueError } from '../errors';
import { normalizeAxis } from '../shape';
import { Tensor } from '../tensor';
import { reshape } from './reshape';

/**
 * Insert a dimension of size 1 at `axis`, in `[-ndim - 1, ndim]` (negative axes count from the end
 * of the result), like `torch.unsqueeze`. The result shares `x`'s data.
 *
 * Gradient: the upstream gradient with that dimension removed.
 *
 * @example
 * ```ts
 * unsqueeze(tensor([1, 2, 3]), 0).shape; // [1, 3]
 * unsqueeze(tensor([1, 2, 3]), -1).shape; // [3, 1]
 * ```
 */
export function unsqueeze(x: Tensor, axis: number): Tensor {
  if (!(x instanceof Tensor)) throw new ValueError(`unsqueeze: x must be a Tensor, got ${typeof x}`);
  const a = normalizeAxis(axis, x.ndim + 1, 'unsqueeze');
  const shape = [...x.shape];
  shape.splice(a, 0, 1);
  return reshape(x, shape);
}
