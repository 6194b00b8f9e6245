import type { TypedArray } from '../../dtype';
import { broadcastStrides } from './binary';
import { contiguousStrides, stridedCopy } from './strided';

/** The cpu kernel of `expand`: repeat `src` (of `shape`) along its broadcast dimensions into `out` (of `outShape`). */
export function expandKernel(
  src: TypedArray,
  shape: readonly number[],
  out: TypedArray,
  outShape: readonly number[],
): void {
  stridedCopy(src, 0, broadcastStrides(shape, outShape), out, 0, contiguousStrides(outShape), outShape);
}
