// The statistics of an optimizer over its seeds, as results.json holds them (computed by aggregateRuns in
// trials.ts): the means, medians, counts and curves the table and the charts show.
import type { Hyperparams } from '@nablajs/optim';
import type { Band, MeanSd } from './stats';

/**
 * An optimizer's count of runs that reached the target, and the median over those runs.
 *
 * @example
 * ```ts
 * const s: TargetStat = aggregate.stepsToTarget; // { median: 278, reached: 2, of: 3 }, shown as '278 (2/3)'
 * ```
 */
export interface TargetStat {
  /** The median over the runs that reached the target, or null when none did. */
  median: number | null;
  /** How many runs reached it (diverged runs never count). */
  reached: number;
  /** How many runs there were. */
  of: number;
}

/**
 * An optimizer's time per step over its runs.
 *
 * @example
 * ```ts
 * const t: StepTimeStat = aggregate.stepTime; // { medianMs: 0.27, samplesMs: [0.26, 0.27, 0.38], spread: 0.46, noisy: true }
 * ```
 */
export interface StepTimeStat {
  /** The median, over the runs that did not diverge, of each run's median step time, in milliseconds (NaN when none). */
  medianMs: number;
  /**
   * Every median step time compared for the spread: one per run of 5 steps or more that did not diverge,
   * plus the timing repeat with one seed.
   */
  samplesMs: number[];
  /** `(max - min) / min` of `samplesMs`, or null with fewer than two. */
  spread: number | null;
  /** Whether `spread` is above the threshold of {@link TimingInfo.spreadThreshold}: the timings are noisy. */
  noisy: boolean;
}

/**
 * The statistics of one optimizer over its seeds. Runs that diverged are left out of every mean,
 * median and curve (they are counted in `diverged`), unless every run diverged: the curves are then
 * those of the diverged runs up to where they stopped.
 *
 * @example
 * ```ts
 * const [sgd] = result.aggregates ?? [];
 * sgd.finalValLoss; // { mean: 0.45, sd: 0.009, n: 3 }
 * sgd.curves.loss.median; // the median smoothed train loss at each step
 * ```
 */
export interface OptimizerAggregate {
  /** The optimizer's label. */
  label: string;
  /** The registered optimizer name. */
  optimizer: string;
  /** Its hyperparameters. */
  hyperparams: Hyperparams;
  /** The colour of its lines. */
  color: string;
  /** The seeds it ran on. */
  seeds: number[];
  /** The seeds on which it diverged. */
  diverged: number[];
  /** The final loss: the last epoch's mean training loss (model tasks) or f at the last iterate (2-D functions). */
  finalLoss: MeanSd;
  /** The best of those losses over each run. */
  bestLoss: MeanSd;
  /** The validation loss after the last epoch, or null when the task has no validation set. */
  finalValLoss: MeanSd | null;
  /** The lowest validation loss over each run, or null. */
  bestValLoss: MeanSd | null;
  /** The final accuracy (validation accuracy when measured, else training accuracy), or null. */
  finalAccuracy: MeanSd | null;
  /** The best accuracy over each run, or null. */
  bestAccuracy: MeanSd | null;
  /** 2-D functions: the median final point over the runs, or null. */
  finalPoint: [number, number] | null;
  /** The steps to the target loss. */
  stepsToTarget: TargetStat;
  /** The time to the target loss in milliseconds (from the start of the run). */
  timeToTargetMs: TargetStat;
  /** The time per step. */
  stepTime: StepTimeStat;
  /** The wall time of a run, in milliseconds. */
  wallTimeMs: MeanSd;
  /**
   * The median and interquartile range of every plotted curve, by chart id (`loss`, `epoch-loss`,
   * `accuracy`, `distance`, `lr`).
   */
  curves: Record<string, Band>;
}
