import { checkOptions, clone, type Tensor } from '@nablajs/core';
import { checkFloating, checkNumberIn, checkPositive } from '../functional/check';
import { Module } from '../module';
import {
  BCE_OPTIONS,
  BCE_WITH_LOGITS_OPTIONS,
  type BinaryCrossEntropyOptions,
  type BinaryCrossEntropyWithLogitsOptions,
  binaryCrossEntropy,
  binaryCrossEntropyWithLogits,
} from './binary-cross-entropy';
import {
  COSINE_EMBEDDING_LOSS_OPTIONS,
  type CosineEmbeddingLossOptions,
  cosineEmbeddingLoss,
} from './cosine-embedding-loss';
import {
  CROSS_ENTROPY_OPTIONS,
  type CrossEntropyOptions,
  crossEntropy,
  NLL_LOSS_OPTIONS,
  type NLLLossOptions,
  nllLoss,
} from './cross-entropy';
import {
  HINGE_EMBEDDING_LOSS_OPTIONS,
  type HingeEmbeddingLossOptions,
  hingeEmbeddingLoss,
} from './hinge-embedding-loss';
import { KL_DIV_OPTIONS, type KLDivOptions, klDiv } from './kl-div';
import { l1Loss } from './l1-loss';
import { MARGIN_RANKING_LOSS_OPTIONS, type MarginRankingLossOptions, marginRankingLoss } from './margin-ranking-loss';
import { mseLoss } from './mse-loss';
import { checkMargin } from './pairwise';
import { checkReduction, REDUCTION_OPTIONS, type Reduction, type ReductionOptions } from './reduction';
import {
  HUBER_LOSS_OPTIONS,
  type HuberLossOptions,
  huberLoss,
  SMOOTH_L1_LOSS_OPTIONS,
  type SmoothL1LossOptions,
  smoothL1Loss,
} from './smooth-l1-loss';

// The loss modules hold their options and call the loss function in `forward`. A class weight is
// registered as a (copied) buffer, as in PyTorch, so it appears in the state dict.

function copyBuffer(fn: string, name: string, t: Tensor | null | undefined): Tensor | null {
  if (t === undefined || t === null) return null;
  checkFloating(fn, name, t);
  // A copy by the copy kernel, so that a weight on the GPU (webgpu backend) is copied there.
  return clone(t.detach());
}

/**
 * The mean squared error as a module, like `torch.nn.MSELoss`; `forward(input, target)` calls
 * {@link mseLoss}: `ℓᵢ = (xᵢ - yᵢ)²`, reduced by `reduction`.
 *
 * See https://pytorch.org/docs/stable/generated/torch.nn.MSELoss.html
 *
 * @example
 * ```ts
 * const criterion = new MSELoss();
 * criterion.forward(tensor([1, 2]), tensor([1, 4])).item(); // 2
 * ```
 */
export class MSELoss extends Module {
  /** How per-element losses are combined. */
  readonly reduction: Reduction;

  constructor(options: ReductionOptions = {}) {
    super();
    checkOptions('MSELoss', options, REDUCTION_OPTIONS);
    this.reduction = checkReduction('MSELoss', options.reduction);
  }

  /** The loss of `input` against `target` (equal shapes). */
  forward(input: Tensor, target: Tensor): Tensor {
    return mseLoss(input, target, { reduction: this.reduction });
  }

  override extraRepr(): string {
    return `reduction='${this.reduction}'`;
  }
}

/**
 * The mean absolute error as a module, like `torch.nn.L1Loss`; `forward(input, target)` calls
 * {@link l1Loss}: `ℓᵢ = |xᵢ - yᵢ|`, reduced by `reduction`.
 *
 * See https://pytorch.org/docs/stable/generated/torch.nn.L1Loss.html
 *
 * @example
 * ```ts
 * new L1Loss({ reduction: 'sum' }).forward(tensor([1, 2]), tensor([0, 4])).item(); // 3
 * ```
 */
