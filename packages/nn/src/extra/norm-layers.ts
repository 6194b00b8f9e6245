import { checkOptions, ones, optionNames, reshape, ShapeError, type Tensor, ValueError, zeros } from '@nablajs/core';
import { checkEps } from '../functional/normalization';
import { checkNormalizedShape, checkTrailingShape } from '../layers/layer-norm';
import { RunningStatsNorm, type RunningStatsState, registerRunningStats } from '../layers/running-stats';
import { checkFloatDType, checkInput, checkInt, type FloatDType, formatShape } from '../layers/util';
import { Module } from '../module';
import { groupNorm, instanceNorm, rmsNorm } from './norm-functional';

/** Options of {@link GroupNorm}, with PyTorch's defaults. */
export interface GroupNormOptions {
  /** Added to the variance inside the square root (default 1e-5). */
  eps?: number;
  /** Learn a per-channel `weight` (init 1) and `bias` (init 0) (default true). */
  affine?: boolean;
  /** The parameters' dtype (default float32). */
  dtype?: FloatDType;
}

const GROUP_NORM_OPTIONS = optionNames<GroupNormOptions>({ eps: true, affine: true, dtype: true });

/**
 * Group normalisation, like `torch.nn.GroupNorm`: the `numChannels` channels of an `[N, C, *]` input
 * are split into `numGroups` groups of consecutive channels, each sample's group is normalised over
 * its channels and positions, and a per-channel affine map follows:
 * `y = (x - E[x]) / √(Var[x] + eps) · weight + bias` (biased variance). The same computation in
 * training and eval mode; no running statistics. Defaults: `eps` 1e-5, `affine` true (`weight` init 1,
 * `bias` init 0, shape `[C]`), `dtype` float32. `numGroups` must divide `numChannels`.
 *
 * See https://pytorch.org/docs/stable/generated/torch.nn.GroupNorm.html
 *
 * @example
 * ```ts
 * const gn = new GroupNorm(2, 6);
 * gn.forward(randn([4, 6, 10])).shape; // [4, 6, 10]
 * ```
 */
export class GroupNorm extends Module {
  /** The number of groups. */
  readonly numGroups: number;
  /** The number of channels `C`. */
  readonly numChannels: number;
  /** The variance offset. */
  readonly eps: number;
  /** Whether `weight` and `bias` are learned. */
  readonly affine: boolean;
  /** The per-channel scale `[C]` (init 1), or null. */
  readonly weight: Tensor | null;
  /** The per-channel shift `[C]` (init 0), or null. */
  readonly bias: Tensor | null;

  constructor(numGroups: number, numChannels: number, options: GroupNormOptions = {}) {
    super();
    const label = `GroupNorm(${numGroups}, ${numChannels})`;
    checkOptions(label, options, GROUP_NORM_OPTIONS);
    checkInt(label, 'numGroups', numGroups, 1);
    checkInt(label, 'numChannels', numChannels, 1);
    if (numChannels % numGroups !== 0)
      throw new ValueError(`${label}: numChannels (${numChannels}) must be divisible by numGroups (${numGroups})`);
    this.numGroups = numGroups;
    this.numChannels = numChannels;
    this.eps = checkEps(label, options.eps ?? 1e-5);
    this.affine = options.affine ?? true;
    const dtype = checkFloatDType(label, options.dtype);
    this.weight = this.registerParameter('weight', this.affine ? ones([numChannels], { dtype }) : null);
    this.bias = this.registerParameter('bias', this.affine ? zeros([numChannels], { dtype }) : null);
  }

  /** Normalise an `[N, C, *]` input. */
  forward(input: Tensor): Tensor {
    const label = `GroupNorm(${this.numGroups}, ${this.numChannels})`;
    checkInput(label, input);
    if (input.ndim < 2)
      throw new ShapeError(
        `${label}: expected an input of at least 2 dims [N, C, *], got shape ${formatShape(input.shape)}`,
      );
    if (input.shape[1] !== this.numChannels)
      throw new ShapeError(
        `${label}: input has ${input.shape[1]} channels in dimension 1, expected ${this.numChannels} (input shape ${formatShape(input.shape)})`,
      );
    return groupNorm(input, this.numGroups, this.weight, this.bias, this.eps);
  }

  override extraRepr(): string {
    return `${this.numGroups}, ${this.numChannels}, eps=${this.eps}, affine=${this.affine}`;
  }
}

/** Options of {@link InstanceNorm1d} and {@link InstanceNorm2d}, with PyTorch's defaults. */
export interface InstanceNormOptions {
  /** Added to the variance inside the square root (default 1e-5). */
  eps?: number;
  /** The weight of the new statistics in the running ones (default 0.1). */
  momentum?: number;
  /** Learn a per-channel `weight` (init 1) and `bias` (init 0) (default false). */
  affine?: boolean;
  /** Keep running statistics, updated in training and used in eval mode (default false). */
  trackRunningStats?: boolean;
  /** The parameters' and buffers' dtype (default float32). */
  dtype?: FloatDType;
}

