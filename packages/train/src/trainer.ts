import { checkOptions, type Generator, optionNames, type Tensor, ValueError } from '@nablajs/core';
import type { Optimizer, OptimizerPlugin } from '@nablajs/optim';
import { batchSource, type TrainData } from './batches';
import {
  checkLoss,
  checkModel,
  evaluateSource,
  inEvalMode,
  type LossFn,
  type LossModule,
  type PredictData,
  predict,
} from './evaluate';
import { type FitResult, fit } from './fit';
import { FIT_OPTIONS, type FitOptions } from './fit-options';
import { type MetricFn, type MetricsOptions, resolveMetrics } from './metrics';
import { hasMetrics } from './plugins/metrics';
import type { Logs, Trainable, TrainPlugin } from './types';

/** Options of the {@link Trainer}: what stays the same across `fit`, `evaluate` and `predict` calls. */
export interface TrainerOptions {
  /** The model. */
  model: Trainable;
  /** The loss function, or a loss module (see {@link LossModule}). */
  loss: LossFn | LossModule;
  /** The optimizer, or null when a plugin on `step` updates the parameters. */
  optimizer: Optimizer | null;
  /** Plugins used by every `fit` call (before the call's own plugins). */
  plugins?: ReadonlyArray<TrainPlugin | OptimizerPlugin>;
  /** Metrics for training, validation and `evaluate`. */
  metrics?: MetricsOptions;
  /** The generator that shuffles `{ x, y }` data. */
  generator?: Generator;
  /** Where the loop reports what it decided. */
  log?: (message: string) => void;
}

/** The per-call options of {@link Trainer.fit}: the data and the schedule. */
export type TrainerFitOptions = Omit<FitOptions, 'model' | 'loss' | 'optimizer' | 'metrics' | 'generator' | 'log'>;

const TRAINER_OPTIONS = optionNames<TrainerOptions>({
  model: true,
  loss: true,
  optimizer: true,
  plugins: true,
  metrics: true,
  generator: true,
  log: true,
});
const TRAINER_FIT_OPTIONS = FIT_OPTIONS.filter(
  (name) => !['model', 'loss', 'optimizer', 'metrics', 'generator', 'log'].includes(name),
);

/**
 * A model, its loss, optimizer, plugins and metrics bundled once, with Keras' `fit` / `evaluate` /
 * `predict` (PyTorch Lightning's `Trainer` plays the same role). `fit` runs the {@link fit} loop.
 *
 * @example
 * ```ts
 * const trainer = new Trainer({ model, loss: crossEntropy, optimizer: adam(model.parameters()), metrics: { accuracy: true } });
 * await trainer.fit({ data: trainLoader, validation: valLoader, epochs: 10 });
 * trainer.evaluate(testLoader).accuracy;
 * const classes = trainer.predict(xNew).argmax(1);
 * ```
 */
export class Trainer {
  /** The model being trained. */
  readonly model: Trainable;
  /** The loss function. */
  readonly loss: LossFn;
  /** The optimizer (null when a plugin performs the step). */
  readonly optimizer: Optimizer | null;
  private readonly options: TrainerOptions;

  constructor(options: TrainerOptions) {
    if (typeof options !== 'object' || options === null) throw new ValueError('Trainer: expected an options object');
    checkOptions('Trainer', options, TRAINER_OPTIONS);
    this.model = checkModel('Trainer', options.model);
    this.loss = checkLoss('Trainer', options.loss);
    if (options.optimizer === undefined)
      throw new ValueError("Trainer: optimizer is required; pass null to update the parameters in a plugin on 'step'");
    this.optimizer = options.optimizer;
    this.options = { ...options, plugins: [...(options.plugins ?? [])] };
  }

  /**
   * Train with the trainer's model, loss, optimizer, plugins and metrics; the call's `plugins` run after
   * the trainer's. See {@link fit}.
   */
  fit(options: TrainerFitOptions): Promise<FitResult> {
    checkOptions('Trainer.fit', options, TRAINER_FIT_OPTIONS);
    const { plugins, ...rest } = options;
    return fit({
      ...rest,
      model: this.model,
      loss: this.loss,
      optimizer: this.optimizer,
      plugins: [...(this.options.plugins ?? []), ...(plugins ?? [])],
      metrics: this.options.metrics,
      generator: this.options.generator,
      log: this.options.log,
    });
  }

  /**
   * The loss and metrics (the trainer's `metrics` and those of its metric plugins) over `data`, in eval
   * mode without gradients (see {@link evaluate}).
   */
  evaluate(data: TrainData, options: { batchSize?: number | 'full' } = {}): Logs {
    const fn = 'Trainer.evaluate';
    checkOptions(fn, options, ['batchSize']);
    const metrics: Record<string, MetricFn> = resolveMetrics(fn, this.options.metrics ?? {});
    for (const plugin of this.options.plugins ?? []) if (hasMetrics(plugin)) Object.assign(metrics, plugin.metrics);
    const source = batchSource(
      fn,
      'data',
      data,
      options.batchSize === undefined ? {} : { batchSize: options.batchSize },
    );
    return inEvalMode(this.model, () => evaluateSource(fn, this.model, this.loss, source, metrics));
  }

  /** The model's outputs for `data` in eval mode without gradients (see {@link predict}). */
  predict(data: PredictData, options: { batchSize?: number } = {}): Tensor {
    checkOptions('Trainer.predict', options, ['batchSize']);
    return predict(this.model, data, options);
  }
}
