import {
  add,
  clamp,
  DTypeError,
  div,
  elu,
  gt,
  lt,
  mul,
  reshape,
  ShapeError,
  sigmoid,
  softplus,
  split,
  type Tensor,
  tanh,
  ValueError,
  where,
} from '@nablajs/core';
import { checkFloating, describeShape } from '../functional/check';
import { checkFinite } from '../layers/util';

// The piecewise activations are composed from core ops so that they need no VJP of their own. Where a
// piece is constant (outside hardtanh's band, left of hardswish's ramp), the composite takes its value
// from a detached clamp, so the gradient there is exactly 0 and the kinks follow PyTorch's conventions.

/** SELU's α, PyTorch's constant (Klambauer et al., 2017). */
export const SELU_ALPHA = 1.6732632423543772;
/** SELU's scale λ, PyTorch's constant (Klambauer et al., 2017). */
export const SELU_SCALE = 1.0507009873554805;

/** `x` clamped into `[lo, hi]` where `lo < x < hi` fails, with gradient `1` strictly inside and `0` elsewhere. */
function band(x: Tensor, lo: number, hi: number, inside: Tensor): Tensor {
  return where(inside, x, clamp(x.detach(), lo, hi));
}

/**
 * The hard hyperbolic tangent, like `torch.nn.functional.hardtanh`: `min(max(x, minVal), maxVal)`.
 *
 * Gradient: 1 where `minVal < x < maxVal` and 0 elsewhere, **including at `x = minVal` and `x = maxVal`**
 * (PyTorch's `hardtanh_backward`, which differs from `clamp`'s inclusive gradient).
 *
 * See https://pytorch.org/docs/1.13/generated/torch.nn.functional.hardtanh.html
 *
 * @param minVal - the lower bound (default -1)
 * @param maxVal - the upper bound (default 1); must not be below `minVal`
 *
 * @example
 * ```ts
 * hardtanh(tensor([-2, 0.5, 3], { dtype: 'float64' })).toArray(); // [-1, 0.5, 1]
 * ```
 */
export function hardtanh(x: Tensor, minVal = -1, maxVal = 1): Tensor {
  const fn = 'hardtanh';
  checkFloating(fn, 'input', x);
  checkFinite(fn, 'minVal', minVal);
  checkFinite(fn, 'maxVal', maxVal);
  if (maxVal < minVal) throw new ValueError(`${fn}: maxVal (${maxVal}) must not be below minVal (${minVal})`);
  // NOTE: NaN stays NaN and gets gradient 0, as in PyTorch 1.13's vectorised loop (its scalar loop, used
  // only for the last few elements of a tensor, passes the gradient of a NaN through).
  return band(x, minVal, maxVal, mul(gt(x, minVal), lt(x, maxVal)));
}

/**
 * ReLU capped at 6, like `torch.nn.functional.relu6`: `min(max(0, x), 6)` (PyTorch computes it as
 * `hardtanh(x, 0, 6)`).
 *
 * Gradient: 1 where `0 < x < 6`, 0 elsewhere (so 0 at exactly 0 and at exactly 6).
 *
 * See https://pytorch.org/docs/1.13/generated/torch.nn.functional.relu6.html
 *
 * @example
 * ```ts
 * relu6(tensor([-1, 3, 8], { dtype: 'float64' })).toArray(); // [0, 3, 6]
 * ```
 */
export function relu6(x: Tensor): Tensor {
  checkFloating('relu6', 'input', x);
  return hardtanh(x, 0, 6);
}

/**
 * The hard sigmoid, like `torch.nn.functional.hardsigmoid`: `0` for `x <= -3`, `1` for `x >= 3`,
 * `(x + 3) / 6` in between.
 *
 * Gradient: `1/6` where `-3 < x < 3`, 0 elsewhere (0 at exactly ±3). PyTorch 1.13 uses the float32 value
 * of 1/6 even for float64 tensors (a relative error of 3e-8); nabla uses the exact `1/6`.
 *
 * See https://pytorch.org/docs/1.13/generated/torch.nn.functional.hardsigmoid.html
 *
 * @example
 * ```ts
 * hardsigmoid(tensor([-4, 0, 1.5], { dtype: 'float64' })).toArray(); // [0, 0.5, 0.75]
 * ```
 */
