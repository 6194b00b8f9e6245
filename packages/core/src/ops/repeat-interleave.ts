import { AxisError, DTypeError, ShapeError, ValueError } from '../errors';
import { normalizeAxis } from '../shape';
import { Tensor } from '../tensor';
import { expand } from './expand';
import { indexSelect } from './index-select';
import { reshape } from './reshape';

/** The number of copies of each of the `n` slices: one count for all of them, or one count per slice. */
function repeatCounts(repeats: number | Tensor, n: number): number | Int32Array {
  if (typeof repeats === 'number') {
    if (!Number.isInteger(repeats))
      throw new ValueError(`repeatInterleave: repeats must be an integer or an int32 tensor, got ${repeats}`);
    if (repeats < 0) throw new ValueError(`repeatInterleave: repeats must not be negative, got ${repeats}`);
    return repeats;
  }
  if (!(repeats instanceof Tensor))
    throw new ValueError(`repeatInterleave: repeats must be an integer or an int32 tensor, got ${typeof repeats}`);
  if (repeats.dtype !== 'int32')
    throw new DTypeError(`repeatInterleave: repeats must be an int32 tensor, got ${repeats.dtype}`);
  if (repeats.ndim > 1) throw new ShapeError(`repeatInterleave: repeats must be 0-d or 1-D, got ${repeats.ndim} dims`);
  // NOTE: the result's shape depends on these values, so they are read now (as masked selection does).
  const counts = repeats.values as Int32Array;
  for (let j = 0; j < counts.length; j++)
    if (counts[j] < 0) throw new ValueError(`repeatInterleave: repeats must not be negative, got ${counts[j]}`);
  if (counts.length === 1) return counts[0]; // one count (a 0-d or a 1-element tensor) applies to every slice
  if (counts.length !== n)
    throw new ShapeError(
      `repeatInterleave: repeats has ${counts.length} counts but there are ${n} slices to repeat; it must have 1 or ${n}`,
    );
  return counts;
}

/**
 * Repeat each slice of `x` along `axis` several times in place, like `torch.repeat_interleave`: with
 * `repeats = 2` along axis 0, the rows `[a, b]` become `[a, a, b, b]`. `repeats` is one count for every
 * slice (a non-negative integer, or an int32 tensor holding one), or an int32 1-D tensor of one count per
 * slice (`x.shape[axis]` of them). Without `axis`, `x` is flattened first and the result is 1-D. The result
 * has `x`'s dtype; with a tensor of counts its size is their sum (its values are read at once).
 *
 * Gradient: the upstream gradient of the copies of each slice summed back into it.
 *
 * @param x - the tensor whose slices to repeat
 * @param repeats - how many copies of each slice (0 drops it)
 * @param axis - the axis of the slices (negative counts from the end); omitted: the flattened `x`
 *
 * @example
 * ```ts
 * repeatInterleave(tensor([1, 2, 3]), 2).toArray(); // [1, 1, 2, 2, 3, 3]
 * const counts = tensor([0, 2], { dtype: 'int32' });
 * repeatInterleave(tensor([[1, 2], [3, 4]]), counts, 0).toArray(); // [[3, 4], [3, 4]]
 * repeatInterleave(tensor([[1, 2], [3, 4]]), 2, -1).toArray(); // [[1, 1, 2, 2], [3, 3, 4, 4]]
 * ```
 */
export function repeatInterleave(x: Tensor, repeats: number | Tensor, axis?: number): Tensor {
  if (!(x instanceof Tensor)) throw new ValueError(`repeatInterleave: x must be a Tensor, got ${typeof x}`);
  let source = x;
  let a = 0;
  if (axis === undefined) source = reshape(x, [x.size]);
  else if (x.ndim === 0)
    throw new AxisError(`repeatInterleave: axis ${axis} was given but x is 0-d; omit axis to repeat its one element`);
  else a = normalizeAxis(axis, x.ndim, 'repeatInterleave');
  const n = source.shape[a];
  const counts = repeatCounts(repeats, n);
  if (typeof counts === 'number') {
    // Each slice gets a new axis of `counts` copies right after `axis`, merged back into it.
    const before = source.shape.slice(0, a);
    const after = source.shape.slice(a + 1);
    const spread = expand(reshape(source, [...before, n, 1, ...after]), [...before, n, counts, ...after]);
    return reshape(spread, [...before, n * counts, ...after]);
  }
  let total = 0;
  for (let j = 0; j < n; j++) total += counts[j];
  const positions = new Int32Array(total);
  let start = 0;
  for (let j = 0; j < n; j++) {
    positions.fill(j, start, start + counts[j]);
    start += counts[j];
  }
  return indexSelect(source, a, new Tensor(positions, [total], 'int32'));
}
