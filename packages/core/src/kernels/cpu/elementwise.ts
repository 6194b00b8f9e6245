import type { TypedArray } from '../../dtype';
import { broadcastBinary, broadcastStrides } from './binary';

// Binary elementwise kernels. Each one runs plain loops for the layouts that dominate in practice (same
// shape, tensor op scalar, scalar op tensor) and hands every other layout to the broadcast walker.
// They share one signature so that a faster backend can replace any of them:
// (a, aShape, b, bShape, out, outShape) => void, with `out` already allocated for `outShape`.

const addFn = (x: number, y: number) => x + y;
const mulFn = (x: number, y: number) => x * y;
const subFn = (x: number, y: number) => x - y;
const divFn = (x: number, y: number) => x / y;
// NOTE: the isNaN test keeps a NaN in `x`; a NaN in `y` already wins because the comparison is false.
const maximumFn = (x: number, y: number) => (Number.isNaN(x) || x > y ? x : y);
const minimumFn = (x: number, y: number) => (Number.isNaN(x) || x < y ? x : y);

/** The cpu kernel of `add`: `out = a + b`. */
export function addKernel(
  a: TypedArray,
  aShape: readonly number[],
  b: TypedArray,
  bShape: readonly number[],
  out: TypedArray,
  outShape: readonly number[],
): void {
  const n = out.length;
  if (a.length === n && b.length === n) {
    for (let i = 0; i < n; i++) out[i] = a[i] + b[i];
  } else if (b.length === 1 && a.length === n) {
    const y = b[0];
    for (let i = 0; i < n; i++) out[i] = a[i] + y;
  } else if (a.length === 1 && b.length === n) {
    const x = a[0];
    for (let i = 0; i < n; i++) out[i] = x + b[i];
  } else broadcastBinary(a, aShape, b, bShape, out, outShape, addFn);
}

/** The cpu kernel of `mul`: `out = a * b`. */
export function mulKernel(
  a: TypedArray,
  aShape: readonly number[],
  b: TypedArray,
  bShape: readonly number[],
  out: TypedArray,
  outShape: readonly number[],
): void {
  const n = out.length;
  if (a.length === n && b.length === n) {
    for (let i = 0; i < n; i++) out[i] = a[i] * b[i];
  } else if (b.length === 1 && a.length === n) {
    const y = b[0];
    for (let i = 0; i < n; i++) out[i] = a[i] * y;
  } else if (a.length === 1 && b.length === n) {
    const x = a[0];
    for (let i = 0; i < n; i++) out[i] = x * b[i];
  } else broadcastBinary(a, aShape, b, bShape, out, outShape, mulFn);
}

/** The cpu kernel of `sub`: `out = a - b`. */
export function subKernel(
  a: TypedArray,
  aShape: readonly number[],
  b: TypedArray,
  bShape: readonly number[],
  out: TypedArray,
  outShape: readonly number[],
): void {
  const n = out.length;
  if (a.length === n && b.length === n) {
    for (let i = 0; i < n; i++) out[i] = a[i] - b[i];
  } else if (b.length === 1 && a.length === n) {
    const y = b[0];
    for (let i = 0; i < n; i++) out[i] = a[i] - y;
  } else if (a.length === 1 && b.length === n) {
    const x = a[0];
    for (let i = 0; i < n; i++) out[i] = x - b[i];
  } else broadcastBinary(a, aShape, b, bShape, out, outShape, subFn);
}

/** The cpu kernel of `div`: `out = a / b` (true division, in doubles). */
export function divKernel(
  a: TypedArray,
  aShape: readonly number[],
  b: TypedArray,
  bShape: readonly number[],
  out: TypedArray,
  outShape: readonly number[],
): void {
  const n = out.length;
  if (a.length === n && b.length === n) {
    for (let i = 0; i < n; i++) out[i] = a[i] / b[i];
  } else if (b.length === 1 && a.length === n) {
    const y = b[0];
    for (let i = 0; i < n; i++) out[i] = a[i] / y;
  } else if (a.length === 1 && b.length === n) {
    const x = a[0];
    for (let i = 0; i < n; i++) out[i] = x / b[i];
  } else broadcastBinary(a, aShape, b, bShape, out, outShape, divFn);
}