export function hardsigmoid(x: Tensor): Tensor {
  checkFloating('hardsigmoid', 'input', x);
  const inside = mul(gt(x, -3), lt(x, 3));
  const ramp = div(add(x, 3), 6);
  return where(inside, ramp, clamp(ramp.detach(), 0, 1));
}

/**
 * The hard swish, like `torch.nn.functional.hardswish`: `x · min(max(x + 3, 0), 6) / 6`, so 0 for
 * `x <= -3` and `x` for `x >= 3` (Howard et al., 2019, MobileNetV3).
 *
 * Gradient (PyTorch 1.13's vectorised `hardswish_backward`): 0 where `x < -3`, `x/3 + 1/2` where
 * `-3 <= x < 3` (so **-1/2 at exactly -3**), 1 where `x >= 3`. PyTorch 1.13's scalar loop, which only
 * handles the last few elements of a tensor (fewer than one SIMD vector), gives 3/2 at exactly 3
 * instead (pytorch/pytorch#87778); nabla follows the vectorised path, which handles all the others.
 *
 * See https://pytorch.org/docs/1.13/generated/torch.nn.functional.hardswish.html
 *
 * @example
 * ```ts
 * hardswish(tensor([-4, 1, 4], { dtype: 'float64' })).toArray(); // [0, 0.6666666666666666, 4]
 * ```
 */
export function hardswish(x: Tensor): Tensor {
  checkFloating('hardswish', 'input', x);
  const ramp = div(mul(x, add(x, 3)), 6);
  return where(lt(x, -3), mul(x.detach(), 0), where(lt(x, 3), ramp, x));
}

/**
 * Mish, like `torch.nn.functional.mish`: `x · tanh(softplus(x))` (Misra, 2019).
 *
 * Gradient: `tanh(sp) + x · σ(x) · (1 - tanh²(sp))` with `sp = softplus(x)`.
 *
 * See https://pytorch.org/docs/1.13/generated/torch.nn.functional.mish.html
 *
 * @example
 * ```ts
 * mish(tensor([0, 1], { dtype: 'float64' })).toArray(); // [0, 0.8650983882673103]
 * ```
 */
export function mish(x: Tensor): Tensor {
  checkFloating('mish', 'input', x);
  return mul(x, tanh(softplus(x)));
}

/**
 * The scaled exponential linear unit, like `torch.nn.functional.selu`:
 * `scale · (max(0, x) + min(0, α (eᵡ - 1)))` with PyTorch's constants `α = 1.6732632423543772848170429916717`
 * and `scale = 1.0507009873554804934193349852946` (Klambauer et al., 2017).
 *
 * Gradient: `scale` where `x > 0`, `scale · α · eᵡ` elsewhere (so `scale · α` at 0, as in PyTorch).
 *
 * See https://pytorch.org/docs/1.13/generated/torch.nn.functional.selu.html
 *
 * @example
 * ```ts
 * selu(tensor([-1, 1], { dtype: 'float64' })).toArray(); // [-1.1113307378125625, 1.0507009873554805]
 * ```
 */
export function selu(x: Tensor): Tensor {
  checkFloating('selu', 'input', x);
  return mul(elu(x, SELU_ALPHA), SELU_SCALE);
}

/**
 * The continuously differentiable ELU, like `torch.nn.functional.celu`:
 * `max(0, x) + min(0, α (exp(x/α) - 1))` (Barron, 2017).
 *
 * Gradient: 1 where `x > 0`, `exp(x/α)` elsewhere (1 at 0).
 *
 * See https://pytorch.org/docs/1.13/generated/torch.nn.functional.celu.html
 *
 * @param alpha - α (default 1); must not be 0
 *
 * @example
 * ```ts
 * celu(tensor([-1, 2], { dtype: 'float64' }), 2).toArray(); // [-0.786938680574733, 2]
 * ```
 */
