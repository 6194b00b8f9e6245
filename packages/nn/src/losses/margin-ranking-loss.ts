import { add, checkOptions, clamp, mul, neg, optionNames, sub, type Tensor } from '@nablajs/core';
import { checkFloating, checkSameShape, checkTensor } from '../functional/check';
import { checkMargin, checkSignLabels } from './pairwise';
import { applyReduction, checkReduction, REDUCTION_OPTIONS, type ReductionOptions } from './reduction';

/**
 * Options of {@link marginRankingLoss}.
 *
 * @example
 * ```ts
 * const options: MarginRankingLossOptions = { margin: 1 };
 * ```
 */
export interface MarginRankingLossOptions extends ReductionOptions {
  /** How far ahead the preferred input must be to cost nothing (default 0). */
  margin?: number;
}

/** The option names of the loss, for core's `checkOptions` (shared with its module class). */
export const MARGIN_RANKING_LOSS_OPTIONS = [
  ...REDUCTION_OPTIONS,
  ...optionNames<Omit<MarginRankingLossOptions, 'reduction'>>({ margin: true }),
];

/**
 * The margin ranking loss of scores `x1`, `x2` and labels `y = ±1` (1: `x1` should rank higher), like
 * `torch.nn.functional.margin_ranking_loss`: `ℓᵢ = max(0, -yᵢ (x1ᵢ - x2ᵢ) + margin)`. The three
 * tensors must have the same shape and `y` may only hold 1 and -1 (a `ValueError`; on the webgpu backend,
 * for labels on the GPU, thrown when a value is next awaited). Gradients flow to `x1` and `x2`
 * (and to a float `y` that requires one); at the hinge the gradient is 1, as with PyTorch's `clamp_min`.
 *
 * See https://pytorch.org/docs/stable/generated/torch.nn.MarginRankingLoss.html
 *
 * @example
 * ```ts
 * marginRankingLoss(tensor([3, 1]), tensor([1, 2]), tensor([1, 1]), { reduction: 'none', margin: 0.5 }).toArray();
 * // [0, 1.5]
 * ```
 */
export function marginRankingLoss(x1: Tensor, x2: Tensor, y: Tensor, options: MarginRankingLossOptions = {}): Tensor {
  const fn = 'marginRankingLoss';
  checkOptions(fn, options, MARGIN_RANKING_LOSS_OPTIONS);
  const reduction = checkReduction(fn, options.reduction);
  const margin = checkMargin(fn, options.margin ?? 0);
  checkFloating(fn, 'x1', x1);
  checkFloating(fn, 'x2', x2);
  checkTensor(fn, 'y', y);
  checkSameShape(fn, x1, x2, ['x1', 'x2']);
  checkSameShape(fn, x1, y, ['x1', 'y']);
  checkSignLabels(fn, y);
  const loss = clamp(add(mul(neg(y), sub(x1, x2)), margin), 0);
  return applyReduction(loss, reduction);
}
