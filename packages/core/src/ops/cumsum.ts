import { allocate, type TypedArray } from '../dtype';
import { ValueError } from '../errors';
import { axisLayout } from '../kernels/cpu/reduce';
import { resolveKernel } from '../kernels/registry';
import { registerOp } from '../op';
import { normalizeAxis } from '../shape';
import { Tensor } from '../tensor';

/**
 * The cpu kernel of cumsum and cumprod: the running sum or product of each of the `outer x inner` rows of
 * `x` (viewed as `[outer, n, inner]`) along its middle axis, from the end when `reverse`. Float rows
 * accumulate in float64 and round each result to the output's dtype (PyTorch's CPU kernels accumulate
 * float32 in double too); int32 rows wrap around as 32-bit integers.
 */
export function cumulativeKernel(
  kind: 'sum' | 'prod',
  x: TypedArray,
  outer: number,
  n: number,
  inner: number,
  reverse: boolean,
  out: TypedArray,
): void {
  const integer = out instanceof Int32Array;
  const first = reverse ? n - 1 : 0;
  const step = reverse ? -inner : inner;
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      let p = o * n * inner + i + first * inner;
      let acc = kind === 'sum' ? 0 : 1;
      for (let j = 0; j < n; j++, p += step) {
        const v = x[p];
        if (kind === 'sum') acc = integer ? (acc + v) | 0 : acc + v;
        else acc = integer ? Math.imul(acc, v) : acc * v;
        out[p] = acc;
      }
    }
  }
}

interface CumsumAttrs {
  readonly axis: number;
  /** Sum from the end of the axis (the VJP of a forward cumsum, and the other way round). */
  readonly reverse: boolean;
}

/** The registered cumsum (forward or reversed); its VJP is the cumsum the other way along the axis. */
export const cumsumOp: (inputs: readonly Tensor[], attrs: CumsumAttrs) => Tensor = registerOp<CumsumAttrs>({
  name: 'cumsum',
  saves: { inputs: [], output: false },
  forward: ([x], { axis, reverse }) => {
    const { outer, n, inner } = axisLayout(x.shape, axis);
    const out = allocate(x.dtype, x.size, false);
    resolveKernel('cumsum', cumulativeKernel)('sum', x._array, outer, n, inner, reverse, out);
    return new Tensor(out, x.shape, x.dtype);
  },
  backward: (g, { attrs }) => [cumsumOp([g], { axis: attrs.axis, reverse: !attrs.reverse })],
});

/**
 * The cumulative sum of `x` along `axis`, like `torch.cumsum`: `out[..., i, ...]` is the sum of
 * `x[..., 0..i, ...]`. NaN and infinities propagate forward along the axis. Float32 sums accumulate in
 * float64 (rounded once per element, as PyTorch's CPU kernel). An int32 input gives an int32 result (PyTorch
 * gives int64), wrapping around on overflow.
 *
 * Gradient: the cumulative sum of the upstream gradient taken from the end of the axis.
 *
 * @param x - the tensor to sum
 * @param axis - the axis to sum along, negative from the end
 *
 * @example
 * ```ts
 * cumsum(tensor([[1, 2, 3], [4, 5, 6]]), 1).toArray(); // [[1, 3, 6], [4, 9, 15]]
 * cumsum(tensor([[1, 2, 3], [4, 5, 6]]), -2).toArray(); // [[1, 2, 3], [5, 7, 9]]
 * ```
 */
export function cumsum(x: Tensor, axis: number): Tensor {
  if (!(x instanceof Tensor)) throw new ValueError(`cumsum: x must be a Tensor, got ${typeof x}`);
  return cumsumOp([x], { axis: normalizeAxis(axis, x.ndim, 'cumsum'), reverse: false });
}
