import { allocate, promoteTypes, type TypedArray } from '../dtype';
import { broadcastBinary } from '../kernels/cpu/binary';
import { resolveKernel } from '../kernels/registry';
import { registerOp } from '../op';
import { broadcastShapes, shapeSize, shapesEqual } from '../shape';
import { Tensor, type TensorLike } from '../tensor';
import { binaryOperands, sumToShape } from './binary';

const addFn = (x: number, y: number) => x + y;

/** The cpu kernel of {@link add}: plain loops for the common layouts, the broadcast walker otherwise. */
export function addKernel(
  a: TypedArray,
  aShape: readonly number[],
  b: TypedArray,
  bShape: readonly number[],
  out: TypedArray,
  outShape: readonly number[],
): void {
  const n = out.length;
  if (a.length === n && b.length === n) {
    for (let i = 0; i < n; i++) out[i] = a[i] + b[i];
  } else if (b.length === 1 && a.length === n) {
    const y = b[0];
    for (let i = 0; i < n; i++) out[i] = a[i] + y;
  } else broadcastBinary(a, aShape, b, bShape, out, outShape, addFn);
}

const addOp = registerOp<undefined>({
  name: 'add',
  forward: ([a, b]) => {
    const shape = shapesEqual(a.shape, b.shape) ? a.shape : broadcastShapes(a.shape, b.shape, 'add');
    const dtype = promoteTypes(a.dtype, b.dtype);
    const out = allocate(dtype, shapeSize(shape));
    resolveKernel('add', addKernel)(a.data, a.shape, b.data, b.shape, out, shape);
    return new Tensor(out, shape, dtype);
  },
  backward: (g, { inputs: [a, b] }) => [sumToShape(g, a.shape), sumToShape(g, b.shape)],
});

/**
 * Elementwise `a + b`, with NumPy broadcasting. Either operand may be a number.
 *
 * @example
 * ```ts
 * add(tensor([[1], [2]]), tensor([10, 20])).toArray(); // [[11, 21], [12, 22]]
 * add(tensor([1, 2]), 1).toArray(); // [2, 3]
 * ```
 */
export function add(a: TensorLike, b: TensorLike): Tensor {
  const [ta, tb] = binaryOperands(a, b);
  return addOp([ta, tb], undefined);
}
