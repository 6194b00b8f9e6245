import type { TypedArray } from '../../dtype';

/** Blocks shorter than this are copied with a plain loop; longer ones with `TypedArray.set`. */
const SET_THRESHOLD = 32;

/**
 * The cpu kernel of `indexSelect`, on `x` viewed as `[outer, size, inner]`: block `i` of each outer
 * position of `out` (viewed as `[outer, index.length, inner]`) is block `index[i]` of `x`. Ops call it
 * through `resolveKernel('indexSelect', indexSelectKernel)`, so a backend can replace it (an embedding
 * lookup does).
 *
 * @example
 * ```ts
 * const table = new Float32Array([1, 2, 3, 4, 5, 6]); // 3 rows of 2
 * const out = new Float32Array(4);
 * indexSelectKernel(table, 1, 3, 2, new Int32Array([2, 0]), out); // out = [5, 6, 1, 2]
 * ```
 */
export function indexSelectKernel(
  x: TypedArray,
  outer: number,
  size: number,
  inner: number,
  index: Int32Array,
  out: TypedArray,
): void {
  const n = index.length;
  for (let o = 0; o < outer; o++) {
    const xBase = o * size;
    const outBase = o * n;
    for (let i = 0; i < n; i++) {
      const s = (xBase + index[i]) * inner;
      const d = (outBase + i) * inner;
      if (inner >= SET_THRESHOLD) out.set(x.subarray(s, s + inner), d);
      else for (let k = 0; k < inner; k++) out[d + k] = x[s + k];
    }
  }
}

/**
 * The transpose of {@link indexSelectKernel}, in place on `out` (viewed as `[outer, size, inner]`):
 * block `i` of `src` (viewed as `[outer, index.length, inner]`) is added to block `index[i]`.
 * Repeated indices accumulate.
 */
export function indexAddKernel(
  src: TypedArray,
  outer: number,
  size: number,
  inner: number,
  index: Int32Array,
  out: TypedArray,
): void {
  const n = index.length;
  for (let o = 0; o < outer; o++) {
    const outBase = o * size;
    const srcBase = o * n;
    for (let i = 0; i < n; i++) {
      const d = (outBase + index[i]) * inner;
      const s = (srcBase + i) * inner;
      for (let k = 0; k < inner; k++) out[d + k] += src[s + k];
    }
  }
}
