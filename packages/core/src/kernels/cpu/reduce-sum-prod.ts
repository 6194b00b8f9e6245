// The cpu kernels of `sum`, `mean` and `prod`, and the products of the other elements of a group that
// the gradients of `prod` need.

import type { TypedArray } from '../../dtype';
import { reduceKernel } from './reduce-generic';
import { forEachReduceRow, reduceLayout } from './reduce-layout';

/** The cpu kernel of `sum` (see {@link reduceKernel}). */
export function sumKernel(x: TypedArray, shape: readonly number[], axes: readonly number[], out: TypedArray): void {
  reduceKernel('sum', x, shape, axes, out);
}

/** The cpu kernel of `mean`: the sum divided by `count`, the number of elements in each reduced group. */
export function meanKernel(
  x: TypedArray,
  shape: readonly number[],
  axes: readonly number[],
  out: TypedArray,
  count: number,
): void {
  reduceKernel('sum', x, shape, axes, out, count);
}

/** The cpu kernel of `prod` (see {@link reduceKernel}). */
export function prodKernel(x: TypedArray, shape: readonly number[], axes: readonly number[], out: TypedArray): void {
  reduceKernel('prod', x, shape, axes, out);
}

/**
 * For each element of `x`, the product of the other elements of its reduction group (what the
 * gradient of `prod` multiplies by), exact when the group holds zeros: with one zero, only the zero's
 * slot gets the product of the rest; with two or more, every slot is 0.
 */
export function prodOthersKernel(
  x: TypedArray,
  shape: readonly number[],
  axes: readonly number[],
  out: TypedArray,
): void {
  const layout = reduceLayout(shape, axes);
  let groups = 1;
  for (let d = 0; d < shape.length; d++) if (!axes.includes(d)) groups *= shape[d];
  const zeros = new Float64Array(groups);
  const nonzeroProduct = new Float64Array(groups).fill(1);
  forEachReduceRow(layout, (inOff, outOff, outStep, len) => {
    for (let j = 0; j < len; j++) {
      const v = x[inOff + j];
      const o = outOff + j * outStep;
      if (v === 0) zeros[o]++;
      else nonzeroProduct[o] *= v;
    }
  });
  forEachReduceRow(layout, (inOff, outOff, outStep, len) => {
    for (let j = 0; j < len; j++) {
      const v = x[inOff + j];
      const o = outOff + j * outStep;
      const z = zeros[o];
      if (z === 0) out[inOff + j] = nonzeroProduct[o] / v;
      else if (z === 1) out[inOff + j] = v === 0 ? nonzeroProduct[o] : 0;
      else out[inOff + j] = 0;
    }
  });
}

/**
 * The vector-Jacobian product of {@link prodOthersKernel} (the second derivative of `prod`):
 * `out[k] = sum over i != k of h[i] * (product of x[j] for j not in {i, k})`, grouped like the
 * reduction, computed in O(n) per group by counting zeros.
 */
export function prodOthersVjpKernel(
  h: TypedArray,
  x: TypedArray,
  shape: readonly number[],
  axes: readonly number[],
  out: TypedArray,
): void {
  const layout = reduceLayout(shape, axes);
  let groups = 1;
  for (let d = 0; d < shape.length; d++) if (!axes.includes(d)) groups *= shape[d];
  const zeros = new Float64Array(groups);
  const nonzeroProduct = new Float64Array(groups).fill(1);
  // Sum of h[i] / x[i] over the nonzero x[i], and sum of h[i] over the zero x[i].
  const ratioSum = new Float64Array(groups);
  const zeroSlotSum = new Float64Array(groups);
  forEachReduceRow(layout, (inOff, outOff, outStep, len) => {
    for (let j = 0; j < len; j++) {
      const v = x[inOff + j];
      const o = outOff + j * outStep;
      if (v === 0) {
        zeros[o]++;
        zeroSlotSum[o] += h[inOff + j];
      } else {
        nonzeroProduct[o] *= v;
        ratioSum[o] += h[inOff + j] / v;
      }
    }
  });
  forEachReduceRow(layout, (inOff, outOff, outStep, len) => {
    for (let j = 0; j < len; j++) {
      const v = x[inOff + j];
      const o = outOff + j * outStep;
      const z = zeros[o];
      const p = nonzeroProduct[o];
      let r = 0;
      if (z === 0) r = (p / v) * (ratioSum[o] - h[inOff + j] / v);
      else if (z === 1) r = v === 0 ? p * ratioSum[o] : (zeroSlotSum[o] * p) / v;
      else if (z === 2) r = v === 0 ? (zeroSlotSum[o] - h[inOff + j]) * p : 0;
      out[inOff + j] = r;
    }
  });
}
