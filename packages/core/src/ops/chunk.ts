import { ShapeError, ValueError } from '../errors';
import { normalizeAxis } from '../shape';
import { Tensor } from '../tensor';
import { split } from './split';

/**
 * Split `x` into `chunks` pieces along `axis`, like `torch.chunk`: every piece has
 * `ceil(size / chunks)` elements along `axis` except the last, so there may be fewer than `chunks`
 * pieces.
 *
 * Gradient: each piece's upstream gradient goes back to its own slab of `x`.
 *
 * @example
 * ```ts
 * chunk(arange(5), 3).map((t) => t.toArray()); // [[0, 1], [2, 3], [4]]
 * chunk(arange(6), 4).length; // 3 (pieces of 2)
 * ```
 */
export function chunk(x: Tensor, chunks: number, axis = 0): Tensor[] {
  if (!(x instanceof Tensor)) throw new ValueError(`chunk: x must be a Tensor, got ${typeof x}`);
  if (!Number.isInteger(chunks) || chunks <= 0)
    throw new ValueError(`chunk: chunks must be a positive integer, got ${chunks}`);
  if (x.ndim === 0) throw new ShapeError('chunk: cannot chunk a 0-d tensor');
  const a = normalizeAxis(axis, x.ndim, 'chunk');
  const n = x.shape[a];
  // NOTE: PyTorch returns `chunks` empty pieces for an empty axis rather than one.
  if (n === 0) return split(x, new Array<number>(chunks).fill(0), a);
  return split(x, Math.ceil(n / chunks), a);
}
