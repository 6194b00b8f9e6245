import { zerosLike } from '../creation';
import { allocate, type DType, isFloatingDType, promoteTypes } from '../dtype';
import { ValueError } from '../errors';
import { powKernel, powScalarKernel } from '../kernels/cpu/elementwise';
import { resolveKernel } from '../kernels/registry';
import { registerOp } from '../op';
import { runOnHost } from '../residency';
import { broadcastShapes, shapeSize, shapesEqual } from '../shape';
import { Tensor, type TensorLike } from '../tensor';
import { binaryOperands, sumToShape } from './binary';
import { eq, ge } from './compare';
import { log } from './log';
import { mul } from './mul';
import { sub } from './sub';
import { where } from './where';

const NEGATIVE_INTEGER_POWER = 'pow: integers to negative integer powers are not allowed';

const powScalarOp = registerOp<number>({
  name: 'powScalar',
  forward: ([x], exponent) => {
    let dtype: DType = x.dtype;
    if (!isFloatingDType(x.dtype)) {
      if (!Number.isInteger(exponent)) dtype = 'float32';
      else if (exponent < 0)
        throw new ValueError(`${NEGATIVE_INTEGER_POWER} (exponent ${exponent} on an int32 tensor)`);
    }
    const out = allocate(dtype, x.size);
    resolveKernel('powScalar', powScalarKernel)(x._array, out, exponent);
    return new Tensor(out, x.shape, dtype);
  },
  backward: (g, { inputs: [x], attrs: exponent }) => {
    // PyTorch's convention: an exponent of 0 gives a zero gradient everywhere (even at x = 0).
    if (exponent === 0) return [zerosLike(g)];
    const base = exponent === 2 ? x : pow(x, exponent - 1);
    return [mul(g, mul(base, exponent))];
  },
});

const powOp = registerOp<undefined>({
  name: 'pow',
  forward: ([a, b]) => {
    const shape = shapesEqual(a.shape, b.shape) ? a.shape : broadcastShapes(a.shape, b.shape, 'pow');
    const dtype = promoteTypes(a.dtype, b.dtype);
    if (dtype === 'int32') {
      const exponents = b._array;
      runOnHost([exponents], [], () => {
        for (let i = 0; i < exponents.length; i++)
          if (exponents[i] < 0)
            throw new ValueError(`${NEGATIVE_INTEGER_POWER} (exponent ${exponents[i]} on int32 tensors)`);
      });
    }
    const out = allocate(dtype, shapeSize(shape));
    resolveKernel('pow', powKernel)(a._array, a.shape, b._array, b.shape, out, shape);
    return new Tensor(out, shape, dtype);
  },
  backward: (g, { inputs: [a, b], output }) => [
    // d/da a^b = b a^(b-1), taken as 0 where b == 0 (so 0^0 does not give NaN), as in PyTorch.
    a.requiresGrad ? sumToShape(where(eq(b, 0), 0, mul(g, mul(b, pow(a, sub(b, 1))))), a.shape) : null,
    // d/db a^b = a^b log a, taken as 0 where a == 0 and b >= 0 (the limit), as in PyTorch.
    b.requiresGrad ? sumToShape(where(mul(eq(a, 0), ge(b, 0)), 0, mul(g, mul(output, log(a)))), b.shape) : null,
  ],
});

/**
 * Elementwise power `x^exponent`, like `torch.pow`. The exponent is a number or a tensor (broadcast
 * with `x`); `x` may be a number with a tensor exponent. A negative base with an integer exponent works
 * (`(-2)^3 = -8`); with a fractional one it gives NaN. An int32 tensor to a non-negative integer power
 * stays int32 (negative integer powers of integers throw, as in PyTorch); to a fractional power it
 * gives float32. Special cases follow C's `pow` (IEEE 754) and PyTorch, not JavaScript's `Math.pow`:
 * `1^y = 1` for every `y`, NaN and ±Infinity included, and `(-1)^±Infinity = 1`; a number exponent of
 * `0.5` is `sqrt(x)` and `-0.5` is `1 / sqrt(x)`, as in PyTorch (so `(-0)^-0.5` is -Infinity).
 *
 * Gradient: `d/dx x^b = b x^(b-1)` (so `d/dx x^1.5` is 0 at 0, and an exponent of 0 gives 0) and
 * `d/db x^b = x^b log x` (0 where `x = 0` and `b >= 0`, and 0 at `x = 1` for every `b`, as in PyTorch).
 *
 * @example
 * ```ts
 * pow(tensor([1, 2, 3]), 2).toArray(); // [1, 4, 9]
 * pow(tensor([-2]), 3).toArray(); // [-8]
 * pow(2, tensor([0, 1, 10])).toArray(); // [1, 2, 1024]
 * pow(tensor([1, -1]), Infinity).toArray(); // [1, 1] (Math.pow gives NaN)
 * ```
 */
export function pow(x: TensorLike, exponent: TensorLike): Tensor {
  if (x instanceof Tensor && typeof exponent === 'number') return powScalarOp([x], exponent);
  const [ta, tb] = binaryOperands(x, exponent);
  return powOp([ta, tb], undefined);
}
