// The function runner: walks each optimizer over a 2-D test function from its start, one float64 point
// `[x, y]` stepped with a closure, recording every iterate.
import { manualSeed, Tensor, tensor } from '@nablajs/core';
import type { Closure, Optimizer } from '@nablajs/optim';
import { createSpecOptimizer, type ResolvedOptimizer } from './optimizer-spec';
import type { RunResult, StepSeries } from './results';
import { attachSchedule, type RunLength, type ScheduleSpec } from './schedule';
import { summarize } from './summarize';
import { PALETTE } from './svg';
import {
  divergence,
  emptyEpochs,
  now,
  type RunEvents,
  short,
  silentEvents,
  statusOf,
  type TaskRunner,
  WARM_UP,
} from './task-runner';
import type { FunctionTask } from './tasks';

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
