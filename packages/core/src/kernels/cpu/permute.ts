import type { TypedArray } from '../../dtype';
import { contiguousStrides, stridedCopy } from './strided';

/**
 * The cpu kernel of `permute`: write `src` (of `shape`) into `out` with its dimensions reordered so
 * that output dimension `i` is input dimension `perm[i]`. 2-D transposes (and batched ones) are copied
 * in cache-sized tiles; a permutation that keeps the innermost dimension copies whole rows.
 */
export function permuteKernel(
  src: TypedArray,
  shape: readonly number[],
  perm: readonly number[],
  out: TypedArray,
): void {
  const inStrides = contiguousStrides(shape);
  const outShape = perm.map((p) => shape[p]);
  const srcStrides = perm.map((p) => inStrides[p]);
  stridedCopy(src, 0, srcStrides, out, 0, contiguousStrides(outShape), outShape);
}