export class L1Loss extends Module {
  /** How per-element losses are combined. */
  readonly reduction: Reduction;

  constructor(options: ReductionOptions = {}) {
    super();
    checkOptions('L1Loss', options, REDUCTION_OPTIONS);
    this.reduction = checkReduction('L1Loss', options.reduction);
  }

  /** The loss of `input` against `target` (equal shapes). */
  forward(input: Tensor, target: Tensor): Tensor {
    return l1Loss(input, target, { reduction: this.reduction });
  }

  override extraRepr(): string {
    return `reduction='${this.reduction}'`;
  }
}

/**
 * The smooth L1 loss as a module, like `torch.nn.SmoothL1Loss`; `forward(input, target)` calls
 * {@link smoothL1Loss}: `0.5 d²/β` where `|d| < β`, else `|d| - 0.5 β`.
 *
 * See https://pytorch.org/docs/stable/generated/torch.nn.SmoothL1Loss.html
 *
 * @example
 * ```ts
 * new SmoothL1Loss({ beta: 0.5 }).forward(tensor([0, 2]), tensor([0, 0])).item(); // 0.875
 * ```
 */
export class SmoothL1Loss extends Module {
  /** How per-element losses are combined. */
  readonly reduction: Reduction;
  /** Where the loss turns from quadratic to linear. */
  readonly beta: number;

  constructor(options: SmoothL1LossOptions = {}) {
    super();
    checkOptions('SmoothL1Loss', options, SMOOTH_L1_LOSS_OPTIONS);
    this.reduction = checkReduction('SmoothL1Loss', options.reduction);
    this.beta = checkNumberIn('SmoothL1Loss', 'beta', options.beta ?? 1, 0, Number.POSITIVE_INFINITY);
  }

  /** The loss of `input` against `target` (equal shapes). */
  forward(input: Tensor, target: Tensor): Tensor {
    return smoothL1Loss(input, target, { reduction: this.reduction, beta: this.beta });
  }

  override extraRepr(): string {
    return `beta=${this.beta}, reduction='${this.reduction}'`;
  }
}

/**
 * The Huber loss as a module, like `torch.nn.HuberLoss`; `forward(input, target)` calls
 * {@link huberLoss}: `0.5 d²` where `|d| <= δ`, else `δ (|d| - 0.5 δ)`.
 *
 * See https://pytorch.org/docs/stable/generated/torch.nn.HuberLoss.html
 *
 * @example
 * ```ts
 * new HuberLoss({ delta: 0.5 }).forward(tensor([0, 2]), tensor([0, 0])).item(); // 0.4375
 * ```
 */
export class HuberLoss extends Module {
  /** How per-element losses are combined. */
  readonly reduction: Reduction;
  /** Where the loss turns from quadratic to linear. */
  readonly delta: number;

  constructor(options: HuberLossOptions = {}) {
    super();
    checkOptions('HuberLoss', options, HUBER_LOSS_OPTIONS);
    this.reduction = checkReduction('HuberLoss', options.reduction);
    this.delta = checkPositive('HuberLoss', 'delta', options.delta ?? 1);
  }

  /** The loss of `input` against `target` (equal shapes). */
  forward(input: Tensor, target: Tensor): Tensor {
    return huberLoss(input, target, { reduction: this.reduction, delta: this.delta });
  }

  override extraRepr(): string {
    return `delta=${this.delta}, reduction='${this.reduction}'`;
  }
}

/**
 * The cross-entropy loss of logits as a module, like `torch.nn.CrossEntropyLoss`;
 * `forward(input, target)` calls {@link crossEntropy} (class indices or class probabilities; `weight`,
 * `ignoreIndex`, `labelSmoothing`). The class weight is a buffer (a copy of the one given).
 *
 * See https://pytorch.org/docs/stable/generated/torch.nn.CrossEntropyLoss.html
 *
 * @example
 * ```ts
 * const criterion = new CrossEntropyLoss({ labelSmoothing: 0.1 });
 * const loss = criterion.forward(model.forward(x), labels); // labels: int32 [N]
 * loss.backward();
 * ```
 */
