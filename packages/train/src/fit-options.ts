// The options of fit() and their names, which fit and the Trainer check a caller's options against.
import { type Generator, optionNames } from '@nablajs/core';
import type { Optimizer, OptimizerPlugin } from '@nablajs/optim';
import type { TrainData } from './batches';
import type { LossFn, LossModule } from './evaluate';
import type { fit } from './fit';
import type { MetricsOptions } from './metrics';
import type { metricsPlugin } from './plugins/metrics';
import type { Trainable, TrainPlugin } from './types';
/** Options of {@link fit}. */
export interface FitOptions {
  /** The model to train: an nn `Module` or anything {@link Trainable}. */
  model: Trainable;
  /**
   * The training data: an iterable of `[inputs, targets]` batches, iterated again every epoch (an array, a
   * `DataLoader`), or `{ x, y }` tensors batched by the loop with `batchSize` and `shuffle`.
   */
  data: TrainData;
  /**
   * The loss function, `(output, targets) => scalar` (`crossEntropy`, `mseLoss`, ...), or a loss module with
   * `forward(output, targets)` (`new CrossEntropyLoss({ labelSmoothing: 0.1 })`, see {@link LossModule}).
   */
  loss: LossFn | LossModule;
  /** The optimizer, stepped by the built-in plugin on `step`; `null` when a plugin of yours updates the parameters. */
  optimizer: Optimizer | null;
  /** The index of the epoch at which training ends (Keras' `epochs`): epochs `initialEpoch .. epochs-1` run. */
  epochs: number;
  /** Validation data, same forms as `data` (`{ x, y }` uses `batchSize`, never shuffled), evaluated after every epoch. */
  validation?: TrainData;
  /** Training plugins (and optimizer plugins with a `setup`), subscribed in this order after the built-ins. */
  plugins?: ReadonlyArray<TrainPlugin | OptimizerPlugin>;
  /** Metrics to compute on the training batches and on the validation data (adds {@link metricsPlugin} first). */
  metrics?: MetricsOptions;
  /** For `{ x, y }` data: 1 (stochastic), n (mini-batch) or `'full'` (default: batch gradient descent). */
  batchSize?: number | 'full';
  /** For `{ x, y }` data: reshuffle the samples every epoch (default true, as Keras' `fit`). */
  shuffle?: boolean;
  /** The generator that shuffles `{ x, y }` data (default: the global generator, seeded by `manualSeed`). */
  generator?: Generator;
  /** The epoch to start from, when resuming (Keras' `initial_epoch`). Default 0. */
  initialEpoch?: number;
  /** The optimizer steps already taken, when resuming (`ctx.globalStep` starts here). Default 0. */
  initialStep?: number;
  /** Where the loop reports what it decided (why it stopped); default: nowhere. */
  log?: (message: string) => void;
  /**
   * Dispose the tensors created during each batch (and each validation pass) when it ends, as
   * `tidy` in @nablajs/core does: with the wasm backend this reuses the same blocks of WebAssembly
   * memory every step. The batches that fit gathers from `{ x, y }` data are freed too (the data itself
   * never is, nor batches from an iterable you pass, nor parameters, gradients or optimizer state); a
   * plugin that keeps a tensor of a batch (`ctx.inputs`, `ctx.output`, `ctx.loss`) past `batchEnd` must
   * `clone()` it (or `keep()` one the batch computed). Default `'auto'`: on when the wasm backend is active, off on the cpu
   * backend (where the garbage collector frees memory as well).
   */
  tidy?: boolean | 'auto';
  /**
   * Record each batch shape's forward, loss and backward once with `capture()` of @nablajs/core and replay
   * them for the next batches of that shape, without the JavaScript of the modules and of autograd (default
   * false; the cpu and wasm backends). The results are those of the step without it (bit for bit with the
   * layers and losses of @nablajs/nn; an op that takes another path inside a capture, as `prod`'s gradient
   * does, agrees to rounding); the optimizer step, the metrics and every plugin event still run as usual. Plugins may not handle
   * `afterForward` or `beforeBackward` (a replay cannot stop between forward and backward, so gradient
   * accumulation is out), and the model may not draw random numbers in training mode (dropout): both are
   * refused. `ctx.output` and `ctx.loss` are then the captured step's tensors, written again by the next
   * batch of their shape: `clone()` what a plugin keeps.
   */
  capture?: boolean;
}

/** The option names of {@link FitOptions}. */
export const FIT_OPTIONS = optionNames<FitOptions>({
  model: true,
  data: true,
  loss: true,
  optimizer: true,
  epochs: true,
  validation: true,
  plugins: true,
  metrics: true,
  batchSize: true,
  shuffle: true,
  generator: true,
  initialEpoch: true,
  initialStep: true,
  log: true,
  tidy: true,
  capture: true,
});
