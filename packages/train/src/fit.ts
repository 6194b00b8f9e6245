import { checkOptions, defaultGenerator, endScope, Generator, getBackend, startScope, ValueError } from '@nablajs/core';
import type { Optimizer, OptimizerPlugin } from '@nablajs/optim';
import { type BatchSource, batchSource, isTensorData } from './batches';
import { CapturedSteps } from './captured-steps';
import { createContext, type LoopContext, resetBatch } from './context';
import { checkLoss, checkLossTensor, checkModel, evaluateSourceAsync, type LossFn, lossValueAsync } from './evaluate';
import { checkTrainPlugin, EventBus, isOptimizerPlugin, setupOptimizerPlugin, subscribePlugin } from './events';
import { FIT_OPTIONS, type FitOptions } from './fit-options';
import { type MetricFn, RunningMean, validationName } from './metrics';
import { hasMetrics, metricsPlugin } from './plugins/metrics';
import { optimizerStep } from './plugins/optimizer-step';
import type { Logs, Trainable, TrainPlugin } from './types';

export type { FitOptions } from './fit-options';

/** What {@link fit} returns. */
export interface FitResult {
  /** One {@link Logs} per finished epoch. */
  history: Logs[];
  /** Why a plugin stopped training early, or null when every epoch ran. */
  stopReason: string | null;
}

const now: () => number =
  typeof globalThis.performance?.now === 'function' ? () => globalThis.performance.now() : () => Date.now();

function checkCount(fn: string, name: string, value: unknown, min: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min)
    throw new ValueError(
      `${fn}: ${name} must be an integer >= ${min}, got ${typeof value === 'number' ? value : JSON.stringify(value)}`,
    );
  return value;
}

function checkOptimizer(fn: string, optimizer: unknown): Optimizer | null {
  if (optimizer === null) return null;
  if (optimizer === undefined)
    throw new ValueError(`${fn}: optimizer is required; pass null to update the parameters in a plugin on 'step'`);
  const o = optimizer as Partial<Optimizer>;
  if (
    typeof o !== 'object' ||
    typeof o.step !== 'function' ||
    typeof o.zeroGrad !== 'function' ||
    !Array.isArray(o.paramGroups)
  )
    throw new ValueError(`${fn}: optimizer must be an optimizer (with step, zeroGrad, paramGroups) or null`);
  return optimizer as Optimizer;
}

/** Everything {@link fit} checks before the first event: a bad argument throws here, before any step. */
interface Plan {
  model: Trainable;
  loss: LossFn;
  optimizer: Optimizer | null;
  epochs: number;
  initialEpoch: number;
  train: BatchSource;
  validation: BatchSource | null;
  plugins: (TrainPlugin | OptimizerPlugin)[];
  metrics: Record<string, MetricFn>;
  generator: Generator;
  log: (message: string) => void;
  initialStep: number;
  tidy: boolean;
  capture: boolean;
}

