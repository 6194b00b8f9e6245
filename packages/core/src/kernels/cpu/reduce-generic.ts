// The generic cpu reduction (sum, prod, max, min and the `|x|` / `x²` folds of the norms), which the
// per-op kernels of reduce-sum-prod.ts, reduce-max-min.ts, reduce-var-norm.ts and reduce-logsumexp.ts
// build on.

import type { TypedArray } from '../../dtype';
import { forEachReduceRow, reduceLayout } from './reduce-layout';

/** The reductions the generic kernel knows (the last four fold `|x|` or `x²`, for norms). */
export type ReduceKind = 'sum' | 'prod' | 'max' | 'min' | 'sumAbs' | 'sumSquares' | 'maxAbs' | 'minAbs';

/** The starting value of an accumulator. */
function identity(kind: ReduceKind): number {
  switch (kind) {
    case 'sum':
    case 'sumAbs':
    case 'sumSquares':
      return 0;
    case 'prod':
      return 1;
    case 'max':
    case 'maxAbs':
      return Number.NEGATIVE_INFINITY;
    case 'min':
    case 'minAbs':
      return Number.POSITIVE_INFINITY;
  }
}

/** Fold the contiguous `x[start .. start+len)` into `acc`. NaN wins in max and min, as in PyTorch. */
function foldRow(kind: ReduceKind, x: TypedArray, start: number, len: number, acc: number): number {
  const end = start + len;
  switch (kind) {
    case 'sum':
      for (let i = start; i < end; i++) acc += x[i];
      return acc;
    case 'prod':
      for (let i = start; i < end; i++) acc *= x[i];
      return acc;
    case 'max':
      for (let i = start; i < end; i++) {
        const v = x[i];
        if (v > acc || Number.isNaN(v)) acc = v;
        if (Number.isNaN(acc)) break;
      }
      return acc;
    case 'min':
      for (let i = start; i < end; i++) {
        const v = x[i];
        if (v < acc || Number.isNaN(v)) acc = v;
        if (Number.isNaN(acc)) break;
      }
      return acc;
    case 'sumAbs':
      for (let i = start; i < end; i++) acc += Math.abs(x[i]);
      return acc;
    case 'sumSquares':
      for (let i = start; i < end; i++) {
        const v = x[i];
        acc += v * v;
      }
      return acc;
    case 'maxAbs':
      for (let i = start; i < end; i++) {
        const v = Math.abs(x[i]);
        if (v > acc || Number.isNaN(v)) acc = v;
      }
      return acc;
    case 'minAbs':
      for (let i = start; i < end; i++) {
        const v = Math.abs(x[i]);
        if (v < acc || Number.isNaN(v)) acc = v;
      }
      return acc;
  }
}

/** Combine `x[xStart + j]` into `acc[accStart + j]` elementwise for `j < len`. */
function foldInto(
  kind: ReduceKind,
  x: TypedArray,
  xStart: number,
  acc: Float64Array,
  accStart: number,
  len: number,
): void {
  switch (kind) {
    case 'sum':
      for (let j = 0; j < len; j++) acc[accStart + j] += x[xStart + j];
      return;
    case 'prod':
      for (let j = 0; j < len; j++) acc[accStart + j] *= x[xStart + j];
      return;
    case 'max':
      for (let j = 0; j < len; j++) {
        const v = x[xStart + j];
        if (v > acc[accStart + j] || Number.isNaN(v)) acc[accStart + j] = v;
      }
      return;
    case 'min':
      for (let j = 0; j < len; j++) {
        const v = x[xStart + j];
        if (v < acc[accStart + j] || Number.isNaN(v)) acc[accStart + j] = v;
      }
      return;
    case 'sumAbs':
      for (let j = 0; j < len; j++) acc[accStart + j] += Math.abs(x[xStart + j]);
      return;
    case 'sumSquares':
      for (let j = 0; j < len; j++) {
        const v = x[xStart + j];
        acc[accStart + j] += v * v;
      }
      return;
    case 'maxAbs':
      for (let j = 0; j < len; j++) {
        const v = Math.abs(x[xStart + j]);
        if (v > acc[accStart + j] || Number.isNaN(v)) acc[accStart + j] = v;
      }
      return;
    case 'minAbs':
      for (let j = 0; j < len; j++) {
        const v = Math.abs(x[xStart + j]);
        if (v < acc[accStart + j] || Number.isNaN(v)) acc[accStart + j] = v;
      }
      return;
  }
}

/** Accumulators of up to this many doubles are reused from one reduction to the next. */
const SCRATCH_DOUBLES = 4096;
/** Made at the first reduction that needs it, not when the module loads. */
let scratch: Float64Array | null = null;

/**
 * `n` doubles to accumulate in (not zeroed; only the first `n` are meant): the reused scratch when it is
 * large enough (a new Float64Array of more than 64 bytes costs about 1 µs, as much as a small
 * reduction), else a new array. A reduction takes it once and calls no other, so one scratch serves all.
 */
function doubles(n: number): Float64Array {
  if (n > SCRATCH_DOUBLES) return new Float64Array(n);
  if (scratch === null) scratch = new Float64Array(SCRATCH_DOUBLES);
  return scratch;
}

/**
 * The generic reduction: reduce the contiguous `x` of `shape` over the sorted, distinct `axes` into
 * `out` (the reduced shape, row-major), dividing each result by `divisor` (1 except for a mean).
 * Accumulates in doubles. Reducing the last axes, the first axes or everything runs as plain loops;
 * any other set of axes walks the input row by row.
 */
export function reduceKernel(
  kind: ReduceKind,
  x: TypedArray,
  shape: readonly number[],
  axes: readonly number[],
  out: TypedArray,
  divisor = 1,
): void {
  const init = identity(kind);
  if (x.length === 0) {
    out.fill(init / divisor);
    return;
  }
  const layout = reduceLayout(shape, axes);
  if (layout.simple) {
    const { outer, n, inner } = layout;
    if (inner === 1) {
      for (let o = 0; o < outer; o++) out[o] = foldRow(kind, x, o * n, n, init) / divisor;
      return;
    }
    const acc = doubles(inner);
    for (let o = 0; o < outer; o++) {
      acc.fill(init, 0, inner);
      const base = o * n * inner;
      for (let r = 0; r < n; r++) foldInto(kind, x, base + r * inner, acc, 0, inner);
      const outBase = o * inner;
      for (let j = 0; j < inner; j++) out[outBase + j] = acc[j] / divisor;
    }
    return;
  }
  const acc = new Float64Array(out.length).fill(init);
  forEachReduceRow(layout, (inOff, outOff, outStep, len) => {
    if (outStep === 0) acc[outOff] = foldRow(kind, x, inOff, len, acc[outOff]);
    else foldInto(kind, x, inOff, acc, outOff, len);
  });
  for (let i = 0; i < out.length; i++) out[i] = acc[i] / divisor;
}
