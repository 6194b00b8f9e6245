import { isHalfDType } from '../dtype';
import { ValueError } from '../errors';
import { Tensor } from '../tensor';

/**
 * The coordinates of the nonzero elements of `x`, like `torch.nonzero`: an int32 tensor of shape
 * `[n, x.ndim]` whose row `k` holds the coordinates of the `k`-th nonzero element in row-major order. NaN
 * and infinities count as nonzero, `-0` as zero. A 0-d `x` gives shape `[1, 0]` when it is nonzero and
 * `[0, 0]` when it is zero. The values of `x` are read at once (the result's shape depends on them).
 * Not differentiable.
 *
 * @param x - the tensor to search (any dtype)
 *
 * @example
 * ```ts
 * nonzero(tensor([[0, 3], [5, 0]])).toArray(); // [[0, 1], [1, 0]]
 * nonzero(tensor([0, NaN, -0, 2])).toArray(); // [[1], [3]]
 * ```
 */
export function nonzero(x: Tensor): Tensor {
  if (!(x instanceof Tensor)) throw new ValueError(`nonzero: x must be a Tensor, got ${typeof x}`);
  const data = x.values;
  // Half dtypes hold bit patterns: an element is zero when every bit but the sign is clear.
  const bits = isHalfDType(x.dtype) ? 0x7fff : -1;
  const isNonzero = (v: number): boolean => (bits === -1 ? v !== 0 : (v & bits) !== 0);
  let count = 0;
  for (let i = 0; i < data.length; i++) if (isNonzero(data[i])) count++;
  const nd = x.ndim;
  const out = new Int32Array(count * nd);
  const coord = new Array<number>(nd).fill(0);
  for (let i = 0, row = 0; i < data.length; i++) {
    if (isNonzero(data[i])) {
      for (let d = 0; d < nd; d++) out[row * nd + d] = coord[d];
      row++;
    }
    for (let d = nd - 1; d >= 0; d--) {
      coord[d] += 1;
      if (coord[d] < x.shape[d]) break;
      coord[d] = 0;
    }
  }
  return new Tensor(out, [count, nd], 'int32');
}