/** The cpu kernel of `maximum`: the larger of `a` and `b`, NaN if either is NaN. */
export function maximumKernel(
  a: TypedArray,
  aShape: readonly number[],
  b: TypedArray,
  bShape: readonly number[],
  out: TypedArray,
  outShape: readonly number[],
): void {
  const n = out.length;
  if (a.length === n && b.length === n) {
    for (let i = 0; i < n; i++) {
      const x = a[i];
      const y = b[i];
      out[i] = Number.isNaN(x) || x > y ? x : y;
    }
  } else if (b.length === 1 && a.length === n) {
    const y = b[0];
    for (let i = 0; i < n; i++) {
      const x = a[i];
      out[i] = Number.isNaN(x) || x > y ? x : y;
    }
  } else broadcastBinary(a, aShape, b, bShape, out, outShape, maximumFn);
}

/** The cpu kernel of `minimum`: the smaller of `a` and `b`, NaN if either is NaN. */
export function minimumKernel(
  a: TypedArray,
  aShape: readonly number[],
  b: TypedArray,
  bShape: readonly number[],
  out: TypedArray,
  outShape: readonly number[],
): void {
  const n = out.length;
  if (a.length === n && b.length === n) {
    for (let i = 0; i < n; i++) {
      const x = a[i];
      const y = b[i];
      out[i] = Number.isNaN(x) || x < y ? x : y;
    }
  } else if (b.length === 1 && a.length === n) {
    const y = b[0];
    for (let i = 0; i < n; i++) {
      const x = a[i];
      out[i] = Number.isNaN(x) || x < y ? x : y;
    }
  } else broadcastBinary(a, aShape, b, bShape, out, outShape, minimumFn);
}

/**
 * The share of the gradient of `maximum(a, b)` (when `larger`) or `minimum(a, b)` that goes to `a`:
 * 1 where `a` wins, 0.5 on ties (PyTorch splits the gradient evenly), 0 where `b` wins.
 * Swap the operands for the share of `b`.
 */
export function extremumShareKernel(
  a: TypedArray,
  aShape: readonly number[],
  b: TypedArray,
  bShape: readonly number[],
  out: TypedArray,
  outShape: readonly number[],
  larger: boolean,
): void {
  const share = larger
    ? (x: number, y: number) => (x > y ? 1 : x === y ? 0.5 : Number.isNaN(x) ? 1 : 0)
    : (x: number, y: number) => (x < y ? 1 : x === y ? 0.5 : Number.isNaN(x) ? 1 : 0);
  broadcastBinary(a, aShape, b, bShape, out, outShape, share);
}

/**
 * `a ** b` with the special cases of C's `pow` (IEEE 754), which PyTorch follows, where JavaScript's
 * `**` differs: `1 ** b` is 1 for every `b` (NaN and ±Infinity included) and `(-1) ** ±Infinity` is 1
 * (JavaScript gives NaN for all of these). Every other pair is `a ** b`.
 *
 * @example
 * ```ts
 * powIeee(1, NaN); // 1 (Math.pow: NaN)
 * powIeee(-1, Infinity); // 1 (Math.pow: NaN)
 * powIeee(2, 10); // 1024
 * ```
 */
export function powIeee(a: number, b: number): number {
  if (a === 1 || (a === -1 && (b === Infinity || b === -Infinity))) return 1;
  return a ** b;
}

/** The cpu kernel of `pow` with a tensor exponent: `out = a ** b`, with C's special cases ({@link powIeee}). */
export function powKernel(
  a: TypedArray,
  aShape: readonly number[],
  b: TypedArray,
  bShape: readonly number[],
  out: TypedArray,
  outShape: readonly number[],
): void {
  broadcastBinary(a, aShape, b, bShape, out, outShape, powIeee);
}

