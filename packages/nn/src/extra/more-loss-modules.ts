import { checkOptions, type Tensor } from '@nablajs/core';
import { checkReduction, type Reduction } from '../losses/reduction';
import { Module } from '../module';
import { checkBoolean, checkFiniteNumber } from './loss-checks';
import {
  MULTILABEL_MARGIN_LOSS_OPTIONS,
  type MultiLabelMarginLossOptions,
  multilabelMarginLoss,
} from './loss-multilabel-margin';
import {
  checkDistanceFunction,
  type DistanceFunction,
  TRIPLET_MARGIN_WITH_DISTANCE_LOSS_OPTIONS,
  type TripletMarginWithDistanceLossOptions,
  tripletMarginWithDistanceLoss,
} from './loss-triplet-distance';

// Like the loss modules of ./loss-modules.ts: they check and hold their options and call the loss function in
// `forward`. Neither has parameters or buffers.

/**
 * The triplet margin loss with a distance of the caller's choice as a module, like
 * `torch.nn.TripletMarginWithDistanceLoss`; `forward(anchor, positive, negative)` calls
 * {@link tripletMarginWithDistanceLoss}: `max(0, d(a, p) - d(a, n) + margin)`, with `min(d(a, n), d(p, n))`
 * as the negative distance when `swap`. Defaults: the Euclidean pairwise distance (`distanceFunction`
 * null), `margin` 1, `swap` false, `reduction` `'mean'`.
 *
 * See https://pytorch.org/docs/1.13/generated/torch.nn.TripletMarginWithDistanceLoss.html
 *
 * @example
 * ```ts
 * const loss = new TripletMarginWithDistanceLoss({ distanceFunction: (a, b) => F.pairwiseDistance(a, b, { p: 1 }) });
 * loss.forward(anchor, positive, negative).backward();
 * ```
 */
export class TripletMarginWithDistanceLoss extends Module {
  /** How per-triplet losses are combined. */
  readonly reduction: Reduction;
  /** The distance, or null for the default (`F.pairwiseDistance`, Euclidean, `eps` 1e-6). */
  readonly distanceFunction: DistanceFunction | null;
  /** The margin. */
  readonly margin: number;
  /** Whether the distance swap is used. */
  readonly swap: boolean;

  constructor(options: TripletMarginWithDistanceLossOptions = {}) {
    super();
    const fn = 'TripletMarginWithDistanceLoss';
    checkOptions(fn, options, TRIPLET_MARGIN_WITH_DISTANCE_LOSS_OPTIONS);
    this.reduction = checkReduction(fn, options.reduction);
    this.distanceFunction = checkDistanceFunction(fn, options.distanceFunction);
    this.margin = checkFiniteNumber(fn, 'margin', options.margin ?? 1);
    this.swap = checkBoolean(fn, 'swap', options.swap ?? false);
  }

  /** The loss of the triplets (each `[N, D]` or `[D]` for the default distance). */
  forward(anchor: Tensor, positive: Tensor, negative: Tensor): Tensor {
    const { distanceFunction, margin, swap, reduction } = this;
    return tripletMarginWithDistanceLoss(anchor, positive, negative, { distanceFunction, margin, swap, reduction });
  }

  override extraRepr(): string {
    const distance = this.distanceFunction === null ? 'pairwiseDistance' : this.distanceFunction.name || 'custom';
    return `distanceFunction=${distance}, margin=${this.margin}, swap=${this.swap}, reduction='${this.reduction}'`;
  }
}

/**
 * The multi-class multi-label hinge loss as a module, like `torch.nn.MultiLabelMarginLoss`;
 * `forward(input, target)` calls {@link multilabelMarginLoss}:
 * `(1/C) Σ_{j target} Σ_{i not a target} max(0, 1 - (x_j - x_i))` per sample, the int32 target listing
 * the classes and ended by -1. `reduction` defaults to `'mean'`.
 *
 * See https://pytorch.org/docs/1.13/generated/torch.nn.MultiLabelMarginLoss.html
 *
 * @example
 * ```ts
 * const x = tensor([[0.1, 0.2, 0.4, 0.8]]);
 * new MultiLabelMarginLoss().forward(x, tensor([[3, 0, -1, 1]], { dtype: 'int32' })).item(); // 0.85
 * ```
 */
export class MultiLabelMarginLoss extends Module {
  /** How per-sample losses are combined. */
  readonly reduction: Reduction;

  constructor(options: MultiLabelMarginLossOptions = {}) {
    super();
    checkOptions('MultiLabelMarginLoss', options, MULTILABEL_MARGIN_LOSS_OPTIONS);
    this.reduction = checkReduction('MultiLabelMarginLoss', options.reduction);
  }

  /** The loss of scores `input` (`[C]` or `[N, C]`) against the int32 `target` of the same shape. */
  forward(input: Tensor, target: Tensor): Tensor {
    return multilabelMarginLoss(input, target, { reduction: this.reduction });
  }

  override extraRepr(): string {
    return `reduction='${this.reduction}'`;
  }
}
