import type { Hyperparams } from '@nablajs/optim';
import { type Band, type MeanSd, median } from './stats';
import type { DecisionGrid, LabelledPoints } from './svg-decision';

/**
 * What one optimizer did, step by step. For a model task, entry `i` is optimizer step `i + 1`: the
 * batch loss it was computed from (before the update), its exponential moving average, and the
 * learning rate it used. For a 2-D function, entry `i` is iterate `i` (entry 0 is the start): the
 * function's value there, the point, and the learning rate of the step taken from it.
 */
export interface StepSeries {
  /** The step numbers. */
  step: number[];
  /** The loss (model tasks: of the batch; 2-D functions: f at the iterate). */
  loss: number[];
  /** The loss smoothed by a bias-corrected moving average with factor 0.9 (equal to `loss` for 2-D functions). */
  smoothedLoss: number[];
  /** The learning rate of param group 0. */
  lr: number[];
  /** 2-D functions: the x coordinate of the iterate. */
  x?: number[];
  /** 2-D functions: the y coordinate of the iterate. */
  y?: number[];
  /**
   * Milliseconds since the run started, at the end of the step (2-D functions: when the iterate was
   * reached; 0 for the start). Absent in results written before it was recorded.
   */
  timeMs?: number[];
}

/** What one optimizer did, epoch by epoch (model tasks only; NaN where a value does not apply). */
export interface EpochSeries {
  /** The epoch, from 1. */
  epoch: number[];
  /** The optimizer steps taken by the end of the epoch. */
  step: number[];
  /** The mean training loss over the epoch. */
  loss: number[];
  /** The training accuracy over the epoch (classification). */
  accuracy: number[];
  /** The loss on the validation set after the epoch. */
  valLoss: number[];
  /** The accuracy on the validation set after the epoch (classification). */
  valAccuracy: number[];
  /** The learning rate after the epoch's last step. */
  lr: number[];
}

/** The numbers of one optimizer's run, summarised for the table. */
export interface RunSummary {
  /** The loss at the end (model tasks: the last epoch's mean training loss; 2-D: f at the last iterate). */
  finalLoss: number;
  /** The lowest of those losses over the run. */
  bestLoss: number;
  /** The accuracy at the end (validation accuracy when there is a validation set), or null. */
  finalAccuracy: number | null;
  /** The highest accuracy over the run, or null. */
  bestAccuracy: number | null;
  /** The first step at which the (smoothed) loss reached the target loss, or null. */
  stepsToTarget: number | null;
  /** Optimizer steps taken. */
  steps: number;
  /** Wall time of the run in milliseconds. */
  wallTimeMs: number;
  /** Optimizer steps per second of wall time. */
  stepsPerSecond: number;
  /** Why the run ended early (`diverged: ...`), or null. */
  stopReason: string | null;
  /**
   * The median time of one optimizer step in milliseconds (model tasks: forward, loss, backward, update
   * and metrics of one batch; 2-D functions: the optimizer's step with its closure). Absent when the
   * steps were not timed one by one.
   */
  medianStepMs?: number;
  /** Milliseconds from the start of the run to the end of step `stepsToTarget`, or null; absent when not timed. */
  timeToTargetMs?: number | null;
}

/**
 * How a run ended: `ok` (it ran every step), `diverged` (its loss became NaN or infinite, or rose above
 * `--diverge-factor` times its initial loss; it stopped at that step), or `stopped` (it ended early
 * for another reason, given in `summary.stopReason`).
 *
 * @example
 * ```ts
 * const status: RunStatus = run.status ?? 'ok';
 * ```
 */
export type RunStatus = 'ok' | 'diverged' | 'stopped';

