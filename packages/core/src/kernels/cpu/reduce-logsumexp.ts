import type { TypedArray } from '../../dtype';
import { reduceKernel } from './reduce-generic';
import { forEachReduceRow, reduceLayout } from './reduce-layout';

/**
 * `log(sum(exp(x)))` over `axes`, computed as `m + log(sum(exp(x - m)))` with `m` the group's max so
 * that large inputs do not overflow. A group whose max is infinite uses a shift of 0, so an all
 * `-Infinity` group gives `-Infinity` (not NaN) and a `+Infinity` gives `+Infinity`.
 */
export function logsumexpKernel(
  x: TypedArray,
  shape: readonly number[],
  axes: readonly number[],
  out: TypedArray,
): void {
  const size = out.length;
  const shift = new Float64Array(size);
  reduceKernel('max', x, shape, axes, shift);
  for (let o = 0; o < size; o++) if (shift[o] === Infinity || shift[o] === -Infinity) shift[o] = 0;
  const layout = reduceLayout(shape, axes);
  const acc = new Float64Array(size);
  if (x.length > 0) {
    if (layout.simple && layout.inner === 1) {
      const n = layout.n;
      for (let o = 0; o < layout.outer; o++) {
        const base = o * n;
        const m = shift[o];
        let s = 0;
        for (let r = 0; r < n; r++) s += Math.exp(x[base + r] - m);
        acc[o] = s;
      }
    } else {
      forEachReduceRow(layout, (inOff, outOff, outStep, len) => {
        for (let j = 0; j < len; j++) {
          const o = outOff + j * outStep;
          acc[o] += Math.exp(x[inOff + j] - shift[o]);
        }
      });
    }
  }
  for (let o = 0; o < size; o++) out[o] = shift[o] + Math.log(acc[o]);
}
