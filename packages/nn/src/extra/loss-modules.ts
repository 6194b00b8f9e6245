import { checkOptions, clone, Tensor, ValueError } from '@nablajs/core';
import { checkFloating } from '../functional/check';
import { checkReduction, REDUCTION_OPTIONS, type Reduction, type ReductionOptions } from '../losses/reduction';
import { Module } from '../module';
import { checkBoolean, checkFiniteNumber } from './loss-checks';
import { GAUSSIAN_NLL_LOSS_OPTIONS, type GaussianNLLLossOptions, gaussianNllLoss } from './loss-gaussian-nll';
import { MULTI_MARGIN_LOSS_OPTIONS, type MultiMarginLossOptions, multiMarginLoss } from './loss-multi-margin';
import { POISSON_NLL_LOSS_OPTIONS, type PoissonNLLLossOptions, poissonNllLoss } from './loss-poisson-nll';
import {
  MULTILABEL_SOFT_MARGIN_LOSS_OPTIONS,
  type MultiLabelSoftMarginLossOptions,
  multilabelSoftMarginLoss,
  softMarginLoss,
} from './loss-soft-margin';
import { TRIPLET_MARGIN_LOSS_OPTIONS, type TripletMarginLossOptions, tripletMarginLoss } from './loss-triplet-margin';

// Like the loss modules of ../losses/modules.ts: they check and hold their options and call the loss
// function in `forward`; a class weight is a (copied) buffer named `weight`, as in PyTorch.

function copyBuffer(fn: string, t: Tensor | null | undefined): Tensor | null {
  if (t === undefined || t === null) return null;
  checkFloating(fn, 'weight', t);
  // A copy by the copy kernel, so that a weight on the GPU (webgpu backend) is copied there.
  return clone(t.detach());
}

/**
 * The Poisson negative log-likelihood as a module, like `torch.nn.PoissonNLLLoss`;
 * `forward(input, target)` calls {@link poissonNllLoss}: `exp(x) - y x` (or `x - y log(x + eps)` when
 * `logInput` is false), plus the Stirling term when `full`. Defaults: `logInput` true, `full` false,
 * `eps` 1e-8, `reduction` `'mean'`.
 *
 * See https://pytorch.org/docs/1.13/generated/torch.nn.PoissonNLLLoss.html
 *
 * @example
 * ```ts
 * new PoissonNLLLoss().forward(logRates, counts).backward();
 * ```
 */
export class PoissonNLLLoss extends Module {
  /** How per-element losses are combined. */
  readonly reduction: Reduction;
  /** Whether the input is the log of the rate. */
  readonly logInput: boolean;
  /** Whether the Stirling term is added. */
  readonly full: boolean;
  /** Added to the rate inside the log when `logInput` is false. */
  readonly eps: number;

  constructor(options: PoissonNLLLossOptions = {}) {
    super();
    checkOptions('PoissonNLLLoss', options, POISSON_NLL_LOSS_OPTIONS);
    this.reduction = checkReduction('PoissonNLLLoss', options.reduction);
    this.logInput = checkBoolean('PoissonNLLLoss', 'logInput', options.logInput ?? true);
    this.full = checkBoolean('PoissonNLLLoss', 'full', options.full ?? false);
    this.eps = checkFiniteNumber('PoissonNLLLoss', 'eps', options.eps ?? 1e-8);
  }

  /** The loss of `input` against `target` (equal shapes). */
  forward(input: Tensor, target: Tensor): Tensor {
    const { logInput, full, eps, reduction } = this;
    return poissonNllLoss(input, target, { logInput, full, eps, reduction });
  }

  override extraRepr(): string {
    return `logInput=${this.logInput}, full=${this.full}, eps=${this.eps}, reduction='${this.reduction}'`;
  }
}

/**
 * The two-class logistic loss as a module, like `torch.nn.SoftMarginLoss`; `forward(input, target)`
 * calls {@link softMarginLoss}: `log(1 + exp(-y x))`, reduced by `reduction` (default `'mean'`).
 *
 * See https://pytorch.org/docs/1.13/generated/torch.nn.SoftMarginLoss.html
 *
 * @example
 * ```ts
 * new SoftMarginLoss().forward(tensor([0]), tensor([1])).item(); // 0.6931...
 * ```
 */
export class SoftMarginLoss extends Module {
  /** How per-element losses are combined. */
  readonly reduction: Reduction;