/** Everything about one run: one optimizer on one seed. */
export interface RunResult {
  /** The label of the optimizer (unique in the comparison; shared by its runs on every seed). */
  label: string;
  /** The seed of the run's initial weights and data order (absent in results written before `--seeds`). */
  seed?: number;
  /** How the run ended (absent in results written before it was recorded: read it as `ok`). */
  status?: RunStatus;
  /** The step at which the run diverged (its last recorded step), or null. */
  divergedAt?: number | null;
  /** The registered optimizer name. */
  optimizer: string;
  /** Every hyperparameter it used. */
  hyperparams: Hyperparams;
  /** The colour of its lines in the report. */
  color: string;
  /** Per step. */
  steps: StepSeries;
  /** Per epoch (empty for 2-D functions). */
  epochs: EpochSeries;
  /** The summary. */
  summary: RunSummary;
  /** 2-D classification tasks: the classes the trained model predicts over the input box (the report's decision map). */
  decisionGrid?: DecisionGrid;
}

/** A description of the task, as the report and the result files show it. */
export interface TaskInfo {
  /** The task name (`digits-mlp`). */
  name: string;
  /** `model` (a network trained with fit) or `function` (a 2-D test function). */
  kind: 'model' | 'function';
  /** One line about the task. */
  description: string;
  /** Details (data sizes, the architecture, the formula). */
  details: string[];
  /** Whether accuracy applies. */
  classification: boolean;
  /** 2-D classification tasks: the training points and their classes, drawn over the decision maps. */
  points?: LabelledPoints;
}

/** The settings a comparison ran with. */
export interface CompareSettings {
  /** Epochs (model tasks run by epoch), or null. */
  epochs: number | null;
  /** Total optimizer steps. */
  steps: number;
  /** Steps per epoch (model tasks), or null. */
  stepsPerEpoch: number | null;
  /** Batch size (model tasks), or null. */
  batchSize: number | null;
  /** The base seed: it draws the data and its split, and run `k` of every optimizer uses seed `seed + k`. */
  seed: number;
  /** The seeds every optimizer ran on (`seed`, `seed + 1`, ...; absent in results written before `--seeds`). */
  seeds?: number[];
  /**
   * A run diverges when its loss is NaN or infinite, or (when the initial loss is positive) above this
   * many times its initial loss.
   */
  divergeFactor?: number;
  /** The schedule, as given (`none` when constant). */
  schedule: string;
  /** The loss that `stepsToTarget` counts steps to. */
  targetLoss: number;
  /** The y scale of the loss charts. */
  lossScale: 'log' | 'linear' | 'symlog';
  /** User plugins loaded with `--plugin`. */
  plugins: string[];
  /** The data directory (MNIST tasks), or null. */
  dataDir: string | null;
  /**
   * The backend the runs trained on (`cpu`, `wasm (SIMD)`, `wasm (relaxed SIMD)`; see `--backend`), absent in
   * results written before `--backend`.
   */
  backend?: string;
}

/** A whole comparison: what results.json holds. */
export interface CompareResult {
  /** `nabla compare`. */
  tool: string;
  /** The version of @nablajs/cli. */
  version: string;
  /** The command line, shell-quoted. */
  command: string;
  /** When the comparison finished (ISO 8601). */
  createdAt: string;
  /** Node.js version and platform. */
  environment: string;
  /** The task. */
  task: TaskInfo;
  /** The settings. */
  settings: CompareSettings;
  /** The timed runs in the order they ran (shuffled with the base seed, so that no optimizer always runs first). */
  order?: RunRef[];
  /** How the runs were timed: the untimed warm-up and the short timing repeats. */
  timing?: TimingInfo;
  /** 2-D functions: what the contour plot needs (the drawn box, the minima, a grid of values). */
  surface: Surface | null;
  /** The statistics of each optimizer over its seeds, in the order given (what the table and the charts show). */
  aggregates?: OptimizerAggregate[];
  /** Every run: the optimizers in the order given, each on every seed in turn. */
  runs: RunResult[];
  /** With `--tune`: the search of each tuned optimizer (its runs above use the chosen setting). */
  tuning?: TuningResult[];
}

/**
 * One setting tried by a `--tune` search, with its selection metric on each tuning seed.
 *
 * @example
 * ```ts
 * result.tuning?.[0].trials.map((t: TuneTrialResult) => [t.setting.lr, t.score]); // the sensitivity curve
 * ```
 */
