// The classification losses as modules (CrossEntropyLoss, NLLLoss, BCELoss, BCEWithLogitsLoss, KLDivLoss):
// each holds its options and calls its loss function in `forward`. A class weight is registered as a
// (copied) buffer, as in PyTorch, so it appears in the state dict.
import { checkOptions, clone, type Tensor } from '@nablajs/core';
import { checkFloating, checkNumberIn } from '../functional/check';
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
  CROSS_ENTROPY_OPTIONS,
  type CrossEntropyOptions,
  crossEntropy,
  NLL_LOSS_OPTIONS,
  type NLLLossOptions,
  nllLoss,
} from './cross-entropy';
import { KL_DIV_OPTIONS, type KLDivOptions, klDiv } from './kl-div';
import { checkReduction, type Reduction } from './reduction';

function copyBuffer(fn: string, name: string, t: Tensor | null | undefined): Tensor | null {
  if (t === undefined || t === null) return null;
  checkFloating(fn, name, t);
  // A copy by the copy kernel, so that a weight on the GPU (webgpu backend) is copied there.
  return clone(t.detach());
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
