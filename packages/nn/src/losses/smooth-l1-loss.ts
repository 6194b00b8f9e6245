import { abs, checkOptions, gt, lt, mul, optionNames, square, sub, type Tensor, where } from '@nablajs/core';
import { checkFloating, checkNumberIn, checkPositive, checkSameShape } from '../functional/check';
import { applyReduction, checkReduction, REDUCTION_OPTIONS, type ReductionOptions } from './reduction';

/**
 * Options of {@link smoothL1Loss}.
 *
 * @example
 * ```ts
 * const options: SmoothL1LossOptions = { beta: 0.5 };
 * ```
 */
export interface SmoothL1LossOptions extends ReductionOptions {
  /** Where the loss changes from quadratic to linear (default 1, must be >= 0; 0 gives the L1 loss). */
  beta?: number;
}

/**
 * Options of {@link huberLoss}.
 *
 * @example
 * ```ts
 * const options: HuberLossOptions = { delta: 2, reduction: 'none' };
 * ```
 */
export interface HuberLossOptions extends ReductionOptions {
  /** Where the loss changes from quadratic to linear (default 1, must be > 0). */
  delta?: number;
}

/** The option names of the loss, for core's `checkOptions` (shared with its module class). */
export const SMOOTH_L1_LOSS_OPTIONS = [
  ...REDUCTION_OPTIONS,
  ...optionNames<Omit<SmoothL1LossOptions, 'reduction'>>({ beta: true }),
];
/** The option names of the loss, for core's `checkOptions` (shared with its module class). */
export const HUBER_LOSS_OPTIONS = [
  ...REDUCTION_OPTIONS,
  ...optionNames<Omit<HuberLossOptions, 'reduction'>>({ delta: true }),
];

function checkPair(fn: string, input: Tensor, target: Tensor): Tensor {
  checkFloating(fn, 'input', input);
  checkFloating(fn, 'target', target);
  checkSameShape(fn, input, target);
  return sub(input, target);
}

/**
 * The smooth L1 loss, like `torch.nn.functional.smooth_l1_loss`: with `d = x - y`,
 * `ℓ = 0.5 d² / β` where `|d| < β` and `|d| - 0.5 β` elsewhere, then reduced. `β = 0` is the L1 loss.
 * It equals {@link huberLoss} divided by `β`. The shapes must be equal.
 *
 * With `β = 0` the loss is computed as `l1Loss`, values and gradients: where `input == target` the
 * gradient is 0 (the subgradient `sign(0)`), as PyTorch's `l1_loss` gives. PyTorch 1.13's `smooth_l1_loss`
 * kernel gives -1 there instead (+1 for the target), the same value with another subgradient; nabla keeps 0.
 *
 * See https://pytorch.org/docs/stable/generated/torch.nn.SmoothL1Loss.html
 *
 * @example
 * ```ts
 * smoothL1Loss(tensor([0.5, 3]), tensor([0, 0]), { reduction: 'none' }).toArray(); // [0.125, 2.5]
 * ```
 */
export function smoothL1Loss(input: Tensor, target: Tensor, options: SmoothL1LossOptions = {}): Tensor {
  checkOptions('smoothL1Loss', options, SMOOTH_L1_LOSS_OPTIONS);
  const reduction = checkReduction('smoothL1Loss', options.reduction);
  const beta = checkNumberIn('smoothL1Loss', 'beta', options.beta ?? 1, 0, Number.POSITIVE_INFINITY);
  const d = checkPair('smoothL1Loss', input, target);
  const a = abs(d);
  // NOTE: with beta = 0 the quadratic branch would divide by zero, and its NaN gradient would leak
  // through `where`: compute the plain L1 loss. PyTorch's value is the L1 loss there too, but not its
  // gradient at d = 0: its smooth_l1_loss backward gives -1 where abs's gives 0 (kept, see the TSDoc).
  if (beta === 0) return applyReduction(a, reduction);
  const loss = where(lt(a, beta), mul(square(d), 0.5 / beta), sub(a, 0.5 * beta));
  return applyReduction(loss, reduction);
}

/**
 * The Huber loss, like `torch.nn.functional.huber_loss`: with `d = x - y`, `ℓ = 0.5 d²` where
 * `|d| <= δ` and `δ (|d| - 0.5 δ)` elsewhere, then reduced. `huberLoss(δ) = δ · smoothL1Loss(β = δ)`.
 * The shapes must be equal.
 *
 * See https://pytorch.org/docs/stable/generated/torch.nn.HuberLoss.html
 *
 * @example
 * ```ts
 * huberLoss(tensor([0.5, 3]), tensor([0, 0]), { reduction: 'none', delta: 2 }).toArray(); // [0.125, 4]
 * ```
 */
export function huberLoss(input: Tensor, target: Tensor, options: HuberLossOptions = {}): Tensor {
  checkOptions('huberLoss', options, HUBER_LOSS_OPTIONS);
  const reduction = checkReduction('huberLoss', options.reduction);
  const delta = checkPositive('huberLoss', 'delta', options.delta ?? 1);
  const d = checkPair('huberLoss', input, target);
  const a = abs(d);
  const loss = where(gt(a, delta), mul(sub(a, 0.5 * delta), delta), mul(square(d), 0.5));
  return applyReduction(loss, reduction);
}
