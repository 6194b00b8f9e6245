import { ValueError } from '../errors';
import { Tensor } from '../tensor';
import { expand } from './expand';
import { reshape } from './reshape';

/**
 * Repeat `x` `reps[d]` times along each dimension, like `torch.tile`: when `reps` is shorter than
 * `x.ndim` it is padded with leading 1s; when it is longer, `x` gets leading size-1 dimensions.
 *
 * Gradient: the upstream gradient summed over the copies.
 *
 * @example
 * ```ts
 * tile(tensor([1, 2]), [2]).toArray(); // [1, 2, 1, 2]
 * tile(tensor([1, 2]), [2, 1]).toArray(); // [[1, 2], [1, 2]]
 * tile(tensor([[1], [2]]), [2]).toArray(); // [[1, 1], [2, 2]]
 * ```
 */
export function tile(x: Tensor, reps: readonly number[]): Tensor {
  if (!(x instanceof Tensor)) throw new ValueError(`tile: x must be a Tensor, got ${typeof x}`);
  if (!Array.isArray(reps)) throw new ValueError(`tile: reps must be an array of integers, got ${String(reps)}`);
  for (const r of reps)
    if (!Number.isInteger(r) || r < 0)
      throw new ValueError(`tile: reps must hold non-negative integers, got ${JSON.stringify(reps)}`);
  const nd = Math.max(reps.length, x.ndim);
  const shape = [...new Array<number>(nd - x.ndim).fill(1), ...x.shape];
  const r = [...new Array<number>(nd - reps.length).fill(1), ...reps];
  // View x as [1, s0, 1, s1, ...], broadcast to [r0, s0, r1, s1, ...], then merge each pair.
  const interleaved: number[] = [];
  const expanded: number[] = [];
  const result: number[] = [];
  for (let d = 0; d < nd; d++) {
    interleaved.push(1, shape[d]);
    expanded.push(r[d], shape[d]);
    result.push(r[d] * shape[d]);
  }
  return reshape(expand(reshape(x, interleaved), expanded), result);
}