/**
 * The cpu kernel of `pow` with a number exponent: `out = x ** exponent`. As in PyTorch, squares, cubes
 * and reciprocals are exact products and quotients, `0.5` is `sqrt(x)` and `-0.5` is `1 / sqrt(x)` (so
 * `(-0) ** -0.5` is -Infinity, as `torch.rsqrt`); a NaN or infinite exponent follows {@link powIeee}.
 */
export function powScalarKernel(x: TypedArray, out: TypedArray, exponent: number): void {
  const n = x.length;
  if (exponent === 2) {
    for (let i = 0; i < n; i++) out[i] = x[i] * x[i];
  } else if (exponent === 1) {
    for (let i = 0; i < n; i++) out[i] = x[i];
  } else if (exponent === 3) {
    for (let i = 0; i < n; i++) out[i] = x[i] * x[i] * x[i];
  } else if (exponent === -1) {
    for (let i = 0; i < n; i++) out[i] = 1 / x[i];
  } else if (exponent === 0.5) {
    for (let i = 0; i < n; i++) out[i] = Math.sqrt(x[i]);
  } else if (exponent === -0.5) {
    for (let i = 0; i < n; i++) out[i] = 1 / Math.sqrt(x[i]);
  } else if (Number.isFinite(exponent)) {
    for (let i = 0; i < n; i++) out[i] = x[i] ** exponent;
  } else {
    for (let i = 0; i < n; i++) out[i] = powIeee(x[i], exponent);
  }
}

/** The comparisons of `compare.ts`. */
export type Comparison = 'eq' | 'ne' | 'lt' | 'le' | 'gt' | 'ge';

const comparisonFns: Record<Comparison, (x: number, y: number) => number> = {
  eq: (x, y) => (x === y ? 1 : 0),
  ne: (x, y) => (x !== y ? 1 : 0),
  lt: (x, y) => (x < y ? 1 : 0),
  le: (x, y) => (x <= y ? 1 : 0),
  gt: (x, y) => (x > y ? 1 : 0),
  ge: (x, y) => (x >= y ? 1 : 0),
};

/**
 * The cpu kernel of the comparisons: `out = (a op b) ? 1 : 0`. Same-shape and tensor-vs-scalar layouts
 * run as plain loops (`b` read with a step of 1 or 0); other layouts go through the broadcast walker.
 */
export function compareKernel(
  a: TypedArray,
  aShape: readonly number[],
  b: TypedArray,
  bShape: readonly number[],
  out: TypedArray,
  outShape: readonly number[],
  op: Comparison,
): void {
  const n = out.length;
  if (a.length !== n || (b.length !== n && b.length !== 1)) {
    broadcastBinary(a, aShape, b, bShape, out, outShape, comparisonFns[op]);
    return;
  }
  const step = b.length === n ? 1 : 0;
  switch (op) {
    case 'eq':
      for (let i = 0; i < n; i++) out[i] = a[i] === b[i * step] ? 1 : 0;
      return;
    case 'ne':
      for (let i = 0; i < n; i++) out[i] = a[i] !== b[i * step] ? 1 : 0;
      return;
    case 'lt':
      for (let i = 0; i < n; i++) out[i] = a[i] < b[i * step] ? 1 : 0;
      return;
    case 'le':
      for (let i = 0; i < n; i++) out[i] = a[i] <= b[i * step] ? 1 : 0;
      return;
    case 'gt':
      for (let i = 0; i < n; i++) out[i] = a[i] > b[i * step] ? 1 : 0;
      return;
    case 'ge':
      for (let i = 0; i < n; i++) out[i] = a[i] >= b[i * step] ? 1 : 0;
      return;
  }
}

/**
 * The cpu kernel of `where`: `out = cond != 0 ? a : b`, with all three broadcast to `outShape`. The
 * general case walks the output one innermost row at a time with running offsets.
 */
