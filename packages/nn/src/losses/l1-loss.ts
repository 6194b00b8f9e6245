import { abs, checkOptions, sub, type Tensor } from '@nablajs/core';
import { checkFloating, checkSameShape } from '../functional/check';
import { applyReduction, checkReduction, REDUCTION_OPTIONS, type ReductionOptions } from './reduction';

/**
 * The mean absolute error between `input` and `target`, like `torch.nn.functional.l1_loss`:
 * `ℓᵢ = |xᵢ - yᵢ|`, then reduced (`'mean'` by default, `'sum'` or `'none'`). The shapes must be equal
 * (a mismatch throws a ShapeError instead of broadcasting). The gradient at `xᵢ = yᵢ` is 0.
 *
 * See https://pytorch.org/docs/stable/generated/torch.nn.functional.l1_loss.html
 *
 * @example
 * ```ts
 * l1Loss(tensor([1, 2, 3]), tensor([2, 2, 5])).item(); // 1
 * ```
 */
export function l1Loss(input: Tensor, target: Tensor, options: ReductionOptions = {}): Tensor {
  checkOptions('l1Loss', options, REDUCTION_OPTIONS);
  const reduction = checkReduction('l1Loss', options.reduction);
  checkFloating('l1Loss', 'input', input);
  checkFloating('l1Loss', 'target', target);
  checkSameShape('l1Loss', input, target);
  return applyReduction(abs(sub(input, target)), reduction);
}
