import {
  add,
  checkOptions,
  clamp,
  div,
  log,
  mul,
  optionNames,
  runOnHost,
  ShapeError,
  square,
  sub,
  type Tensor,
  unsqueeze,
  ValueError,
} from '@nablajs/core';
import { checkFloating, checkSameShape, describeShape, sameShape } from '../functional/check';
import { applyReduction, checkReduction, REDUCTION_OPTIONS, type ReductionOptions } from '../losses/reduction';
import { checkBoolean, checkFiniteNumber } from './loss-checks';

/**
 * Options of {@link gaussianNllLoss}.
 *
 * @example
 * ```ts
 * const options: GaussianNLLLossOptions = { full: true, eps: 1e-4 };
 * ```
 */
export interface GaussianNLLLossOptions extends ReductionOptions {
  /** Whether to add the constant `½ log(2π)` (default false). */
  full?: boolean;
  /** The variance is clamped to at least `eps`, without gradient (default 1e-6). */
  eps?: number;
}

/** The option names of the loss, for core's `checkOptions` (shared with its module class). */
export const GAUSSIAN_NLL_LOSS_OPTIONS = [
  ...REDUCTION_OPTIONS,
  ...optionNames<Omit<GaussianNLLLossOptions, 'reduction'>>({ full: true, eps: true }),
];

/**
 * The Gaussian negative log-likelihood of `target` under means `input` and variances `var`, like
 * `torch.nn.functional.gaussian_nll_loss`: `ℓᵢ = ½ (log max(varᵢ, eps) + (xᵢ - yᵢ)² / max(varᵢ, eps))`,
 * plus `½ log(2π)` when `full`. Defaults: `full` false, `eps` 1e-6, `reduction` `'mean'`.
 *
 * `var` has the input's shape (heteroscedastic), or the input's shape without its last dimension or
 * with a last dimension of 1 (one variance shared along the last dimension). As in PyTorch 1.13, the
 * clamp to `eps` is applied without gradient: the variance's gradient is computed at the clamped value
 * and passed through unchanged where it was clamped. A negative variance is an error (a `ValueError`; on
 * the webgpu backend, for a variance on the GPU, thrown when a value is next awaited); `target` must
 * have the input's shape.
 *
 * See https://pytorch.org/docs/1.13/generated/torch.nn.GaussianNLLLoss.html
 *
 * @example
 * ```ts
 * gaussianNllLoss(tensor([0, 1]), tensor([1, 1]), tensor([1, 1])).item(); // 0.25
 * ```
 */
export function gaussianNllLoss(
  input: Tensor,
  target: Tensor,
  variance: Tensor,
  options: GaussianNLLLossOptions = {},
): Tensor {
  const fn = 'gaussianNllLoss';
  checkOptions(fn, options, GAUSSIAN_NLL_LOSS_OPTIONS);
  const reduction = checkReduction(fn, options.reduction);
  const full = checkBoolean(fn, 'full', options.full ?? false);
  const eps = checkFiniteNumber(fn, 'eps', options.eps ?? 1e-6);
  checkFloating(fn, 'input', input);
  checkFloating(fn, 'target', target);
  checkFloating(fn, 'var', variance);
  checkSameShape(fn, input, target);
  let v = variance;
  if (!sameShape(variance.shape, input.shape)) {
    const lead = input.shape.slice(0, -1);
    if (input.ndim > 0 && sameShape(variance.shape, lead)) v = unsqueeze(variance, -1);
    else if (
      !(
        input.ndim > 0 &&
        variance.ndim === input.ndim &&
        sameShape(variance.shape.slice(0, -1), lead) &&
        variance.shape[variance.ndim - 1] === 1
      )
    )
      throw new ShapeError(
        `${fn}: var of shape ${describeShape(variance.shape)} does not fit input of shape ${describeShape(input.shape)}; it must have the input's shape, the input's shape without the last dimension, or a last dimension of 1`,
      );
  }
  // Checked where the values are (see runOnHost): on the webgpu backend, for a variance on the GPU, when a
  // value is next awaited.
  const variances = variance._array;
  runOnHost([variances], [], () => {
    for (let i = 0; i < variances.length; i++)
      if (variances[i] < 0)
        throw new ValueError(`${fn}: var must be non-negative, got ${variances[i]} at flat index ${i}`);
  });
  // NOTE: PyTorch clamps a clone of var in place under no_grad, so the clamp is invisible to autograd:
  // (v - v) is exactly 0 and carries the identity gradient, the detached clamp carries the value.
  const clamped = add(sub(v, v.detach()), clamp(v.detach(), eps));
  let loss = mul(add(log(clamped), div(square(sub(input, target)), clamped)), 0.5);
  if (full) loss = add(loss, 0.5 * Math.log(2 * Math.PI));
  return applyReduction(loss, reduction);
}