export function whereKernel(
  cond: TypedArray,
  condShape: readonly number[],
  a: TypedArray,
  aShape: readonly number[],
  b: TypedArray,
  bShape: readonly number[],
  out: TypedArray,
  outShape: readonly number[],
): void {
  const n = out.length;
  if (cond.length === n && a.length === n && b.length === n) {
    for (let i = 0; i < n; i++) out[i] = cond[i] !== 0 ? a[i] : b[i];
    return;
  }
  if (cond.length === n && a.length === n && b.length === 1) {
    const y = b[0];
    for (let i = 0; i < n; i++) out[i] = cond[i] !== 0 ? a[i] : y;
    return;
  }
  if (cond.length === n && a.length === 1 && b.length === n) {
    const x = a[0];
    for (let i = 0; i < n; i++) out[i] = cond[i] !== 0 ? x : b[i];
    return;
  }
  const nd = outShape.length;
  if (nd === 0) {
    out[0] = cond[0] !== 0 ? a[0] : b[0];
    return;
  }
  const cStr = broadcastStrides(condShape, outShape);
  const aStr = broadcastStrides(aShape, outShape);
  const bStr = broadcastStrides(bShape, outShape);
  const len = outShape[nd - 1];
  let rows = 1;
  for (let d = 0; d < nd - 1; d++) rows *= outShape[d];
  if (len === 0 || rows === 0) return;
  const cStep = cStr[nd - 1];
  const aStep = aStr[nd - 1];
  const bStep = bStr[nd - 1];
  const counter = new Array<number>(nd - 1).fill(0);
  let cOff = 0;
  let aOff = 0;
  let bOff = 0;
  for (let r = 0; r < rows; r++) {
    const o = r * len;
    for (let j = 0; j < len; j++) out[o + j] = cond[cOff + j * cStep] !== 0 ? a[aOff + j * aStep] : b[bOff + j * bStep];
    for (let d = nd - 2; d >= 0; d--) {
      counter[d]++;
      cOff += cStr[d];
      aOff += aStr[d];
      bOff += bStr[d];
      if (counter[d] < outShape[d]) break;
      cOff -= cStr[d] * outShape[d];
      aOff -= aStr[d] * outShape[d];
      bOff -= bStr[d] * outShape[d];
      counter[d] = 0;
    }
  }
}

/**
 * The cpu kernel of `clamp`: `out = min(max(x, lo), hi)` (so `hi` wins when `lo > hi`, as in PyTorch);
 * NaN stays NaN. Pass `-Infinity`/`Infinity` for a missing bound.
 */
export function clampKernel(x: TypedArray, out: TypedArray, lo: number, hi: number): void {
  // NOTE: Math.min/Math.max compile without branches, which matters on data of random sign.
  const n = x.length;
  for (let i = 0; i < n; i++) out[i] = Math.min(Math.max(x[i], lo), hi);
}

/** The cpu kernel of clamp's gradient: `out = g` where `lo <= x <= hi` (inclusive), 0 elsewhere. */
export function clampBackwardKernel(g: TypedArray, x: TypedArray, out: TypedArray, lo: number, hi: number): void {
  for (let i = 0; i < x.length; i++) {
    const v = x[i];
    out[i] = v >= lo && v <= hi ? g[i] : 0;
  }
}

/**
 * The cpu kernel of a copy: `out[i] = x[i]` (same length and array type). Backward copies gradients with
 * it, in-place ops store their result with it, and an optimizer that starts a state array as a copy of
 * its parameter calls it through the registry, so that on the webgpu backend the copy stays on the GPU.
 *
 * @example
 * ```ts
 * const z = allocate(p.dtype, p.size);
 * resolveKernel('copy', copyKernel)(p._array, z); // z = p, wherever p's values are
 * ```
 */
export function copyKernel(x: TypedArray, out: TypedArray): void {
  out.set(x);
}
