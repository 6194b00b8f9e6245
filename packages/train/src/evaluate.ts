import {
  bringToHost,
  cat,
  checkOptions,
  defaultGenerator,
  isGradEnabled,
  noGrad,
  optionNames,
  setGradEnabled,
  Tensor,
  ValueError,
} from '@nablajs/core';
import { type Batch, type BatchSource, batchSource, type TrainData } from './batches';
import { type MetricFn, type MetricsOptions, RunningMean, resolveMetrics } from './metrics';
import type { Logs, Trainable } from './types';

/** The loss function of the loop: `(output, targets) => scalar loss`. */
export type LossFn = (output: Tensor, targets: Tensor) => Tensor;

/**
 * A loss given as an object with `forward(output, targets)`: a loss module of `@nablajs/nn`
 * (`new CrossEntropyLoss({ labelSmoothing: 0.1 })`), as a PyTorch loop takes `criterion = nn.CrossEntropyLoss()`.
 *
 * @example
 * ```ts
 * fit({ model, data, loss: new CrossEntropyLoss({ labelSmoothing: 0.1 }), optimizer, epochs: 5 });
 * ```
 */
export interface LossModule {
  /** The scalar loss of a batch's `output` against its `targets`. */
  forward(output: Tensor, targets: Tensor): Tensor;
}

/** Options of {@link evaluate}. */
export interface EvaluateOptions {
  /** The model (switched to eval mode while evaluating, then back). */
  model: Trainable;
  /** Batches of `[inputs, targets]`, or `{ x, y }` tensors. */
  data: TrainData;
  /** The loss function, or a loss module (see {@link LossModule}). */
  loss: LossFn | LossModule;
  /** Metrics to report besides the loss. */
  metrics?: MetricsOptions;
  /** Samples per batch for `{ x, y }` data (default `'full'`). */
  batchSize?: number | 'full';
}

const EVALUATE_OPTIONS = optionNames<EvaluateOptions>({
  model: true,
  data: true,
  loss: true,
  metrics: true,
  batchSize: true,
});

/**
 * Throw unless `model` looks like a {@link Trainable}.
 *
 * @internal
 */
export function checkModel(fn: string, model: unknown): Trainable {
  const m = model as Partial<Trainable> | null;
  if (typeof m !== 'object' || m === null)
    throw new ValueError(
      `${fn}: model must be a module (with forward, parameters, train, eval), got ${m === null ? 'null' : typeof m}`,
    );
  for (const method of ['forward', 'parameters', 'train', 'eval'] as const)
    if (typeof m[method] !== 'function') throw new ValueError(`${fn}: model has no ${method}() method`);
  return m as Trainable;
}

/**
 * Throw unless `loss` is a function.
 *
 * @internal
 */
export function checkLoss(fn: string, loss: unknown): LossFn {
  if (typeof loss === 'function') return loss as LossFn;
  if (typeof loss === 'object' && loss !== null && typeof (loss as LossModule).forward === 'function') {
    const module = loss as LossModule;
    return (output, targets) => module.forward(output, targets);
  }
  throw new ValueError(
    `${fn}: loss must be a function (output, targets) => scalar tensor, like crossEntropy or mseLoss, or a loss module with forward(output, targets), like new CrossEntropyLoss()`,
  );
}

/**
 * The value of a scalar loss tensor; throws naming the shape when the loss is not a scalar.
 *
 * @internal
 */
export function lossValue(fn: string, loss: unknown): number {
  return checkLossTensor(fn, loss).values[0];
}

/**
 * `loss` checked to be a one-element Tensor (without reading its value).
 *
 * @internal
 */
export function checkLossTensor(fn: string, loss: unknown): Tensor {
  if (!(loss instanceof Tensor))
    throw new ValueError(`${fn}: the loss function must return a Tensor, got ${loss === null ? 'null' : typeof loss}`);
  if (loss.size !== 1)
    throw new ValueError(
      `${fn}: the loss must be a scalar, got shape [${loss.shape.join(',')}]; use reduction 'mean' or 'sum'`,
    );
  return loss;
}

/**
 * {@link lossValue} read asynchronously: on the webgpu backend the loss (and `alsoRead`, e.g. the outputs
 * the metrics read) comes back in one copy; on the cpu and wasm backends it resolves at once.
 *
 * @internal
 */
export async function lossValueAsync(fn: string, loss: unknown, alsoRead: readonly unknown[] = []): Promise<number> {
  const tensor = checkLossTensor(fn, loss);
  await bringToHost([tensor, ...alsoRead.filter((t): t is Tensor => t instanceof Tensor)]);
  return tensor.values[0];
}

/**
 * Run `body` with the model in eval mode and gradients off, then restore the model's mode.
 *
 * @internal
 */
export function inEvalMode<T>(model: Trainable, body: () => T): T {
  const wasTraining = (model as { training?: unknown }).training;
  model.eval();
  try {
    return noGrad(body);
  } finally {
    if (wasTraining === true) model.train(true);
  }
}

/**
 * The mean loss and metrics of `model` over the batches of `source`, weighted by batch size. The caller
 * sets the mode (eval) and gradient mode (off).
 *
 * @internal
 */
export function evaluateSource(
  fn: string,
  model: Trainable,
  loss: LossFn,
  source: BatchSource,
  metrics: Readonly<Record<string, MetricFn>>,
): Logs {
  const lossMean = new RunningMean();
  const means = Object.keys(metrics).map((name) => [name, new RunningMean()] as const);
  for (const [inputs, targets] of source.epoch(defaultGenerator())) {
    const output = model.forward(inputs);
    const n = inputs.shape[0];
    lossMean.add(lossValue(fn, loss(output, targets)), n);
    for (const [name, mean] of means) mean.add(metrics[name](output, targets), n);
  }
  const logs: Logs = { loss: lossMean.value };
  for (const [name, mean] of means) logs[name] = mean.value;
  return logs;
}