export interface TuneTrialResult {
  /** The tuned hyperparameters of this trial (the others keep the optimizer's spec). */
  setting: Record<string, number>;
  /** The selection metric on each tuning seed (lower is better), null where the run diverged. */
  metrics: (number | null)[];
  /** The mean of `metrics`; null when any tuning seed diverged (such a setting is never chosen). */
  score: number | null;
}

/**
 * The `--tune` search of one optimizer: the space, the budget, the tuning seeds (never among the
 * reported seeds), every trial, and the chosen setting, which the reported runs then use.
 *
 * @example
 * ```ts
 * result.tuning?.find((t: TuningResult) => t.optimizer === 'adam')?.chosen; // { lr: 0.00316 }
 * ```
 */
export interface TuningResult {
  /** The optimizer's label. */
  optimizer: string;
  /** The search space as written (`lr=1e-4..1e-1:log:8`). */
  space: string;
  /** Grid or seeded random search. */
  mode: 'grid' | 'random';
  /** The most trials the search could run. */
  budget: number;
  /** The seeds every trial ran on. */
  seeds: number[];
  /** What was minimised: `final validation loss`, `final train loss` or `final f`. */
  metric: string;
  /** Every trial, in the order run. */
  trials: TuneTrialResult[];
  /** The best setting, or null when every trial diverged (the optimizer then runs with its spec as given). */
  chosen: Record<string, number> | null;
}

/**
 * One run of a comparison, named by its optimizer's label and its seed.
 *
 * @example
 * ```ts
 * result.order?.map((r: RunRef) => `${r.label}@${r.seed}`); // ['adam@1', 'sgd@0', 'sgd@1', 'adam@0']
 * ```
 */
export interface RunRef {
  /** The optimizer's label. */
  label: string;
  /** The seed. */
  seed: number;
}

/**
 * A short extra run of an optimizer that only measures its time per step (made when there is one seed).
 *
 * @example
 * ```ts
 * const repeat: TimingRepeat = { label: 'adam', steps: 50, medianStepMs: 0.27 };
 * ```
 */
export interface TimingRepeat {
  /** The optimizer's label. */
  label: string;
  /** The steps timed. */
  steps: number;
  /** Their median time in milliseconds. */
  medianStepMs: number;
}

/**
 * How a comparison was timed.
 *
 * @example
 * ```ts
 * result.timing?.warmUp?.runs[0]; // { label: 'sgd', steps: 450 }
 * ```
 */
export interface TimingInfo {
  /**
   * The untimed warm-up before any timed run, so that no run pays for the JIT compiling the code: a
   * run of the first optimizer (as long as a timed run, up to 500 steps or 2 s), then a few steps of
   * each other one (up to 50, for its own update code); the optimizers and their steps, and how long
   * it all took. Their results are discarded.
   */
  warmUp: {
    /** The optimizers warmed up, in order, with the steps each made. */
    runs: {
      /** The optimizer's label. */
      label: string;
      /** The untimed steps it made. */
      steps: number;
    }[];
    /** How long the whole warm-up took (ms). */
    ms: number;
  } | null;
  /** The short timing repeats (one per optimizer, with one seed only; empty otherwise). */
  repeats: TimingRepeat[];
  /** A note is shown when an optimizer's median step times differ by more than this fraction (0.25: 25%). */
  spreadThreshold: number;
}

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

/** The sampled surface of a 2-D function, for the contour plot. */
export interface Surface {
  /** The formula. */
  formula: string;
  /** The drawn box `[[xMin, xMax], [yMin, yMax]]`. */
  bounds: [[number, number], [number, number]];
  /** The global minimizers. */
  minima: [number, number][];
  /** The starting point. */
  start: [number, number];
  /** Cells per side: `values` holds `(resolution + 1)²` samples, row by row from yMin, each row from xMin. */
  resolution: number;
  /** f at the grid points. */
  values: number[];
}

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
 * The JSON replacer of the result files: JSON has no NaN or Infinity, so they are written as null,
 * `"Infinity"` and `"-Infinity"`.
 *
 * @example
 * ```ts
 * JSON.stringify({ a: Number.NaN, b: Number.POSITIVE_INFINITY }, jsonNumber); // '{"a":null,"b":"Infinity"}'
 * ```
 */
