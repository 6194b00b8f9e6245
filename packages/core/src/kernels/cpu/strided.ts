import type { TypedArray } from '../../dtype';

/** Rows shorter than this are copied with a plain loop; longer ones with `TypedArray.set` (a memcpy). */
const SET_THRESHOLD = 32;

/** Tile edge of the blocked 2-D copy used for transposes (keeps both sides of the tile in L1). */
const BLOCK = 32;

/**
 * Copy one strided view into another: for every index `i` of `shape`,
 * `dst[dstOffset + Σ i[d] * dstStrides[d]] = src[srcOffset + Σ i[d] * srcStrides[d]]`.
 *
 * This is the one loop behind permute, expand (stride 0), slice (scaled strides), pad, concat and
 * tile. Size-1 dimensions are dropped and adjacent dimensions that are contiguous in both views are
 * merged first, so a copy that is contiguous on both sides becomes a single `set`. The innermost
 * dimension runs as a plain strided loop (a `fill` when the source stride is 0); when the source is
 * contiguous along another dimension (a transpose), that dimension and the innermost one are copied
 * in cache-sized tiles. The outer dimensions are walked with running offsets.
 */
export function stridedCopy(
  src: TypedArray,
  srcOffset: number,
  srcStrides: readonly number[],
  dst: TypedArray,
  dstOffset: number,
  dstStrides: readonly number[],
  shape: readonly number[],
): void {
  const sizes: number[] = [];
  const sStr: number[] = [];
  const dStr: number[] = [];
  for (let d = 0; d < shape.length; d++) {
    const n = shape[d];
    if (n === 0) return;
    if (n === 1) continue;
    const last = sizes.length - 1;
    if (last >= 0 && sStr[last] === srcStrides[d] * n && dStr[last] === dstStrides[d] * n) {
      sizes[last] *= n;
      sStr[last] = srcStrides[d];
      dStr[last] = dstStrides[d];
    } else {
      sizes.push(n);
      sStr.push(srcStrides[d]);
      dStr.push(dstStrides[d]);
    }
  }
  const nd = sizes.length;
  if (nd === 0) {
    dst[dstOffset] = src[srcOffset];
    return;
  }
  const inner = nd - 1;
  // A transpose: the innermost destination dimension is strided in the source, but another
  // dimension is contiguous there. Loop over the two in tiles so neither side thrashes the cache.
  let tileDim = -1;
  if (nd >= 2 && sStr[inner] !== 1 && sStr[inner] !== 0 && dStr[inner] === 1) {
    for (let d = inner - 1; d >= 0; d--) {
      if (sStr[d] === 1) {
        tileDim = d;
        break;
      }
    }
  }
  if (tileDim >= 0) {
    const outerSizes: number[] = [];
    const outerS: number[] = [];
    const outerD: number[] = [];
    for (let d = 0; d < inner; d++) {
      if (d === tileDim) continue;
      outerSizes.push(sizes[d]);
      outerS.push(sStr[d]);
      outerD.push(dStr[d]);
    }
    const nA = sizes[tileDim];
    const sA = sStr[tileDim];
    const dA = dStr[tileDim];
    const nB = sizes[inner];
    const sB = sStr[inner];
    forEachOffset(outerSizes, outerS, outerD, srcOffset, dstOffset, (s0, d0) => {
      copyTiled2d(src, s0, sA, sB, dst, d0, dA, nA, nB);
    });
    return;
  }
  const len = sizes[inner];
  const sStep = sStr[inner];
  const dStep = dStr[inner];
  forEachOffset(sizes.slice(0, inner), sStr.slice(0, inner), dStr.slice(0, inner), srcOffset, dstOffset, (s0, d0) => {
    copyRow(src, s0, sStep, dst, d0, dStep, len);
  });
}

/** Copy `len` elements from `src` (step `sStep`) to `dst` (step `dStep`). */
function copyRow(
  src: TypedArray,
  s0: number,
  sStep: number,
  dst: TypedArray,
  d0: number,
  dStep: number,
  len: number,
): void {
  if (sStep === 1 && dStep === 1) {
    if (len >= SET_THRESHOLD) dst.set(src.subarray(s0, s0 + len), d0);
    else for (let j = 0; j < len; j++) dst[d0 + j] = src[s0 + j];
  } else if (sStep === 0) {
    const v = src[s0];
    if (dStep === 1) dst.fill(v, d0, d0 + len);
    else for (let j = 0; j < len; j++) dst[d0 + j * dStep] = v;
  } else {
    let s = s0;
    let d = d0;
    for (let j = 0; j < len; j++) {
      dst[d] = src[s];
      s += sStep;
      d += dStep;
    }
  }
}

/**
 * The 2-D transpose-like copy `dst[d0 + a*dA + b] = src[s0 + a + b*sB]` for `a < nA`, `b < nB`, in
 * `BLOCK x BLOCK` tiles.
 */
function copyTiled2d(
  src: TypedArray,
  s0: number,
  sA: number,
  sB: number,
  dst: TypedArray,
  d0: number,
  dA: number,
  nA: number,
  nB: number,
): void {
  for (let a0 = 0; a0 < nA; a0 += BLOCK) {
    const a1 = Math.min(a0 + BLOCK, nA);
    for (let b0 = 0; b0 < nB; b0 += BLOCK) {
      const b1 = Math.min(b0 + BLOCK, nB);
      for (let a = a0; a < a1; a++) {
        let s = s0 + a * sA + b0 * sB;
        const dRow = d0 + a * dA;
        for (let b = b0; b < b1; b++) {
          dst[dRow + b] = src[s];
          s += sB;
        }
      }
    }
  }
}

/**
 * Call `body` with the source and destination offsets of every index of `sizes` (row-major), keeping
 * running offsets instead of recomputing them from the index.
 */
function forEachOffset(
  sizes: readonly number[],
  sStr: readonly number[],
  dStr: readonly number[],
  srcOffset: number,
  dstOffset: number,
  body: (s: number, d: number) => void,
): void {
  const nd = sizes.length;
  if (nd === 0) {
    body(srcOffset, dstOffset);
    return;
  }
  if (nd === 1) {
    const n = sizes[0];
    const ss = sStr[0];
    const ds = dStr[0];
    for (let i = 0; i < n; i++) body(srcOffset + i * ss, dstOffset + i * ds);
    return;
  }
  let total = 1;
  for (let d = 0; d < nd; d++) total *= sizes[d];
  const counter = new Array<number>(nd).fill(0);
  let s = srcOffset;
  let dd = dstOffset;
  for (let k = 0; k < total; k++) {
    body(s, dd);
    for (let d = nd - 1; d >= 0; d--) {
      counter[d]++;
      s += sStr[d];
      dd += dStr[d];
      if (counter[d] < sizes[d]) break;
      s -= sStr[d] * sizes[d];
      dd -= dStr[d] * sizes[d];
      counter[d] = 0;
    }
  }
}

/**
 * Row-major strides of `shape` (a local copy of `stridesOf` so kernels depend on nothing but typed arrays).
 */
export function contiguousStrides(shape: readonly number[]): number[] {
  const strides = new Array<number>(shape.length);
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    strides[i] = s;
    s *= shape[i];
  }
  return strides;
}