function plan(fn: string, options: FitOptions): Plan {
  if (typeof options !== 'object' || options === null) throw new ValueError(`${fn}: expected an options object`);
  checkOptions(fn, options, FIT_OPTIONS);
  const model = checkModel(fn, options.model);
  const loss = checkLoss(fn, options.loss);
  const optimizer = checkOptimizer(fn, options.optimizer);
  const epochs = checkCount(fn, 'epochs', options.epochs, 1);
  const initialEpoch = checkCount(fn, 'initialEpoch', options.initialEpoch ?? 0, 0);
  if (initialEpoch > epochs)
    throw new ValueError(`${fn}: initialEpoch (${initialEpoch}) is past the last epoch (epochs = ${epochs})`);
  const initialStep = checkCount(fn, 'initialStep', options.initialStep ?? 0, 0);
  const tidyOption = options.tidy ?? 'auto';
  if (tidyOption !== 'auto' && typeof tidyOption !== 'boolean')
    throw new ValueError(`${fn}: tidy must be true, false or 'auto', got ${JSON.stringify(tidyOption)}`);
  if (options.capture !== undefined && typeof options.capture !== 'boolean')
    throw new ValueError(`${fn}: capture must be true or false, got ${JSON.stringify(options.capture)}`);
  const tensorData = isTensorData(options.data);
  const train = batchSource(fn, 'data', options.data, {
    batchSize: options.batchSize,
    shuffle: options.shuffle ?? (tensorData ? true : undefined),
  });
  let validation: BatchSource | null = null;
  if (options.validation !== undefined) {
    const tensorValidation = isTensorData(options.validation);
    validation = batchSource(
      fn,
      'validation',
      options.validation,
      tensorValidation ? { batchSize: options.batchSize } : {},
    );
  }
  if (options.generator !== undefined && !(options.generator instanceof Generator))
    throw new ValueError(`${fn}: generator must be a Generator from @nablajs/core`);
  if (options.log !== undefined && typeof options.log !== 'function')
    throw new ValueError(`${fn}: log must be a function (message) => void`);
  const given = options.plugins ?? [];
  if (!Array.isArray(given)) throw new ValueError(`${fn}: plugins must be an array`);
  const plugins: (TrainPlugin | OptimizerPlugin)[] = [];
  if (options.metrics !== undefined) plugins.push(metricsPlugin(options.metrics));
  if (optimizer !== null) plugins.push(optimizerStep());
  given.forEach((p, i) => {
    plugins.push(isOptimizerPlugin(p) ? p : checkTrainPlugin(fn, p, i));
  });
  const metrics: Record<string, MetricFn> = {};
  for (const p of plugins)
    if (hasMetrics(p))
      for (const [name, metric] of Object.entries(p.metrics)) {
        if (name in metrics && metrics[name] !== metric)
          throw new ValueError(`${fn}: two plugins define the metric '${name}'`);
        metrics[name] = metric;
      }
  return {
    model,
    loss,
    optimizer,
    epochs,
    initialEpoch,
    initialStep,
    train,
    validation,
    plugins,
    metrics,
    generator: options.generator ?? defaultGenerator(),
    log: options.log ?? (() => {}),
    tidy: tidyOption === 'auto' ? getBackend() === 'wasm' : tidyOption,
    capture: options.capture ?? false,
  };
}

function zeroGrads(model: Trainable, optimizer: Optimizer | null): void {
  optimizer?.zeroGrad();
  for (const p of model.parameters()) p.grad = null;
}

/**
 * Train a model: for each epoch, for each batch, forward, loss, backward and an optimizer step, with an
 * event at every stage that plugins subscribe to; returns the per-epoch history.
 *
 * Per batch, in this order: `batchStart`; the forward pass in training mode and `loss = lossFn(output,
 * targets)`, then `afterForward`; `beforeBackward`; the gradients are zeroed (unless a plugin deferred it,
 * as gradient accumulation does) and `loss.backward()` runs, then `afterBackward`; `beforeStep`; `step` (the
 * built-in {@link optimizerStep} calls `optimizer.step()` unless the step was skipped); `ctx.globalStep`
 * advances if the step was not skipped; `afterStep`; `batchEnd`. Around them: `trainStart`, `epochStart`,
 * then after the batches `validationStart` / `validationEnd` (model in eval mode, no gradients, loss and
 * metrics over the validation data as `valLoss`, `val<Metric>`), `epochEnd`, and finally `trainEnd`.
 *
 * Handlers run in subscription order: the built-ins first (the metrics of `options.metrics`, the optimizer
 * step), then `plugins` in the order given. A plugin stops training with `ctx.stopTraining(reason)` (the
 * current batch finishes, then validation and `epochEnd` run for the partial epoch, as in Keras), skips a
 * step with `ctx.skipStep()`, changes hyperparameters through `ctx.optimizer.paramGroups`, and adds numbers
 * to `ctx.batchLogs` / `ctx.epochLogs`.
 *
 * History: one {@link Logs} per epoch with `loss` (the mean over the epoch's batches, weighted by batch
 * size), the metrics, `valLoss` and the validation metrics, `lr` (param group 0 after the epoch's last
 * step, before `epochEnd` plugins change it), `epochTime` (ms, validation included) and `stepsPerSecond`
 * (optimizer steps per second of the training batches), and whatever plugins added. An epoch in which no
 * batch ran (training was stopped before it) is not logged.
 *
 * Every argument is checked before the first event, so bad input throws before any step. Follows Keras'
 * `Model.fit` (https://keras.io/api/models/model_training_apis/#fit-method) and PyTorch Lightning's
 * `Trainer.fit` hooks (https://lightning.ai/docs/pytorch/stable/common/lightning_module.html#hooks).
 *
 * @example
 * ```ts
 * const model = new Linear(1, 1);
 * const { history } = await fit({
 *   model,
 *   data: { x, y },
 *   loss: mseLoss,
 *   optimizer: sgd(model.parameters(), { lr: 0.1 }),
 *   epochs: 50,
 *   batchSize: 16,
 *   plugins: [progressBar(), earlyStopping({ monitor: 'loss', patience: 3 })],
 * });
 * history.at(-1)?.loss;
 * ```
 */
