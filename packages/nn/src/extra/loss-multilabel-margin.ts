import {
  checkOptions,
  cumsum,
  DTypeError,
  div,
  eq,
  gather,
  gt,
  IndexError,
  mean,
  mul,
  oneHot,
  relu,
  reshape,
  runOnHost,
  ShapeError,
  sub,
  sum,
  type Tensor,
  unsqueeze,
  where,
} from '@nablajs/core';
import { checkFloating, checkTensor, describeShape } from '../functional/check';
import { checkReduction, REDUCTION_OPTIONS, type ReductionOptions } from '../losses/reduction';

/**
 * Options of {@link multilabelMarginLoss} (and of its module, `MultiLabelMarginLoss`): only `reduction`.
 *
 * @example
 * ```ts
 * const options: MultiLabelMarginLossOptions = { reduction: 'sum' };
 * ```
 */
export interface MultiLabelMarginLossOptions extends ReductionOptions {}

/**
 * The option names of the loss, for core's `checkOptions` (shared with its module class).
 *
 * @example
 * ```ts
 * checkOptions('MultiLabelMarginLoss', options, MULTILABEL_MARGIN_LOSS_OPTIONS);
 * ```
 */
export const MULTILABEL_MARGIN_LOSS_OPTIONS = REDUCTION_OPTIONS;

/** The number of samples and classes of a checked input/target pair. */
function checkShapes(fn: string, input: Tensor, target: Tensor): [frames: number, classes: number] {
  if (target.dtype !== 'int32')
    throw new DTypeError(`${fn}: target must be an int32 tensor of class indices, got ${target.dtype}`);
  const shapes = `input of shape ${describeShape(input.shape)} and target of shape ${describeShape(target.shape)}`;
  if (input.ndim > 2 || (input.ndim > 0 && input.shape[input.ndim - 1] === 0))
    throw new ShapeError(
      `${fn}: input must be a [C] or [N, C] tensor with C > 0 (or a 0-d tensor), got shape ${describeShape(input.shape)}`,
    );
  if (input.ndim === 2) {
    const [frames, classes] = input.shape;
    if (target.ndim !== 2 || target.shape[0] !== frames || target.shape[1] !== classes)
      throw new ShapeError(`${fn}: ${shapes} do not fit; target must have the input's shape [${frames},${classes}]`);
    return [frames, classes];
  }
  const classes = input.ndim === 0 ? 1 : input.shape[0];
  if (target.ndim > 1 || target.size !== classes)
    throw new ShapeError(`${fn}: ${shapes} do not fit; target must be a [${classes}] tensor (or [] for a 0-d input)`);
  return [1, classes];
}

/**
 * The multi-class multi-label hinge loss, like `torch.nn.functional.multilabel_margin_loss`: for scores `x`
 * of shape `[C]` or `[N, C]` and an int32 `target` of the same shape holding each sample's class indices,
 * ended by the first -1 (or by the end of the row),
 * `ℓₙ = (1/C) Σ_{j target} Σ_{i not a target} max(0, 1 - (x_{n,j} - x_{n,i}))`, reduced by `reduction`
 * (default `'mean'`, over samples). A class listed twice counts twice, as in PyTorch; a sample with no
 * target, or whose targets are all the classes, has loss 0. With `'none'`, a `[C]` input gives a 0-d loss, as
 * in PyTorch 1.13; the mean of an empty batch is NaN. At the hinge (`x_j - x_i = 1`) the gradient is 0, as
 * in PyTorch. Every entry of `target`, the ignored ones after the -1 too, must be in `[-1, C)`: otherwise an
 * `IndexError`, as PyTorch checks the whole tensor (at once on the cpu and wasm backends; on the webgpu
 * backend, for a target on the GPU, when a value is next awaited).
 *
 * Computed with tensor ops on `[N, C, C]` pairs (memory grows with `C²`); the masks are built from the
 * target with ops too, so they are computed where the tensors are.
 *
 * See https://pytorch.org/docs/1.13/generated/torch.nn.MultiLabelMarginLoss.html
 *
 * @example
 * ```ts
 * const x = tensor([[0.1, 0.2, 0.4, 0.8]]);
 * multilabelMarginLoss(x, tensor([[3, 0, -1, 1]], { dtype: 'int32' })).item(); // 0.85
 * ```
 */
export function multilabelMarginLoss(input: Tensor, target: Tensor, options: MultiLabelMarginLossOptions = {}): Tensor {
  const fn = 'multilabelMarginLoss';
  checkOptions(fn, options, MULTILABEL_MARGIN_LOSS_OPTIONS);
  const reduction = checkReduction(fn, options.reduction);
  checkFloating(fn, 'input', input);
  checkTensor(fn, 'target', target);
  const [frames, classes] = checkShapes(fn, input, target);
  // Checked where the values are (see runOnHost): on the webgpu backend, for a target on the GPU, when a
  // value is next awaited.
  const targets = target._array;
  runOnHost([targets], [], () => {
    for (let i = 0; i < targets.length; i++) {
      const c = targets[i];
      if (c < -1 || c >= classes)
        throw new IndexError(
          `${fn}: target ${c} at index ${i} is out of range for ${classes} classes (expected a class in [0, ${classes}) or -1 to end the list)`,
        );
    }
  });

  const x = reshape(input, [frames, classes]);
  const y = reshape(target, [frames, classes]);
  // Position j of a row lists a target while no -1 came at or before it.
  const listed = eq(cumsum(eq(y, -1), 1), 0); // [N, C(j)], int32 0/1
  const picks = where(listed, y, 0); // the unlisted positions pick class 0, then are masked out
  // isTarget[n, i]: class i is listed in row n.
  const isTarget = gt(sum(mul(oneHot(picks, classes), unsqueeze(listed, 2)), 1), 0); // [N, C(i)]
  // counted[n, j, i]: the pair (target j, class i) counts: j is listed and i is not a target.
  const counted = mul(unsqueeze(listed, 2), unsqueeze(sub(1, isTarget), 1));
  const xTarget = gather(x, 1, picks); // [N, C(j)]
  // NOTE: (1 - x_j) + x_i, in PyTorch's order, so that the hinge falls on the same inputs.
  const z = sub(1, unsqueeze(xTarget, 2)).add(unsqueeze(x, 1));
  // where, not a product with the mask: an infinite score at an uncounted pair must not make a NaN.
  const hinge = where(counted, relu(z), 0);
  const perSample = div(sum(hinge, [1, 2]), classes);
  if (reduction === 'sum') return sum(perSample);
  if (reduction === 'mean') return mean(perSample);
  return input.ndim === 2 ? perSample : reshape(perSample, []);
}
