import { checkOptions, optionNames, runOnHost, ShapeError, type Tensor, ValueError } from '@nablajs/core';
import { batchNorm } from '../functional/normalization';
import type { Module } from '../module';
import { RunningStatsNorm, type RunningStatsState, registerRunningStats } from './running-stats';
import { checkFloatDType, checkInput, checkInt, type FloatDType, formatShape } from './util';

/** Options of {@link BatchNorm1d} and {@link BatchNorm2d}, with PyTorch's defaults. */
export interface BatchNormOptions {
  /** Added to the variance inside the square root (default 1e-5). */
  eps?: number;
  /**
   * The weight of the new batch in the running statistics, `running = (1 - momentum)·running +
   * momentum·batch` (default 0.1); `null` uses a cumulative average (`momentum = 1 / numBatchesTracked`).
   */
  momentum?: number | null;
  /** Learn a per-channel `weight` (init 1) and `bias` (init 0) (default true). */
  affine?: boolean;
  /** Keep running statistics for eval mode (default true); without them, batch statistics are always used. */
  trackRunningStats?: boolean;
  /** The parameters' and buffers' dtype (default float32). */
  dtype?: FloatDType;
}

const BATCH_NORM_OPTIONS = optionNames<BatchNormOptions>({
  eps: true,
  momentum: true,
  affine: true,
  trackRunningStats: true,
  dtype: true,
});

type BatchNormState = RunningStatsState<number | null>;

function createBatchNorm(
  module: Module,
  label: string,
  numFeatures: number,
  options: BatchNormOptions,
): BatchNormState {
  checkInt(label, 'numFeatures', numFeatures, 1);
  checkOptions(label, options, BATCH_NORM_OPTIONS);
  const { eps = 1e-5, momentum = 0.1, affine = true, trackRunningStats = true } = options;
  if (typeof eps !== 'number' || !(eps >= 0)) throw new ValueError(`${label}: eps must be a number >= 0, got ${eps}`);
  if (momentum !== null && (typeof momentum !== 'number' || !(momentum >= 0 && momentum <= 1)))
    throw new ValueError(`${label}: momentum must be in [0, 1] or null, got ${momentum}`);
  const dtype = checkFloatDType(label, options.dtype);
  // The camelCase names are those nabla saved before it took PyTorch's: checkpoints with them still load.
  return registerRunningStats(module, { label, numFeatures, eps, momentum, affine, trackRunningStats }, dtype, [
    'runningMean',
    'runningVar',
    'numBatchesTracked',
  ]);
}

// PyTorch's _BatchNorm.forward: count the batch, pick the momentum, and decide between batch and running statistics.
function runBatchNorm(label: string, s: BatchNormState, training: boolean, input: Tensor): Tensor {
  if (input.shape[1] !== s.numFeatures)
    throw new ShapeError(
      `${label}: input has ${input.shape[1]} channels in dimension 1, expected ${s.numFeatures} (input shape ${formatShape(input.shape)})`,
    );
  const useBatchStats = training || (s.runningMean === null && s.runningVar === null);
  if (useBatchStats && input.size / s.numFeatures <= 1)
    throw new ValueError(
      `${label}: expected more than 1 value per channel when training, got input shape ${formatShape(input.shape)}`,
    );
  let factor = s.momentum ?? 0;
  if (training && s.trackRunningStats && s.numBatchesTracked !== null) {
    // Counted where the counter is (on the host; on the webgpu backend, after it is read back if it was
    // ever copied to the GPU). A cumulative average (momentum null) reads the count at once.
    const count = s.numBatchesTracked._array;
    runOnHost([], [count], () => {
      count[0] += 1;
    });
    s.numBatchesTracked.markModified();
    factor = s.momentum ?? 1 / s.numBatchesTracked.values[0];
  }
  const track = !training || s.trackRunningStats;
  return batchNorm(
    input,
    track ? s.runningMean : null,
    track ? s.runningVar : null,
    s.weight,
    s.bias,
    useBatchStats,
    factor,
    s.eps,
  );
}

