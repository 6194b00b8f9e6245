import { checkOptions, optionNames } from '../check-options';
import { zerosLike } from '../creation';
import { allocate, isFloatingDType, type TypedArray } from '../dtype';
import { DTypeError, ValueError } from '../errors';
import { roundingOf } from '../kernels/cpu/rounding';
import { resolveKernel } from '../kernels/registry';
import { registerOp } from '../op';
import { Tensor } from '../tensor';
import { defineUnary } from './unary';

/**
 * `x` rounded to the nearest integer, ties to the even one (IEEE 754's default rounding, C's `nearbyint`).
 * Math.round is exact but sends ties up, so a tie that landed on an odd integer steps back down.
 */
function roundHalfEven(x: number): number {
  const r = Math.round(x);
  // NOTE: r - x is exact (|x| < 2^52 here, or x is already an integer and r - x is 0); -0 % 2 is -0,
  // so -0.5 stays -0 as with nearbyint.
  return r - x === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

// Every rounding op is piecewise constant: PyTorch gives a zero gradient everywhere, jumps included.
const zeroGrad = (g: Tensor) => zerosLike(g);

const floorOp = defineUnary('floor', Math.floor, zeroGrad, {
  keepsInt: true,
  saves: 'none',
  kernel: (x, out) => {
    for (let i = 0; i < x.length; i++) out[i] = Math.floor(x[i]);
  },
});

const ceilOp = defineUnary('ceil', Math.ceil, zeroGrad, {
  keepsInt: true,
  saves: 'none',
  kernel: (x, out) => {
    for (let i = 0; i < x.length; i++) out[i] = Math.ceil(x[i]);
  },
});

const roundOp = defineUnary('round', roundHalfEven, zeroGrad, {
  keepsInt: true,
  saves: 'none',
  kernel: (x, out) => {
    for (let i = 0; i < x.length; i++) out[i] = roundHalfEven(x[i]);
  },
});

const truncOp = defineUnary('trunc', Math.trunc, zeroGrad, {
  keepsInt: true,
  saves: 'none',
  kernel: (x, out) => {
    for (let i = 0; i < x.length; i++) out[i] = Math.trunc(x[i]);
  },
});

/**
 * The kernel of `round` with decimals: PyTorch's `nearbyint(x·10^d) / 10^d` (or `nearbyint(x / 10^-d)·10^-d`
 * for negative `d`), every step rounded to the stored dtype as PyTorch computes it in that dtype.
 */
function roundDecimalsKernel(x: TypedArray, out: TypedArray, decimals: number): void {
  const fr = roundingOf(out);
  // NOTE: the power of ten parsed from its decimal form is correctly rounded (10 ** 23 is not, in V8).
  const scale = fr(Number(`1e${Math.abs(decimals)}`));
  if (decimals > 0) for (let i = 0; i < x.length; i++) out[i] = roundHalfEven(fr(x[i] * scale)) / scale;
  else for (let i = 0; i < x.length; i++) out[i] = roundHalfEven(fr(x[i] / scale)) * scale;
}

const roundDecimalsOp = registerOp<number>({
  name: 'roundDecimals',
  saves: { inputs: [], output: false },
  forward: ([x], decimals) => {
    const out = allocate(x.dtype, x.size, false); // the kernel writes every element
    resolveKernel('roundDecimals', roundDecimalsKernel)(x._array, out, decimals);
    return new Tensor(out, x.shape, x.dtype);
  },
  backward: (g) => [zerosLike(g)],
});

/** Options of {@link round}. */
export interface RoundOptions {
  /** The number of decimal places to round to (default 0); negative rounds to tens, hundreds, ... */
  decimals?: number;
}

const ROUND_OPTIONS = optionNames<RoundOptions>({ decimals: true });

/**
 * Elementwise largest integer not greater than `x`, like `torch.floor`. A float tensor keeps its dtype;
 * an int32 tensor comes back unchanged (a copy). NaN, ±Infinity and ±0 are returned as they are.
 *
 * Gradient: zero everywhere, as in PyTorch (the jumps at the integers are ignored).
 *
 * @example
 * ```ts
 * floor(tensor([-1.5, -0.5, 0.5, 2])).toArray(); // [-2, -1, 0, 2]
 * ```
 */
export function floor(x: Tensor): Tensor {
  return floorOp(x);
}

/**
 * Elementwise smallest integer not less than `x`, like `torch.ceil`. A float tensor keeps its dtype; an
 * int32 tensor comes back unchanged. A value in (-1, 0) gives -0, as C's `ceil` does.
 *
 * Gradient: zero everywhere, as in PyTorch.
 *
 * @example
 * ```ts
 * ceil(tensor([-1.5, 0.2, 3])).toArray(); // [-1, 1, 3]
 * ```
 */
export function ceil(x: Tensor): Tensor {
  return ceilOp(x);
}

/**
 * Elementwise rounding to the nearest integer with ties to even ("banker's rounding"), like
 * `torch.round`: 0.5 and -0.5 go to ±0, 1.5 and 2.5 both go to 2. This differs from `Math.round`, which
 * sends every tie up. A float tensor keeps its dtype; an int32 tensor comes back unchanged.
 *
 * With `decimals`, rounds to that many decimal places as `torch.round(x, decimals=d)` does:
 * `round(x·10^d) / 10^d` in the tensor's dtype (negative `d`: `round(x / 10^-d)·10^-d`), so the result is
 * the nearest float to a rounded decimal, not always the decimal itself (`0.125` to 2 places gives 0.12,
 * a tie). Float tensors only, as in PyTorch.
 *
 * Gradient: zero everywhere, as in PyTorch.
 *
 * @example
 * ```ts
 * round(tensor([0.5, 1.5, 2.5, -2.5, 2.6])).toArray(); // [0, 2, 2, -2, 3]
 * round(tensor([1.2345, 1250], { dtype: 'float64' }), { decimals: 2 }).toArray(); // [1.23, 1250]
 * round(tensor([1250, 1350], { dtype: 'float64' }), { decimals: -2 }).toArray(); // [1200, 1400]
 * ```
 */
export function round(x: Tensor, options: RoundOptions = {}): Tensor {
  checkOptions('round', options, ROUND_OPTIONS);
  const { decimals = 0 } = options;
  if (!Number.isInteger(decimals)) throw new ValueError(`round: decimals must be an integer, got ${decimals}`);
  if (decimals === 0) return roundOp(x);
  if (!(x instanceof Tensor)) throw new DTypeError(`round: x must be a Tensor, got ${typeof x}`);
  if (!isFloatingDType(x.dtype))
    throw new DTypeError(`round: decimals need a float tensor (as in PyTorch), got ${x.dtype} x`);
  return roundDecimalsOp([x], decimals);
}

/**
 * Elementwise rounding toward zero (the integer part), like `torch.trunc`. A float tensor keeps its dtype;
 * an int32 tensor comes back unchanged. A value in (-1, 0) gives -0.
 *
 * Gradient: zero everywhere, as in PyTorch.
 *
 * @example
 * ```ts
 * trunc(tensor([-2.7, -0.5, 1.9])).toArray(); // [-2, -0, 1]
 * ```
 */
export function trunc(x: Tensor): Tensor {
  return truncOp(x);
}
