// A run's summary for the table (final and best loss and accuracy, steps and time to the target, speed),
// the smoothed loss it is read from, and the loss axis that fits a set of runs.
import type { EpochSeries, RunResult, RunSummary, StepSeries } from './results';
import { median } from './stats';

/**
 * A bias-corrected exponential moving average (as Adam's first moment): `m ← βm + (1-β)x`, reported
 * as `m / (1 - βᵗ)`, so the first value equals the first loss. Non-finite values pass through.
 *
 * @example
 * ```ts
 * smooth([1, 1, 1]); // [1, 1, 1]
 * smooth([2, 0], 0.5); // [2, 0.666...]
 * ```
 */
export function smooth(values: readonly number[], beta = 0.9): number[] {
  let m = 0;
  let t = 0;
  return values.map((v) => {
    if (!Number.isFinite(v)) return v;
    t++;
    m = beta * m + (1 - beta) * v;
    return m / (1 - beta ** t);
  });
}

function minFinite(values: readonly number[]): number {
  let best = Number.NaN;
  for (const v of values) if (Number.isFinite(v) && !(v >= best)) best = v;
  return best;
}

function maxFinite(values: readonly number[]): number {
  let best = Number.NaN;
  for (const v of values) if (Number.isFinite(v) && !(v <= best)) best = v;
  return best;
}

/**
 * The first step whose smoothed loss is at or below `target`, or null.
 *
 * @example
 * ```ts
 * stepsToTarget({ step: [1, 2, 3], smoothedLoss: [3, 2, 1] } as StepSeries, 2); // 2
 * ```
 */
export function stepsToTarget(series: Pick<StepSeries, 'step' | 'smoothedLoss'>, target: number): number | null {
  for (let i = 0; i < series.step.length; i++) if (series.smoothedLoss[i] <= target) return series.step[i];
  return null;
}

/**
 * Summarise a run for the table: final and best loss (per epoch for model tasks, per iterate for 2-D
 * functions), final and best accuracy (validation accuracy when measured, else training accuracy),
 * steps to the target loss, wall time and speed; with the step times, also the median step time and the
 * time to the target (read from `steps.timeMs`).
 *
 * @example
 * ```ts
 * summarize({ steps, epochs, wallTimeMs: 1200, stopReason: null, stepCount: 450, targetLoss: 0.1, stepTimesMs });
 * ```
 */
export function summarize(input: {
  steps: StepSeries;
  epochs: EpochSeries;
  stepCount: number;
  wallTimeMs: number;
  stopReason: string | null;
  targetLoss: number;
  /** The duration of each optimizer step in milliseconds, when they were timed one by one. */
  stepTimesMs?: readonly number[];
}): RunSummary {
  const { steps, epochs } = input;
  const toTarget = stepsToTarget(steps, input.targetLoss);
  const timed = input.stepTimesMs !== undefined;
  const targetIndex = toTarget === null ? -1 : steps.step.indexOf(toTarget);
  const byEpoch = epochs.epoch.length > 0;
  const losses = byEpoch ? epochs.loss : steps.loss;
  const accuracy = epochs.valAccuracy.some(Number.isFinite) ? epochs.valAccuracy : epochs.accuracy;
  const hasAccuracy = accuracy.some(Number.isFinite);
  return {
    finalLoss: losses.length > 0 ? losses[losses.length - 1] : Number.NaN,
    bestLoss: minFinite(losses),
    finalAccuracy: hasAccuracy ? accuracy[accuracy.length - 1] : null,
    bestAccuracy: hasAccuracy ? maxFinite(accuracy) : null,
    stepsToTarget: toTarget,
    steps: input.stepCount,
    wallTimeMs: input.wallTimeMs,
    stepsPerSecond: input.wallTimeMs > 0 ? input.stepCount / (input.wallTimeMs / 1000) : 0,
    stopReason: input.stopReason,
    medianStepMs: timed ? median(input.stepTimesMs ?? []) : undefined,
    timeToTargetMs: timed ? (targetIndex >= 0 ? (steps.timeMs?.[targetIndex] ?? null) : null) : undefined,
  };
}

/**
 * The loss axis that fits runs' losses: log when every finite loss is positive, else symlog when some
 * exceed 100 in magnitude, else linear.
 *
 * @example
 * ```ts
 * autoLossScale(result.runs); // 'log' for cross-entropy losses
 * ```
 */
export function autoLossScale(runs: readonly RunResult[]): 'log' | 'linear' | 'symlog' {
  const values = lossValues(runs);
  if (values.every((v) => v > 0)) return 'log';
  return values.some((v) => Math.abs(v) > 100) ? 'symlog' : 'linear';
}

/** The finite losses of runs that their loss charts draw (per step, smoothed; per epoch, train and validation). */
function lossValues(runs: readonly RunResult[]): number[] {
  return runs.flatMap((r) => [...r.steps.smoothedLoss, ...r.epochs.loss, ...r.epochs.valLoss]).filter(Number.isFinite);
}

/**
 * How many of the runs' finite losses are at or below 0, and of how many: what a log loss axis cannot draw.
 *
 * @example
 * ```ts
 * nonPositiveLosses(result.runs); // { count: 64, of: 151 } for sgd on the saddle
 * ```
 */
export function nonPositiveLosses(runs: readonly RunResult[]): { count: number; of: number } {
  const values = lossValues(runs);
  return { count: values.filter((v) => v <= 0).length, of: values.length };
}
