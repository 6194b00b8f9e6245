import { ValueError } from '../errors';
import { broadcastShapes, shapesEqual } from '../shape';
import { Tensor } from '../tensor';
import { expand } from './expand';
import { indexSelect } from './index-select';
import { reshape } from './reshape';

/**
 * The elements of `x` where `mask` is nonzero, as a 1-D tensor in row-major order, like
 * `torch.masked_select`; `x` and `mask` (any dtype) broadcast together first.
 *
 * Gradient: the upstream gradient placed back at the selected positions (zero elsewhere), summed
 * over broadcast copies.
 *
 * @example
 * ```ts
 * const x = tensor([[1, 2], [3, 4]]);
 * maskedSelect(x, tensor([[1, 0], [0, 1]], { dtype: 'int32' })).toArray(); // [1, 4]
 * maskedSelect(x, tensor([0, 1], { dtype: 'int32' })).toArray(); // [2, 4]
 * ```
 */
export function maskedSelect(x: Tensor, mask: Tensor): Tensor {
  if (!(x instanceof Tensor)) throw new ValueError(`maskedSelect: x must be a Tensor, got ${typeof x}`);
  if (!(mask instanceof Tensor)) throw new ValueError(`maskedSelect: mask must be a Tensor, got ${typeof mask}`);
  const shape = shapesEqual(x.shape, mask.shape) ? [...x.shape] : broadcastShapes(x.shape, mask.shape, 'maskedSelect');
  const m = shapesEqual(mask.shape, shape) ? mask.data : expand(mask.detach(), shape).values;
  let count = 0;
  for (let i = 0; i < m.length; i++) if (m[i] !== 0) count++;
  const positions = new Int32Array(count);
  for (let i = 0, k = 0; i < m.length; i++) if (m[i] !== 0) positions[k++] = i;
  const flat = reshape(expand(x, shape), [m.length]);
  return indexSelect(flat, 0, new Tensor(positions, [count], 'int32'));
}
