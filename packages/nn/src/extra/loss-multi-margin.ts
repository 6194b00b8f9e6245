import {
  add,
  cast,
  checkOptions,
  DTypeError,
  div,
  gather,
  IndexError,
  mean,
  mul,
  oneHot,
  ones,
  optionNames,
  relu,
  reshape,
  runOnHost,
  ShapeError,
  square,
  sub,
  sum,
  type Tensor,
  ValueError,
  where,
} from '@nablajs/core';
import { checkFloating, checkTensor, describeShape } from '../functional/check';
import { checkReduction, REDUCTION_OPTIONS, type ReductionOptions } from '../losses/reduction';
import { checkFiniteNumber } from './loss-checks';

/**
 * Options of {@link multiMarginLoss}.
 *
 * @example
 * ```ts
 * const options: MultiMarginLossOptions = { p: 2, margin: 0.5 };
 * ```
 */
export interface MultiMarginLossOptions extends ReductionOptions {
  /** The power of the hinge: 1 (default) or 2. */
  p?: number;
  /** The margin by which the target class must win (default 1). */
  margin?: number;
  /** A weight per class, 1-D `[C]` (default none); it scales each sample by its target class's weight. */
  weight?: Tensor | null;
}

/** The option names of the loss, for core's `checkOptions` (shared with its module class). */
export const MULTI_MARGIN_LOSS_OPTIONS = [
  ...REDUCTION_OPTIONS,
  ...optionNames<Omit<MultiMarginLossOptions, 'reduction'>>({ p: true, margin: true, weight: true }),
];

/**
 * The multi-class hinge loss, like `torch.nn.functional.multi_margin_loss`: for scores `x` of shape
 * `[N, C]` (or `[C]`) and int32 class indices `y` of shape `[N]` (or `[]`/`[1]`),
 * `ℓₙ = (1/C) Σ_{c ≠ yₙ} w_{yₙ} · max(0, margin - x_{n,yₙ} + x_{n,c})^p`, reduced by `reduction`
 * (default `'mean'`). Defaults: `p` 1, `margin` 1, no weight. The weight is a constant (no gradient),
 * as in PyTorch. At the hinge (`margin - x_{n,yₙ} + x_{n,c} = 0`) the gradient is 0, as in PyTorch.
 * A class index out of range is an `IndexError`: at once on the cpu and wasm backends, and on the webgpu
 * backend, for targets on the GPU, when a value is next awaited.
 *
 * See https://pytorch.org/docs/1.13/generated/torch.nn.MultiMarginLoss.html
 *
 * @example
 * ```ts
 * multiMarginLoss(tensor([[0.1, 0.2, 0.4, 0.8]]), tensor([3], { dtype: 'int32' })).item(); // 0.325
 * ```
 */
export function multiMarginLoss(input: Tensor, target: Tensor, options: MultiMarginLossOptions = {}): Tensor {
  const fn = 'multiMarginLoss';
  checkOptions(fn, options, MULTI_MARGIN_LOSS_OPTIONS);
  const reduction = checkReduction(fn, options.reduction);
  const p = options.p ?? 1;
  if (p !== 1 && p !== 2) throw new ValueError(`${fn}: p must be 1 or 2, got ${JSON.stringify(p)}`);
  const margin = checkFiniteNumber(fn, 'margin', options.margin ?? 1);
  checkFloating(fn, 'input', input);
  checkTensor(fn, 'target', target);
  if (input.ndim > 2 || input.size === 0)
    throw new ShapeError(
      `${fn}: input must be a non-empty [C] or [N, C] tensor, got shape ${describeShape(input.shape)}`,
    );
  const frames = input.ndim === 2 ? input.shape[0] : 1;
  const classes = input.ndim === 0 ? 1 : input.shape[input.ndim - 1];
  if (target.dtype !== 'int32')
    throw new DTypeError(`${fn}: target must be an int32 tensor of class indices, got ${target.dtype}`);
  if (target.ndim > 1 || target.size !== frames)
    throw new ShapeError(
      `${fn}: target of shape ${describeShape(target.shape)} does not fit input of shape ${describeShape(input.shape)}; expected ${frames} class index(es) in a [${frames}] or [] tensor`,
    );
  const weight = options.weight ?? null;
  if (weight !== null) {
    checkFloating(fn, 'weight', weight);
    if (weight.ndim !== 1 || weight.size !== classes)
      throw new ShapeError(
        `${fn}: weight must be 1-D with one element per class [${classes}], got shape ${describeShape(weight.shape)}`,
      );
  }
  // Checked where the values are (see runOnHost): on the webgpu backend, for targets on the GPU, when a
  // value is next awaited.
  const targets = target._array;
  runOnHost([targets], [], () => {
    for (let i = 0; i < frames; i++) {
      const c = targets[i];
      if (c < 0 || c >= classes)
        throw new IndexError(`${fn}: target ${c} at index ${i} is out of range for ${classes} classes`);
    }
  });

  const x = reshape(input, [frames, classes]);
  const labels = reshape(target, [frames]);
  const y = reshape(labels, [frames, 1]);
  // The per-element factor: 0 at the target class (it is excluded from the sum), else the target's weight
  // (in the input's dtype); with tensor ops, so that it is computed where the tensors are.
  const targetWeight =
    weight === null
      ? ones([frames, 1], { dtype: input.dtype })
      : cast(reshape(gather(weight.detach(), 0, labels), [frames, 1]), input.dtype);
  const factor = where(oneHot(labels, classes), 0, targetWeight);
  const z = add(sub(margin, gather(x, 1, y)), x);
  const hinge = p === 1 ? relu(z) : square(relu(z));
  const perSample = div(sum(mul(hinge, factor), 1), classes);
  if (reduction === 'sum') return sum(perSample);
  if (reduction === 'mean') return mean(perSample);
  return target.ndim === 0 ? reshape(perSample, []) : perSample;
}