export function celu(x: Tensor, alpha = 1): Tensor {
  const fn = 'celu';
  checkFloating(fn, 'input', x);
  checkFinite(fn, 'alpha', alpha);
  if (alpha === 0) throw new ValueError(`${fn}: alpha must not be 0 (it divides the input), got 0`);
  if (alpha === 1) return elu(x, 1);
  return mul(elu(mul(x, 1 / alpha), 1), alpha);
}

/**
 * The gated linear unit, like `torch.nn.functional.glu`: `input` is split in half along `dim` into `a`
 * and `b`, and the result is `a ⊗ σ(b)` (Dauphin et al., 2017), half as long along `dim`.
 *
 * See https://pytorch.org/docs/1.13/generated/torch.nn.functional.glu.html
 *
 * @param dim - the axis to halve (default -1); its size must be even
 *
 * @example
 * ```ts
 * glu(tensor([[1, 2, 0, 0]], { dtype: 'float64' })).toArray(); // [[0.5, 1]]
 * ```
 */
export function glu(x: Tensor, dim = -1): Tensor {
  const fn = 'glu';
  checkFloating(fn, 'input', x);
  if (x.ndim === 0) throw new ShapeError(`${fn}: input must have at least one dimension to halve, got a 0-d tensor`);
  if (!Number.isInteger(dim) || dim < -x.ndim || dim >= x.ndim)
    throw new ValueError(
      `${fn}: dim must be an integer in [${-x.ndim}, ${x.ndim}) for input of shape ${describeShape(x.shape)}, got ${dim}`,
    );
  const axis = dim < 0 ? dim + x.ndim : dim;
  const size = x.shape[axis];
  if (size % 2 !== 0)
    throw new ShapeError(
      `${fn}: the halved dimension must have an even size, but dimension ${axis} of input shape ${describeShape(x.shape)} has size ${size}`,
    );
  const [a, b] = split(x, size / 2, axis);
  return mul(a, sigmoid(b));
}

/**
 * The parametric ReLU, like `torch.nn.functional.prelu`: `x` where `x > 0`, `weight · x` elsewhere.
 * `weight` is 1-D with one element (shared) or one per channel, the channel being dimension 1 of the
 * input (an input with fewer than 2 dimensions has one channel).
 *
 * Gradient: 1 where `x > 0`, `weight` elsewhere (so `weight` at 0); the weight's gradient sums `x · g`
 * over the elements where `x <= 0`.
 *
 * See https://pytorch.org/docs/1.13/generated/torch.nn.functional.prelu.html
 *
 * @example
 * ```ts
 * prelu(tensor([-2, 3], { dtype: 'float64' }), tensor([0.25], { dtype: 'float64' })).toArray(); // [-0.5, 3]
 * ```
 */
export function prelu(x: Tensor, weight: Tensor): Tensor {
  const fn = 'prelu';
  checkFloating(fn, 'input', x);
  checkFloating(fn, 'weight', weight);
  if (weight.dtype !== x.dtype)
    throw new DTypeError(`${fn}: weight is ${weight.dtype} but input is ${x.dtype}; they must match`);
  if (weight.ndim !== 1)
    throw new ShapeError(`${fn}: weight must be 1-D [numParameters], got shape ${describeShape(weight.shape)}`);
  const channels = x.ndim >= 2 ? x.shape[1] : 1;
  const n = weight.shape[0];
  if (n !== 1 && n !== channels)
    throw new ShapeError(
      `${fn}: weight has ${n} parameters but input of shape ${describeShape(x.shape)} has ${channels} channel(s) (dimension 1); they must match, or weight must have 1`,
    );
  const shape = x.shape.map((d, i) => (i === 1 && n !== 1 ? d : 1));
  return where(gt(x, 0), x, mul(reshape(weight, shape), x));
}
