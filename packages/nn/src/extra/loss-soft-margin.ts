import {
  add,
  checkOptions,
  div,
  exp,
  log1p,
  logSigmoid,
  mul,
  neg,
  optionNames,
  ShapeError,
  sub,
  sum,
  type Tensor,
} from '@nablajs/core';
import { checkBroadcastsTo, checkFloating, checkSameShape, checkTensor } from '../functional/check';
import { applyReduction, checkReduction, REDUCTION_OPTIONS, type ReductionOptions } from '../losses/reduction';

/**
 * The two-class logistic loss of scores `input` and labels `target` (±1), like
 * `torch.nn.functional.soft_margin_loss`: `ℓᵢ = log(1 + exp(-yᵢ xᵢ))`, reduced by `reduction`
 * (default `'mean'`). `input` and `target` must have the same shape. Like PyTorch it computes
 * `log1p(exp(·))` directly, so it overflows to Infinity where `-yᵢ xᵢ > ~709` (float64).
 *
 * See https://pytorch.org/docs/1.13/generated/torch.nn.SoftMarginLoss.html
 *
 * @example
 * ```ts
 * softMarginLoss(tensor([0, 2]), tensor([1, -1]), { reduction: 'none' }).toArray(); // [0.693..., 2.127...]
 * ```
 */
export function softMarginLoss(input: Tensor, target: Tensor, options: ReductionOptions = {}): Tensor {
  const fn = 'softMarginLoss';
  checkOptions(fn, options, REDUCTION_OPTIONS);
  const reduction = checkReduction(fn, options.reduction);
  checkFloating(fn, 'input', input);
  checkFloating(fn, 'target', target);
  checkSameShape(fn, input, target);
  return applyReduction(log1p(exp(mul(neg(input), target))), reduction);
}

/**
 * Options of {@link multilabelSoftMarginLoss}.
 *
 * @example
 * ```ts
 * const options: MultiLabelSoftMarginLossOptions = { weight: tensor([1, 2, 1]) };
 * ```
 */
export interface MultiLabelSoftMarginLossOptions extends ReductionOptions {
  /** A weight per class, broadcast against `input` (default none). */
  weight?: Tensor | null;
}

/** The option names of the loss, for core's `checkOptions` (shared with its module class). */
export const MULTILABEL_SOFT_MARGIN_LOSS_OPTIONS = [
  ...REDUCTION_OPTIONS,
  ...optionNames<Omit<MultiLabelSoftMarginLossOptions, 'reduction'>>({ weight: true }),
];

/**
 * The multi-label one-versus-all logistic loss, like `torch.nn.functional.multilabel_soft_margin_loss`:
 * for scores `input` of shape `[N, C]` (or `[C]`) and targets `y ∈ {0, 1}` of the same shape,
 * `ℓₙ = -(1/C) Σ_c w_c (y_nc log σ(x_nc) + (1 - y_nc) log σ(-x_nc))`, one value per sample, then
 * reduced by `reduction` (default `'mean'`). The class is the last dimension; `weight` (default none)
 * must broadcast to the input's shape.
 *
 * See https://pytorch.org/docs/1.13/generated/torch.nn.MultiLabelSoftMarginLoss.html
 *
 * @example
 * ```ts
 * multilabelSoftMarginLoss(tensor([[0, 0]]), tensor([[1, 0]])).item(); // 0.6931...
 * ```
 */
export function multilabelSoftMarginLoss(
  input: Tensor,
  target: Tensor,
  options: MultiLabelSoftMarginLossOptions = {},
): Tensor {
  const fn = 'multilabelSoftMarginLoss';
  checkOptions(fn, options, MULTILABEL_SOFT_MARGIN_LOSS_OPTIONS);
  const reduction = checkReduction(fn, options.reduction);
  checkFloating(fn, 'input', input);
  checkFloating(fn, 'target', target);
  if (input.ndim === 0)
    throw new ShapeError(`${fn}: input must have a class dimension ([C] or [N, C]), got a 0-d tensor`);
  checkSameShape(fn, input, target);
  const weight = options.weight ?? null;
  if (weight !== null) {
    checkTensor(fn, 'weight', weight);
    checkFloating(fn, 'weight', weight);
    checkBroadcastsTo(fn, 'weight', weight, input.shape);
  }
  let loss = neg(add(mul(target, logSigmoid(input)), mul(sub(1, target), logSigmoid(neg(input)))));
  if (weight !== null) loss = mul(loss, weight);
  const classes = input.shape[input.ndim - 1];
  return applyReduction(div(sum(loss, -1), classes), reduction);
}
