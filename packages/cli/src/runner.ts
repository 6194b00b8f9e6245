import { Generator, manualSeed, Tensor, tensor } from '@nablajs/core';
import type { Closure, Optimizer } from '@nablajs/optim';
import { fit, type TrainContext, type TrainPlugin } from '@nablajs/train';
import { createSpecOptimizer, type ResolvedOptimizer } from './optimizer-spec';
import { type EpochSeries, type RunResult, type RunStatus, type StepSeries, smooth, summarize } from './results';
import { attachSchedule, type RunLength, type ScheduleSpec } from './schedule';
import { median } from './stats';
import { PALETTE } from './svg';
import { decisionGridOf } from './svg-decision';
import type { FunctionTask, ModelTaskData } from './tasks';

/** What the runner tells the progress display. */
export interface RunEvents {
  /** A run of an optimizer starts; it will take `totalSteps` steps (an optimizer runs once per seed). */
  start(label: string, totalSteps: number): void;
  /** Progress: `step` of `totalSteps` done, the latest (smoothed) loss, and the epoch for model tasks. */
  update(label: string, progress: { step: number; loss: number; epoch: number | null }): void;
  /** A run of an optimizer ended. */
  end(label: string, result: RunResult): void;
  /** A one-line message about work that has no row of its own (the `--tune` trials); optional. */
  note?(text: string): void;
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
}

/** How long to walk over a 2-D function. */
export interface FunctionRunOptions {
  /** Optimizer steps to run. */
  steps: number;
  /** The learning-rate schedule. */
  schedule: ScheduleSpec;
  /** The value of f whose first crossing the summary reports. */
  targetLoss: number;
  /**
   * A run diverges, and stops, when f or the point is NaN or infinite, or f is above this many times f at
   * the start (default: Infinity, only NaN and infinities).
   */
  divergeFactor?: number;
}

/**
 * The untimed warm-up before the timed runs. Model tasks: the first optimizer trains for at most
 * `steps` steps (no more than all the timed runs together) or `ms` milliseconds, validating on two
 * batches, then every other optimizer for at most `shortSteps` steps or `shortMs` (its own update code). 2-D functions: every
 * optimizer walks `functionSteps` steps. The JIT-compiled code takes a few hundred steps to settle:
 * with 20 steps of warm-up, the first optimizer of the README's comparison took 2 to 3 times as long
 * as the same optimizer run again.
 *
 * @example
 * ```ts
 * WARM_UP.steps; // 500
 * ```
 */
export const WARM_UP = { steps: 500, ms: 2000, shortSteps: 50, shortMs: 300, functionSteps: 500 } as const;

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

/**
 * The loss above which a run counts as diverged: `factor` times the initial loss when that is positive
 * and finite, else Infinity (a loss that starts at or below zero, as f on the saddle, has no scale to
 * compare with; only NaN and infinities then count).
 *
 * @example
 * ```ts
 * divergenceThreshold(2.3, 10); // 23
 * divergenceThreshold(-1, 10); // Infinity
 * ```
 */
export function divergenceThreshold(initialLoss: number, factor: number): number {
  return Number.isFinite(initialLoss) && initialLoss > 0 ? factor * initialLoss : Number.POSITIVE_INFINITY;
}

/** A number in 4 significant digits, in exponent form when large or small (`2.261e10`), as the table writes it. */
function short(v: number): string {
  if (!Number.isFinite(v) || v === 0) return String(v);
  if (Math.abs(v) >= 1e5 || Math.abs(v) < 1e-3) {
    const [m, e] = v.toExponential(3).split('e');
    return `${+m}e${+e}`;
  }
  return String(+v.toPrecision(4));
}

/** The stop reason of a run whose loss (`what`: `the train loss`, `f`) is `value` at `step`, or null when it has not diverged. */
function divergence(what: string, value: number, step: number, initial: number, factor: number): string | null {
  if (!Number.isFinite(value)) return `diverged: ${what} is ${value} at step ${step}`;
  if (value > divergenceThreshold(initial, factor))
    return `diverged: ${what} is ${short(value)} at step ${step}, above ${short(factor)} × the initial ${short(initial)}`;
  return null;
}

/** As {@link divergence} for f, whose scale is the larger of its initial value and `scale` (the largest f in the plotted box). */
function functionDivergence(
  value: number,
  step: number,
  initial: number,
  scale: number,
  factor: number,
): string | null {
  if (!(scale > initial) || !Number.isFinite(scale)) return divergence('f', value, step, initial, factor);
  if (!Number.isFinite(value)) return `diverged: f is ${value} at step ${step}`;
  if (value > factor * scale)
    return `diverged: f is ${short(value)} at step ${step}, above ${short(factor)} × ${short(scale)} (the largest f in the plotted box)`;
  return null;
}

function statusOf(stopReason: string | null): RunStatus {
  if (stopReason === null) return 'ok';
  return stopReason.startsWith('diverged') ? 'diverged' : 'stopped';
}

