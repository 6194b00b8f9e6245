import type { TypedArray } from '../../dtype';
import { contiguousStrides, stridedCopy } from './strided';

/**
 * The cpu kernel of `slice`: copy the elements of `src` (of `shape`) at `starts[d] + i * steps[d]`,
 * `i < outShape[d]`, into `out`.
 */
export function sliceKernel(
  src: TypedArray,
  shape: readonly number[],
  starts: readonly number[],
  steps: readonly number[],
  out: TypedArray,
  outShape: readonly number[],
): void {
  const strides = contiguousStrides(shape);
  let offset = 0;
  for (let d = 0; d < shape.length; d++) offset += starts[d] * strides[d];
  const srcStrides = strides.map((s, d) => s * steps[d]);
  stridedCopy(src, offset, srcStrides, out, 0, contiguousStrides(outShape), outShape);
}

/**
 * The inverse placement of {@link sliceKernel}: write `src` (of `srcShape`) into `out` (of `outShape`,
 * already filled with the background value) at `starts[d] + i * steps[d]`. Used by slice's backward
 * and by pad.
 */
export function sliceAssignKernel(
  src: TypedArray,
  srcShape: readonly number[],
  out: TypedArray,
  outShape: readonly number[],
  starts: readonly number[],
  steps: readonly number[],
): void {
  const strides = contiguousStrides(outShape);
  let offset = 0;
  for (let d = 0; d < outShape.length; d++) offset += starts[d] * strides[d];
  const dstStrides = strides.map((s, d) => s * steps[d]);
  stridedCopy(src, 0, contiguousStrides(srcShape), out, offset, dstStrides, srcShape);
}
