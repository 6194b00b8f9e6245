import { ones, type Tensor, ValueError, zeros } from '@nablajs/core';
import { Module } from '../module';
import type { FloatDType } from './util';

/** The options and tensors of a per-channel normalisation layer with optional running statistics. */
export interface RunningStatsState<M extends number | null = number | null> {
  /** The layer's name in error messages (`BatchNorm1d(16)`). */
  label: string;
  numFeatures: number;
  eps: number;
  momentum: M;
  affine: boolean;
  trackRunningStats: boolean;
  weight: Tensor | null;
  bias: Tensor | null;
  runningMean: Tensor | null;
  runningVar: Tensor | null;
  numBatchesTracked: Tensor | null;
}

/** PyTorch's state-dict names of the running statistics, `[mean, var, count]`. */
const BUFFER_NAMES = ['running_mean', 'running_var', 'num_batches_tracked'] as const;

/**
 * Register a per-channel `weight` (init 1) and `bias` (init 0) when `affine`, and the running mean (init 0),
 * running variance (init 1) and 0-d int32 batch counter when `trackRunningStats`, under PyTorch's buffer
 * names `running_mean`, `running_var` and `num_batches_tracked` (with `legacyNames`, `[mean, var, count]`,
 * still accepted when loading), and return the whole state.
 */
export function registerRunningStats<M extends number | null>(
  module: Module,
  options: Omit<RunningStatsState<M>, 'weight' | 'bias' | 'runningMean' | 'runningVar' | 'numBatchesTracked'>,
  dtype: FloatDType,
  legacyNames: readonly [string, string, string] | null = null,
): RunningStatsState<M> {
  const { numFeatures: n, affine, trackRunningStats: track } = options;
  const buffer = (i: 0 | 1 | 2, value: Tensor | null) =>
    module.registerBuffer(BUFFER_NAMES[i], value, legacyNames === null ? {} : { legacyNames: [legacyNames[i]] });
  return {
    ...options,
    weight: module.registerParameter('weight', affine ? ones([n], { dtype }) : null),
    bias: module.registerParameter('bias', affine ? zeros([n], { dtype }) : null),
    runningMean: buffer(0, track ? zeros([n], { dtype }) : null),
    runningVar: buffer(1, track ? ones([n], { dtype }) : null),
    numBatchesTracked: buffer(2, track ? zeros([], { dtype: 'int32' }) : null),
  };
}

/**
 * The shared base of BatchNorm and InstanceNorm layers: exposes the options, parameters and running-statistic
 * buffers built by `create` (called once with the new module), and prints them in `extraRepr`.
 */
export abstract class RunningStatsNorm<M extends number | null = number | null> extends Module {
  /** The number of channels `C`. */
  readonly numFeatures: number;
  /** The variance offset. */
  readonly eps: number;
  /** Whether `weight` and `bias` are learned. */
  readonly affine: boolean;
  /** Whether running statistics are kept. */
  readonly trackRunningStats: boolean;
  /** The per-channel scale `[C]` (init 1), or null. */
  readonly weight: Tensor | null;
  /** The per-channel shift `[C]` (init 0), or null. */
  readonly bias: Tensor | null;
  /** Buffer `running_mean` in the state dict: the running mean `[C]` (init 0), or null. */
  readonly runningMean: Tensor | null;
  /** Buffer `running_var` in the state dict: the running unbiased variance `[C]` (init 1), or null. */
  readonly runningVar: Tensor | null;
  /** Buffer `num_batches_tracked` in the state dict: the number of training batches seen (a 0-d int32 tensor), or null. */
  readonly numBatchesTracked: Tensor | null;
  /** The same values, as one record for the forward helpers. @internal */
  protected readonly state: RunningStatsState<M>;

  protected constructor(create: (module: Module) => RunningStatsState<M>) {
    super();
    const s = create(this);
    this.state = s;
    this.numFeatures = s.numFeatures;
    this.eps = s.eps;
    this.affine = s.affine;
    this.trackRunningStats = s.trackRunningStats;
    this.weight = s.weight;
    this.bias = s.bias;
    this.runningMean = s.runningMean;
    this.runningVar = s.runningVar;
    this.numBatchesTracked = s.numBatchesTracked;
  }

  /**
   * The running-average factor in [0, 1] (BatchNorm: or null for a cumulative average). Writable, as in
   * PyTorch (`bn.momentum = null` switches a BatchNorm layer to a cumulative average, as `updateBn` does);
   * a value out of range is refused with the layer's name and leaves the momentum as it was.
   */
  get momentum(): M {
    return this.state.momentum;
  }

  /** Set the running-average factor (see the getter); refused, naming the layer, when out of range. */
  set momentum(value: M) {
    const nullable = this.state.label.startsWith('BatchNorm');
    if (value === null ? !nullable : !(typeof value === 'number' && value >= 0 && value <= 1))
      throw new ValueError(
        `${this.state.label}: momentum must be in [0, 1]${nullable ? ' or null' : ''}, got ${JSON.stringify(value) ?? String(value)}`,
      );
    this.state.momentum = value;
  }

  override extraRepr(): string {
    const s = this.state;
    return `${s.numFeatures}, eps=${s.eps}, momentum=${s.momentum}, affine=${s.affine}, trackRunningStats=${s.trackRunningStats}`;
  }
}
