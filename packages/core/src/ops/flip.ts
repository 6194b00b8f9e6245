import { allocate, type TypedArray } from '../dtype';
import { AxisError, ValueError } from '../errors';
import { resolveKernel } from '../kernels/registry';
import { registerOp } from '../op';
import { normalizeAxes } from '../shape';
import { Tensor } from '../tensor';

/**
 * The cpu kernel of flip and roll: `out[c0, c1, ...] = x[maps[0][c0], maps[1][c1], ...]` over a row-major
 * `shape`, where `maps[d]` (null: the identity) gives the source coordinate along dimension `d` of each
 * output coordinate.
 */
export function remapAxesKernel(
  x: TypedArray,
  shape: readonly number[],
  maps: readonly (Int32Array | null)[],
  out: TypedArray,
): void {
  const nd = shape.length;
  if (out.length === 0) return;
  if (nd === 0) {
    out[0] = x[0];
    return;
  }
  // Per dimension, the offset in x of each output coordinate.
  const offsets: Int32Array[] = [];
  let stride = 1;
  for (let d = nd - 1; d >= 0; d--) {
    const n = shape[d];
    const map = maps[d];
    const table = new Int32Array(n);
    for (let c = 0; c < n; c++) table[c] = (map === null ? c : map[c]) * stride;
    offsets[d] = table;
    stride *= n;
  }
  const last = offsets[nd - 1];
  const len = shape[nd - 1];
  const rows = out.length / len;
  const counter = new Array<number>(nd).fill(0);
  let base = 0;
  for (let d = 0; d < nd - 1; d++) base += offsets[d][0];
  let p = 0;
  for (let r = 0; r < rows; r++) {
    for (let j = 0; j < len; j++, p++) out[p] = x[base + last[j]];
    for (let d = nd - 2; d >= 0; d--) {
      const table = offsets[d];
      base -= table[counter[d]];
      counter[d]++;
      if (counter[d] < shape[d]) {
        base += table[counter[d]];
        break;
      }
      counter[d] = 0;
      base += table[0];
    }
  }
}

/** Whether each dimension of a tensor is reversed. */
type FlipAttrs = readonly boolean[];

const flipOp: (inputs: readonly Tensor[], attrs: FlipAttrs) => Tensor = registerOp<FlipAttrs>({
  name: 'flip',
  saves: { inputs: [], output: false },
  forward: ([x], flipped) => {
    const out = allocate(x.dtype, x.size, false);
    const maps = x.shape.map((n, d) => (flipped[d] ? Int32Array.from({ length: n }, (_, c) => n - 1 - c) : null));
    resolveKernel('flip', remapAxesKernel)(x._array, x.shape, maps, out);
    return new Tensor(out, x.shape, x.dtype);
  },
  backward: (g, { attrs }) => [flipOp([g], attrs)],
});

/**
 * `x` with the order of its elements reversed along each of `axes`, like `torch.flip`. The result is a copy
 * (also for an empty `axes`). An axis may not appear twice.
 *
 * Gradient: the upstream gradient flipped along the same axes.
 *
 * @param x - the tensor to reverse
 * @param axes - one axis or a list of axes, negative from the end
 *
 * @example
 * ```ts
 * const x = tensor([[1, 2, 3], [4, 5, 6]]);
 * flip(x, 1).toArray(); // [[3, 2, 1], [6, 5, 4]]
 * flip(x, [0, -1]).toArray(); // [[6, 5, 4], [3, 2, 1]]
 * ```
 */
export function flip(x: Tensor, axes: number | readonly number[]): Tensor {
  if (!(x instanceof Tensor)) throw new ValueError(`flip: x must be a Tensor, got ${typeof x}`);
  if (typeof axes !== 'number' && !Array.isArray(axes))
    throw new AxisError(`flip: axes must be an integer or an array of integers, got ${JSON.stringify(axes)}`);
  const list = normalizeAxes(axes, x.ndim, 'flip');
  return flipOp(
    [x],
    x.shape.map((_, d) => list.includes(d)),
  );
}
