// The wasm backend's reductions (sum, mean, max, min) and softmax / log-softmax with their gradients
// (scripts/wasm/elementwise.mjs; the sum over every axis but a middle one is in conv.mjs), registered by
// registerElementwiseKernels with its operand placement.
import type { TypedArray } from '../../dtype';
import { maxKernel, meanKernel, minKernel, reduceLayout, sumKernel } from '../../kernels/cpu/reduce';
import { softmaxBackwardKernel, softmaxKernel } from '../../kernels/cpu/softmax';
import { registerKernel } from '../../kernels/registry';
import { copies, type Placement, worthIt } from './elementwise';
import type { WasmRuntime } from './runtime';

// A reduction of a contiguous rows x n array over n, and of outer x n x inner over n.
type ReduceRows = (x: number, out: number, rows: number, n: number) => void;
type ReduceCols = (x: number, out: number, outer: number, n: number, inner: number) => void;

// Exports of the kernels module (pointers are byte addresses, counts in elements).
interface ReduceExports {
  ew_sum_rows(x: number, out: number, rows: number, n: number, divisor: number): void;
  ew_sum_cols(x: number, out: number, outer: number, n: number, inner: number, divisor: number): void;
  ew_sum_mid(x: number, out: number, A: number, C: number, B: number, divisor: number): void;
  ew_max_rows: ReduceRows;
  ew_min_rows: ReduceRows;
  ew_max_cols: ReduceCols;
  ew_min_cols: ReduceCols;
  ew_softmax(x: number, out: number, rows: number, n: number, log: number): void;
  ew_softmax_backward(g: number, y: number, out: number, rows: number, n: number, log: number): void;
}

/**
 * Register the wasm reductions and softmax kernels, placing operands with `place` (see elementwise.ts).
 * Other layouts, dtypes and small arrays keep the cpu kernels.
 *
 * @example
 * ```ts
 * registerReduceKernels(runtime, place); // from registerElementwiseKernels
 * ```
 */
export function registerReduceKernels(runtime: WasmRuntime, place: Placement): void {
  const ex = runtime.exports as unknown as ReduceExports;
  /**
   * Run a reduction on wasm when its layout is one contiguous reduced block: `rows` when the reduced
   * axes are the last ones, else `cols`. False (nothing done) when the cpu kernel has to run.
   */
  const reduce = (
    x: TypedArray,
    shape: readonly number[],
    axes: readonly number[],
    out: TypedArray,
    rows: ReduceRows,
    cols: ReduceCols,
  ) => {
    // NOTE: an empty input never gets here (n >= 1 in the wasm kernels): the cpu kernel fills the identity.
    if (x.length === 0 || !worthIt(x.length, x, x, out)) return false;
    const layout = reduceLayout(shape, axes);
    if (!layout.simple || !place.place(copies('reduce', x.length), out as Float32Array, x as Float32Array))
      return false;
    if (layout.inner === 1) rows(place.a, place.out, layout.outer, layout.n);
    else cols(place.a, place.out, layout.outer, layout.n, layout.inner);
    place.finish(out as Float32Array);
    return true;
  };
  /** The sum kernels dividing by `divisor` (1 for a sum, the count for a mean). */
  const sums = (divisor: number): [ReduceRows, ReduceCols] => [
    (x, out, rows, n) => ex.ew_sum_rows(x, out, rows, n, divisor),
    (x, out, outer, n, inner) => ex.ew_sum_cols(x, out, outer, n, inner, divisor),
  ];
  /**
   * A sum (divided by `divisor`) over every axis but one in the middle, `[A, C, B] -> [C]` (a convolution's
   * bias gradient), in the cpu kernel's order (scripts/wasm/conv.mjs). False when it is not that layout.
   */
  const sumMid = (
    x: TypedArray,
    shape: readonly number[],
    axes: readonly number[],
    out: TypedArray,
    divisor: number,
  ) => {
    if (x.length === 0 || !worthIt(x.length, x, x, out)) return false;
    const { sizes, reduced } = reduceLayout(shape, axes);
    if (sizes.length !== 3 || !reduced[0] || reduced[1] || !reduced[2]) return false;
    if (!place.place(copies('reduce', x.length), out as Float32Array, x as Float32Array)) return false;
    ex.ew_sum_mid(place.a, place.out, sizes[0], sizes[1], sizes[2], divisor);
    place.finish(out as Float32Array);
    return true;
  };
  registerKernel(
    'sum',
    (x: TypedArray, shape: readonly number[], axes: readonly number[], out: TypedArray) => {
      if (!reduce(x, shape, axes, out, ...sums(1)) && !sumMid(x, shape, axes, out, 1)) sumKernel(x, shape, axes, out);
    },
    'wasm',
  );
  registerKernel(
    'mean',
    (x: TypedArray, shape: readonly number[], axes: readonly number[], out: TypedArray, count: number) => {
      if (!reduce(x, shape, axes, out, ...sums(count)) && !sumMid(x, shape, axes, out, count))
        meanKernel(x, shape, axes, out, count);
    },
    'wasm',
  );
  const extrema: [string, ReduceRows, ReduceCols, typeof maxKernel][] = [
    ['max', ex.ew_max_rows, ex.ew_max_cols, maxKernel],
    ['min', ex.ew_min_rows, ex.ew_min_cols, minKernel],
  ];
  for (const [name, rows, cols, cpu] of extrema)
    registerKernel(
      name,
      (x: TypedArray, shape: readonly number[], axes: readonly number[], out: TypedArray) => {
        if (!reduce(x, shape, axes, out, rows, cols)) cpu(x, shape, axes, out);
      },
      'wasm',
    );

  const softmax: typeof softmaxKernel = (x, outer, n, inner, out, log) => {
    if (inner !== 1 || n === 0 || !worthIt(out.length, x, x, out)) softmaxKernel(x, outer, n, inner, out, log);
    else if (!place.place(copies('exp', out.length), out as Float32Array, x as Float32Array))
      softmaxKernel(x, outer, n, inner, out, log);
    else {
      ex.ew_softmax(place.a, place.out, outer, n, log ? 1 : 0);
      place.finish(out as Float32Array);
    }
  };
  const softmaxBackward: typeof softmaxBackwardKernel = (g, y, outer, n, inner, out, log) => {
    if (inner !== 1 || n === 0 || !worthIt(out.length, g, y, out))
      softmaxBackwardKernel(g, y, outer, n, inner, out, log);
    else if (!place.place(copies('exp', out.length), out as Float32Array, g as Float32Array, y as Float32Array))
      softmaxBackwardKernel(g, y, outer, n, inner, out, log);
    else {
      ex.ew_softmax_backward(place.a, place.b, place.out, outer, n, log ? 1 : 0);
      place.finish(out as Float32Array);
    }
  };
  for (const name of ['softmax', 'logSoftmax']) registerKernel(name, softmax, 'wasm');
  for (const name of ['softmaxBackward', 'logSoftmaxBackward']) registerKernel(name, softmaxBackward, 'wasm');
}
