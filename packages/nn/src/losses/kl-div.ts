import { checkOptions, div, eq, exp, log, mul, optionNames, sub, sum, type Tensor, where } from '@nablajs/core';
import { checkFloating, checkSameShape } from '../functional/check';
import { applyReduction, checkReduction, type Reduction } from './reduction';

/**
 * Options of {@link klDiv}.
 *
 * @example
 * ```ts
 * const options: KLDivOptions = { reduction: 'batchmean', logTarget: true };
 * ```
 */
export interface KLDivOptions {
  /**
   * `'mean'` (default: the mean over every element, as PyTorch's default does), `'batchmean'` (the sum
   * divided by the batch size, the true KL divergence per sample), `'sum'` or `'none'`.
   */
  reduction?: Reduction | 'batchmean';
  /** Whether `target` holds log-probabilities rather than probabilities (default false). */
  logTarget?: boolean;
}

/** The option names of the loss, for core's `checkOptions` (shared with its module class). */
export const KL_DIV_OPTIONS = optionNames<KLDivOptions>({ reduction: true, logTarget: true });

/**
 * The Kullback-Leibler divergence loss of log-probabilities `input` against `target`, like
 * `torch.nn.functional.kl_div`: `ℓᵢ = yᵢ (log yᵢ - xᵢ)` with `0 · log 0 = 0`, or with `logTarget`,
 * `ℓᵢ = e^{yᵢ} (yᵢ - xᵢ)`. Use `reduction: 'batchmean'` for the mathematical KL(y ‖ e^x) averaged over
 * the batch (dimension 0). The shapes must be equal; both arguments get gradients.
 *
 * Where a probability target is 0 (without `logTarget`), the gradient with respect to the target is
 * `-xᵢ`, finite, as if `d/dy (y log y)` were 0 there: the true derivative `log y + 1` is -∞, and PyTorch
 * 1.13 gives NaN. The value (0) and the gradient with respect to `input` (0) are PyTorch's.
 *
 * See https://pytorch.org/docs/stable/generated/torch.nn.KLDivLoss.html
 *
 * @example
 * ```ts
 * const logq = logSoftmax(tensor([[1, 2, 3]]), 1);
 * klDiv(logq, tensor([[0.2, 0.3, 0.5]]), { reduction: 'batchmean' }); // KL(p ‖ q), about 0.0780
 * ```
 */
export function klDiv(input: Tensor, target: Tensor, options: KLDivOptions = {}): Tensor {
  checkOptions('klDiv', options, KL_DIV_OPTIONS);
  const reduction = checkReduction<Reduction | 'batchmean'>('klDiv', options.reduction, [
    'mean',
    'batchmean',
    'sum',
    'none',
  ]);
  checkFloating('klDiv', 'input', input);
  checkFloating('klDiv', 'target', target);
  checkSameShape('klDiv', input, target);
  let loss: Tensor;
  if (options.logTarget) {
    loss = mul(exp(target), sub(target, input));
  } else {
    // NOTE: log(1) at y = 0 makes y·log y exactly 0 there, with a finite target gradient (-x) instead of
    // 0·(-∞) = NaN (PyTorch's); see the TSDoc.
    const safe = where(eq(target, 0), 1, target);
    loss = sub(mul(target, log(safe)), mul(target, input));
  }
  if (reduction === 'batchmean') return input.ndim === 0 ? sum(loss) : div(sum(loss), input.shape[0]);
  return applyReduction(loss, reduction);
}