function emptyEpochs(): EpochSeries {
  return { epoch: [], step: [], loss: [], accuracy: [], valLoss: [], valAccuracy: [], lr: [] };
}

function isClassifier(data: ModelTaskData): boolean {
  return data.train.y.dtype === 'int32';
}

/**
 * What runs one task for {@link runTrials}, one optimizer on one seed at a time: the untimed warm-up,
 * the timed run, and the short timing repeat.
 *
 * @example
 * ```ts
 * const runner = modelTaskRunner(data, options);
 * await runner.warmUp(optimizers[0]);
 * const run = await runner.run(optimizers[0], { index: 0, seed: 0 }, silentEvents);
 * ```
 */
export interface TaskRunner {
  /** The optimizer steps of one run. */
  readonly totalSteps: number;
  /**
   * Train a throwaway copy with `spec`, untimed and discarded, and return the steps taken: a `full`
   * warm-up (for the model's code) or a `short` one (for the optimizer's own update code), no longer
   * than the `runs` timed runs that follow together; see {@link WARM_UP}.
   */
  warmUp(spec: ResolvedOptimizer, length?: 'full' | 'short', runs?: number): Promise<number>;
  /** One timed run of `spec` from the initial weights of `seed`, drawn in colour `index`. */
  run(spec: ResolvedOptimizer, at: { index: number; seed: number }, events: RunEvents): Promise<RunResult>;
  /**
   * Time up to `steps` steps of `spec` on a fresh copy and return their median duration in milliseconds
   * (a model task stops sooner when they pass `budgetMs`, after at least 3 steps).
   */
  timeSteps(spec: ResolvedOptimizer, seed: number, steps: number, budgetMs: number): Promise<number>;
}

/**
 * A {@link TaskRunner} that trains the task's network with `fit` from `@nablajs/train`. Run `k` of a
 * seed `s` builds the network from `new Generator(s)` (its initial weights) and shuffles the batches
 * with `new Generator(s + 1)` (its data order), so every optimizer starts from the same weights and sees
 * the same batches on the same seed; the global generator is seeded with `s` too.
 *
 * @example
 * ```ts
 * const runner = modelTaskRunner(TASKS['digits-mlp'].load({ seed: 0, dataDir: null, limit: null }), options);
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
      afterForward(ctx: TrainContext) {
        if (!Number.isFinite(ctx.loss?.values[0] ?? Number.NaN)) ctx.stopTraining('not finite');
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
    afterForward(ctx: TrainContext) {
      const value = ctx.loss?.values[0] ?? Number.NaN;
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
 * const results = await runModelTask(TASKS['digits-mlp'].load({ seed: 0, dataDir: null, limit: null }), optimizers, options, silentEvents);
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

/**
 * A {@link TaskRunner} that walks over a 2-D test function (see {@link runFunctionTask}). The start is
 * the function's own, so the seed matters only to an optimizer that draws random numbers (from the
 * global generator, seeded with it before each run).
 *
 * @example
 * ```ts
 * const runner = functionTaskRunner(TASKS.rosenbrock as FunctionTask, { steps: 500, schedule, targetLoss: 1e-4 });
 * ```
 */
export function functionTaskRunner(task: FunctionTask, options: FunctionRunOptions): TaskRunner {
  const scale = functionScale(task);
  return {
    totalSteps: options.steps,
    async warmUp(spec) {
      // NOTE: a step here takes microseconds, so the JIT's work dominates: every optimizer gets the same,
      // full warm-up (shorter ones left the first timed runs five times slower per step).
      return warmUpFunction(task, spec, options, WARM_UP.functionSteps, scale);
    },
    async timeSteps(spec, seed, steps) {
      const run = runFunction(task, spec, { index: 0, seed }, { ...options, steps }, silentEvents, scale);
      return run.summary.medianStepMs ?? Number.NaN;
    },
    async run(spec, at, events) {
      return runFunction(task, spec, at, options, events, scale);
    },
  };
}

/**
 * The largest finite f over a 41 x 41 grid of the task's plotting box: the scale a 2-D function's
 * divergence is measured against, with the initial value (a start low in a steep landscape, as
 * Rosenbrock's, is left by overshooting a wall several times higher, and the run still converges).
 */
function functionScale(task: FunctionTask): number {
  let max = Number.NEGATIVE_INFINITY;
  for (const v of evaluateGrid(task, 40)) if (Number.isFinite(v) && v > max) max = v;
  return max;
}

/**
 * f at the points of an (n + 1) x (n + 1) grid over the task's plotting box, row by row from the lower
 * left corner (x varies fastest): the contour plot's surface and the scale of divergence.
 *
 * @example
 * ```ts
 * evaluateGrid(TASKS.rosenbrock as FunctionTask, 2).length; // 9
 * ```
 */
