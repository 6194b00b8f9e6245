// The model runner: trains a task's network with `fit` from `@nablajs/train`, one optimizer on one seed
// at a time, recording every step and epoch.
import { Generator, manualSeed } from '@nablajs/core';
import { fit, type TrainContext, type TrainPlugin } from '@nablajs/train';
import { createSpecOptimizer, type ResolvedOptimizer } from './optimizer-spec';
import type { RunResult, StepSeries } from './results';
import { attachSchedule, type RunLength, type ScheduleSpec } from './schedule';
import { median } from './stats';
import { smooth, summarize } from './summarize';
import { PALETTE } from './svg';
import { decisionGridOf } from './svg-decision';
import { divergence, emptyEpochs, now, type RunEvents, statusOf, type TaskRunner, WARM_UP } from './task-runner';
import type { ModelTaskData } from './tasks';

/** How long to train a model, and on what. */
export interface ModelRunOptions {
  /** Epochs to run, or null when `steps` sets the length. */
  epochs: number | null;
  /** Optimizer steps to run, or null when `epochs` sets the length. */
  steps: number | null;
  /** Samples per batch. */
  batchSize: number;
  /** The seed of the initial weights and of the data order (each run may give its own). */
  seed: number;
  /** The learning-rate schedule. */
  schedule: ScheduleSpec;
  /** The loss whose first crossing the summary reports. */
  targetLoss: number;
  /**
   * A run diverges, and stops, when a batch's loss is NaN or infinite or above this many times the first
   * batch's loss (default: Infinity, only NaN and infinities).
   */
  divergeFactor?: number;
  /**
   * Train with `fit({ capture: true })`: each batch shape's forward, loss and backward recorded once and
   * replayed (the same losses, fewer JavaScript calls per step; default false).
   */
  capture?: boolean;
}

/**
 * The number of batches per epoch and the total number of steps of a model run.
 *
 * @example
 * ```ts
 * modelRunLength(1437, { epochs: 10, steps: null, batchSize: 32 }); // { stepsPerEpoch: 45, epochs: 10, totalSteps: 450, ... }
 * ```
 */
export function modelRunLength(
  samples: number,
  options: Pick<ModelRunOptions, 'epochs' | 'steps' | 'batchSize'>,
): { stepsPerEpoch: number; epochs: number; totalSteps: number; run: RunLength } {
  const stepsPerEpoch = Math.ceil(samples / options.batchSize);
  if (options.steps !== null) {
    const epochs = Math.ceil(options.steps / stepsPerEpoch);
    return {
      stepsPerEpoch,
      epochs,
      totalSteps: options.steps,
      run: { totalSteps: options.steps, unit: 1, unitName: 'step' },
    };
  }
  const epochs = options.epochs ?? 1;
  const totalSteps = epochs * stepsPerEpoch;
  return { stepsPerEpoch, epochs, totalSteps, run: { totalSteps, unit: stepsPerEpoch, unitName: 'epoch' } };
}

function isClassifier(data: ModelTaskData): boolean {
  return data.train.y.dtype === 'int32';
}

/**
 * A {@link TaskRunner} that trains the task's network with `fit` from `@nablajs/train`. Run `k` of a
 * seed `s` builds the network from `new Generator(s)` (its initial weights) and shuffles the batches
 * with `new Generator(s + 1)` (its data order), so every optimizer starts from the same weights and sees
 * the same batches on the same seed; the global generator is seeded with `s` too.
 *
 * @example
 * ```ts
 * const task = TASKS['digits-mlp'] as ModelTask;
 * const runner = modelTaskRunner(task.load({ seed: 0, dataDir: null, limit: null }), options);
 * ```
 */
