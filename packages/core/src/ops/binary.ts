import { allocate, type DType, promoteTypes } from '../dtype';
import { type BinaryFn, broadcastBinary } from '../kernels/cpu/binary';
import { resolveKernel } from '../kernels/registry';
import { broadcastShapes, shapesEqual } from '../shape';
import { asTensor, Tensor, type TensorLike } from '../tensor';
import { reshape } from './reshape';
import { sum } from './sum';

/**
 * Turn the two operands of a binary op into tensors of one dtype (PyTorch's promotion), converting
 * numbers with {@link asTensor}.
 */
export function binaryOperands(a: TensorLike, b: TensorLike): [Tensor, Tensor, DType] {
  const ta = asTensor(a, b instanceof Tensor ? b : undefined);
  const tb = asTensor(b, ta);
  return [ta, tb, promoteTypes(ta.dtype, tb.dtype)];
}

/**
 * Run the elementwise binary kernel `name` (default body `fn`) over `a` and `b` broadcast together,
 * producing a tensor of `dtype`.
 */
export function elementwiseBinary(fnName: string, a: Tensor, b: Tensor, dtype: DType, fn: BinaryFn): Tensor {
  const shape = shapesEqual(a.shape, b.shape) ? a.shape : broadcastShapes(a.shape, b.shape, fnName);
  const out = allocate(
    dtype,
    shape.reduce((p, d) => p * d, 1),
  );
  const kernel = resolveKernel(fnName, broadcastBinary);
  kernel(a.data, a.shape, b.data, b.shape, out, shape, fn);
  return new Tensor(out, shape, dtype);
}

/**
 * Reduce a gradient of a broadcast result back to an input's `shape`: sum over the leading
 * dimensions that broadcasting added and over every dimension where the input had size 1.
 */
export function sumToShape(g: Tensor, shape: readonly number[]): Tensor {
  if (shapesEqual(g.shape, shape)) return g;
  const lead = g.ndim - shape.length;
  const axes: number[] = [];
  for (let d = 0; d < g.ndim; d++) if (d < lead || shape[d - lead] === 1) axes.push(d);
  const reduced = sum(g, axes, true);
  return reshape(reduced, shape);
}
