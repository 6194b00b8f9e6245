import { ShapeError, ValueError } from '../errors';
import { normalizeAxis } from '../shape';
import { Tensor } from '../tensor';
import { narrow } from './slice';

/**
 * Split `x` into pieces along `axis`, like `torch.split`: a number is the size of every piece (the
 * last one may be smaller); an array gives each piece's size and must sum to the axis size.
 *
 * Gradient: each piece's upstream gradient goes back to its own slab of `x` (zero elsewhere).
 *
 * @example
 * ```ts
 * split(arange(5), 2).map((t) => t.toArray()); // [[0, 1], [2, 3], [4]]
 * split(arange(5), [1, 4]).map((t) => t.toArray()); // [[0], [1, 2, 3, 4]]
 * ```
 */
export function split(x: Tensor, sizeOrSections: number | readonly number[], axis = 0): Tensor[] {
  if (!(x instanceof Tensor)) throw new ValueError(`split: x must be a Tensor, got ${typeof x}`);
  const a = normalizeAxis(axis, x.ndim, 'split');
  const n = x.ndim === 0 ? 1 : x.shape[a];
  if (x.ndim === 0) throw new ShapeError('split: cannot split a 0-d tensor');
  const sizes: number[] = [];
  if (typeof sizeOrSections === 'number') {
    const size = sizeOrSections;
    if (!Number.isInteger(size) || size < 0 || (size === 0 && n > 0))
      throw new ValueError(`split: the piece size must be a positive integer, got ${size}`);
    if (size === 0 || n === 0) sizes.push(n);
    else for (let start = 0; start < n; start += size) sizes.push(Math.min(size, n - start));
  } else if (Array.isArray(sizeOrSections)) {
    let total = 0;
    for (const s of sizeOrSections) {
      if (!Number.isInteger(s) || s < 0)
        throw new ValueError(`split: sizes must be non-negative integers, got ${JSON.stringify(sizeOrSections)}`);
      total += s;
      sizes.push(s);
    }
    if (total !== n)
      throw new ShapeError(
        `split: sizes ${JSON.stringify(sizeOrSections)} sum to ${total} but axis ${a} has size ${n}`,
      );
  } else {
    throw new ValueError(`split: sizeOrSections must be a number or an array of sizes, got ${String(sizeOrSections)}`);
  }
  const pieces: Tensor[] = [];
  let start = 0;
  for (const s of sizes) {
    pieces.push(narrow(x, a, start, start + s));
    start += s;
  }
  return pieces;
}
