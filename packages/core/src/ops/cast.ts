import { allocate, checkDType, type DType, isFloatingDType, isHalfDType } from '../dtype';
import { decodeHalf, encodeHalf } from '../half';
import { registerOp } from '../op';
import { Tensor } from '../tensor';

const castOp = registerOp<DType>({
  name: 'cast',
  saves: { inputs: [], output: false },
  halfNative: true,
  forward: ([x], dtype) => {
    const data = allocate(dtype, x.size);
    const from = x.dtype;
    if (isHalfDType(dtype)) {
      // NOTE: float64 goes through float32 first, as PyTorch's .to() does (see half.ts).
      if (isHalfDType(from)) encodeHalf(decodeHalf(x.values as Uint16Array, from), dtype, data as Uint16Array);
      else encodeHalf(x.values, dtype, data as Uint16Array);
    } else if (isHalfDType(from)) {
      if (dtype === 'int32') {
        const src = decodeHalf(x.values as Uint16Array, from);
        for (let i = 0; i < src.length; i++) data[i] = Math.trunc(src[i]);
      } else decodeHalf(x.values as Uint16Array, from, data as Float32Array | Float64Array);
    } else if (dtype === 'int32') {
      const src = x.values;
      for (let i = 0; i < src.length; i++) data[i] = Math.trunc(src[i]);
    } else data.set(x.values);
    return new Tensor(data, x.shape, dtype);
  },
  backward: (g, { inputs: [x] }) => [isFloatingDType(x.dtype) ? cast(g, x.dtype) : null],
});

/**
 * A copy of `x` converted to `dtype`; float to int truncates toward zero. Differentiable between
 * float dtypes. Converting to `float16` or `bfloat16` rounds to nearest with ties to even (a float64
 * is rounded to float32 first, as in PyTorch), overflowing to Infinity (see {@link DType}).
 *
 * @example
 * ```ts
 * cast(tensor([1.7, -1.7]), 'int32').toArray(); // [1, -1]
 * cast(tensor([1 / 3]), 'bfloat16').item(); // 0.333984375
 * ```
 */
export function cast(x: Tensor, dtype: DType): Tensor {
  checkDType('cast', 'dtype', dtype);
  if (x.dtype === dtype) return x;
  return castOp([x], dtype);
}