export class CrossEntropyLoss extends Module {
  /** How per-sample losses are combined. */
  readonly reduction: Reduction;
  /** The ignored target value. */
  readonly ignoreIndex: number;
  /** The label-smoothing factor ε. */
  readonly labelSmoothing: number;
  /** The class weight buffer, or null. */
  readonly weight: Tensor | null;

  constructor(options: CrossEntropyOptions = {}) {
    super();
    checkOptions('CrossEntropyLoss', options, CROSS_ENTROPY_OPTIONS);
    this.reduction = checkReduction('CrossEntropyLoss', options.reduction);
    this.ignoreIndex = options.ignoreIndex ?? -100;
    this.labelSmoothing = checkNumberIn('CrossEntropyLoss', 'labelSmoothing', options.labelSmoothing ?? 0, 0, 1);
    this.weight = this.registerBuffer('weight', copyBuffer('CrossEntropyLoss', 'weight', options.weight));
  }

  /** The loss of logits `input` against `target`. */
  forward(input: Tensor, target: Tensor): Tensor {
    return crossEntropy(input, target, {
      weight: this.weight,
      ignoreIndex: this.ignoreIndex,
      reduction: this.reduction,
      labelSmoothing: this.labelSmoothing,
    });
  }

  override extraRepr(): string {
    return `ignoreIndex=${this.ignoreIndex}, labelSmoothing=${this.labelSmoothing}, reduction='${this.reduction}'`;
  }
}

/**
 * The negative log-likelihood loss as a module, like `torch.nn.NLLLoss`; `forward(input, target)`
 * calls {@link nllLoss} on log-probabilities and int32 class indices. The class weight is a buffer.
 *
 * See https://pytorch.org/docs/stable/generated/torch.nn.NLLLoss.html
 *
 * @example
 * ```ts
 * new NLLLoss().forward(logSoftmax(logits, 1), labels);
 * ```
 */
export class NLLLoss extends Module {
  /** How per-sample losses are combined. */
  readonly reduction: Reduction;
  /** The ignored target value. */
  readonly ignoreIndex: number;
  /** The class weight buffer, or null. */
  readonly weight: Tensor | null;

  constructor(options: NLLLossOptions = {}) {
    super();
    checkOptions('NLLLoss', options, NLL_LOSS_OPTIONS);
    this.reduction = checkReduction('NLLLoss', options.reduction);
    this.ignoreIndex = options.ignoreIndex ?? -100;
    this.weight = this.registerBuffer('weight', copyBuffer('NLLLoss', 'weight', options.weight));
  }

  /** The loss of log-probabilities `input` against class indices `target`. */
  forward(input: Tensor, target: Tensor): Tensor {
    return nllLoss(input, target, { weight: this.weight, ignoreIndex: this.ignoreIndex, reduction: this.reduction });
  }

  override extraRepr(): string {
    return `ignoreIndex=${this.ignoreIndex}, reduction='${this.reduction}'`;
  }
}

/**
 * The binary cross entropy of probabilities as a module, like `torch.nn.BCELoss`;
 * `forward(input, target)` calls {@link binaryCrossEntropy}. The weight is a buffer.
 *
 * See https://pytorch.org/docs/stable/generated/torch.nn.BCELoss.html
 *
 * @example
 * ```ts
 * new BCELoss().forward(sigmoid(logits), targets);
 * ```
 */
export class BCELoss extends Module {
  /** How per-element losses are combined. */
  readonly reduction: Reduction;
  /** The rescaling weight buffer, or null. */
  readonly weight: Tensor | null;

  constructor(options: BinaryCrossEntropyOptions = {}) {
    super();
    checkOptions('BCELoss', options, BCE_OPTIONS);
    this.reduction = checkReduction('BCELoss', options.reduction);
    this.weight = this.registerBuffer('weight', copyBuffer('BCELoss', 'weight', options.weight));
  }

