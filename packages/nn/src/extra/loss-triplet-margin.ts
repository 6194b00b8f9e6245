import {
  add,
  broadcastShapes,
  checkOptions,
  clamp,
  minimum,
  norm,
  optionNames,
  ShapeError,
  sub,
  type Tensor,
  ValueError,
} from '@nablajs/core';
import { checkFloating, describeShape } from '../functional/check';
import { applyReduction, checkReduction, REDUCTION_OPTIONS, type ReductionOptions } from '../losses/reduction';
import { checkBoolean, checkFiniteNumber } from './loss-checks';

/**
 * Options of {@link tripletMarginLoss}.
 *
 * @example
 * ```ts
 * const options: TripletMarginLossOptions = { margin: 0.5, swap: true };
 * ```
 */
export interface TripletMarginLossOptions extends ReductionOptions {
  /** How much farther the negative must be than the positive (default 1). */
  margin?: number;
  /** The order of the pairwise distance (default 2); a positive number or Infinity. */
  p?: number;
  /** Added to the differences before the norm, as in `pairwise_distance` (default 1e-6). */
  eps?: number;
  /** Use the smaller of `d(a, n)` and `d(p, n)` as the negative distance (default false). */
  swap?: boolean;
}

function distance(a: Tensor, b: Tensor, p: number, eps: number): Tensor {
  return norm(add(sub(a, b), eps), p, -1);
}

/** The option names of the loss, for core's `checkOptions` (shared with its module class). */
export const TRIPLET_MARGIN_LOSS_OPTIONS = [
  ...REDUCTION_OPTIONS,
  ...optionNames<Omit<TripletMarginLossOptions, 'reduction'>>({ margin: true, p: true, eps: true, swap: true }),
];

/**
 * The triplet margin loss, like `torch.nn.functional.triplet_margin_loss`:
 * `ℓᵢ = max(0, margin + d(aᵢ, pᵢ) - d(aᵢ, nᵢ))` with the pairwise distance
 * `d(x, y) = ‖x - y + eps‖_p` over the last dimension (Balntas et al., 2016); with `swap`, the negative
 * distance is `min(d(a, n), d(p, n))`. The three inputs (`[N, D]` or `[D]`) must have the same number
 * of dimensions and broadcast together. Defaults: `margin` 1, `p` 2, `eps` 1e-6, `swap` false,
 * `reduction` `'mean'`. At the hinge the gradient is 1, as with PyTorch's `clamp_min`.
 *
 * See https://pytorch.org/docs/1.13/generated/torch.nn.TripletMarginLoss.html
 *
 * @example
 * ```ts
 * tripletMarginLoss(anchor, positive, negative, { margin: 0.2 }).backward();
 * ```
 */
export function tripletMarginLoss(
  anchor: Tensor,
  positive: Tensor,
  negative: Tensor,
  options: TripletMarginLossOptions = {},
): Tensor {
  const fn = 'tripletMarginLoss';
  checkOptions(fn, options, TRIPLET_MARGIN_LOSS_OPTIONS);
  const reduction = checkReduction(fn, options.reduction);
  const margin = checkFiniteNumber(fn, 'margin', options.margin ?? 1);
  const p = options.p ?? 2;
  if (typeof p !== 'number' || !(p > 0))
    throw new ValueError(`${fn}: p must be a positive number or Infinity, got ${JSON.stringify(p)}`);
  const eps = checkFiniteNumber(fn, 'eps', options.eps ?? 1e-6);
  const swap = checkBoolean(fn, 'swap', options.swap ?? false);
  checkFloating(fn, 'anchor', anchor);
  checkFloating(fn, 'positive', positive);
  checkFloating(fn, 'negative', negative);
  const shapes = `anchor ${describeShape(anchor.shape)}, positive ${describeShape(positive.shape)} and negative ${describeShape(negative.shape)}`;
  if (anchor.ndim !== positive.ndim || anchor.ndim !== negative.ndim || anchor.ndim === 0)
    throw new ShapeError(`${fn}: the inputs must have the same number of dimensions (at least 1), got ${shapes}`);
  try {
    broadcastShapes(broadcastShapes(anchor.shape, positive.shape), negative.shape);
  } catch (e) {
    if (!(e instanceof ShapeError)) throw e;
    throw new ShapeError(`${fn}: the shapes of ${shapes} cannot be broadcast together`);
  }
  const dPos = distance(anchor, positive, p, eps);
  let dNeg = distance(anchor, negative, p, eps);
  if (swap) dNeg = minimum(dNeg, distance(positive, negative, p, eps));
  return applyReduction(clamp(sub(add(dPos, margin), dNeg), 0), reduction);
}
