import { zeros } from '../creation';
import { isFloatingDType, promoteTypes } from '../dtype';
import { DTypeError, ValueError } from '../errors';
import { type BinaryFn, binaryKernelOf } from '../kernels/cpu/binary';
import { registerOp } from '../op';
import { runOnHost } from '../residency';
import { Tensor, type TensorLike } from '../tensor';
import { binaryOperands, elementwiseBinary, sumToShape } from './binary';
import { cast } from './cast';
import { mul } from './mul';
import { neg } from './neg';

// NOTE: JavaScript's % is exactly C's fmod, for doubles and for integers alike: the remainder of the
// truncated quotient, with the sign of the dividend, exact (no rounding), NaN for a zero divisor or an
// infinite dividend, the dividend itself for an infinite divisor.
const fmodFn: BinaryFn = (x, y) => x % y;

// PyTorch's remainder: fmod, moved by one divisor when it is nonzero and its sign differs from the
// divisor's (so -0 stays -0, and remainder(-5, Infinity) is Infinity, as in PyTorch and Python).
const remainderFn: BinaryFn = (x, y) => {
  const m = x % y;
  return m !== 0 && y < 0 !== m < 0 ? m + y : m;
};

const remainderKernel = binaryKernelOf(remainderFn);
const fmodKernel = binaryKernelOf(fmodFn);

/**
 * PyTorch's floor division `div(a, b, rounding_mode='floor')` (c10's `div_floor_floating`, Python's
 * float `//`), rounding every intermediate as the stored dtype would (`round`). It is not `floor(a / b)`:
 * `1 // 0.1` is 9 (the remainder is 0.09999999999999995), where `1 / 0.1` rounds to 10.
 */
function floorQuotient(a: number, b: number, round: (x: number) => number): number {
  if (b === 0) return a / b;
  const mod = a % b;
  let div = round(round(a - mod) / b);
  if (mod !== 0 && b < 0 !== mod < 0) div = round(div - 1);
  if (div === 0) {
    const q = a / b;
    return q < 0 || Object.is(q, -0) ? -0 : 0;
  }
  const floored = Math.floor(div);
  return div - floored > 0.5 ? floored + 1 : floored;
}

const floorQuotientKernel = binaryKernelOf(floorQuotient);

/** PyTorch's `div(a, b, rounding_mode='trunc')`: the quotient rounded to the dtype, then truncated. */
const truncQuotientKernel = binaryKernelOf((x, y, round) => Math.trunc(round(x / y)));

/**
 * The rounded quotient in the gradient of remainder (floor) or fmod (trunc). Like PyTorch's `div` with a
 * rounding mode it is piecewise constant, with a zero gradient, so that gradients of gradients work.
 */
function defineQuotient(name: string, kernel: typeof floorQuotientKernel): (a: Tensor, b: Tensor) => Tensor {
  const op = registerOp<undefined>({
    name,
    saves: { inputs: [], output: false },
    forward: ([a, b]) => {
      const dtype = promoteTypes(a.dtype, b.dtype);
      return elementwiseBinary(name, cast(a, dtype), cast(b, dtype), kernel, dtype);
    },
    backward: (_g, { inputs: [a, b] }) => [
      a.requiresGrad ? zeros(a.shape, { dtype: a.dtype }) : null,
      b.requiresGrad ? zeros(b.shape, { dtype: b.dtype }) : null,
    ],
  });
  return (a, b) => op([a, b], undefined);
}

const floorQuotientOp = defineQuotient('remainderQuotient', floorQuotientKernel);
const truncQuotientOp = defineQuotient('fmodQuotient', truncQuotientKernel);

/** Refuse an operand that is neither a Tensor nor a number, naming the function and the argument. */
function checkOperand(fn: string, arg: string, value: unknown): void {
  if (!(value instanceof Tensor) && typeof value !== 'number')
    throw new DTypeError(`${fn}: ${arg} must be a Tensor or a number, got ${value === null ? 'null' : typeof value}`);
}

/**
 * A remainder-like op: int32 with int32 stays int32 (a zero divisor throws, as PyTorch's
 * ZeroDivisionError), other dtypes promote; `d/da = 1`, `d/db = -quotient(a, b)`.
 */