  /** The loss of probabilities `input` against `target` (equal shapes). */
  forward(input: Tensor, target: Tensor): Tensor {
    return binaryCrossEntropy(input, target, { weight: this.weight, reduction: this.reduction });
  }

  override extraRepr(): string {
    return `reduction='${this.reduction}'`;
  }
}

/**
 * The binary cross entropy of logits as a module, like `torch.nn.BCEWithLogitsLoss`;
 * `forward(input, target)` calls {@link binaryCrossEntropyWithLogits} (stable for any logit). `weight`
 * and `posWeight` are buffers, named `weight` and `pos_weight` in the state dict as in PyTorch
 * ({@link Module.loadStateDict} still accepts `posWeight`, the name nabla saved before).
 *
 * See https://pytorch.org/docs/stable/generated/torch.nn.BCEWithLogitsLoss.html
 *
 * @example
 * ```ts
 * const criterion = new BCEWithLogitsLoss({ posWeight: tensor([3]) }); // positives are rare
 * criterion.forward(logits, targets);
 * Object.keys(criterion.stateDict()); // ['pos_weight']
 * ```
 */
export class BCEWithLogitsLoss extends Module {
  /** How per-element losses are combined. */
  readonly reduction: Reduction;
  /** The rescaling weight buffer, or null. */
  readonly weight: Tensor | null;
  /** The positive-class weight buffer (`pos_weight` in the state dict), or null. */
  readonly posWeight: Tensor | null;

  constructor(options: BinaryCrossEntropyWithLogitsOptions = {}) {
    super();
    checkOptions('BCEWithLogitsLoss', options, BCE_WITH_LOGITS_OPTIONS);
    this.reduction = checkReduction('BCEWithLogitsLoss', options.reduction);
    this.weight = this.registerBuffer('weight', copyBuffer('BCEWithLogitsLoss', 'weight', options.weight));
    this.posWeight = this.registerBuffer(
      'pos_weight',
      copyBuffer('BCEWithLogitsLoss', 'posWeight', options.posWeight),
      { legacyNames: ['posWeight'] }, // the name nabla saved before it took PyTorch's
    );
  }

  /** The loss of logits `input` against `target` (equal shapes). */
  forward(input: Tensor, target: Tensor): Tensor {
    return binaryCrossEntropyWithLogits(input, target, {
      weight: this.weight,
      posWeight: this.posWeight,
      reduction: this.reduction,
    });
  }

  override extraRepr(): string {
    return `reduction='${this.reduction}'`;
  }
}

/**
 * The Kullback-Leibler divergence loss as a module, like `torch.nn.KLDivLoss`;
 * `forward(input, target)` calls {@link klDiv} on log-probabilities `input`.
 *
 * See https://pytorch.org/docs/stable/generated/torch.nn.KLDivLoss.html
 *
 * @example
 * ```ts
 * new KLDivLoss({ reduction: 'batchmean' }).forward(logSoftmax(logits, 1), teacherProbs);
 * ```
 */
export class KLDivLoss extends Module {
  /** How per-element losses are combined (`'batchmean'` divides the sum by the batch size). */
  readonly reduction: Reduction | 'batchmean';
  /** Whether the target holds log-probabilities. */
  readonly logTarget: boolean;

  constructor(options: KLDivOptions = {}) {
    super();
    checkOptions('KLDivLoss', options, KL_DIV_OPTIONS);
    this.reduction = checkReduction<Reduction | 'batchmean'>('KLDivLoss', options.reduction, [
      'mean',
      'batchmean',
      'sum',
      'none',
    ]);
    this.logTarget = options.logTarget ?? false;
  }

  /** The loss of log-probabilities `input` against `target` (equal shapes). */
  forward(input: Tensor, target: Tensor): Tensor {
    return klDiv(input, target, { reduction: this.reduction, logTarget: this.logTarget });
  }

  override extraRepr(): string {
    return `reduction='${this.reduction}', logTarget=${this.logTarget}`;
  }
}

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
