import { checkOptions, clamp, eq, optionNames, sub, type Tensor, where } from '@nablajs/core';
import { checkFloating, checkSameShape, checkTensor } from '../functional/check';
import { checkMargin, checkSignLabels } from './pairwise';
import { applyReduction, checkReduction, REDUCTION_OPTIONS, type ReductionOptions } from './reduction';

/**
 * Options of {@link hingeEmbeddingLoss}.
 *
 * @example
 * ```ts
 * const options: HingeEmbeddingLossOptions = { margin: 2 };
 * ```
 */
export interface HingeEmbeddingLossOptions extends ReductionOptions {
  /** The distance beyond which dissimilar pairs (`y = -1`) cost nothing (default 1). */
  margin?: number;
}

/** The option names of the loss, for core's `checkOptions` (shared with its module class). */
export const HINGE_EMBEDDING_LOSS_OPTIONS = [
  ...REDUCTION_OPTIONS,
  ...optionNames<Omit<HingeEmbeddingLossOptions, 'reduction'>>({ margin: true }),
];

/**
 * The hinge embedding loss of distances `input` and labels `y = ±1`, like
 * `torch.nn.functional.hinge_embedding_loss`: `ℓᵢ = xᵢ` where `yᵢ = 1` and `max(0, margin - xᵢ)` where
 * `yᵢ = -1`. `input` and `y` must have the same shape and `y` may only hold 1 and -1 (a `ValueError`;
 * on the webgpu backend, for labels on the GPU, thrown when a value is next awaited).
 *
 * See https://pytorch.org/docs/stable/generated/torch.nn.HingeEmbeddingLoss.html
 *
 * @example
 * ```ts
 * hingeEmbeddingLoss(tensor([0.3, 0.4, 2]), tensor([1, -1, -1]), { reduction: 'none' }).toArray();
 * // [0.3, 0.6, 0]
 * ```
 */
export function hingeEmbeddingLoss(input: Tensor, y: Tensor, options: HingeEmbeddingLossOptions = {}): Tensor {
  const fn = 'hingeEmbeddingLoss';
  checkOptions(fn, options, HINGE_EMBEDDING_LOSS_OPTIONS);
  const reduction = checkReduction(fn, options.reduction);
  const margin = checkMargin(fn, options.margin ?? 1);
  checkFloating(fn, 'input', input);
  checkTensor(fn, 'y', y);
  checkSameShape(fn, input, y, ['input', 'y']);
  checkSignLabels(fn, y);
  const loss = where(eq(y, 1), input, clamp(sub(margin, input), 0));
  return applyReduction(loss, reduction);
}
