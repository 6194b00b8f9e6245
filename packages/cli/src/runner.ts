import { Generator, type Tensor, tensor } from '@nablajs/core';
import type { Closure } from '@nablajs/optim';
import { fit, type TrainContext, type TrainPlugin } from '@nablajs/train';
import { createSpecOptimizer, type ResolvedOptimizer } from './optimizer-spec';
import { type EpochSeries, type RunResult, type StepSeries, smooth, summarize } from './results';
import { attachSchedule, type RunLength, type ScheduleSpec } from './schedule';
import { PALETTE } from './svg';
import type { FunctionTask, ModelTaskData, Network } from './tasks';

/** What the runner tells the progress display. */
export interface RunEvents {
  /** An optimizer's run starts; it will take `totalSteps` steps. */
  start(label: string, totalSteps: number): void;
  /** Progress: `step` of `totalSteps` done, the latest (smoothed) loss, and the epoch for model tasks. */
  update(label: string, progress: { step: number; loss: number; epoch: number | null }): void;
  /** An optimizer's run ended. */
  end(label: string, result: RunResult): void;
}

/**
 * Events that go nowhere (for tests and `--quiet`).
 *
 * @example
 * ```ts
 * runFunctionTask(task, optimizers, options, silentEvents);
 * ```
 */
export const silentEvents: RunEvents = { start() {}, update() {}, end() {} };

/** How long to train a model, and on what. */
export interface ModelRunOptions {
  /** Epochs to run, or null when `steps` sets the length. */
  epochs: number | null;
  /** Optimizer steps to run, or null when `epochs` sets the length. */
  steps: number | null;
  /** Samples per batch. */
  batchSize: number;
  /** The seed of the initial weights and of the data order. */
  seed: number;
  /** The learning-rate schedule. */
  schedule: ScheduleSpec;
  /** The loss whose first crossing the summary reports. */
  targetLoss: number;
}

/** How long to walk over a 2-D function. */
export interface FunctionRunOptions {
  /** Optimizer steps to run. */
  steps: number;
  /** The learning-rate schedule. */
  schedule: ScheduleSpec;
  /** The value of f whose first crossing the summary reports. */
  targetLoss: number;
}

const now = () => performance.now();

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

function cloneState(model: Network): Record<string, Tensor> {
  const out: Record<string, Tensor> = {};
  for (const [name, t] of Object.entries(model.stateDict())) out[name] = t.detach().clone();
  return out;
}

function emptyEpochs(): EpochSeries {
  return { epoch: [], step: [], loss: [], accuracy: [], valLoss: [], valAccuracy: [], lr: [] };
}

/**
 * Train the task's model once per optimizer, every time from the same initial weights (the model is
 * built once from the seed and its state dict cloned into each run's copy) and on the same data order
 * (each run's shuffling generator starts from the same seed), with `fit` from `@nablajs/train`.
 *
 * @example
 * ```ts
 * const results = await runModelTask(TASKS['digits-mlp'].load({ seed: 0, dataDir: null, limit: null }), optimizers, options, silentEvents);
 * ```
 */
