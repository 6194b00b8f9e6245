import type { TypedArray } from '../../dtype';
import { contiguousStrides } from './strided';

/**
 * Strides of `shape` for walking the positions of an index tensor: row-major, except 0 along `axis`
 * (the index value supplies that coordinate).
 */
function walkStrides(shape: readonly number[], axis: number): number[] {
  const strides = contiguousStrides(shape);
  strides[axis] = 0;
  return strides;
}

/**
 * The cpu kernel of `gather`: `out[p] = x[... index[p] (at axis) ...]` for every position `p` of
 * `index` (of `indexShape`), where the other coordinates are those of `p`. Indices are already checked.
 */
export function gatherKernel(
  x: TypedArray,
  xShape: readonly number[],
  index: Int32Array,
  indexShape: readonly number[],
  axis: number,
  out: TypedArray,
): void {
  const n = index.length;
  const nd = indexShape.length;
  if (n === 0) return;
  if (nd === 0) {
    out[0] = x[index[0]];
    return;
  }
  const xs = walkStrides(xShape, axis);
  const axisStride = contiguousStrides(xShape)[axis];
  const last = nd - 1;
  const len = indexShape[last];
  const step = xs[last];
  const rows = n / len;
  const counter = new Array<number>(nd).fill(0);
  let base = 0;
  let p = 0;
  for (let r = 0; r < rows; r++) {
    for (let j = 0; j < len; j++, p++) out[p] = x[base + j * step + index[p] * axisStride];
    for (let d = last - 1; d >= 0; d--) {
      counter[d]++;
      base += xs[d];
      if (counter[d] < indexShape[d]) break;
      base -= xs[d] * indexShape[d];
      counter[d] = 0;
    }
  }
}

/**
 * The cpu kernel of `scatterAdd`, in place on `out` (of `outShape`, holding a copy of the base):
 * `out[... index[p] (at axis) ...] += src[p]` for every position `p` of `index`; `src` (of `srcShape`)
 * may be larger than `index` in every dimension. Repeated indices accumulate.
 */
export function scatterAddKernel(
  out: TypedArray,
  outShape: readonly number[],
  index: Int32Array,
  indexShape: readonly number[],
  src: TypedArray,
  srcShape: readonly number[],
  axis: number,
): void {
  const n = index.length;
  const nd = indexShape.length;
  if (n === 0) return;
  if (nd === 0) {
    out[index[0]] += src[0];
    return;
  }
  const os = walkStrides(outShape, axis);
  const axisStride = contiguousStrides(outShape)[axis];
  const ss = contiguousStrides(srcShape);
  const last = nd - 1;
  const len = indexShape[last];
  const oStep = os[last];
  const sStep = ss[last];
  const rows = n / len;
  const counter = new Array<number>(nd).fill(0);
  let oBase = 0;
  let sBase = 0;
  let p = 0;
  for (let r = 0; r < rows; r++) {
    for (let j = 0; j < len; j++, p++) out[oBase + j * oStep + index[p] * axisStride] += src[sBase + j * sStep];
    for (let d = last - 1; d >= 0; d--) {
      counter[d]++;
      oBase += os[d];
      sBase += ss[d];
      if (counter[d] < indexShape[d]) break;
      oBase -= os[d] * indexShape[d];
      sBase -= ss[d] * indexShape[d];
      counter[d] = 0;
    }
  }
}