export function jsonNumber(_key: string, value: unknown): unknown {
  if (typeof value === 'number' && !Number.isFinite(value)) return Number.isNaN(value) ? null : String(value);
  return value;
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
  const values = runs
    .flatMap((r) => [...r.steps.smoothedLoss, ...r.epochs.loss, ...r.epochs.valLoss])
    .filter(Number.isFinite);
  if (values.every((v) => v > 0)) return 'log';
  return values.some((v) => Math.abs(v) > 100) ? 'symlog' : 'linear';
}

/**
 * results.json: the whole comparison, every plotted number included (NaN as null, infinities as
 * strings).
 *
 * @example
 * ```ts
 * writeFileSync('results.json', resultsJson(result));
 * ```
 */
export function resultsJson(result: CompareResult): string {
  return `${JSON.stringify(result, jsonNumber, 2)}\n`;
}

/**
 * The columns of results.csv, in order: the optimizer's label and the run's seed, the series (`step`
 * or `epoch`), then the numbers of that step or epoch.
 *
 * @example
 * ```ts
 * CSV_COLUMNS.join(','); // 'optimizer,seed,series,step,epoch,timeMs,loss,...'
 * ```
 */
export const CSV_COLUMNS = [
  'optimizer',
  'seed',
  'series',
  'step',
  'epoch',
  'timeMs',
  'loss',
  'smoothedLoss',
  'accuracy',
  'valLoss',
  'valAccuracy',
  'lr',
  'x',
  'y',
] as const;

