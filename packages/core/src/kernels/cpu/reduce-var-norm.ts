// The cpu kernels of the variance (and so the standard deviation) and of the vector p-norms.

import type { TypedArray } from '../../dtype';
import { reduceKernel } from './reduce-generic';
import { forEachReduceRow, reduceLayout } from './reduce-layout';

/**
 * The variance over `axes`: the sum of squared deviations from each group's mean, divided by
 * `divisor` (`N - correction`). Two passes in doubles (mean first), which avoids the cancellation of
 * `E[x²] - E[x]²`.
 */
export function varianceKernel(
  x: TypedArray,
  shape: readonly number[],
  axes: readonly number[],
  out: TypedArray,
  divisor: number,
): void {
  const size = out.length;
  if (size === 0) return;
  const count = x.length / size;
  const means = new Float64Array(size);
  reduceKernel('sum', x, shape, axes, means, count);
  const acc = new Float64Array(size);
  const layout = reduceLayout(shape, axes);
  if (x.length > 0 && layout.simple && layout.inner === 1) {
    const n = layout.n;
    for (let o = 0; o < layout.outer; o++) {
      const base = o * n;
      const m = means[o];
      let s = 0;
      for (let r = 0; r < n; r++) {
        const d = x[base + r] - m;
        s += d * d;
      }
      acc[o] = s;
    }
  } else if (x.length > 0) {
    forEachReduceRow(layout, (inOff, outOff, outStep, len) => {
      for (let j = 0; j < len; j++) {
        const o = outOff + j * outStep;
        const d = x[inOff + j] - means[o];
        acc[o] += d * d;
      }
    });
  }
  for (let o = 0; o < size; o++) out[o] = acc[o] / divisor;
}

/**
 * The vector p-norm over `axes`: `(sum |x|^p)^(1/p)` for `p > 0`, the max (`Infinity`) or min
 * (`-Infinity`) of `|x|`, or the count of nonzero elements for `p = 0`.
 */
export function normKernel(
  x: TypedArray,
  shape: readonly number[],
  axes: readonly number[],
  p: number,
  out: TypedArray,
): void {
  if (p === Infinity || p === -Infinity) {
    reduceKernel(p > 0 ? 'maxAbs' : 'minAbs', x, shape, axes, out);
    return;
  }
  if (p === 1) {
    reduceKernel('sumAbs', x, shape, axes, out);
    return;
  }
  const acc = new Float64Array(out.length);
  if (p === 2) {
    reduceKernel('sumSquares', x, shape, axes, acc);
    for (let o = 0; o < acc.length; o++) out[o] = Math.sqrt(acc[o]);
    return;
  }
  const n = x.length;
  const mapped = new Float64Array(n);
  if (p === 0) for (let i = 0; i < n; i++) mapped[i] = x[i] !== 0 ? 1 : 0;
  else for (let i = 0; i < n; i++) mapped[i] = Math.abs(x[i]) ** p;
  reduceKernel('sum', mapped, shape, axes, acc);
  if (p === 0) out.set(acc);
  else for (let o = 0; o < acc.length; o++) out[o] = acc[o] ** (1 / p);
}
