import { checkOptions, square, sub, type Tensor } from '@nablajs/core';
import { checkFloating, checkSameShape } from '../functional/check';
import { applyReduction, checkReduction, REDUCTION_OPTIONS, type ReductionOptions } from './reduction';

/**
 * The mean squared error between `input` and `target`, like `torch.nn.functional.mse_loss`:
 * `ℓᵢ = (xᵢ - yᵢ)²`, then averaged (`'mean'`, default), summed (`'sum'`) or returned per element
 * (`'none'`). The shapes must be equal: unlike PyTorch (which warns and broadcasts) a mismatch throws
 * a ShapeError. Both arguments receive gradients.
 *
 * See https://pytorch.org/docs/stable/generated/torch.nn.functional.mse_loss.html
 *
 * @example
 * ```ts
 * mseLoss(tensor([1, 2, 3]), tensor([1, 2, 5])).item(); // 4 / 3
 * mseLoss(tensor([1, 2]), tensor([0, 0]), { reduction: 'none' }).toArray(); // [1, 4]
 * ```
 */
export function mseLoss(input: Tensor, target: Tensor, options: ReductionOptions = {}): Tensor {
  checkOptions('mseLoss', options, REDUCTION_OPTIONS);
  const reduction = checkReduction('mseLoss', options.reduction);
  checkFloating('mseLoss', 'input', input);
  checkFloating('mseLoss', 'target', target);
  checkSameShape('mseLoss', input, target);
  return applyReduction(square(sub(input, target)), reduction);
}
