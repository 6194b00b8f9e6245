import type { TypedArray } from '../../dtype';

/** The cpu kernel of `oneHot`: set `out[i * numClasses + indices[i]] = 1` in a zero-filled `out`. */
export function oneHotKernel(indices: TypedArray, numClasses: number, out: TypedArray): void {
  for (let i = 0; i < indices.length; i++) out[i * numClasses + indices[i]] = 1;
}
