import type { TypedArray } from '../../dtype';

/**
 * How one axis is resampled: output position `j` reads `w0[j]·x[i0[j]] + w1[j]·x[i1[j]]` along the
 * axis. Nearest neighbour and the padding modes use `w0 = 1, w1 = 0`; linear interpolation uses both.
 */
export interface AxisMap {
  /** Length of the axis in the input. */
  readonly inSize: number;
  /** Length of the axis in the output. */
  readonly outSize: number;
  /** First source index of each output position. */
  readonly i0: Int32Array;
  /** Second source index of each output position. */
  readonly i1: Int32Array;
  /** Weight of the first source. */
  readonly w0: Float64Array;
  /** Weight of the second source. */
  readonly w1: Float64Array;
}

/**
 * Resample the middle axis of `x`, seen as `[outer, map.inSize, inner]`, into `out`
 * (`[outer, map.outSize, inner]`, overwritten).
 *
 * @example
 * ```ts
 * axisResampleKernel(x.values, out, 2, map, 3); // out[o, j, k] = w0[j]·x[o, i0[j], k] + w1[j]·x[o, i1[j], k]
 * ```
 */
export function axisResampleKernel(x: TypedArray, out: TypedArray, outer: number, map: AxisMap, inner: number): void {
  const { inSize, outSize, i0, i1, w0, w1 } = map;
  const single = out instanceof Float32Array;
  for (let o = 0; o < outer; o++) {
    const src = o * inSize * inner;
    const dst = o * outSize * inner;
    for (let j = 0; j < outSize; j++) {
      const a = src + i0[j] * inner;
      const b = src + i1[j] * inner;
      const d = dst + j * inner;
      const l0 = single ? Math.fround(w0[j]) : w0[j];
      const l1 = single ? Math.fround(w1[j]) : w1[j];
      if (l1 === 0) for (let k = 0; k < inner; k++) out[d + k] = l0 === 1 ? x[a + k] : l0 * x[a + k];
      else for (let k = 0; k < inner; k++) out[d + k] = l0 * x[a + k] + l1 * x[b + k];
    }
  }
}

/**
 * The adjoint of {@link axisResampleKernel}: add each output-side value back onto the input positions it
 * was read from, with the same weights. `out` (`[outer, map.inSize, inner]`) must be zero-filled.
 *
 * @example
 * ```ts
 * axisResampleAdjointKernel(grad.values, gradInput, 2, map, 3);
 * ```
 */
export function axisResampleAdjointKernel(
  g: TypedArray,
  out: TypedArray,
  outer: number,
  map: AxisMap,
  inner: number,
): void {
  const { inSize, outSize, i0, i1, w0, w1 } = map;
  const single = out instanceof Float32Array;
  for (let o = 0; o < outer; o++) {
    const dst = o * inSize * inner;
    const src = o * outSize * inner;
    for (let j = 0; j < outSize; j++) {
      const a = dst + i0[j] * inner;
      const b = dst + i1[j] * inner;
      const s = src + j * inner;
      const l0 = single ? Math.fround(w0[j]) : w0[j];
      const l1 = single ? Math.fround(w1[j]) : w1[j];
      for (let k = 0; k < inner; k++) out[a + k] += l0 * g[s + k];
      if (l1 !== 0) for (let k = 0; k < inner; k++) out[b + k] += l1 * g[s + k];
    }
  }
}