export async function fit(options: FitOptions): Promise<FitResult> {
  const fn = 'fit';
  const p = plan(fn, options);
  const { model, optimizer, train } = p;
  const bus = new EventBus();
  const teardowns: (() => void)[] = [];
  const wasTraining = (model as { training?: unknown }).training;
  let captured: CapturedSteps | null = null;
  try {
    for (const plugin of p.plugins)
      teardowns.push(isOptimizerPlugin(plugin) ? setupOptimizerPlugin(bus, plugin) : subscribePlugin(bus, plugin));
    if (p.capture) {
      for (const event of ['afterForward', 'beforeBackward'] as const)
        if (bus.listenerCount(event) > 0)
          throw new ValueError(
            `${fn}: capture replays forward, loss and backward as one step, but a plugin handles '${event}', which runs between them (gradient accumulation does); run it without capture`,
          );
      captured = new CapturedSteps(fn, model, p.loss, () => zeroGrads(model, optimizer));
    }
    if (bus.listenerCount('step') === 0)
      throw new ValueError(
        `${fn}: optimizer is null and no plugin handles 'step', so the parameters would never change; pass an optimizer or a plugin with a step handler`,
      );
    const ctx = createContext({
      model,
      optimizer,
      lossFn: p.loss,
      epochs: p.epochs,
      initialEpoch: p.initialEpoch,
      initialStep: p.initialStep,
      plugins: p.plugins.filter((plugin): plugin is TrainPlugin => !isOptimizerPlugin(plugin)),
    });
    ctx.batchesPerEpoch = train.batchesPerEpoch;
    await bus.emit('trainStart', ctx);
    // NOTE: an optimizer with two points (Schedule-Free) trains at one and is evaluated, checkpointed and left at
    // the other; a checkpoint restored at trainStart may have left it in eval mode.
    optimizer?.train?.();
    // A plugin that restores a checkpoint at trainStart sets where the run continues: ctx.epoch, and ctx.batch
    // (the batches of that epoch already run) and ctx.epochLogs (their logs) for a checkpoint taken mid-epoch.
    const firstEpoch = ctx.epoch;
    const resumed: Resumed = { skip: ctx.batch, logs: ctx.epochLogs };
    for (let epoch = firstEpoch; epoch < p.epochs && !ctx.stopRequested; epoch++) {
      const logs = await runEpoch(fn, p, captured, bus, ctx, epoch, epoch === firstEpoch ? resumed : NOT_RESUMED);
      if (logs !== null) (ctx.history as Logs[]).push(logs);
    }
    if (ctx.stopRequested) p.log(`${fn}: stopped at epoch ${ctx.epoch}: ${ctx.stopReason}`);
    optimizer?.eval?.();
    await bus.emit('trainEnd', ctx);
    return { history: [...ctx.history], stopReason: ctx.stopReason };
  } finally {
    captured?.dispose();
    for (const teardown of teardowns.reverse()) teardown();
    if (typeof wasTraining === 'boolean') model.train(wasTraining);
  }
}

/** Where a resumed epoch continues: the batches already run before the checkpoint, and their logs. */
interface Resumed {
  skip: number;
  logs: Logs;
}

const NOT_RESUMED: Resumed = Object.freeze({ skip: 0, logs: Object.freeze({}) });

/**
 * One epoch: its batches, validation and `epochEnd`; returns its logs, or null when no batch ran (nor was skipped).
 * A resumed epoch skips the batches run before its checkpoint, and its training logs cover the batches run after
 * it; when none are left (a step checkpoint taken at the epoch's last batch), they are the checkpoint's, which
 * covered the whole epoch, so that the epoch is logged (validation, `epochEnd`, history) as in the run that saved it.
 */