export function evaluateGrid(task: FunctionTask, n: number): Float64Array {
  const [x0, x1] = task.fn.bounds.x;
  const [y0, y1] = task.fn.bounds.y;
  const points = new Float64Array((n + 1) * (n + 1) * 2);
  for (let j = 0; j <= n; j++)
    for (let i = 0; i <= n; i++) {
      const k = j * (n + 1) + i;
      points[2 * k] = x0 + ((x1 - x0) * i) / n;
      points[2 * k + 1] = y0 + ((y1 - y0) * j) / n;
    }
  return Float64Array.from(task.fn.f(new Tensor(points, [(n + 1) * (n + 1), 2], 'float64')).values);
}

function functionPoint(task: FunctionTask): Tensor {
  return tensor([task.fn.start[0], task.fn.start[1]], { dtype: 'float64', requiresGrad: true });
}

function functionClosure(task: FunctionTask, xy: Tensor, optimizer: Optimizer): Closure {
  return () => {
    optimizer.zeroGrad();
    const value = task.fn.f(xy);
    value.backward();
    return value;
  };
}

function runFunction(
  task: FunctionTask,
  spec: ResolvedOptimizer,
  at: { index: number; seed: number },
  options: FunctionRunOptions,
  events: RunEvents,
  scale: number,
): RunResult {
  const run: RunLength = { totalSteps: options.steps, unit: 1, unitName: 'step' };
  const factor = options.divergeFactor ?? Number.POSITIVE_INFINITY;
  manualSeed(at.seed);
  const xy = functionPoint(task);
  const optimizer = createSpecOptimizer(spec, [xy]);
  const schedule = attachSchedule(options.schedule, optimizer, run);
  const steps: StepSeries = { step: [], loss: [], smoothedLoss: [], lr: [], x: [], y: [], timeMs: [] };
  const point = [xy.values[0], xy.values[1]];
  let started = 0;
  const record = (step: number, value: number) => {
    steps.step.push(step);
    steps.loss.push(value);
    steps.lr.push(optimizer.paramGroups[0].lr);
    steps.x!.push(point[0]);
    steps.y!.push(point[1]);
    steps.timeMs!.push(step === 0 ? 0 : now() - started);
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
  const closure = functionClosure(task, xy, optimizer);
  events.start(spec.label, options.steps);
  started = now();
  let stopReason: string | null = null;
  let divergedAt: number | null = null;
  let taken = 0;
  const stepTimes: number[] = [];
  const initial = evaluate();
  record(0, initial);
  for (let step = 1; step <= options.steps; step++) {
    const began = now();
    optimizer.step(closure);
    stepTimes.push(now() - began);
    taken = step;
    const value = evaluate();
    if (step < options.steps) schedule.afterStep();
    schedule.afterUnit(value);
    record(step, value);
    if (step % 10 === 0 || step === options.steps) events.update(spec.label, { step, loss: value, epoch: null });
    const reason =
      Number.isFinite(point[0]) && Number.isFinite(point[1])
        ? functionDivergence(value, step, initial, scale, factor)
        : `diverged: the point is (${point[0]}, ${point[1]}) at step ${step}`;
    if (reason !== null) {
      stopReason = reason;
      divergedAt = step;
      break;
    }
  }
  const wallTimeMs = now() - started;
  steps.smoothedLoss = [...steps.loss];
  const epochs = emptyEpochs();
  const result: RunResult = {
    label: spec.label,
    seed: at.seed,
    status: statusOf(stopReason),
    divergedAt,
    optimizer: spec.name,
    hyperparams: spec.hyperparams,
    color: PALETTE[at.index % PALETTE.length],
    steps,
    epochs,
    summary: summarize({
      steps,
      epochs,
      stepCount: taken,
      wallTimeMs,
      stopReason,
      targetLoss: options.targetLoss,
      stepTimesMs: stepTimes,
    }),
  };
  events.end(spec.label, result);
  return result;
}

/**
 * Walk each optimizer over a 2-D test function from its start, for `steps` steps, after an untimed
 * warm-up with the first one: the parameter is one float64 tensor `[x, y]`, every step zeroes the
 * gradient, evaluates f, backpropagates and steps (with a closure, so that L-BFGS and SAM work too). An
 * optimizer with train and eval points (Schedule-Free) is recorded at its eval point. A run stops early,
 * as diverged, when f or the point stops being finite (or f passes `divergeFactor` times its start value).
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
  const scale = functionScale(task);
  if (optimizers.length > 0) warmUpFunction(task, optimizers[0], options, WARM_UP.functionSteps, scale);
  return optimizers.map((spec, index) => runFunction(task, spec, { index, seed: 0 }, options, events, scale));
}

/**
 * An untimed, discarded run of at most `steps` steps through the same code as a timed run, so that the
 * JIT's compile time is not charged to the first timed run; returns the steps taken.
 */
function warmUpFunction(
  task: FunctionTask,
  spec: ResolvedOptimizer,
  options: FunctionRunOptions,
  steps: number,
  scale: number,
): number {
  const run = runFunction(task, spec, { index: 0, seed: 0 }, { ...options, steps }, silentEvents, scale);
  return run.summary.steps;
}
