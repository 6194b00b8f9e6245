// The cpu kernels of `max` and `min`, the tie weights of their gradients, and the index reductions
// (`argmax` / `argmin`) with the gathers and scatters along an axis that go with them.

import type { TypedArray } from '../../dtype';
import { reduceKernel } from './reduce-generic';
import { forEachReduceRow, reduceLayout } from './reduce-layout';

/** The cpu kernel of `max`/`amax` (see {@link reduceKernel}). */
export function maxKernel(x: TypedArray, shape: readonly number[], axes: readonly number[], out: TypedArray): void {
  reduceKernel('max', x, shape, axes, out);
}

/** The cpu kernel of `min`/`amin` (see {@link reduceKernel}). */
export function minKernel(x: TypedArray, shape: readonly number[], axes: readonly number[], out: TypedArray): void {
  reduceKernel('min', x, shape, axes, out);
}

/**
 * The gradient weights of a max/min reduction that splits the gradient evenly among ties: `weights[i]`
 * is `1/k` when `x[i]` (or `|x[i]|` with `useAbs`) equals its group's reduced value in `values` and `k`
 * elements of the group do, else 0. A NaN counts as equal to a NaN result.
 */
export function tieWeightsKernel(
  x: TypedArray,
  shape: readonly number[],
  axes: readonly number[],
  values: TypedArray,
  weights: TypedArray,
  useAbs = false,
): void {
  const layout = reduceLayout(shape, axes);
  const counts = new Float64Array(values.length);
  forEachReduceRow(layout, (inOff, outOff, outStep, len) => {
    for (let j = 0; j < len; j++) {
      const v = useAbs ? Math.abs(x[inOff + j]) : x[inOff + j];
      const target = values[outOff + j * outStep];
      if (v === target || (Number.isNaN(v) && Number.isNaN(target))) counts[outOff + j * outStep]++;
    }
  });
  forEachReduceRow(layout, (inOff, outOff, outStep, len) => {
    for (let j = 0; j < len; j++) {
      const v = useAbs ? Math.abs(x[inOff + j]) : x[inOff + j];
      const o = outOff + j * outStep;
      const target = values[o];
      weights[inOff + j] = v === target || (Number.isNaN(v) && Number.isNaN(target)) ? 1 / counts[o] : 0;
    }
  });
}

/**
 * The index of the largest (`kind` 'max') or smallest element along the middle axis of the
 * `outer x n x inner` array `x`, first occurrence on ties; a NaN counts as the extreme, as in
 * PyTorch. Writes `indices` (`outer x inner`) and, when given, the values there.
 */
export function argReduceKernel(
  kind: 'max' | 'min',
  x: TypedArray,
  outer: number,
  n: number,
  inner: number,
  indices: Int32Array,
  values: TypedArray | null = null,
): void {
  const isMax = kind === 'max';
  if (inner === 1) {
    for (let o = 0; o < outer; o++) {
      const base = o * n;
      let best = x[base];
      let at = 0;
      for (let r = 1; r < n && !Number.isNaN(best); r++) {
        const v = x[base + r];
        if ((isMax ? v > best : v < best) || Number.isNaN(v)) {
          best = v;
          at = r;
        }
      }
      indices[o] = at;
      if (values !== null) values[o] = best;
    }
    return;
  }
  const best = new Float64Array(inner);
  for (let o = 0; o < outer; o++) {
    const base = o * n * inner;
    const outBase = o * inner;
    for (let j = 0; j < inner; j++) {
      best[j] = x[base + j];
      indices[outBase + j] = 0;
    }
    for (let r = 1; r < n; r++) {
      const rowBase = base + r * inner;
      for (let j = 0; j < inner; j++) {
        const v = x[rowBase + j];
        const b = best[j];
        if (!Number.isNaN(b) && ((isMax ? v > b : v < b) || Number.isNaN(v))) {
          best[j] = v;
          indices[outBase + j] = r;
        }
      }
    }
    if (values !== null) for (let j = 0; j < inner; j++) values[outBase + j] = best[j];
  }
}

/** `out[o, j] = x[o, indices[o, j], j]` for the `outer x n x inner` array `x`. */
export function pickAlongAxisKernel(
  x: TypedArray,
  outer: number,
  n: number,
  inner: number,
  indices: Int32Array,
  out: TypedArray,
): void {
  for (let o = 0; o < outer; o++) {
    const base = o * n * inner;
    const outBase = o * inner;
    for (let j = 0; j < inner; j++) out[outBase + j] = x[base + indices[outBase + j] * inner + j];
  }
}

/** `out[o, indices[o, j], j] = g[o, j]` into the zero-filled `outer x n x inner` array `out`. */
export function placeAlongAxisKernel(
  g: TypedArray,
  outer: number,
  n: number,
  inner: number,
  indices: Int32Array,
  out: TypedArray,
): void {
  for (let o = 0; o < outer; o++) {
    const base = o * n * inner;
    const outBase = o * inner;
    for (let j = 0; j < inner; j++) out[base + indices[outBase + j] * inner + j] = g[outBase + j];
  }
}
