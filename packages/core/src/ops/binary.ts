import { allocate, type DType, promoteTypes } from '../dtype';
import type { BinaryKernel } from '../kernels/cpu/binary';
import { extremumShareKernel } from '../kernels/cpu/elementwise';
import { resolveKernel } from '../kernels/registry';
import { broadcastShapes, shapeSize, shapesEqual } from '../shape';
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
 * The forward of a broadcasting binary op: the broadcast shape (a {@link ShapeError} naming `name`
 * otherwise), an output of `dtype` (default: the promoted dtype), and the active backend's kernel
 * `name` (falling back to `cpuKernel`).
 */
export function elementwiseBinary(
  name: string,
  a: Tensor,
  b: Tensor,
  cpuKernel: BinaryKernel,
  dtype: DType = promoteTypes(a.dtype, b.dtype),
): Tensor {
  const shape = shapesEqual(a.shape, b.shape) ? a.shape : broadcastShapes(a.shape, b.shape, name);
  const out = allocate(dtype, shapeSize(shape), false); // binary kernels write every element
  resolveKernel(name, cpuKernel)(a._array, a.shape, b._array, b.shape, out, shape);
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

/**
 * The share of the gradient of `maximum` (`max`) or `minimum` that goes to `first`: 1, 0.5 on ties, or 0
 * (1 where `first` is NaN), as a constant of `dtype` and `shape`.
 */
export function extremumShare(
  first: Tensor,
  second: Tensor,
  shape: readonly number[],
  dtype: DType,
  max: boolean,
): Tensor {
  const out = allocate(dtype, shapeSize(shape));
  resolveKernel('extremumShare', extremumShareKernel)(
    first._array,
    first.shape,
    second._array,
    second.shape,
    out,
    shape,
    max,
  );
  return new Tensor(out, shape, dtype);
}