export function modelTaskRunner(data: ModelTaskData, options: ModelRunOptions): TaskRunner {
  const { epochs, totalSteps, run: length } = modelRunLength(data.train.x.shape[0], options);
  const metrics = isClassifier(data) ? { accuracy: true } : undefined;

  // The warm-up validates on a few batches only: enough to compile the evaluation code, cheap on any task.
  const validationSample =
    data.validation === null
      ? undefined
      : {
          x: data.validation.x.slice([[0, Math.min(data.validation.x.shape[0], 2 * options.batchSize)]]),
          y: data.validation.y.slice([[0, Math.min(data.validation.y.shape[0], 2 * options.batchSize)]]),
        };

  /**
   * Train a fresh copy with `spec` for at most `steps` steps or `ms` milliseconds (validating on a sample
   * when `validate`); return the step times.
   */
  const shortRun = async (
    spec: ResolvedOptimizer,
    seed: number,
    steps: number,
    ms: number,
    minSteps: number,
    validate = false,
  ) => {
    manualSeed(seed);
    const model = data.buildModel(new Generator(seed));
    const optimizer = createSpecOptimizer(spec, model.parameters());
    const times: number[] = [];
    let began = 0;
    const started = now();
    const timer: TrainPlugin = {
      name: 'nabla-compare-step-timer',
      batchStart() {
        began = now();
      },
      // After backward rather than after forward: a captured step runs forward, loss and backward as one.
      afterBackward(ctx: TrainContext) {
        if (!Number.isFinite(ctx.batchLogs.loss ?? Number.NaN)) ctx.stopTraining('not finite');
      },
      batchEnd(ctx: TrainContext) {
        times.push(now() - began);
        if (ctx.globalStep >= steps || (ctx.globalStep >= minSteps && now() - started > ms)) ctx.stopTraining('done');
      },
    };
    await fit({
      model,
      data: data.train,
      validation: validate ? validationSample : undefined,
      loss: data.loss,
      optimizer,
      epochs: Math.max(1, Math.ceil(steps / Math.max(1, Math.ceil(data.train.x.shape[0] / options.batchSize)))),
      batchSize: options.batchSize,
      shuffle: true,
      generator: new Generator(seed + 1),
      metrics,
      plugins: [timer],
      capture: options.capture ?? false,
    });
    return times;
  };

  return {
    totalSteps,
    async warmUp(spec, size = 'full', runs = 1) {
      const cap = totalSteps * Math.max(1, runs);
      const times =
        size === 'full'
          ? await shortRun(spec, options.seed, Math.min(cap, WARM_UP.steps), WARM_UP.ms, 1, true)
          : await shortRun(spec, options.seed, Math.min(cap, WARM_UP.shortSteps), WARM_UP.shortMs, 1);
      return times.length;
    },
    async timeSteps(spec, seed, steps, budgetMs) {
      return median(await shortRun(spec, seed, steps, budgetMs, 3));
    },
    run(spec, at, events) {
      return runModel(data, spec, at, { ...options, epochs, totalSteps, length, metrics }, events);
    },
  };
}

