import { allocate } from '../dtype';
import { type Comparison, compareKernel } from '../kernels/cpu/elementwise';
import { resolveKernel } from '../kernels/registry';
import { registerOp } from '../op';
import { broadcastShapes, shapeSize, shapesEqual } from '../shape';
import { Tensor, type TensorLike } from '../tensor';
import { binaryOperands } from './binary';

// NOTE: nabla has no bool dtype, so comparisons return int32 tensors of 0 and 1 (usable as masks by
// `where`, `maskedSelect` and arithmetic). They have no gradient.
function defineComparison(name: Comparison): (a: TensorLike, b: TensorLike) => Tensor {
  const op = registerOp<undefined>({
    name,
    forward: ([a, b]) => {
      const shape = shapesEqual(a.shape, b.shape) ? a.shape : broadcastShapes(a.shape, b.shape, name);
      const out = allocate('int32', shapeSize(shape));
      resolveKernel(name, compareKernel)(a._array, a.shape, b._array, b.shape, out, shape, name);
      return new Tensor(out, shape, 'int32');
    },
  });
  return (a, b) => {
    const [ta, tb] = binaryOperands(a, b);
    return op([ta, tb], undefined);
  };
}

const eqOp = defineComparison('eq');
const neOp = defineComparison('ne');
const ltOp = defineComparison('lt');
const leOp = defineComparison('le');
const gtOp = defineComparison('gt');
const geOp = defineComparison('ge');

/**
 * Elementwise `a == b` with broadcasting, as an **int32** tensor of 0 and 1 (nabla has no bool dtype).
 * Not differentiable. NaN is not equal to anything.
 *
 * @example
 * ```ts
 * eq(tensor([1, 2, 3]), 2).toArray(); // [0, 1, 0]
 * ```
 */
export function eq(a: TensorLike, b: TensorLike): Tensor {
  return eqOp(a, b);
}

/**
 * Elementwise `a != b` with broadcasting, as an **int32** tensor of 0 and 1. Not differentiable.
 *
 * @example
 * ```ts
 * ne(tensor([1, 2, 3]), 2).toArray(); // [1, 0, 1]
 * ```
 */
export function ne(a: TensorLike, b: TensorLike): Tensor {
  return neOp(a, b);
}

/**
 * Elementwise `a < b` with broadcasting, as an **int32** tensor of 0 and 1. Not differentiable.
 *
 * @example
 * ```ts
 * lt(tensor([1, 2, 3]), 2).toArray(); // [1, 0, 0]
 * ```
 */
export function lt(a: TensorLike, b: TensorLike): Tensor {
  return ltOp(a, b);
}

/**
 * Elementwise `a <= b` with broadcasting, as an **int32** tensor of 0 and 1. Not differentiable.
 *
 * @example
 * ```ts
 * le(tensor([1, 2, 3]), 2).toArray(); // [1, 1, 0]
 * ```
 */
export function le(a: TensorLike, b: TensorLike): Tensor {
  return leOp(a, b);
}

/**
 * Elementwise `a > b` with broadcasting, as an **int32** tensor of 0 and 1. Not differentiable.
 *
 * @example
 * ```ts
 * gt(tensor([[1], [3]]), tensor([2, 0])).toArray(); // [[0, 1], [1, 1]]
 * ```
 */
export function gt(a: TensorLike, b: TensorLike): Tensor {
  return gtOp(a, b);
}

/**
 * Elementwise `a >= b` with broadcasting, as an **int32** tensor of 0 and 1. Not differentiable.
 *
 * @example
 * ```ts
 * ge(tensor([1, 2, 3]), 2).toArray(); // [0, 1, 1]
 * ```
 */
export function ge(a: TensorLike, b: TensorLike): Tensor {
  return geOp(a, b);
}
