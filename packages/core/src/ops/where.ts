import { allocate, promoteTypes } from '../dtype';
import { DTypeError, ShapeError } from '../errors';
import { whereKernel } from '../kernels/cpu/elementwise';
import { resolveKernel } from '../kernels/registry';
import { registerOp } from '../op';
import { broadcastShapes, formatShape, shapeSize } from '../shape';
import { Tensor, type TensorLike } from '../tensor';
import { binaryOperands, sumToShape } from './binary';

function whereShape(cond: Tensor, a: Tensor, b: Tensor): number[] {
  try {
    return broadcastShapes(broadcastShapes(cond.shape, a.shape, 'where'), b.shape, 'where');
  } catch (e) {
    if (!(e instanceof ShapeError)) throw e;
    throw new ShapeError(
      `where: condition, a and b have shapes ${formatShape(cond.shape)}, ${formatShape(a.shape)} and ${formatShape(b.shape)}, which cannot be broadcast together`,
    );
  }
}

const whereOp = registerOp<undefined>({
  name: 'where',
  forward: ([cond, a, b]) => {
    const shape = whereShape(cond, a, b);
    const dtype = promoteTypes(a.dtype, b.dtype);
    const out = allocate(dtype, shapeSize(shape));
    resolveKernel('where', whereKernel)(cond._array, cond.shape, a._array, a.shape, b._array, b.shape, out, shape);
    return new Tensor(out, shape, dtype);
  },
  backward: (g, { inputs: [cond, a, b] }) => [
    null,
    a.requiresGrad ? sumToShape(where(cond, g, 0), a.shape) : null,
    b.requiresGrad ? sumToShape(where(cond, 0, g), b.shape) : null,
  ],
});

/**
 * Elementwise choice: `a` where `cond` is nonzero, `b` elsewhere, with `cond`, `a` and `b` broadcast
 * together, like `torch.where(cond, a, b)`. `cond` may have any dtype (the comparisons return int32
 * masks); `a` and `b` may be numbers and are promoted to a common dtype (two integers give int32, as
 * PyTorch gives an integer tensor).
 *
 * Gradient: `g` flows to `a` where `cond` holds and to `b` elsewhere, summed back over broadcast
 * dimensions; `cond` gets none.
 *
 * @example
 * ```ts
 * const x = tensor([-1, 2, -3]);
 * where(gt(x, 0), x, 0).toArray(); // [0, 2, 0]
 * ```
 */
export function where(cond: Tensor, a: TensorLike, b: TensorLike): Tensor {
  if (!(cond instanceof Tensor))
    throw new DTypeError(`where: cond must be a Tensor (for example a comparison's mask), got ${typeof cond}`);
  // Two numbers: int32 when both are integers, as torch.where(cond, 1, 2) is an integer tensor.
  const ints = typeof a === 'number' && typeof b === 'number' && Number.isInteger(a) && Number.isInteger(b);
  const [ta, tb] = ints
    ? [new Tensor(Int32Array.of(a), [], 'int32'), new Tensor(Int32Array.of(b), [], 'int32')]
    : binaryOperands(a, b);
  return whereOp([cond, ta, tb], undefined);
}
