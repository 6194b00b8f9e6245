import { allocate, checkDType, type DType, isFloatingDType } from '../dtype';
import { registerOp } from '../op';
import { Tensor } from '../tensor';

const castOp = registerOp<DType>({
  name: 'cast',
  saves: { inputs: [], output: false },
  forward: ([x], dtype) => {
    const data = allocate(dtype, x.size);
    if (dtype === 'int32') {
      const src = x.values;
      for (let i = 0; i < src.length; i++) data[i] = Math.trunc(src[i]);
    } else data.set(x.values);
    return new Tensor(data, x.shape, dtype);
  },
  backward: (g, { inputs: [x] }) => [isFloatingDType(x.dtype) ? cast(g, x.dtype) : null],
});

/**
 * A copy of `x` converted to `dtype`; float to int truncates toward zero. Differentiable between
 * float dtypes.
 *
 * @example
 * ```ts
 * cast(tensor([1.7, -1.7]), 'int32').toArray(); // [1, -1]
 * ```
 */
export function cast(x: Tensor, dtype: DType): Tensor {
  checkDType('cast', 'dtype', dtype);
  if (x.dtype === dtype) return x;
  return castOp([x], dtype);
}