  constructor(options: ReductionOptions = {}) {
    super();
    checkOptions('SoftMarginLoss', options, REDUCTION_OPTIONS);
    this.reduction = checkReduction('SoftMarginLoss', options.reduction);
  }

  /** The loss of `input` against `target` (equal shapes, labels ±1). */
  forward(input: Tensor, target: Tensor): Tensor {
    return softMarginLoss(input, target, { reduction: this.reduction });
  }

  override extraRepr(): string {
    return `reduction='${this.reduction}'`;
  }
}

/**
 * The multi-label one-versus-all logistic loss as a module, like `torch.nn.MultiLabelSoftMarginLoss`;
 * `forward(input, target)` calls {@link multilabelSoftMarginLoss}:
 * `-(1/C) Σ_c w_c (y_c log σ(x_c) + (1 - y_c) log σ(-x_c))` per sample. The class weight (default none)
 * is a buffer (a copy of the one given); `reduction` defaults to `'mean'`.
 *
 * See https://pytorch.org/docs/1.13/generated/torch.nn.MultiLabelSoftMarginLoss.html
 *
 * @example
 * ```ts
 * new MultiLabelSoftMarginLoss().forward(tensor([[0, 0]]), tensor([[1, 0]])).item(); // 0.6931...
 * ```
 */
export class MultiLabelSoftMarginLoss extends Module {
  /** How per-sample losses are combined. */
  readonly reduction: Reduction;
  /** The class weight buffer, or null. */
  readonly weight: Tensor | null;

  constructor(options: MultiLabelSoftMarginLossOptions = {}) {
    super();
    checkOptions('MultiLabelSoftMarginLoss', options, MULTILABEL_SOFT_MARGIN_LOSS_OPTIONS);
    this.reduction = checkReduction('MultiLabelSoftMarginLoss', options.reduction);
    this.weight = this.registerBuffer('weight', copyBuffer('MultiLabelSoftMarginLoss', options.weight));
  }

  /** The loss of scores `input` against 0/1 `target` (equal shapes, classes last). */
  forward(input: Tensor, target: Tensor): Tensor {
    return multilabelSoftMarginLoss(input, target, { weight: this.weight, reduction: this.reduction });
  }

  override extraRepr(): string {
    return `reduction='${this.reduction}'`;
  }
}

/**
 * The multi-class hinge loss as a module, like `torch.nn.MultiMarginLoss`; `forward(input, target)`
 * calls {@link multiMarginLoss}: `(1/C) Σ_{c ≠ y} w_y max(0, margin - x_y + x_c)^p` per sample.
 * Defaults: `p` 1 (1 or 2), `margin` 1, no weight (a buffer when given), `reduction` `'mean'`.
 *
 * See https://pytorch.org/docs/1.13/generated/torch.nn.MultiMarginLoss.html
 *
 * @example
 * ```ts
 * new MultiMarginLoss({ p: 2 }).forward(scores, tensor([3, 0], { dtype: 'int32' }));
 * ```
 */
export class MultiMarginLoss extends Module {
  /** How per-sample losses are combined. */
  readonly reduction: Reduction;
  /** The power of the hinge, 1 or 2. */
  readonly p: number;
  /** The margin. */
  readonly margin: number;
  /** The class weight buffer, or null. */
  readonly weight: Tensor | null;

  constructor(options: MultiMarginLossOptions = {}) {
    super();
    checkOptions('MultiMarginLoss', options, MULTI_MARGIN_LOSS_OPTIONS);
    this.reduction = checkReduction('MultiMarginLoss', options.reduction);
    const p = options.p ?? 1;
    if (p !== 1 && p !== 2) throw new ValueError(`MultiMarginLoss: p must be 1 or 2, got ${JSON.stringify(p)}`);
    this.p = p;
    this.margin = checkFiniteNumber('MultiMarginLoss', 'margin', options.margin ?? 1);
    const weight = options.weight ?? null;
    if (weight !== null && weight instanceof Tensor && weight.ndim !== 1)
      throw new ValueError(`MultiMarginLoss: weight must be one-dimensional, got shape [${weight.shape.join(',')}]`);
    this.weight = this.registerBuffer('weight', copyBuffer('MultiMarginLoss', weight));
  }

