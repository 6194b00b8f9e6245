import {
  abs,
  add,
  allocate,
  defaultGenerator,
  div,
  type Generator,
  ge,
  gt,
  isHalfDType,
  le,
  leakyRelu,
  lt,
  mul,
  neg,
  softmax,
  sub,
  Tensor,
  tanh,
  ValueError,
  where,
} from '@nablajs/core';
import { checkFloating, describeShape } from '../functional/check';
import { checkFinite } from '../layers/util';

// These activations are composed from core ops, so autograd needs no VJP of their own and gradients of
// gradients work. Each piecewise one picks its masks so that the kinks (and NaN) follow PyTorch 1.13's
// vectorised CPU kernels, which handle every element of a tensor but the last few.

/** Check that `value` is a number other than NaN (infinities allowed, as PyTorch's scalars allow them). */
function checkNotNaN(fn: string, arg: string, value: unknown): number {
  if (typeof value !== 'number' || Number.isNaN(value))
    throw new ValueError(`${fn}: ${arg} must be a number (not NaN), got ${JSON.stringify(value) ?? String(value)}`);
  return value;
}

/** Check that `dim` is an integer axis of `x` (a 0-d tensor has the axes 0 and -1, as in PyTorch). */
function checkDim(fn: string, x: Tensor, dim: unknown): number {
  const n = Math.max(x.ndim, 1);
  if (typeof dim !== 'number' || !Number.isInteger(dim) || dim < -n || dim >= n)
    throw new ValueError(
      `${fn}: dim must be an integer in [${-n}, ${n}) for input of shape ${describeShape(x.shape)}, got ${JSON.stringify(dim) ?? String(dim)}`,
    );
  return dim;
}

/**
 * Softmin along `dim`, like `torch.nn.functional.softmin`: `exp(-x_i) / Σ_j exp(-x_j)`, that is
 * `softmax(-x, dim)` (stable for large inputs). Unlike PyTorch there is no implicit `dim`: it is required.
 *
 * See https://pytorch.org/docs/1.13/generated/torch.nn.functional.softmin.html
 *
 * @param dim - the axis that sums to 1, negative from the end
 *
 * @example
 * ```ts
 * softmin(tensor([0, Math.log(3)], { dtype: 'float64' }), 0).toArray(); // [0.75, 0.25]
 * ```
 */
export function softmin(x: Tensor, dim: number): Tensor {
  const fn = 'softmin';
  checkFloating(fn, 'input', x);
  const axis = checkDim(fn, x, dim);
  return softmax(neg(x), x.ndim === 0 ? -1 : axis);
}

/**
 * Softsign, like `torch.nn.functional.softsign`: `x / (1 + |x|)`.
 *
 * Gradient: `1 / (1 + |x|)²` (1 at 0).
 *
 * See https://pytorch.org/docs/1.13/generated/torch.nn.functional.softsign.html
 *
 * @example
 * ```ts
 * softsign(tensor([-3, 0, 1], { dtype: 'float64' })).toArray(); // [-0.75, 0, 0.5]
 * ```
 */
export function softsign(x: Tensor): Tensor {
  checkFloating('softsign', 'input', x);
  return div(x, add(abs(x), 1));
}

/**
 * Threshold, like `torch.nn.functional.threshold`: `x` where `x > threshold`, `value` elsewhere. For a
 * float32 input, `threshold` and `value` are rounded to float32 first, as in PyTorch.
 *
 * Gradient: 1 where `x > threshold`, 0 elsewhere (**0 at exactly `threshold`**); a NaN input stays NaN
 * and passes its gradient through, as in PyTorch.
 *
 * See https://pytorch.org/docs/1.13/generated/torch.nn.functional.threshold.html
 *
 * @param threshold - the value to compare with (infinities allowed)
 * @param value - the replacement at or below the threshold (infinities allowed)
 *
 * @example
 * ```ts
 * threshold(tensor([-1, 0.5, 2], { dtype: 'float64' }), 0.5, -10).toArray(); // [-10, -10, 2]
 * ```
 */
export function threshold(x: Tensor, threshold: number, value: number): Tensor {
  const fn = 'threshold';
  checkFloating(fn, 'input', x);
  checkNotNaN(fn, 'threshold', threshold);
  checkNotNaN(fn, 'value', value);
  return where(le(x, threshold), value, x);
}

/**
 * The hard shrinkage, like `torch.nn.functional.hardshrink`: `x` where `|x| > lambd`, 0 where
 * `-lambd <= x <= lambd`. A negative `lambd` gives the identity, as in PyTorch.
 *
 * Gradient: 1 where `x > lambd` or `x < -lambd`, 0 elsewhere (**0 at exactly ±lambd**).
 *
 * See https://pytorch.org/docs/1.13/generated/torch.nn.functional.hardshrink.html
 *
 * @param lambd - the half-width of the zeroed band (default 0.5)
 *
 * @example
 * ```ts
 * hardshrink(tensor([-1, 0.5, 0.2, 0.7], { dtype: 'float64' })).toArray(); // [-1, 0, 0, 0.7]
 * ```
 */
