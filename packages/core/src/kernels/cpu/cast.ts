import type { DType, TypedArray } from '../../dtype';
import { isHalfDType } from '../../dtype';
import { decodeHalf, encodeHalf } from '../../half';

/**
 * The cpu kernel of `cast`: `out` (of dtype `to`) gets the values of `x` (of dtype `from`), as PyTorch's
 * `.to()` converts them: float to int32 truncates toward zero, float64 to a half type goes through float32,
 * half types are decoded from and encoded to their bit patterns.
 *
 * @example
 * ```ts
 * const out = new Int32Array(2);
 * castKernel(new Float32Array([1.7, -1.7]), 'float32', out, 'int32'); // out = [1, -1]
 * ```
 */
export function castKernel(x: TypedArray, from: DType, out: TypedArray, to: DType): void {
  if (isHalfDType(to)) {
    if (isHalfDType(from)) encodeHalf(decodeHalf(x as Uint16Array, from), to, out as Uint16Array);
    else encodeHalf(x, to, out as Uint16Array);
  } else if (isHalfDType(from)) {
    if (to === 'int32') {
      const src = decodeHalf(x as Uint16Array, from);
      for (let i = 0; i < src.length; i++) out[i] = Math.trunc(src[i]);
    } else decodeHalf(x as Uint16Array, from, out as Float32Array | Float64Array);
  } else if (to === 'int32') {
    for (let i = 0; i < x.length; i++) out[i] = Math.trunc(x[i]);
  } else out.set(x);
}
