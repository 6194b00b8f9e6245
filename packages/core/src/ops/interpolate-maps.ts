// The per-axis sampling rules of `interpolate`, one AxisMap builder per mode, following PyTorch 1.13's
// CPU kernels: `scale` is the user's scale factor of the axis (undefined when the size was given or the
// scale is recomputed), and the source-pixel step is then `1 / scale`, else `in / out`.
import { type AxisMap, axisMapOf } from '../kernels/cpu/resample';

/**
 * An {@link AxisMap} that copies input position `index[j]` to output position `j`.
 *
 * @example
 * ```ts
 * gatherMap(3, Int32Array.from([2, 1, 0])); // reverses an axis of length 3
 * ```
 */
export function gatherMap(inSize: number, index: Int32Array): AxisMap {
  const n = index.length;
  const offsets = new Int32Array(n + 1);
  for (let j = 0; j <= n; j++) offsets[j] = j;
  return { inSize, outSize: n, offsets, index: Int32Array.from(index), weight: new Float64Array(n).fill(1) };
}

/** The step between output pixels in input pixels: the user's scale if given, else `in / out`. */
function step(inSize: number, outSize: number, scale: number | undefined): number {
  return scale !== undefined ? 1 / scale : inSize / outSize;
}

/** The step of the linear and cubic modes: `(in - 1) / (out - 1)` with aligned corners. */
function alignedStep(inSize: number, outSize: number, alignCorners: boolean, scale: number | undefined): number {
  if (alignCorners) return outSize > 1 ? (inSize - 1) / (outSize - 1) : 0;
  return step(inSize, outSize, scale);
}

/**
 * `'nearest'`: `min(floor(j · step), in - 1)` in float32. With `shortcuts` (PyTorch's kernels for 2-D and 3-D
 * inputs, not its 1-D one), an axis whose size does not change is copied and one whose size doubles reads
 * pixel `floor(j / 2)`, whatever the scale.
 */
export function nearestMap(inSize: number, outSize: number, scale: number | undefined, shortcuts = true): AxisMap {
  const index = new Int32Array(outSize);
  const s = Math.fround(step(inSize, outSize, scale));
  for (let j = 0; j < outSize; j++) {
    if (shortcuts && outSize === inSize) index[j] = j;
    else if (shortcuts && outSize === 2 * inSize) index[j] = j >> 1;
    else index[j] = Math.min(Math.floor(Math.fround(j * s)), inSize - 1);
  }
  return gatherMap(inSize, index);
}

/** `'nearest-exact'`: `min(floor((j + ½) · step), in - 1)`, the product rounded to float32 (no shortcuts). */
export function nearestExactMap(inSize: number, outSize: number, scale: number | undefined): AxisMap {
  const index = new Int32Array(outSize);
  const s = Math.fround(step(inSize, outSize, scale));
  for (let j = 0; j < outSize; j++) index[j] = Math.min(Math.floor(Math.fround((j + 0.5) * s)), inSize - 1);
  return gatherMap(inSize, index);
}

/**
 * `'linear'`, `'bilinear'`, `'trilinear'`: source `step·(j + ½) - ½` clamped at 0 (or `step·j` with aligned
 * corners) between its two neighbours; an axis whose size does not change is copied, whatever the scale.
 */
export function linearMap(inSize: number, outSize: number, alignCorners: boolean, scale: number | undefined): AxisMap {
  const s = alignedStep(inSize, outSize, alignCorners, scale);
  return axisMapOf(inSize, outSize, (j, tap) => {
    if (inSize === outSize) {
      tap(j, 1);
      return;
    }
    const src = alignCorners ? s * j : Math.max(0, s * (j + 0.5) - 0.5);
    const lo = Math.min(Math.floor(src), inSize - 1);
    const w1 = Math.min(Math.max(src - lo, 0), 1);
    tap(lo, 1 - w1);
    // NOTE: a zero weight is left out, so that a non-finite neighbour that is not read stays out; past
    // the last pixel both weights fall on it.
    if (w1 !== 0) tap(lo < inSize - 1 ? lo + 1 : lo, w1);
  });
}

/** The cubic convolution kernel with PyTorch's `A = -0.75`, at distance `d` (0 ≤ d < 2). */
function cubicWeight(d: number): number {
  const A = -0.75;
  if (d <= 1) return ((A + 2) * d - (A + 3)) * d * d + 1;
  return ((A * d - 5 * A) * d + 8 * A) * d - 4 * A;
}

/**
 * `'bicubic'`: source `step·(j + ½) - ½` (not clamped; `step·j` with aligned corners), then the four
 * pixels `floor(src) - 1 … floor(src) + 2`, each index clamped to the border, with the cubic convolution
 * weights of their distances. No shortcut for an unchanged size (PyTorch has none either).
 */
export function cubicMap(inSize: number, outSize: number, alignCorners: boolean, scale: number | undefined): AxisMap {
  const s = alignedStep(inSize, outSize, alignCorners, scale);
  return axisMapOf(inSize, outSize, (j, tap) => {
    const src = alignCorners ? s * j : s * (j + 0.5) - 0.5;
    const base = Math.floor(src);
    const t = src - base;
    const weights = [cubicWeight(t + 1), cubicWeight(t), cubicWeight(1 - t), cubicWeight(2 - t)];
    for (let k = 0; k < 4; k++) tap(Math.min(Math.max(base - 1 + k, 0), inSize - 1), weights[k]);
  });
}

/**
 * `'area'` (adaptive average pooling): output `j` averages the input window
 * `[floor(j·in/out), ceil((j + 1)·in/out))`, in integers.
 */
export function areaMap(inSize: number, outSize: number): AxisMap {
  return axisMapOf(inSize, outSize, (j, tap) => {
    const start = Math.floor((j * inSize) / outSize);
    const end = Math.floor(((j + 1) * inSize + outSize - 1) / outSize);
    const w = 1 / (end - start);
    for (let i = start; i < end; i++) tap(i, w);
  });
}