const INSTANCE_NORM_OPTIONS = optionNames<InstanceNormOptions>({
  eps: true,
  momentum: true,
  affine: true,
  trackRunningStats: true,
  dtype: true,
});

type InstanceNormState = RunningStatsState<number>;

function createInstanceNorm(
  module: Module,
  label: string,
  numFeatures: number,
  options: InstanceNormOptions,
): InstanceNormState {
  checkInt(label, 'numFeatures', numFeatures, 1);
  checkOptions(label, options, INSTANCE_NORM_OPTIONS);
  const eps = checkEps(label, options.eps ?? 1e-5);
  // NOTE: unlike BatchNorm, a null momentum (cumulative average) is not accepted: PyTorch's instance_norm fails on it.
  const momentum = options.momentum === undefined ? 0.1 : options.momentum;
  if (typeof momentum !== 'number' || !(momentum >= 0 && momentum <= 1))
    throw new ValueError(`${label}: momentum must be in [0, 1], got ${momentum}`);
  const affine = options.affine ?? false;
  const trackRunningStats = options.trackRunningStats ?? false;
  const dtype = checkFloatDType(label, options.dtype);
  return registerRunningStats(module, { label, numFeatures, eps, momentum, affine, trackRunningStats }, dtype);
}

// PyTorch's _InstanceNorm.forward: an unbatched input gets a batch of one; instance statistics in
// training or without running statistics, the running ones otherwise.
function runInstanceNorm(
  label: string,
  s: InstanceNormState,
  training: boolean,
  input: unknown,
  unbatchedDims: number,
): Tensor {
  checkInput(label, input);
  if (input.ndim !== unbatchedDims && input.ndim !== unbatchedDims + 1) {
    const what = unbatchedDims === 2 ? 'a 2-D [C, L] or 3-D [N, C, L]' : 'a 3-D [C, H, W] or 4-D [N, C, H, W]';
    throw new ShapeError(`${label}: expected ${what} input, got shape ${formatShape(input.shape)}`);
  }
  const unbatched = input.ndim === unbatchedDims;
  const channels = input.shape[unbatched ? 0 : 1];
  // NOTE: PyTorch 1.13 only fails here when weights or running statistics are involved; nabla always does.
  if (channels !== s.numFeatures)
    throw new ShapeError(
      `${label}: input has ${channels} channels in dimension ${unbatched ? 0 : 1}, expected ${s.numFeatures} (input shape ${formatShape(input.shape)})`,
    );
  const x = unbatched ? reshape(input, [1, ...input.shape]) : input;
  const y = instanceNorm(
    x,
    s.runningMean,
    s.runningVar,
    s.weight,
    s.bias,
    training || !s.trackRunningStats,
    s.momentum,
    s.eps,
  );
  return unbatched ? reshape(y, input.shape) : y;
}

/**
 * The shared body of {@link InstanceNorm1d}, {@link InstanceNorm2d} and {@link InstanceNorm3d}: `rank` is the
 * number of spatial dimensions (1, 2 or 3). Buffers `running_mean`, `running_var` and `num_batches_tracked` (never incremented,
 * as in PyTorch 1.13).
 */
export abstract class InstanceNormNd extends RunningStatsNorm<number> {
  private readonly rank: 1 | 2 | 3;

  protected constructor(numFeatures: number, options: InstanceNormOptions, rank: 1 | 2 | 3) {
    super((m) => createInstanceNorm(m, `InstanceNorm${rank}d(${numFeatures})`, numFeatures, options));
    this.rank = rank;
  }

  /** Normalise a `[N, C, *]` or `[C, *]` input with `rank` spatial dimensions `*`. */
  forward(input: Tensor): Tensor {
    const label = `InstanceNorm${this.rank}d(${this.numFeatures})`;
    return runInstanceNorm(label, this.state, this.training, input, this.rank + 1);
  }
}

/**
 * Instance normalisation of `[N, C, L]` (or unbatched `[C, L]`) inputs, like `torch.nn.InstanceNorm1d`:
 * each sample's channel is normalised over its length, `y = (x - μ) / √(σ² + eps) · weight + bias`,
 * with the instance mean and **biased** variance.
 *
 * With `trackRunningStats`, training-mode calls also update the buffers `running_mean` and
 * `running_var` as `running = (1 - momentum)·running + momentum·mean_n(statistic)` with the
 * **unbiased** instance variance, and eval mode normalises with them; without it, instance statistics
 * are always used. Defaults: `eps` 1e-5, `momentum` 0.1, `affine` false, `trackRunningStats` false,
 * `dtype` float32. The state-dict names are PyTorch's (`weight`, `bias`, `running_mean`,
 * `running_var`, `num_batches_tracked`; like PyTorch 1.13, instance norm never increments the last).
 *
 * See https://pytorch.org/docs/stable/generated/torch.nn.InstanceNorm1d.html
 *
 * @example
 * ```ts
 * const norm = new InstanceNorm1d(4, { affine: true });
 * norm.forward(randn([2, 4, 16])).shape; // [2, 4, 16]
 * ```
 */
