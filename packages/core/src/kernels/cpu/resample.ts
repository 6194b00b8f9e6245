import type { TypedArray } from '../../dtype';

/**
 * How one axis is resampled, as a sparse matrix in compressed rows: output position `j` reads
 * `Σ weight[t]·x[index[t]]` along the axis for `t` from `offsets[j]` to `offsets[j + 1] - 1`. Nearest
 * neighbour and the padding modes read one tap of weight 1, linear interpolation up to two, cubic
 * convolution four, and area averaging a whole window.
 */
export interface AxisMap {
  /** Length of the axis in the input. */
  readonly inSize: number;
  /** Length of the axis in the output. */
  readonly outSize: number;
  /** Where each output position's taps start in `index` and `weight` (`outSize + 1` entries, from 0). */
  readonly offsets: Int32Array;
  /** Source index of each tap. */
  readonly index: Int32Array;
  /** Weight of each tap. */
  readonly weight: Float64Array;
}

/**
 * Build an {@link AxisMap} from a function that lists the taps of each output position through `tap`.
 *
 * @example
 * ```ts
 * axisMapOf(3, 2, (j, tap) => { tap(j, 0.5); tap(j + 1, 0.5); }); // averages neighbours
 * ```
 */
export function axisMapOf(
  inSize: number,
  outSize: number,
  taps: (j: number, tap: (index: number, weight: number) => void) => void,
): AxisMap {
  const offsets = new Int32Array(outSize + 1);
  const index: number[] = [];
  const weight: number[] = [];
  const tap = (i: number, w: number): void => {
    index.push(i);
    weight.push(w);
  };
  for (let j = 0; j < outSize; j++) {
    taps(j, tap);
    offsets[j + 1] = index.length;
  }
  return { inSize, outSize, offsets, index: Int32Array.from(index), weight: Float64Array.from(weight) };
}

/** The weights as the output's dtype holds them: float32 outputs use float32 weights, as PyTorch. */
function weightsFor(out: TypedArray, weight: Float64Array): Float64Array | Float32Array {
  return out instanceof Float32Array ? Float32Array.from(weight) : weight;
}

/**
 * Resample the middle axis of `x`, seen as `[outer, map.inSize, inner]`, into `out`
 * (`[outer, map.outSize, inner]`, overwritten).
 *
 * @example
 * ```ts
 * axisResampleKernel(x.values, out, 2, map, 3); // out[o, j, k] = Σ_t weight[t]·x[o, index[t], k]
 * ```
 */
export function axisResampleKernel(x: TypedArray, out: TypedArray, outer: number, map: AxisMap, inner: number): void {
  const { inSize, outSize, offsets, index } = map;
  const weight = weightsFor(out, map.weight);
  for (let o = 0; o < outer; o++) {
    const src = o * inSize * inner;
    const dst = o * outSize * inner;
    for (let j = 0; j < outSize; j++) {
      const t0 = offsets[j];
      const t1 = offsets[j + 1];
      const d = dst + j * inner;
      if (t1 - t0 === 1 && weight[t0] === 1) {
        // NOTE: a plain copy keeps the sign of zeros and infinities as they are.
        const a = src + index[t0] * inner;
        for (let k = 0; k < inner; k++) out[d + k] = x[a + k];
        continue;
      }
      if (t1 - t0 === 1) {
        const a = src + index[t0] * inner;
        const l0 = weight[t0];
        for (let k = 0; k < inner; k++) out[d + k] = l0 * x[a + k];
      } else if (t1 - t0 === 2) {
        // NOTE: the linear modes' case, kept as one fused loop.
        const a = src + index[t0] * inner;
        const b = src + index[t0 + 1] * inner;
        const l0 = weight[t0];
        const l1 = weight[t0 + 1];
        for (let k = 0; k < inner; k++) out[d + k] = l0 * x[a + k] + l1 * x[b + k];
      } else
        for (let k = 0; k < inner; k++) {
          let s = 0;
          for (let t = t0; t < t1; t++) s += weight[t] * x[src + index[t] * inner + k];
          out[d + k] = s;
        }
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
  const { inSize, outSize, offsets, index } = map;
  const weight = weightsFor(out, map.weight);
  for (let o = 0; o < outer; o++) {
    const dst = o * inSize * inner;
    const src = o * outSize * inner;
    for (let j = 0; j < outSize; j++) {
      const s = src + j * inner;
      for (let t = offsets[j]; t < offsets[j + 1]; t++) {
        const a = dst + index[t] * inner;
        const w = weight[t];
        for (let k = 0; k < inner; k++) out[a + k] += w * g[s + k];
      }
    }
  }
}