async function runEpoch(
  fn: string,
  p: Plan,
  captured: CapturedSteps | null,
  bus: EventBus,
  ctx: LoopContext,
  epoch: number,
  { skip, logs: resumedLogs }: Resumed,
): Promise<Logs | null> {
  const { model, optimizer } = p;
  const start = now();
  ctx.epoch = epoch;
  ctx.batch = 0;
  ctx.epochLogs = {};
  const lossMean = new RunningMean();
  let steps = 0;
  let batches = 0;
  model.train(true);
  optimizer?.train?.();
  await bus.emit('epochStart', ctx);
  for (const [inputs, targets] of ctx.stopRequested ? [] : p.train.epoch(p.generator)) {
    // Batches already run before a mid-epoch checkpoint: drawn (so the data order is the same), not run again.
    if (batches < skip) {
      ctx.batch = batches;
      batches++;
      continue;
    }
    // The batch's temporaries (activations, their gradients, the loss) are disposed when it ends.
    const scope = p.tidy ? startScope() : null;
    try {
      resetBatch(ctx, batches);
      ctx.inputs = inputs;
      ctx.targets = targets;
      await bus.emit('batchStart', ctx);
      if (captured === null) {
        ctx.output = model.forward(inputs);
        ctx.loss = p.loss(ctx.output, targets);
      } else {
        // forward, loss, zeroed gradients and backward, replayed (no plugin handles the two events between)
        const step = captured.run(inputs, targets);
        ctx.output = step.output;
        ctx.loss = step.loss;
      }
      await bus.emit('afterForward', ctx);
      // Read asynchronously: on the webgpu backend the loss (with the outputs the metrics read) comes back
      // from the GPU in one copy.
      const value = await lossValueAsync(fn, ctx.loss, Object.keys(p.metrics).length > 0 ? [ctx.output] : []);
      lossMean.add(value, inputs.shape[0]);
      ctx.batchLogs.loss = value;
      ctx.epochLogs.loss = lossMean.value;
      await bus.emit('beforeBackward', ctx);
      if (captured === null) {
        checkLossTensor(fn, ctx.loss);
        if (!ctx.zeroGradDeferred) zeroGrads(model, optimizer);
        ctx.loss.backward();
      }
      await bus.emit('afterBackward', ctx);
      await bus.emit('beforeStep', ctx);
      await bus.emit('step', ctx);
      if (!ctx.stepSkipped) {
        ctx.globalStep++;
        steps++;
      }
      await bus.emit('afterStep', ctx);
      await bus.emit('batchEnd', ctx);
    } finally {
      if (scope !== null) {
        endScope(scope);
        // Drawn before the scope opened (so a data loader's own state is never the scope's), freed now.
        p.train.release?.([inputs, targets]);
      }
    }
    batches++;
    if (ctx.stopRequested) break;
  }
  if (batches === 0) return null;
  const trainTime = now() - start;
  const ran = batches - Math.min(batches, skip);
  // NOTE: every batch ran before the checkpoint (taken after the epoch's last batch): its logs are the epoch's
  // (NaN for the loss of a file that lacks them).
  if (ran === 0) Object.assign(ctx.epochLogs, resumedLogs);
  ctx.epochLogs.loss = ran > 0 ? lossMean.value : (ctx.epochLogs.loss ?? Number.NaN);
  if (optimizer !== null && optimizer.paramGroups.length > 0) ctx.epochLogs.lr = optimizer.paramGroups[0].lr;
  if (p.validation !== null) {
    const source = p.validation;
    model.eval();
    optimizer?.eval?.();
    await bus.emit('validationStart', ctx);
    const scope = p.tidy ? startScope() : null;
    let val: Logs;
    try {
      val = await evaluateSourceAsync(fn, model, p.loss, source, p.metrics);
    } finally {
      if (scope !== null) endScope(scope);
    }
    for (const [name, value] of Object.entries(val)) ctx.epochLogs[validationName(name)] = value;
    await bus.emit('validationEnd', ctx);
  }
  ctx.epochLogs.epochTime = now() - start;
  ctx.epochLogs.stepsPerSecond = trainTime > 0 ? steps / (trainTime / 1000) : 0;
  await bus.emit('epochEnd', ctx);
  return { ...ctx.epochLogs };
}
