import {
  add,
  checkOptions,
  clamp,
  div,
  eq,
  mul,
  optionNames,
  ShapeError,
  sqrt,
  sub,
  sum,
  type Tensor,
  where,
} from '@nablajs/core';
import { checkFloating, checkSameShape, checkTensor, describeShape, sameShape } from '../functional/check';
import { checkMargin, checkSignLabels } from './pairwise';
import { applyReduction, checkReduction, REDUCTION_OPTIONS, type ReductionOptions } from './reduction';

/**
 * Options of {@link cosineEmbeddingLoss}.
 *
 * @example
 * ```ts
 * const options: CosineEmbeddingLossOptions = { margin: 0.5, reduction: 'none' };
 * ```
 */
export interface CosineEmbeddingLossOptions extends ReductionOptions {
  /** The similarity below which dissimilar pairs (`y = -1`) cost nothing (default 0; -1 to 1 makes sense). */
  margin?: number;
}

// PyTorch adds this to each squared norm, so that a zero vector gives a cosine of 0 rather than NaN.
const EPSILON = 1e-12;

/** The option names of the loss, for core's `checkOptions` (shared with its module class). */
export const COSINE_EMBEDDING_LOSS_OPTIONS = [
  ...REDUCTION_OPTIONS,
  ...optionNames<Omit<CosineEmbeddingLossOptions, 'reduction'>>({ margin: true }),
];

/**
 * The cosine embedding loss of pairs `x1`, `x2` (`[N, D]`, or `[D]` with a 0-d `y`) labelled `y = ±1`,
 * like `torch.nn.functional.cosine_embedding_loss`: with
 * `cos = x1·x2 / sqrt((‖x1‖² + 1e-12)(‖x2‖² + 1e-12))`, `ℓ = 1 - cos` for `y = 1` (pull together) and
 * `max(0, cos - margin)` for `y = -1` (push apart). `y` may only hold 1 and -1 (PyTorch silently gives 0
 * for other values; here a `ValueError`, on the webgpu backend for labels on the GPU thrown when a value is
 * next awaited). Gradients flow to `x1` and `x2`.
 *
 * See https://pytorch.org/docs/stable/generated/torch.nn.CosineEmbeddingLoss.html
 *
 * @example
 * ```ts
 * const x1 = tensor([[1, 0], [1, 1]]);
 * const x2 = tensor([[1, 0], [1, 0]]);
 * cosineEmbeddingLoss(x1, x2, tensor([1, -1]), { reduction: 'none' }).toArray(); // [0, 0.7071]
 * ```
 */
export function cosineEmbeddingLoss(
  x1: Tensor,
  x2: Tensor,
  y: Tensor,
  options: CosineEmbeddingLossOptions = {},
): Tensor {
  const fn = 'cosineEmbeddingLoss';
  checkOptions(fn, options, COSINE_EMBEDDING_LOSS_OPTIONS);
  const reduction = checkReduction(fn, options.reduction);
  const margin = checkMargin(fn, options.margin ?? 0);
  checkFloating(fn, 'x1', x1);
  checkFloating(fn, 'x2', x2);
  checkTensor(fn, 'y', y);
  checkSameShape(fn, x1, x2, ['x1', 'x2']);
  if (x1.ndim !== 1 && x1.ndim !== 2)
    throw new ShapeError(`${fn}: x1 and x2 must be 1-D or 2-D, got shape ${describeShape(x1.shape)}`);
  const expected = x1.shape.slice(0, -1);
  if (!sameShape(y.shape, expected))
    throw new ShapeError(
      `${fn}: y has shape ${describeShape(y.shape)} but x1 of shape ${describeShape(x1.shape)} needs one label per pair, shape ${describeShape(expected)}`,
    );
  checkSignLabels(fn, y);
  const axis = x1.ndim - 1;
  const dot = sum(mul(x1, x2), axis);
  const denom = sqrt(mul(add(sum(mul(x1, x1), axis), EPSILON), add(sum(mul(x2, x2), axis), EPSILON)));
  const cos = div(dot, denom);
  const loss = where(eq(y, 1), sub(1, cos), clamp(sub(cos, margin), 0));
  return applyReduction(loss, reduction);
}