export async function runModelTask(
  data: ModelTaskData,
  optimizers: readonly ResolvedOptimizer[],
  options: ModelRunOptions,
  events: RunEvents,
): Promise<RunResult[]> {
  const { epochs, totalSteps, run } = modelRunLength(data.train.x.shape[0], options);
  const initial = cloneState(data.buildModel(new Generator(options.seed)));
  await warmUpModel(data, optimizers[0], options);
  const results: RunResult[] = [];
  for (const [index, spec] of optimizers.entries()) {
    const model = data.buildModel(new Generator(options.seed));
    model.loadStateDict(initial);
    const optimizer = createSpecOptimizer(spec, model.parameters());
    const schedule = attachSchedule(options.schedule, optimizer, run);
    const steps: StepSeries = { step: [], loss: [], smoothedLoss: [], lr: [] };
    const epochSeries = emptyEpochs();
    let stepLr = Number.NaN;
    let stepCount = 0;
    let ema = 0;
    let emaSteps = 0;
    const recorder: TrainPlugin = {
      name: 'nabla-compare-recorder',
      afterForward(ctx: TrainContext) {
        const value = ctx.loss?.values[0] ?? Number.NaN;
        stepLr = optimizer.paramGroups[0].lr;
        if (!Number.isFinite(value)) {
          ctx.skipStep();
          ctx.stopTraining(`diverged: the loss is ${value} at step ${ctx.globalStep + 1}`);
        }
      },
      afterStep(ctx: TrainContext) {
        if (!ctx.stepSkipped && ctx.globalStep < totalSteps) schedule.afterStep();
        if (ctx.globalStep >= totalSteps && !ctx.stopRequested) ctx.stopTraining('step limit');
      },
      batchEnd(ctx: TrainContext) {
        const loss = ctx.batchLogs.loss;
        stepCount = ctx.globalStep;
        steps.step.push(ctx.stepSkipped ? ctx.globalStep + 1 : ctx.globalStep);
        steps.loss.push(loss);
        steps.lr.push(stepLr);
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
    const plugins: TrainPlugin[] = [recorder];
    events.start(spec.label, totalSteps);
    const started = now();
    const { stopReason } = await fit({
      model,
      data: data.train,
      validation: data.validation ?? undefined,
      loss: data.loss,
      optimizer,
      epochs,
      batchSize: options.batchSize,
      shuffle: true,
      generator: new Generator(options.seed + 1),
      metrics: isClassifier(data) ? { accuracy: true } : undefined,
      plugins,
    });
    const wallTimeMs = now() - started;
    steps.smoothedLoss = smooth(steps.loss);
    const reason = stopReason === 'step limit' ? null : stopReason;
    const result: RunResult = {
      label: spec.label,
      optimizer: spec.name,
      hyperparams: spec.hyperparams,
      color: PALETTE[index % PALETTE.length],
      steps,
      epochs: epochSeries,
      summary: summarize({
        steps,
        epochs: epochSeries,
        stepCount,
        wallTimeMs,
        stopReason: reason,
        targetLoss: options.targetLoss,
      }),
    };
    events.end(spec.label, result);
    results.push(result);
  }
  return results;
}

/**
 * Train a throwaway copy for a few steps before the timed runs: the first optimizer would otherwise
 * pay for the JIT compiling the forward, backward and step code, and look slower than it is.
 */
async function warmUpModel(
  data: ModelTaskData,
  spec: ResolvedOptimizer | undefined,
  options: ModelRunOptions,
): Promise<void> {
  if (spec === undefined) return;
  const model = data.buildModel(new Generator(options.seed));
  const optimizer = createSpecOptimizer(spec, model.parameters());
  const stop: TrainPlugin = {
    name: 'nabla-compare-warm-up',
    afterStep(ctx: TrainContext) {
      if (ctx.globalStep >= 20) ctx.stopTraining('warm-up done');
    },
  };
  await fit({
    model,
    data: data.train,
    loss: data.loss,
    optimizer,
    epochs: 1,
    batchSize: options.batchSize,
    generator: new Generator(options.seed),
    metrics: isClassifier(data) ? { accuracy: true } : undefined,
    plugins: [stop],
  });
}

function isClassifier(data: ModelTaskData): boolean {
  return data.train.y.dtype === 'int32';
}

/**
 * Walk each optimizer over a 2-D test function from its start, for `steps` steps: the parameter is one
 * float64 tensor `[x, y]`, every step zeroes the gradient, evaluates f, backpropagates and steps (with
 * a closure, so that L-BFGS and SAM work too). An optimizer with train and eval points (Schedule-Free) is
 * recorded at its eval point. A run stops early when f or the point stops being finite.
 *
 * @example
 * ```ts
 * const [adam] = runFunctionTask(TASKS.rosenbrock as FunctionTask, resolveOptimizers(parseOptimizerSpecs(['adam:lr=0.05'])), options, silentEvents);
 * adam.steps.loss.at(-1); // close to 0
 * ```
 */
export function runFunctionTask(
  task: FunctionTask,
  optimizers: readonly ResolvedOptimizer[],
  options: FunctionRunOptions,
  events: RunEvents,
): RunResult[] {
  const run: RunLength = { totalSteps: options.steps, unit: 1, unitName: 'step' };
  warmUpFunction(task, optimizers[0]);
  return optimizers.map((spec, index) => {
    const xy = tensor([task.fn.start[0], task.fn.start[1]], { dtype: 'float64', requiresGrad: true });
    const optimizer = createSpecOptimizer(spec, [xy]);
    const schedule = attachSchedule(options.schedule, optimizer, run);
    const steps: StepSeries = { step: [], loss: [], smoothedLoss: [], lr: [], x: [], y: [] };
    const record = (step: number, value: number) => {
      steps.step.push(step);
      steps.loss.push(value);
      steps.lr.push(optimizer.paramGroups[0].lr);
      steps.x!.push(point[0]);
      steps.y!.push(point[1]);
    };
    // NOTE: a two-point optimizer (Schedule-Free) is judged, and drawn, at its evaluation point.
    const evaluate = () => {
      optimizer.eval?.();
      const value = task.fn.f(xy).item();
      point[0] = xy.values[0];
      point[1] = xy.values[1];
      optimizer.train?.();
      return value;
    };
    const point = [xy.values[0], xy.values[1]];
    const closure: Closure = () => {
      optimizer.zeroGrad();
      const value = task.fn.f(xy);
      value.backward();
      return value;
    };
    events.start(spec.label, options.steps);
    const started = now();
    let stopReason: string | null = null;
    let taken = 0;
    record(0, evaluate());
    for (let step = 1; step <= options.steps; step++) {
      optimizer.step(closure);
      taken = step;
      const value = evaluate();
      if (step < options.steps) schedule.afterStep();
      schedule.afterUnit(value);
      record(step, value);
      if (step % 10 === 0 || step === options.steps) events.update(spec.label, { step, loss: value, epoch: null });
      if (!Number.isFinite(value) || !Number.isFinite(point[0]) || !Number.isFinite(point[1])) {
        stopReason = `diverged: f is ${value} at step ${step}`;
        break;
      }
    }
    const wallTimeMs = now() - started;
    steps.smoothedLoss = [...steps.loss];
    const epochs = emptyEpochs();
    const result: RunResult = {
      label: spec.label,
      optimizer: spec.name,
      hyperparams: spec.hyperparams,
      color: PALETTE[index % PALETTE.length],
      steps,
      epochs,
      summary: summarize({ steps, epochs, stepCount: taken, wallTimeMs, stopReason, targetLoss: options.targetLoss }),
    };
    events.end(spec.label, result);
    return result;
  });
}

/** A few untimed steps first, so that the JIT's compile time is not charged to the first optimizer. */
function warmUpFunction(task: FunctionTask, spec: ResolvedOptimizer | undefined): void {
  if (spec === undefined) return;
  const xy = tensor([task.fn.start[0], task.fn.start[1]], { dtype: 'float64', requiresGrad: true });
  const optimizer = createSpecOptimizer(spec, [xy]);
  for (let i = 0; i < 50; i++)
    optimizer.step(() => {
      optimizer.zeroGrad();
      const value = task.fn.f(xy);
      value.backward();
      return value;
    });
}