/**
 * Batch normalisation of `[N, C]` or `[N, C, L]` inputs over the batch (and length) per channel, like
 * `torch.nn.BatchNorm1d`: `y = (x - μ) / √(σ² + eps) · weight + bias`.
 *
 * In training mode `μ` and `σ²` are the batch mean and **biased** variance, and the buffers are updated
 * as `runningMean = (1 - momentum)·runningMean + momentum·μ`, `runningVar` likewise with the
 * **unbiased** batch variance, and `numBatchesTracked += 1`. In eval mode the running statistics are used.
 *
 * The state-dict names are PyTorch's: `weight`, `bias`, `running_mean`, `running_var` and
 * `num_batches_tracked` (the fields stay camelCase: `bn.runningMean`), so a PyTorch checkpoint loads as it
 * is. {@link Module.loadStateDict} still accepts the names nabla saved before, `runningMean`, `runningVar`
 * and `numBatchesTracked`, as legacy names of the same buffers.
 *
 * See https://pytorch.org/docs/stable/generated/torch.nn.BatchNorm1d.html
 *
 * @example
 * ```ts
 * const bn = new BatchNorm1d(16);
 * bn.forward(randn([32, 16])); // normalised per feature; runningMean moved towards the batch mean
 * bn.eval().forward(randn([1, 16])); // uses the running statistics
 * Object.keys(bn.stateDict()); // ['weight', 'bias', 'running_mean', 'running_var', 'num_batches_tracked']
 * ```
 */
export class BatchNorm1d extends RunningStatsNorm<number | null> {
  constructor(numFeatures: number, options: BatchNormOptions = {}) {
    super((m) => createBatchNorm(m, `BatchNorm1d(${numFeatures})`, numFeatures, options));
  }

  /** Normalise a `[N, C]` or `[N, C, L]` input. */
  forward(input: Tensor): Tensor {
    const label = `BatchNorm1d(${this.numFeatures})`;
    checkInput(label, input);
    if (input.ndim !== 2 && input.ndim !== 3)
      throw new ShapeError(
        `${label}: expected a 2-D [N, C] or 3-D [N, C, L] input, got shape ${formatShape(input.shape)}`,
      );
    return runBatchNorm(label, this.state, this.training, input);
  }
}

/**
 * Batch normalisation of `[N, C, H, W]` inputs over the batch and spatial dimensions per channel, like
 * `torch.nn.BatchNorm2d`; the same statistics, running updates and state-dict names as {@link BatchNorm1d}.
 *
 * See https://pytorch.org/docs/stable/generated/torch.nn.BatchNorm2d.html
 *
 * @example
 * ```ts
 * const bn = new BatchNorm2d(8);
 * bn.forward(randn([4, 8, 16, 16])).shape; // [4, 8, 16, 16]
 * ```
 */
export class BatchNorm2d extends RunningStatsNorm<number | null> {
  constructor(numFeatures: number, options: BatchNormOptions = {}) {
    super((m) => createBatchNorm(m, `BatchNorm2d(${numFeatures})`, numFeatures, options));
  }

  /** Normalise a `[N, C, H, W]` input. */
  forward(input: Tensor): Tensor {
    const label = `BatchNorm2d(${this.numFeatures})`;
    checkInput(label, input);
    if (input.ndim !== 4)
      throw new ShapeError(`${label}: expected a 4-D input [N, C, H, W], got shape ${formatShape(input.shape)}`);
    return runBatchNorm(label, this.state, this.training, input);
  }
}

/**
 * Batch normalisation of `[N, C, D, H, W]` inputs over the batch and the three spatial dimensions per channel,
 * like `torch.nn.BatchNorm3d`; the same statistics, running updates and state-dict names as {@link BatchNorm1d}.
 *
 * See https://pytorch.org/docs/stable/generated/torch.nn.BatchNorm3d.html
 *
 * @example
 * ```ts
 * const bn = new BatchNorm3d(8);
 * bn.forward(randn([2, 8, 4, 16, 16])).shape; // [2, 8, 4, 16, 16]
 * ```
 */
export class BatchNorm3d extends RunningStatsNorm<number | null> {
  constructor(numFeatures: number, options: BatchNormOptions = {}) {
    super((m) => createBatchNorm(m, `BatchNorm3d(${numFeatures})`, numFeatures, options));
  }

  /** Normalise a `[N, C, D, H, W]` input. */
  forward(input: Tensor): Tensor {
    const label = `BatchNorm3d(${this.numFeatures})`;
    checkInput(label, input);
    if (input.ndim !== 5)
      throw new ShapeError(`${label}: expected a 5-D input [N, C, D, H, W], got shape ${formatShape(input.shape)}`);
    return runBatchNorm(label, this.state, this.training, input);
  }
}