async function runModel(
  data: ModelTaskData,
  spec: ResolvedOptimizer,
  at: { index: number; seed: number },
  options: ModelRunOptions & {
    epochs: number;
    totalSteps: number;
    length: RunLength;
    metrics: { accuracy: boolean } | undefined;
  },
  events: RunEvents,
): Promise<RunResult> {
  const { seed } = at;
  const { totalSteps } = options;
  const factor = options.divergeFactor ?? Number.POSITIVE_INFINITY;
  manualSeed(seed);
  const model = data.buildModel(new Generator(seed));
  const optimizer = createSpecOptimizer(spec, model.parameters());
  const schedule = attachSchedule(options.schedule, optimizer, options.length);
  const steps: StepSeries = { step: [], loss: [], smoothedLoss: [], lr: [], timeMs: [] };
  const epochSeries = emptyEpochs();
  const stepTimes: number[] = [];
  let stepLr = Number.NaN;
  let stepCount = 0;
  let ema = 0;
  let emaSteps = 0;
  let initial = Number.NaN;
  let divergedAt: number | null = null;
  let began = 0;
  let started = 0;
  const recorder: TrainPlugin = {
    name: 'nabla-compare-recorder',
    batchStart() {
      began = now();
    },
    // The loss is checked after backward, where fit has read it (a captured step runs forward, loss and
    // backward as one, with no event between); a diverged step is still skipped.
    afterBackward(ctx: TrainContext) {
      const value = ctx.batchLogs.loss ?? Number.NaN;
      stepLr = optimizer.paramGroups[0].lr;
      if (ctx.globalStep === 0 && Number.isNaN(initial)) initial = value;
      const reason = divergence('the train loss', value, ctx.globalStep + 1, initial, factor);
      if (reason !== null) {
        divergedAt = ctx.globalStep + 1;
        ctx.skipStep();
        ctx.stopTraining(reason);
      }
    },
    afterStep(ctx: TrainContext) {
      if (!ctx.stepSkipped && ctx.globalStep < totalSteps) schedule.afterStep();
      if (ctx.globalStep >= totalSteps && !ctx.stopRequested) ctx.stopTraining('step limit');
    },
    batchEnd(ctx: TrainContext) {
      const ended = now();
      if (!ctx.stepSkipped) stepTimes.push(ended - began);
      const loss = ctx.batchLogs.loss;
      stepCount = ctx.globalStep;
      steps.step.push(ctx.stepSkipped ? ctx.globalStep + 1 : ctx.globalStep);
      steps.loss.push(loss);
      steps.lr.push(stepLr);
      steps.timeMs!.push(ended - started);
      if (Number.isFinite(loss)) {
        emaSteps++;
        ema = 0.9 * ema + 0.1 * loss;
      }
      events.update(spec.label, {
        step: ctx.globalStep,
        loss: emaSteps > 0 ? ema / (1 - 0.9 ** emaSteps) : loss,
        epoch: ctx.epoch + 1,
      });
    },
    epochEnd(ctx: TrainContext) {
      const logs = ctx.epochLogs;
      epochSeries.epoch.push(ctx.epoch + 1);
      epochSeries.step.push(ctx.globalStep);
      epochSeries.loss.push(logs.loss ?? Number.NaN);
      epochSeries.accuracy.push(logs.accuracy ?? Number.NaN);
      epochSeries.valLoss.push(logs.valLoss ?? Number.NaN);
      epochSeries.valAccuracy.push(logs.valAccuracy ?? Number.NaN);
      epochSeries.lr.push(optimizer.paramGroups[0].lr);
      if (!ctx.stopRequested) schedule.afterUnit(logs.valLoss ?? logs.loss);
    },
  };
  // fit() hands a closure to optimizers that re-evaluate the loss (L-BFGS, SAM) and moves two-point
  // optimizers (Schedule-Free) to their evaluation point for validation.
  events.start(spec.label, totalSteps);
  started = now();
  const { stopReason } = await fit({
    model,
    data: data.train,
    validation: data.validation ?? undefined,
    loss: data.loss,
    optimizer,
    epochs: options.epochs,
    batchSize: options.batchSize,
    shuffle: true,
    generator: new Generator(seed + 1),
    metrics: options.metrics,
    plugins: [recorder],
    capture: options.capture ?? false,
  });
  const wallTimeMs = now() - started;
  steps.smoothedLoss = smooth(steps.loss);
  const reason = stopReason === 'step limit' ? null : stopReason;
  const result: RunResult = {
    label: spec.label,
    seed,
    status: statusOf(reason),
    divergedAt,
    optimizer: spec.name,
    hyperparams: spec.hyperparams,
    color: PALETTE[at.index % PALETTE.length],
    steps,
    epochs: epochSeries,
    summary: summarize({
      steps,
      epochs: epochSeries,
      stepCount,
      wallTimeMs,
      stopReason: reason,
      targetLoss: options.targetLoss,
      stepTimesMs: stepTimes,
    }),
  };
  if (isPlanarClassifier(data)) result.decisionGrid = decisionGridOf((x) => model.forward(x), data.train.x, 60);
  events.end(spec.label, result);
  return result;
}

/**
 * Whether a task's inputs are 2-D points with integer class labels: then the report draws each
 * optimizer's decision regions.
 *
 * @example
 * ```ts
 * if (isPlanarClassifier(data)) result.task.points = labelledPointsOf(data.train.x, data.train.y);
 * ```
 */
export function isPlanarClassifier(data: ModelTaskData): boolean {
  const { x, y } = data.train;
  return x.ndim === 2 && x.shape[1] === 2 && y.ndim === 1 && y.dtype === 'int32';
}

/**
 * Train the task's model once per optimizer on `options.seed`, after an untimed warm-up with the first
 * one: every run from the same initial weights and on the same data order (see {@link modelTaskRunner}).
 * `nabla compare` runs several seeds in a shuffled order with {@link runTrials} instead.
 *
 * @example
 * ```ts
 * const data = (TASKS['digits-mlp'] as ModelTask).load({ seed: 0, dataDir: null, limit: null });
 * const results = await runModelTask(data, optimizers, options, silentEvents);
 * ```
 */
export async function runModelTask(
  data: ModelTaskData,
  optimizers: readonly ResolvedOptimizer[],
  options: ModelRunOptions,
  events: RunEvents,
): Promise<RunResult[]> {
  const runner = modelTaskRunner(data, options);
  if (optimizers.length > 0) await runner.warmUp(optimizers[0]);
  const results: RunResult[] = [];
  for (const [index, spec] of optimizers.entries())
    results.push(await runner.run(spec, { index, seed: options.seed }, events));
  return results;
}
