import { AxisError, ValueError } from '../errors';
import { normalizeAxis } from '../shape';
import { Tensor } from '../tensor';
import { reshape } from './reshape';

/**
 * Merge dimensions `startDim` to `endDim` (inclusive, negative axes count from the end) into one,
 * like `torch.flatten`; a 0-d tensor becomes 1-D. The result shares `x`'s data.
 *
 * Gradient: the upstream gradient reshaped back to `x`'s shape.
 *
 * @example
 * ```ts
 * flatten(zeros([2, 3, 4])).shape; // [24]
 * flatten(zeros([2, 3, 4]), 1).shape; // [2, 12]
 * flatten(zeros([2, 3, 4]), 0, 1).shape; // [6, 4]
 * ```
 */
export function flatten(x: Tensor, startDim = 0, endDim = -1): Tensor {
  if (!(x instanceof Tensor)) throw new ValueError(`flatten: x must be a Tensor, got ${typeof x}`);
  const start = normalizeAxis(startDim, x.ndim, 'flatten');
  const end = normalizeAxis(endDim, x.ndim, 'flatten');
  if (start > end)
    throw new AxisError(
      `flatten: startDim ${startDim} must not come after endDim ${endDim} (tensor of ${x.ndim} dims)`,
    );
  if (x.ndim === 0) return reshape(x, [1]);
  let merged = 1;
  for (let d = start; d <= end; d++) merged *= x.shape[d];
  return reshape(x, [...x.shape.slice(0, start), merged, ...x.shape.slice(end + 1)]);
}
