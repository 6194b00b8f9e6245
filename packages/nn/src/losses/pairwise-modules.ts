// The embedding and ranking losses as modules (CosineEmbeddingLoss, MarginRankingLoss, HingeEmbeddingLoss),
// whose targets are ±1 labels: each holds its options and calls its loss function in `forward`.
import { checkOptions, type Tensor } from '@nablajs/core';
import { Module } from '../module';
import {
  COSINE_EMBEDDING_LOSS_OPTIONS,
  type CosineEmbeddingLossOptions,
  cosineEmbeddingLoss,
} from './cosine-embedding-loss';
import {
  HINGE_EMBEDDING_LOSS_OPTIONS,
  type HingeEmbeddingLossOptions,
  hingeEmbeddingLoss,
} from './hinge-embedding-loss';
import { MARGIN_RANKING_LOSS_OPTIONS, type MarginRankingLossOptions, marginRankingLoss } from './margin-ranking-loss';
import { checkMargin } from './pairwise';
import { checkReduction, type Reduction } from './reduction';

/**
 * The cosine embedding loss as a module, like `torch.nn.CosineEmbeddingLoss`;
 * `forward(x1, x2, y)` calls {@link cosineEmbeddingLoss} with labels `y = ±1`.
 *
 * See https://pytorch.org/docs/stable/generated/torch.nn.CosineEmbeddingLoss.html
 *
 * @example
 * ```ts
 * new CosineEmbeddingLoss({ margin: 0.2 }).forward(a, b, tensor([1, -1]));
 * ```
 */
export class CosineEmbeddingLoss extends Module {
  /** How per-pair losses are combined. */
  readonly reduction: Reduction;
  /** The similarity below which dissimilar pairs cost nothing. */
  readonly margin: number;

  constructor(options: CosineEmbeddingLossOptions = {}) {
    super();
    checkOptions('CosineEmbeddingLoss', options, COSINE_EMBEDDING_LOSS_OPTIONS);
    this.reduction = checkReduction('CosineEmbeddingLoss', options.reduction);
    this.margin = checkMargin('CosineEmbeddingLoss', options.margin ?? 0);
  }

  /** The loss of the pairs `x1`, `x2` labelled `y`. */
  forward(x1: Tensor, x2: Tensor, y: Tensor): Tensor {
    return cosineEmbeddingLoss(x1, x2, y, { margin: this.margin, reduction: this.reduction });
  }

  override extraRepr(): string {
    return `margin=${this.margin}, reduction='${this.reduction}'`;
  }
}

/**
 * The margin ranking loss as a module, like `torch.nn.MarginRankingLoss`; `forward(x1, x2, y)` calls
 * {@link marginRankingLoss}: `max(0, -y (x1 - x2) + margin)`.
 *
 * See https://pytorch.org/docs/stable/generated/torch.nn.MarginRankingLoss.html
 *
 * @example
 * ```ts
 * new MarginRankingLoss({ margin: 1 }).forward(scoresA, scoresB, tensor([1, -1, 1]));
 * ```
 */
export class MarginRankingLoss extends Module {
  /** How per-pair losses are combined. */
  readonly reduction: Reduction;
  /** How far ahead the preferred input must be to cost nothing. */
  readonly margin: number;

  constructor(options: MarginRankingLossOptions = {}) {
    super();
    checkOptions('MarginRankingLoss', options, MARGIN_RANKING_LOSS_OPTIONS);
    this.reduction = checkReduction('MarginRankingLoss', options.reduction);
    this.margin = checkMargin('MarginRankingLoss', options.margin ?? 0);
  }

  /** The loss of scores `x1`, `x2` with preferences `y`. */
  forward(x1: Tensor, x2: Tensor, y: Tensor): Tensor {
    return marginRankingLoss(x1, x2, y, { margin: this.margin, reduction: this.reduction });
  }

  override extraRepr(): string {
    return `margin=${this.margin}, reduction='${this.reduction}'`;
  }
}

/**
 * The hinge embedding loss as a module, like `torch.nn.HingeEmbeddingLoss`; `forward(input, y)` calls
 * {@link hingeEmbeddingLoss}: `x` where `y = 1`, `max(0, margin - x)` where `y = -1`.
 *
 * See https://pytorch.org/docs/stable/generated/torch.nn.HingeEmbeddingLoss.html
 *
 * @example
 * ```ts
 * new HingeEmbeddingLoss({ margin: 2 }).forward(distances, tensor([1, -1]));
 * ```
 */
export class HingeEmbeddingLoss extends Module {
  /** How per-element losses are combined. */
  readonly reduction: Reduction;
  /** The distance beyond which dissimilar pairs cost nothing. */
  readonly margin: number;

  constructor(options: HingeEmbeddingLossOptions = {}) {
    super();
    checkOptions('HingeEmbeddingLoss', options, HINGE_EMBEDDING_LOSS_OPTIONS);
    this.reduction = checkReduction('HingeEmbeddingLoss', options.reduction);
    this.margin = checkMargin('HingeEmbeddingLoss', options.margin ?? 1);
  }

  /** The loss of distances `input` with labels `y`. */
  forward(input: Tensor, y: Tensor): Tensor {
    return hingeEmbeddingLoss(input, y, { margin: this.margin, reduction: this.reduction });
  }

  override extraRepr(): string {
    return `margin=${this.margin}, reduction='${this.reduction}'`;
  }
}
