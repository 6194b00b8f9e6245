import { ShapeError, ValueError } from '../errors';
import { formatShape, normalizeAxis, shapesEqual } from '../shape';
import { Tensor } from '../tensor';
import { concat } from './concat';
import { unsqueeze } from './unsqueeze';

/**
 * Join tensors of one shape along a NEW dimension inserted at `axis` (in `[-ndim - 1, ndim]`), like
 * `torch.stack`; dtypes are promoted.
 *
 * Gradient: each input receives its slice of the upstream gradient along `axis`.
 *
 * @example
 * ```ts
 * stack([tensor([1, 2]), tensor([3, 4])]).toArray(); // [[1, 2], [3, 4]]
 * stack([tensor([1, 2]), tensor([3, 4])], 1).toArray(); // [[1, 3], [2, 4]]
 * ```
 */
export function stack(tensors: readonly Tensor[], axis = 0): Tensor {
  if (!Array.isArray(tensors) || tensors.length === 0)
    throw new ValueError('stack: expected a non-empty array of tensors');
  tensors.forEach((t, i) => {
    if (!(t instanceof Tensor)) throw new ValueError(`stack: tensors[${i}] is not a Tensor`);
  });
  const first = tensors[0];
  for (let i = 1; i < tensors.length; i++)
    if (!shapesEqual(tensors[i].shape, first.shape))
      throw new ShapeError(
        `stack: tensors[${i}] has shape ${formatShape(tensors[i].shape)} but tensors[0] has shape ${formatShape(first.shape)}; all shapes must be equal`,
      );
  const a = normalizeAxis(axis, first.ndim + 1, 'stack');
  return concat(
    tensors.map((t) => unsqueeze(t, a)),
    a,
  );
}
