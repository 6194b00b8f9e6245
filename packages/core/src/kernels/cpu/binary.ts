import type { TypedArray } from '../../dtype';
import { roundingOf } from './rounding';

/** A scalar function of two numbers, the body of an elementwise binary kernel. */
export type BinaryFn = (x: number, y: number) => number;

/** The signature every broadcasting binary kernel shares: `(a, aShape, b, bShape, out, outShape) => void`. */
export type BinaryKernel = (
  a: TypedArray,
  aShape: readonly number[],
  b: TypedArray,
  bShape: readonly number[],
  out: TypedArray,
  outShape: readonly number[],
) => void;

/**
 * A broadcasting cpu kernel applying `fn` (which computes in doubles; storing rounds once). When `fn` takes
 * a third argument, it gets the rounding of the output's dtype (`Math.fround` for float32) to round its
 * intermediates as that dtype would.
 */
export function binaryKernelOf(fn: (x: number, y: number, round: (v: number) => number) => number): BinaryKernel {
  return (a, aShape, b, bShape, out, outShape) => {
    const round = roundingOf(out);
    broadcastBinary(a, aShape, b, bShape, out, outShape, (x, y) => fn(x, y, round));
  };
}

/**
 * Apply `fn` elementwise to `a` (of `aShape`) and `b` (of `bShape`) broadcast to `outShape`,
 * writing into `out`. Contiguous, scalar and row-broadcast cases run as plain loops; the general case
 * walks the output with running offsets (no per-element index arithmetic).
 */
export function broadcastBinary(
  a: TypedArray,
  aShape: readonly number[],
  b: TypedArray,
  bShape: readonly number[],
  out: TypedArray,
  outShape: readonly number[],
  fn: BinaryFn,
): void {
  const n = out.length;
  if (a.length === n && b.length === n) {
    for (let i = 0; i < n; i++) out[i] = fn(a[i], b[i]);
    return;
  }
  if (b.length === 1) {
    const y = b[0];
    if (a.length === n) {
      for (let i = 0; i < n; i++) out[i] = fn(a[i], y);
      return;
    }
  }
  if (a.length === 1 && b.length === n) {
    const x = a[0];
    for (let i = 0; i < n; i++) out[i] = fn(x, b[i]);
    return;
  }
  forEachBroadcastRow(aShape, bShape, outShape, (aOff, aStep, bOff, bStep, outOff, len) => {
    for (let j = 0; j < len; j++) out[outOff + j] = fn(a[aOff + j * aStep], b[bOff + j * bStep]);
  });
}

/**
 * Walk the output of a broadcast one innermost row at a time, calling `row` with the offsets of the
 * row's first elements in `a`, `b` and the output, the step (0 or 1) of `a` and `b` along the row, and
 * the row length. Kernels with their own inner loops build on it.
 */
export function forEachBroadcastRow(
  aShape: readonly number[],
  bShape: readonly number[],
  outShape: readonly number[],
  row: (aOff: number, aStep: number, bOff: number, bStep: number, outOff: number, len: number) => void,
): void {
  const nd = outShape.length;
  if (nd === 0) {
    row(0, 0, 0, 0, 0, 1);
    return;
  }
  const aStr = broadcastStrides(aShape, outShape);
  const bStr = broadcastStrides(bShape, outShape);
  const len = outShape[nd - 1];
  let rows = 1;
  for (let d = 0; d < nd - 1; d++) rows *= outShape[d];
  if (len === 0 || rows === 0) return;
  const counter = new Array<number>(nd - 1).fill(0);
  let aOff = 0;
  let bOff = 0;
  for (let r = 0; r < rows; r++) {
    row(aOff, aStr[nd - 1], bOff, bStr[nd - 1], r * len, len);
    for (let d = nd - 2; d >= 0; d--) {
      counter[d]++;
      aOff += aStr[d];
      bOff += bStr[d];
      if (counter[d] < outShape[d]) break;
      aOff -= aStr[d] * outShape[d];
      bOff -= bStr[d] * outShape[d];
      counter[d] = 0;
    }
  }
}

/** Strides of an input of `shape` read as if broadcast to `outShape` (0 along broadcast dimensions). */
export function broadcastStrides(shape: readonly number[], outShape: readonly number[]): number[] {
  const nd = outShape.length;
  const strides = new Array<number>(nd).fill(0);
  let s = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    const od = d + nd - shape.length;
    strides[od] = shape[d] === 1 ? 0 : s;
    s *= shape[d];
  }
  return strides;
}
