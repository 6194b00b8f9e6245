import { add, checkOptions, exp, le, log, mul, optionNames, sub, type Tensor, where } from '@nablajs/core';
import { checkFloating, checkSameShape } from '../functional/check';
import { applyReduction, checkReduction, REDUCTION_OPTIONS, type ReductionOptions } from '../losses/reduction';
import { checkBoolean, checkFiniteNumber } from './loss-checks';

/**
 * Options of {@link poissonNllLoss}.
 *
 * @example
 * ```ts
 * const options: PoissonNLLLossOptions = { logInput: false, full: true };
 * ```
 */
export interface PoissonNLLLossOptions extends ReductionOptions {
  /** Whether `input` is the log of the rate (default true). */
  logInput?: boolean;
  /** Whether to add the Stirling term of `log(target!)` (default false). */
  full?: boolean;
  /** Added to the rate inside the log when `logInput` is false (default 1e-8). */
  eps?: number;
}

/** The option names of the loss, for core's `checkOptions` (shared with its module class). */
export const POISSON_NLL_LOSS_OPTIONS = [
  ...REDUCTION_OPTIONS,
  ...optionNames<Omit<PoissonNLLLossOptions, 'reduction'>>({ logInput: true, full: true, eps: true }),
];

/**
 * The Poisson negative log-likelihood of counts `target` under rates given by `input`, like
 * `torch.nn.functional.poisson_nll_loss`: `ℓᵢ = exp(xᵢ) - yᵢ xᵢ` when `logInput` (the default), else
 * `ℓᵢ = xᵢ - yᵢ log(xᵢ + eps)`; with `full`, the Stirling approximation of `log(yᵢ!)`,
 * `yᵢ log yᵢ - yᵢ + ½ log(2π yᵢ)`, is added where `yᵢ > 1`. `input` and `target` must have the same
 * shape. Defaults: `logInput` true, `full` false, `eps` 1e-8, `reduction` `'mean'`.
 *
 * See https://pytorch.org/docs/1.13/generated/torch.nn.PoissonNLLLoss.html
 *
 * @example
 * ```ts
 * poissonNllLoss(tensor([0, 1]), tensor([1, 2]), { reduction: 'none' }).toArray(); // [1, 0.718...]
 * ```
 */
export function poissonNllLoss(input: Tensor, target: Tensor, options: PoissonNLLLossOptions = {}): Tensor {
  const fn = 'poissonNllLoss';
  checkOptions(fn, options, POISSON_NLL_LOSS_OPTIONS);
  const reduction = checkReduction(fn, options.reduction);
  const logInput = checkBoolean(fn, 'logInput', options.logInput ?? true);
  const full = checkBoolean(fn, 'full', options.full ?? false);
  const eps = checkFiniteNumber(fn, 'eps', options.eps ?? 1e-8);
  checkFloating(fn, 'input', input);
  checkFloating(fn, 'target', target);
  checkSameShape(fn, input, target);
  let loss = logInput ? sub(exp(input), mul(target, input)) : sub(input, mul(target, log(add(input, eps))));
  if (full) {
    const stirling = add(sub(mul(target, log(target)), target), mul(log(mul(target, 2 * Math.PI)), 0.5));
    loss = add(loss, where(le(target, 1), 0, stirling));
  }
  return applyReduction(loss, reduction);
}
