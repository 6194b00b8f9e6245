import type { DType, TypedArray } from '../../dtype';

const keep = (x: number): number => x;

/**
 * How a value is rounded when stored in `array`, for kernels that compute in doubles and must round each
 * intermediate result as the stored dtype would: `Math.fround` for a Float32Array, nothing for the others
 * (float64). One shared function each way, so the kernels' call sites stay monomorphic.
 */
export function roundingOf(array: TypedArray): (x: number) => number {
  return array instanceof Float32Array ? Math.fround : keep;
}

/** {@link roundingOf} by dtype: `Math.fround` for `'float32'`, nothing for the others. */
export function roundingOfDType(dtype: DType): (x: number) => number {
  return dtype === 'float32' ? Math.fround : keep;
}