export function hardshrink(x: Tensor, lambd = 0.5): Tensor {
  const fn = 'hardshrink';
  checkFloating(fn, 'input', x);
  checkFinite(fn, 'lambd', lambd);
  const outside = add(gt(x, lambd), lt(x, -lambd));
  const inside = mul(ge(x, -lambd), le(x, lambd));
  // NOTE: a NaN is neither inside nor outside: it stays NaN with gradient 0 (PyTorch 1.13's vectorised
  // loops; its scalar loop, used only for the last few elements of a tensor, passes the gradient through).
  return where(outside, x, where(inside, 0, x.detach()));
}

/**
 * The soft shrinkage, like `torch.nn.functional.softshrink`: `x - lambd` where `x > lambd`, `x + lambd`
 * where `x < -lambd`, 0 elsewhere.
 *
 * Gradient: 1 where `|x| > lambd`, 0 elsewhere (**0 at exactly ±lambd**). A NaN input gives 0 with
 * gradient 0, as PyTorch 1.13 does (neither comparison holds).
 *
 * See https://pytorch.org/docs/1.13/generated/torch.nn.functional.softshrink.html
 *
 * @param lambd - the half-width of the zeroed band (default 0.5); must be at least 0
 *
 * @example
 * ```ts
 * softshrink(tensor([-1, 0.25, 2], { dtype: 'float64' })).toArray(); // [-0.5, 0, 1.5]
 * ```
 */
export function softshrink(x: Tensor, lambd = 0.5): Tensor {
  const fn = 'softshrink';
  checkFloating(fn, 'input', x);
  checkFinite(fn, 'lambd', lambd);
  if (lambd < 0) throw new ValueError(`${fn}: lambd must be at least 0, got ${lambd}`);
  return where(gt(x, lambd), sub(x, lambd), where(lt(x, -lambd), add(x, lambd), 0));
}

/**
 * Tanhshrink, like `torch.nn.functional.tanhshrink`: `x - tanh(x)`.
 *
 * Gradient: `tanh²(x)` (0 at 0).
 *
 * See https://pytorch.org/docs/1.13/generated/torch.nn.functional.tanhshrink.html
 *
 * @example
 * ```ts
 * tanhshrink(tensor([0, 1], { dtype: 'float64' })).toArray(); // [0, 0.2384058440442351]
 * ```
 */
export function tanhshrink(x: Tensor): Tensor {
  checkFloating('tanhshrink', 'input', x);
  return sub(x, tanh(x));
}

/**
 * The randomized leaky ReLU, like `torch.nn.functional.rrelu` (Xu et al., 2015): `x` where `x > 0`,
 * `a · x` elsewhere. In training, each element gets its own slope `a` drawn uniformly from
 * `[lower, upper]`; otherwise `a = (lower + upper) / 2` for all, which is `leakyRelu`.
 *
 * Gradient: 1 where `x > 0`, the element's slope `a` elsewhere (so `a` at 0). The slopes are drawn for
 * every element (not only the negative ones, as PyTorch does), so the stream of `generator` does not
 * depend on the input's values; the numbers differ from PyTorch's, whose generator differs anyway.
 *
 * See https://pytorch.org/docs/1.13/generated/torch.nn.functional.rrelu.html
 *
 * @param x - the input, float
 * @param lower - the smallest random slope (default 1/8)
 * @param upper - the largest random slope (default 1/3); must not be below `lower`
 * @param training - draw a slope per element (default false, as in PyTorch: the fixed `(lower + upper) / 2`)
 * @param generator - the random stream of the slopes in training (default: core's global generator)
 *
 * @example
 * ```ts
 * rrelu(tensor([-2, 3], { dtype: 'float64' }), 0.1, 0.3).toArray(); // [-0.4, 3]
 * rrelu(randn([8]), 1 / 8, 1 / 3, true, new Generator(0)); // random slopes in [1/8, 1/3]
 * ```
 */
export function rrelu(x: Tensor, lower = 1 / 8, upper = 1 / 3, training = false, generator?: Generator): Tensor {
  const fn = 'rrelu';
  checkFloating(fn, 'input', x);
  checkFinite(fn, 'lower', lower);
  checkFinite(fn, 'upper', upper);
  if (upper < lower) throw new ValueError(`${fn}: upper (${upper}) must not be below lower (${lower})`);
  if (typeof training !== 'boolean')
    throw new ValueError(`${fn}: training must be a boolean, got ${JSON.stringify(training) ?? String(training)}`);
  if (!training) return leakyRelu(x, (lower + upper) / 2);
  const g = generator ?? defaultGenerator();
  // Half-precision inputs (storage types) get float32 slopes, converted to their dtype.
  const drawDType = isHalfDType(x.dtype) ? 'float32' : x.dtype;
  const slopes = allocate(drawDType, x.size, false);
  // NOTE: each slope is computed in double, capped at upper and rounded once to the dtype, so it lies in
  // [lower, upper] as rounded to the dtype.
  for (let i = 0; i < slopes.length; i++) slopes[i] = Math.min(upper, lower + (upper - lower) * g.uniform());
  let a = new Tensor(slopes, x.shape, drawDType);
  if (drawDType !== x.dtype) a = a.to(x.dtype);
  // A NaN input keeps gradient 1 (it is not `<= 0`), as in PyTorch's training kernel.
  return where(le(x, 0), mul(x, a), x);
}
