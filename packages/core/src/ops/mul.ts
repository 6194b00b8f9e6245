import { allocate, promoteTypes, type TypedArray } from '../dtype';
import { broadcastBinary } from '../kernels/cpu/binary';
import { resolveKernel } from '../kernels/registry';
import { registerOp } from '../op';
import { broadcastShapes, shapeSize, shapesEqual } from '../shape';
import { Tensor, type TensorLike } from '../tensor';
import { binaryOperands, sumToShape } from './binary';

const mulFn = (x: number, y: number) => x * y;

/** The cpu kernel of {@link mul}: plain loops for the common layouts, the broadcast walker otherwise. */
export function mulKernel(
  a: TypedArray,
  aShape: readonly number[],
  b: TypedArray,
  bShape: readonly number[],
  out: TypedArray,
  outShape: readonly number[],
): void {
  const n = out.length;
  if (a.length === n && b.length === n) {
    for (let i = 0; i < n; i++) out[i] = a[i] * b[i];
  } else if (b.length === 1 && a.length === n) {
    const y = b[0];
    for (let i = 0; i < n; i++) out[i] = a[i] * y;
  } else broadcastBinary(a, aShape, b, bShape, out, outShape, mulFn);
}

const mulOp = registerOp<undefined>({
  name: 'mul',
  forward: ([a, b]) => {
    const shape = shapesEqual(a.shape, b.shape) ? a.shape : broadcastShapes(a.shape, b.shape, 'mul');
    const dtype = promoteTypes(a.dtype, b.dtype);
    const out = allocate(dtype, shapeSize(shape));
    resolveKernel('mul', mulKernel)(a.data, a.shape, b.data, b.shape, out, shape);
    return new Tensor(out, shape, dtype);
  },
  backward: (g, { inputs: [a, b] }) => [
    a.requiresGrad ? sumToShape(mul(g, b), a.shape) : null,
    b.requiresGrad ? sumToShape(mul(g, a), b.shape) : null,
  ],
});

/**
 * Elementwise `a * b`, with NumPy broadcasting. Either operand may be a number.
 *
 * Gradient: `d(ab)/da = b`, `d(ab)/db = a`, each summed back over broadcast dimensions.
 *
 * @example
 * ```ts
 * mul(tensor([1, 2, 3]), 2).toArray(); // [2, 4, 6]
 * ```
 */
export function mul(a: TensorLike, b: TensorLike): Tensor {
  const [ta, tb] = binaryOperands(a, b);
  return mulOp([ta, tb], undefined);
}
