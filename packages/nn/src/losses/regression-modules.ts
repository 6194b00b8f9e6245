// The regression losses as modules (MSELoss, L1Loss, SmoothL1Loss, HuberLoss): each holds its options and
// calls its loss function in `forward`.
import { checkOptions, type Tensor } from '@nablajs/core';
import { checkNumberIn, checkPositive } from '../functional/check';
import { Module } from '../module';
import { l1Loss } from './l1-loss';
import { mseLoss } from './mse-loss';
import { checkReduction, REDUCTION_OPTIONS, type Reduction, type ReductionOptions } from './reduction';
import {
  HUBER_LOSS_OPTIONS,
  type HuberLossOptions,
  huberLoss,
  SMOOTH_L1_LOSS_OPTIONS,
  type SmoothL1LossOptions,
  smoothL1Loss,
} from './smooth-l1-loss';

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