  /** The loss of scores `input` (`[N, C]` or `[C]`) against int32 class indices `target`. */
  forward(input: Tensor, target: Tensor): Tensor {
    const { p, margin, weight, reduction } = this;
    return multiMarginLoss(input, target, { p, margin, weight, reduction });
  }

  override extraRepr(): string {
    return `p=${this.p}, margin=${this.margin}, reduction='${this.reduction}'`;
  }
}

/**
 * The triplet margin loss as a module, like `torch.nn.TripletMarginLoss`;
 * `forward(anchor, positive, negative)` calls {@link tripletMarginLoss}:
 * `max(0, margin + d(a, p) - d(a, n))` with `d(x, y) = ‖x - y + eps‖_p`. Defaults: `margin` 1, `p` 2,
 * `eps` 1e-6, `swap` false, `reduction` `'mean'`.
 *
 * See https://pytorch.org/docs/1.13/generated/torch.nn.TripletMarginLoss.html
 *
 * @example
 * ```ts
 * new TripletMarginLoss({ margin: 0.5 }).forward(anchor, positive, negative).backward();
 * ```
 */
export class TripletMarginLoss extends Module {
  /** How per-triplet losses are combined. */
  readonly reduction: Reduction;
  /** The margin. */
  readonly margin: number;
  /** The order of the distance. */
  readonly p: number;
  /** Added to the differences before the norm. */
  readonly eps: number;
  /** Whether the distance swap is used. */
  readonly swap: boolean;

  constructor(options: TripletMarginLossOptions = {}) {
    super();
    const fn = 'TripletMarginLoss';
    checkOptions(fn, options, TRIPLET_MARGIN_LOSS_OPTIONS);
    this.reduction = checkReduction(fn, options.reduction);
    this.margin = checkFiniteNumber(fn, 'margin', options.margin ?? 1);
    const p = options.p ?? 2;
    if (typeof p !== 'number' || !(p > 0))
      throw new ValueError(`${fn}: p must be a positive number or Infinity, got ${JSON.stringify(p)}`);
    this.p = p;
    this.eps = checkFiniteNumber(fn, 'eps', options.eps ?? 1e-6);
    this.swap = checkBoolean(fn, 'swap', options.swap ?? false);
  }

  /** The loss of the triplets (`[N, D]` or `[D]` each). */
  forward(anchor: Tensor, positive: Tensor, negative: Tensor): Tensor {
    const { margin, p, eps, swap, reduction } = this;
    return tripletMarginLoss(anchor, positive, negative, { margin, p, eps, swap, reduction });
  }

  override extraRepr(): string {
    return `margin=${this.margin}, p=${this.p}, eps=${this.eps}, swap=${this.swap}, reduction='${this.reduction}'`;
  }
}

/**
 * The Gaussian negative log-likelihood as a module, like `torch.nn.GaussianNLLLoss`;
 * `forward(input, target, var)` calls {@link gaussianNllLoss}:
 * `½ (log max(var, eps) + (x - y)² / max(var, eps))` (plus `½ log 2π` when `full`). Defaults: `full`
 * false, `eps` 1e-6, `reduction` `'mean'`.
 *
 * See https://pytorch.org/docs/1.13/generated/torch.nn.GaussianNLLLoss.html
 *
 * @example
 * ```ts
 * new GaussianNLLLoss().forward(mean, target, variance).backward();
 * ```
 */
export class GaussianNLLLoss extends Module {
  /** How per-element losses are combined. */
  readonly reduction: Reduction;
  /** Whether the constant term is added. */
  readonly full: boolean;
  /** The lower clamp of the variance. */
  readonly eps: number;

  constructor(options: GaussianNLLLossOptions = {}) {
    super();
    checkOptions('GaussianNLLLoss', options, GAUSSIAN_NLL_LOSS_OPTIONS);
    this.reduction = checkReduction('GaussianNLLLoss', options.reduction);
    this.full = checkBoolean('GaussianNLLLoss', 'full', options.full ?? false);
    this.eps = checkFiniteNumber('GaussianNLLLoss', 'eps', options.eps ?? 1e-6);
  }

  /** The loss of means `input` and variances `variance` against `target`. */
  forward(input: Tensor, target: Tensor, variance: Tensor): Tensor {
    const { full, eps, reduction } = this;
    return gaussianNllLoss(input, target, variance, { full, eps, reduction });
  }

  override extraRepr(): string {
    return `full=${this.full}, eps=${this.eps}, reduction='${this.reduction}'`;
  }
}