/**
 * {@link evaluateSource} with the loss and outputs of each batch read asynchronously, in one copy per batch
 * (what `fit()` validates with, so that it runs on the webgpu backend). Sets eval mode and turns gradients
 * off itself, and restores both.
 *
 * @internal
 */
export async function evaluateSourceAsync(
  fn: string,
  model: Trainable,
  loss: LossFn,
  source: BatchSource,
  metrics: Readonly<Record<string, MetricFn>>,
): Promise<Logs> {
  const wasTraining = (model as { training?: unknown }).training;
  const recording = isGradEnabled();
  model.eval();
  const lossMean = new RunningMean();
  const means = Object.keys(metrics).map((name) => [name, new RunningMean()] as const);
  try {
    for (const [inputs, targets] of source.epoch(defaultGenerator())) {
      setGradEnabled(false);
      const output = model.forward(inputs);
      const value = await lossValueAsync(fn, loss(output, targets), means.length > 0 ? [output] : []);
      const n = inputs.shape[0];
      lossMean.add(value, n);
      for (const [name, mean] of means) mean.add(metrics[name](output, targets), n);
    }
  } finally {
    setGradEnabled(recording);
    if (wasTraining === true) model.train(true);
  }
  const logs: Logs = { loss: lossMean.value };
  for (const [name, mean] of means) logs[name] = mean.value;
  return logs;
}

/**
 * Evaluate a model: the loss and metrics over a data set, in eval mode without gradients, as Keras'
 * `Model.evaluate` (PyTorch: `model.eval()` and `torch.no_grad()` around a loop). Means are weighted by
 * batch size, so they equal the full-batch values.
 *
 * @example
 * ```ts
 * const logs = evaluate({ model, data: { x: xTest, y: yTest }, loss: crossEntropy, metrics: { accuracy: true } });
 * logs.accuracy; // e.g. 0.97
 * ```
 */
export function evaluate(options: EvaluateOptions): Logs {
  const fn = 'evaluate';
  if (typeof options !== 'object' || options === null) throw new ValueError(`${fn}: expected an options object`);
  checkOptions(fn, options, EVALUATE_OPTIONS);
  const model = checkModel(fn, options.model);
  const loss = checkLoss(fn, options.loss);
  const metrics = resolveMetrics(fn, options.metrics ?? {});
  const batching = options.batchSize === undefined ? {} : { batchSize: options.batchSize };
  const source = batchSource(fn, 'data', options.data, batching);
  return inEvalMode(model, () => evaluateSource(fn, model, loss, source, metrics));
}

const PREDICT_OPTIONS = ['batchSize'] as const;

/** What {@link predict} accepts: one tensor of inputs, `{ x }` data, or an iterable of batches or input tensors. */
export type PredictData = Tensor | InputsOnly | Iterable<Batch | Tensor>;

/** Inputs given as `{ x }`, like the tensor form of {@link fit}'s data. */
export interface InputsOnly {
  /** The inputs, one sample per row. */
  readonly x: Tensor;
}

/**
 * The model's outputs for some inputs, in eval mode without gradients, as Keras' `Model.predict`: a tensor
 * of inputs (split into batches of `batchSize` if given), `{ x }` data, or an iterable of `[inputs, targets]`
 * batches or input tensors (outputs concatenated along the first axis, in order).
 *
 * @example
 * ```ts
 * const logits = predict(model, xTest);
 * const classes = logits.argmax(1);
 * ```
 */
export function predict(model: Trainable, data: PredictData, options: { batchSize?: number } = {}): Tensor {
  const fn = 'predict';
  checkModel(fn, model);
  checkOptions(fn, options, PREDICT_OPTIONS);
  const { batchSize } = options;
  if (batchSize !== undefined && (!Number.isInteger(batchSize) || batchSize < 1))
    throw new ValueError(`${fn}: batchSize must be a positive integer, got ${JSON.stringify(batchSize)}`);
  const inputs = inputBatches(fn, data, batchSize);
  return inEvalMode(model, () => {
    const outputs: Tensor[] = [];
    for (const x of inputs) outputs.push(model.forward(x));
    if (outputs.length === 0) throw new ValueError(`${fn}: no inputs (the data yielded no batches)`);
    return outputs.length === 1 ? outputs[0] : cat(outputs, 0);
  });
}

function inputBatches(fn: string, data: PredictData, batchSize: number | undefined): Iterable<Tensor> {
  const x = data instanceof Tensor ? data : (data as { x?: unknown } | null)?.x;
  if (x instanceof Tensor) {
    if (x.ndim === 0) throw new ValueError(`${fn}: inputs need a sample dimension, got a scalar`);
    const n = x.shape[0];
    if (batchSize === undefined || batchSize >= n) return [x];
    const parts: Tensor[] = [];
    for (let start = 0; start < n; start += batchSize) parts.push(x.slice([[start, Math.min(start + batchSize, n)]]));
    return parts;
  }
  if (typeof data !== 'object' || data === null || typeof (data as Iterable<unknown>)[Symbol.iterator] !== 'function')
    throw new ValueError(`${fn}: expected a Tensor of inputs, { x } data, or an iterable of batches`);
  return (function* () {
    let i = 0;
    for (const item of data as Iterable<Batch | Tensor>) {
      if (item instanceof Tensor) yield item;
      else if (Array.isArray(item) && item[0] instanceof Tensor) yield item[0];
      else throw new ValueError(`${fn}: batch ${i} must be a Tensor of inputs or an [inputs, targets] pair`);
      i++;
    }
  })();
}