function defineRemainder(
  name: string,
  kernel: typeof remainderKernel,
  quotient: (a: Tensor, b: Tensor) => Tensor,
): (a: TensorLike, b: TensorLike) => Tensor {
  const op = registerOp<undefined>({
    name,
    saves: { inputs: [0, 1], output: false },
    forward: ([a, b]) => {
      const dtype = promoteTypes(a.dtype, b.dtype);
      if (!isFloatingDType(dtype) && a.size > 0) {
        const divisors = b._array;
        runOnHost([divisors], [], () => {
          for (let i = 0; i < divisors.length; i++)
            if (divisors[i] === 0)
              throw new ValueError(
                `${name}: b must not be zero for int32 operands (integer division by zero, PyTorch's ZeroDivisionError), found 0 at index ${i}`,
              );
        });
      }
      // NOTE: an int32 operand becomes the result's dtype first, as in PyTorch: past 2^24 an int32 value
      // changes when it becomes float32.
      return elementwiseBinary(name, cast(a, dtype), cast(b, dtype), kernel, dtype);
    },
    backward: (g, { inputs: [a, b] }) => [
      a.requiresGrad ? sumToShape(g, a.shape) : null,
      // PyTorch's formula: -g · quotient(a, b), in that order.
      b.requiresGrad ? sumToShape(mul(neg(g), quotient(a, b)), b.shape) : null,
    ],
  });
  return (a, b) => {
    checkOperand(name, 'a', a);
    checkOperand(name, 'b', b);
    const [ta, tb] = binaryOperands(a, b);
    return op([ta, tb], undefined);
  };
}

const remainderOp = defineRemainder('remainder', remainderKernel, floorQuotientOp);
const fmodOp = defineRemainder('fmod', fmodKernel, truncQuotientOp);

/**
 * Elementwise remainder of `a / b` with the sign of the divisor `b` (Python's `%`), like
 * `torch.remainder`: `a - b·floor(a / b)`, computed exactly from C's `fmod`. NumPy broadcasting; either
 * operand may be a number. Two int32 operands give int32, and a zero divisor then throws a
 * {@link ValueError} (PyTorch raises ZeroDivisionError); otherwise dtypes promote as in the other binary
 * ops, and a zero divisor gives NaN. A zero result keeps the sign of `a`'s zero part (`remainder(-4, 2)`
 * is -0, as in PyTorch); `remainder(-5, Infinity)` is Infinity and `remainder(5, Infinity)` is 5.
 *
 * Gradient (away from the jumps, PyTorch's formula): `d/da = 1` and `d/db = -floor(a / b)`, the floor
 * division computed as PyTorch's `div(a, b, rounding_mode='floor')`; summed over broadcast dimensions.
 *
 * @example
 * ```ts
 * remainder(tensor([-3, -1, 1, 3], { dtype: 'int32' }), 2).toArray(); // [1, 1, 1, 1]
 * remainder(tensor([5.5, -5.5]), -2).toArray(); // [-0.5, -1.5]
 * ```
 */
export function remainder(a: TensorLike, b: TensorLike): Tensor {
  return remainderOp(a, b);
}

/**
 * Elementwise remainder of `a / b` with the sign of the dividend `a` (C's `fmod`), like `torch.fmod`:
 * `a - b·trunc(a / b)`, exact. NumPy broadcasting; either operand may be a number. Two int32 operands give
 * int32, and a zero divisor then throws a {@link ValueError} (PyTorch raises ZeroDivisionError); otherwise
 * dtypes promote as in the other binary ops, and a zero divisor or an infinite dividend gives NaN, while an
 * infinite divisor gives `a`.
 *
 * Gradient (away from the jumps, PyTorch's formula): `d/da = 1` and `d/db = -trunc(a / b)`, summed over
 * broadcast dimensions.
 *
 * @example
 * ```ts
 * fmod(tensor([-3, -1, 1, 3], { dtype: 'int32' }), 2).toArray(); // [-1, -1, 1, 1]
 * fmod(tensor([5.5, -5.5]), -2).toArray(); // [1.5, -1.5]
 * ```
 */
export function fmod(a: TensorLike, b: TensorLike): Tensor {
  return fmodOp(a, b);
}