export class InstanceNorm1d extends InstanceNormNd {
  constructor(numFeatures: number, options: InstanceNormOptions = {}) {
    super(numFeatures, options, 1);
  }
}

/**
 * Instance normalisation of `[N, C, H, W]` (or unbatched `[C, H, W]`) inputs, like
 * `torch.nn.InstanceNorm2d`: each sample's channel is normalised over its `H x W` positions; the same
 * statistics, running updates, defaults and state-dict names as {@link InstanceNorm1d}.
 *
 * See https://pytorch.org/docs/stable/generated/torch.nn.InstanceNorm2d.html
 *
 * @example
 * ```ts
 * const norm = new InstanceNorm2d(3, { trackRunningStats: true });
 * norm.forward(randn([2, 3, 8, 8])); // running_mean and running_var move
 * norm.eval().forward(randn([3, 8, 8])); // normalised with the running statistics
 * ```
 */
export class InstanceNorm2d extends InstanceNormNd {
  constructor(numFeatures: number, options: InstanceNormOptions = {}) {
    super(numFeatures, options, 2);
  }
}

/**
 * Instance normalisation of `[N, C, D, H, W]` (or unbatched `[C, D, H, W]`) inputs, like
 * `torch.nn.InstanceNorm3d`: each sample's channel is normalised over its `D x H x W` positions; the same
 * statistics, running updates, defaults and state-dict names as {@link InstanceNorm1d}.
 *
 * See https://pytorch.org/docs/stable/generated/torch.nn.InstanceNorm3d.html
 *
 * @example
 * ```ts
 * const norm = new InstanceNorm3d(3, { affine: true });
 * norm.forward(randn([2, 3, 4, 8, 8])).shape; // [2, 3, 4, 8, 8]
 * ```
 */
export class InstanceNorm3d extends InstanceNormNd {
  constructor(numFeatures: number, options: InstanceNormOptions = {}) {
    super(numFeatures, options, 3);
  }
}

/** Options of {@link RMSNorm}, with PyTorch 2.4's defaults. */
export interface RMSNormOptions {
  /** Added to the mean square inside the square root; null (default) uses the input dtype's machine epsilon. */
  eps?: number | null;
  /** Learn a per-element `weight` (init 1) of shape `normalizedShape` (default true). */
  elementwiseAffine?: boolean;
  /** The weight's dtype (default float32). */
  dtype?: FloatDType;
}

const RMS_NORM_OPTIONS = optionNames<RMSNormOptions>({ eps: true, elementwiseAffine: true, dtype: true });

/**
 * Root-mean-square normalisation over the trailing dimensions `normalizedShape`, like PyTorch 2.4's
 * `torch.nn.RMSNorm` (it does not exist in PyTorch 1.13; nabla follows 2.4):
 * `y = x / √(mean(x², over normalizedShape) + eps) · weight`. No mean is subtracted and there is no
 * bias. Defaults: `eps` null (the machine epsilon of the input's dtype, `torch.finfo(x.dtype).eps`),
 * `elementwiseAffine` true (`weight` init 1, shape `normalizedShape`), `dtype` float32.
 *
 * See https://pytorch.org/docs/stable/generated/torch.nn.RMSNorm.html
 *
 * @example
 * ```ts
 * const norm = new RMSNorm(16);
 * norm.forward(randn([4, 10, 16])).shape; // [4, 10, 16]
 * ```
 */
export class RMSNorm extends Module {
  /** The trailing dimensions normalised over. */
  readonly normalizedShape: readonly number[];
  /** The offset, or null for the input dtype's machine epsilon. */
  readonly eps: number | null;
  /** Whether `weight` is learned. */
  readonly elementwiseAffine: boolean;
  /** The scale, of shape `normalizedShape`, or null. */
  readonly weight: Tensor | null;

  constructor(normalizedShape: number | readonly number[], options: RMSNormOptions = {}) {
    super();
    const shape = checkNormalizedShape('RMSNorm', normalizedShape);
    this.normalizedShape = shape;
    checkOptions(this.label(), options, RMS_NORM_OPTIONS);
    const eps = options.eps ?? null;
    this.eps = eps === null ? null : checkEps(this.label(), eps);
    this.elementwiseAffine = options.elementwiseAffine ?? true;
    const dtype = checkFloatDType(this.label(), options.dtype);
    this.weight = this.registerParameter('weight', this.elementwiseAffine ? ones(shape, { dtype }) : null);
  }

  private label(): string {
    return `RMSNorm(${formatShape(this.normalizedShape)})`;
  }

  /** Normalise `input` (shape `[*, ...normalizedShape]`) over its trailing dimensions. */
  forward(input: Tensor): Tensor {
    checkTrailingShape(this.label(), input, this.normalizedShape);
    return rmsNorm(input, this.normalizedShape, this.weight, this.eps);
  }

  override extraRepr(): string {
    return `${formatShape(this.normalizedShape)}, eps=${this.eps}, elementwiseAffine=${this.elementwiseAffine}`;
  }
}