function csvCell(value: string | number | null | undefined): string {
  if (value === undefined || value === null) return '';
  if (typeof value === 'number') return Number.isNaN(value) ? '' : String(value);
  return /[",\n\r]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

function csvLine(columns: readonly string[], row: Record<string, string | number | null | undefined>): string {
  return columns.map((c) => csvCell(row[c])).join(',');
}

/**
 * results.csv in long form: for every run (every optimizer on every seed), one row per optimizer step
 * (`series` = `step`) and one per epoch (`series` = `epoch`), with the columns of {@link CSV_COLUMNS};
 * `loss` is the training loss (of the batch, or the epoch's mean) or f for 2-D functions, `valLoss` and
 * `valAccuracy` are measured on the validation set; cells that do not apply are empty.
 *
 * @example
 * ```ts
 * writeFileSync('results.csv', resultsCsv(result));
 * ```
 */
export function resultsCsv(result: CompareResult): string {
  const lines = [CSV_COLUMNS.join(',')];
  for (const run of result.runs) {
    const s = run.steps;
    for (let i = 0; i < s.step.length; i++)
      lines.push(
        csvLine(CSV_COLUMNS, {
          optimizer: run.label,
          seed: run.seed,
          series: 'step',
          step: s.step[i],
          timeMs: s.timeMs?.[i],
          loss: s.loss[i],
          smoothedLoss: s.smoothedLoss[i],
          lr: s.lr[i],
          x: s.x?.[i],
          y: s.y?.[i],
        }),
      );
    const e = run.epochs;
    for (let i = 0; i < e.epoch.length; i++)
      lines.push(
        csvLine(CSV_COLUMNS, {
          optimizer: run.label,
          seed: run.seed,
          series: 'epoch',
          step: e.step[i],
          epoch: e.epoch[i],
          loss: e.loss[i],
          accuracy: e.accuracy[i],
          valLoss: e.valLoss[i],
          valAccuracy: e.valAccuracy[i],
          lr: e.lr[i],
        }),
      );
  }
  return `${lines.join('\n')}\n`;
}

function lastValue(values: readonly number[]): number {
  return values.length > 0 ? values[values.length - 1] : Number.NaN;
}

function hasFinite(values: readonly number[]): boolean {
  return values.some((v) => Number.isFinite(v));
}

/**
 * The columns of runs.csv for a comparison: one row per run. Model tasks: `finalTrainLoss`,
 * `bestTrainLoss` (the epochs' mean training loss), `finalValLoss` and `bestValLoss` when there is a
 * validation set, `finalValAccuracy` / `bestValAccuracy` (or `finalTrainAccuracy` / `bestTrainAccuracy`
 * without one) for classification; 2-D functions: `finalF`, `bestF`, `finalX`, `finalY`.
 *
 * @example
 * ```ts
 * runsCsvColumns(result).slice(0, 4); // ['optimizer', 'seed', 'order', 'status']
 * ```
 */
export function runsCsvColumns(result: CompareResult): string[] {
  const fn = result.task.kind === 'function';
  const hasVal = result.runs.some((r) => hasFinite(r.epochs.valLoss));
  const accuracyOn = result.runs.some((r) => hasFinite(r.epochs.valAccuracy)) ? 'Val' : 'Train';
  return [
    'optimizer',
    'seed',
    'order',
    'status',
    'divergedAt',
    'steps',
    ...(fn ? ['finalF', 'bestF', 'finalX', 'finalY'] : ['finalTrainLoss', 'bestTrainLoss']),
    ...(hasVal ? ['finalValLoss', 'bestValLoss'] : []),
    ...(result.task.classification ? [`final${accuracyOn}Accuracy`, `best${accuracyOn}Accuracy`] : []),
    'stepsToTarget',
    'timeToTargetMs',
    'medianStepMs',
    'wallTimeMs',
  ];
}

/**
 * runs.csv: one row per run (every optimizer on every seed) with how it ended and its summary, the
 * columns of {@link runsCsvColumns}; `order` is the run's position (from 1) in the shuffled order the
 * runs were made in.
 *
 * @example
 * ```ts
 * writeFileSync('runs.csv', runsCsv(result));
 * ```
 */
export function runsCsv(result: CompareResult): string {
  const columns = runsCsvColumns(result);
  const lines = [columns.join(',')];
  for (const run of result.runs) {
    const s = run.summary;
    const position = result.order?.findIndex((r) => r.label === run.label && r.seed === run.seed) ?? -1;
    const valLoss = run.epochs.valLoss.filter((v) => Number.isFinite(v));
    lines.push(
      csvLine(columns, {
        optimizer: run.label,
        seed: run.seed,
        order: position >= 0 ? position + 1 : undefined,
        status: run.status ?? 'ok',
        divergedAt: run.divergedAt,
        steps: s.steps,
        finalF: s.finalLoss,
        bestF: s.bestLoss,
        finalX: run.steps.x === undefined ? undefined : lastValue(run.steps.x),
        finalY: run.steps.y === undefined ? undefined : lastValue(run.steps.y),
        finalTrainLoss: s.finalLoss,
        bestTrainLoss: s.bestLoss,
        finalValLoss: lastValue(run.epochs.valLoss),
        bestValLoss: valLoss.length > 0 ? Math.min(...valLoss) : undefined,
        finalValAccuracy: s.finalAccuracy,
        bestValAccuracy: s.bestAccuracy,
        finalTrainAccuracy: s.finalAccuracy,
        bestTrainAccuracy: s.bestAccuracy,
        stepsToTarget: s.stepsToTarget,
        timeToTargetMs: s.timeToTargetMs,
        medianStepMs: s.medianStepMs,
        wallTimeMs: s.wallTimeMs,
      }),
    );
  }
  return `${lines.join('\n')}\n`;
}

/**
 * Parse a CSV line written by {@link resultsCsv} (quoted cells allowed).
 *
 * @example
 * ```ts
 * parseCsvLine('a,"b,c",'); // ['a', 'b,c', '']
 * ```
 */
export function parseCsvLine(line: string): string[] {
  const cells: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      cells.push(cell);
      cell = '';
    } else cell += c;
  }
  cells.push(cell);
  return cells;
}
