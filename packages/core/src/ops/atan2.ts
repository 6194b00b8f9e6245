import { type DType, isFloatingDType, promoteTypes } from '../dtype';
import { DTypeError } from '../errors';
import { binaryKernelOf } from '../kernels/cpu/binary';
import { registerOp } from '../op';
import { Tensor, type TensorLike } from '../tensor';
import { add } from './add';
import { binaryOperands, elementwiseBinary, sumToShape } from './binary';
import { cast } from './cast';
import { mul } from './mul';
import { neg } from './neg';
import { reciprocal } from './reciprocal';
import { square } from './square';

/** The cpu kernel of `atan2`: `out = atan2(a, b)`, broadcasting (C's `atan2` special cases, as Math.atan2). */
const atan2Kernel = binaryKernelOf(Math.atan2);

/** Refuse an operand that is neither a Tensor nor a number, naming the function and the argument. */
function checkOperand(fn: string, arg: string, value: unknown): void {
  if (!(value instanceof Tensor) && typeof value !== 'number')
    throw new DTypeError(`${fn}: ${arg} must be a Tensor or a number, got ${value === null ? 'null' : typeof value}`);
}

/** The dtype of atan2's result: the promoted dtype, float32 for two int32 operands (as in PyTorch). */
function atan2DType(a: DType, b: DType): DType {
  const dtype = promoteTypes(a, b);
  return isFloatingDType(dtype) ? dtype : 'float32';
}

const atan2Op = registerOp<undefined>({
  name: 'atan2',
  saves: { inputs: [0, 1], output: false },
  forward: ([a, b]) => {
    const dtype = atan2DType(a.dtype, b.dtype);
    // NOTE: an int32 operand is converted to the result's dtype first, as PyTorch does: past 2^24 an
    // int32 value changes when it becomes float32.
    return elementwiseBinary('atan2', cast(a, dtype), cast(b, dtype), atan2Kernel, dtype);
  },
  backward: (g, { inputs: [a, b] }) => {
    // PyTorch's formula and order: r = 1/(a² + b²), then (g·b)·r and (g·(-a))·r.
    const r = reciprocal(add(square(a), square(b)));
    return [
      a.requiresGrad ? sumToShape(mul(mul(g, b), r), a.shape) : null,
      b.requiresGrad ? sumToShape(mul(mul(g, neg(a)), r), b.shape) : null,
    ];
  },
});

/**
 * The angle of the point `(b, a)` from the positive x axis, `atan(a / b)` put in the right quadrant, in
 * `[-π, π]`, elementwise with NumPy broadcasting, like `torch.atan2(a, b)` (`a` is y, `b` is x). Either
 * operand may be a number; dtypes promote as in the other binary ops, and two int32 operands give float32.
 * The signs of zeros and infinities pick the quadrant as C's `atan2` does: `atan2(0, -1) = π`,
 * `atan2(-0, -1) = -π`, `atan2(Infinity, Infinity) = π/4`; NaN in, NaN out.
 *
 * Gradient: `d/da = b / (a² + b²)` and `d/db = -a / (a² + b²)`, summed back over broadcast dimensions.
 * At `a = b = 0` both are NaN, as in PyTorch.
 *
 * @example
 * ```ts
 * atan2(tensor([1, 1, -1]), tensor([1, -1, -1])).toArray(); // [0.785..., 2.356..., -2.356...]
 * atan2(tensor([0, -0], { dtype: 'float64' }), -1).toArray(); // [3.141592653589793, -3.141592653589793]
 * ```
 */
export function atan2(a: TensorLike, b: TensorLike): Tensor {
  checkOperand('atan2', 'a', a);
  checkOperand('atan2', 'b', b);
  const [ta, tb] = binaryOperands(a, b);
  return atan2Op([ta, tb], undefined);
}
