import type { Hyperparams } from '@nablajs/optim';

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
}

/** Everything about one optimizer's run. */
export interface RunResult {
  /** The label (unique in the comparison). */
  label: string;
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
  /** The seed of the initial weights, the data and its order. */
  seed: number;
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
  /** 2-D functions: what the contour plot needs (the drawn box, the minima, a grid of values). */
  surface: Surface | null;
  /** One entry per optimizer, in the order given. */
  runs: RunResult[];
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
 * steps to the target loss, wall time and speed.
 *
 * @example
 * ```ts
 * summarize({ steps, epochs, wallTimeMs: 1200, stopReason: null, stepCount: 450, targetLoss: 0.1 });
 * ```
 */
export function summarize(input: {
  steps: StepSeries;
  epochs: EpochSeries;
  stepCount: number;
  wallTimeMs: number;
  stopReason: string | null;
  targetLoss: number;
}): RunSummary {
  const { steps, epochs } = input;
  const byEpoch = epochs.epoch.length > 0;
  const losses = byEpoch ? epochs.loss : steps.loss;
  const accuracy = epochs.valAccuracy.some(Number.isFinite) ? epochs.valAccuracy : epochs.accuracy;
  const hasAccuracy = accuracy.some(Number.isFinite);
  return {
    finalLoss: losses.length > 0 ? losses[losses.length - 1] : Number.NaN,
    bestLoss: minFinite(losses),
    finalAccuracy: hasAccuracy ? accuracy[accuracy.length - 1] : null,
    bestAccuracy: hasAccuracy ? maxFinite(accuracy) : null,
    stepsToTarget: stepsToTarget(steps, input.targetLoss),
    steps: input.stepCount,
    wallTimeMs: input.wallTimeMs,
    stepsPerSecond: input.wallTimeMs > 0 ? input.stepCount / (input.wallTimeMs / 1000) : 0,
    stopReason: input.stopReason,
  };
}

/** JSON has no NaN or Infinity: write them as null, `"Infinity"` and `"-Infinity"`. */
function jsonNumber(_key: string, value: unknown): unknown {
  if (typeof value === 'number' && !Number.isFinite(value)) return Number.isNaN(value) ? null : String(value);
  return value;
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
 * The columns of results.csv, in order.
 *
 * @example
 * ```ts
 * CSV_COLUMNS.join(','); // 'optimizer,series,step,epoch,loss,...'
 * ```
 */
export const CSV_COLUMNS = [
  'optimizer',
  'series',
  'step',
  'epoch',
  'loss',
  'smoothedLoss',
  'accuracy',
  'valLoss',
  'valAccuracy',
  'lr',
  'x',
  'y',
] as const;

function csvCell(value: string | number | undefined): string {
  if (value === undefined) return '';
  if (typeof value === 'number') return Number.isNaN(value) ? '' : String(value);
  return /[",\n\r]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

/**
 * results.csv in long form: one row per optimizer step (`series` = `step`) and one per epoch
 * (`series` = `epoch`), with the columns of {@link CSV_COLUMNS}; cells that do not apply are empty.
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
    for (let i = 0; i < s.step.length; i++) {
      const row: Record<string, string | number | undefined> = {
        optimizer: run.label,
        series: 'step',
        step: s.step[i],
        loss: s.loss[i],
        smoothedLoss: s.smoothedLoss[i],
        lr: s.lr[i],
        x: s.x?.[i],
        y: s.y?.[i],
      };
      lines.push(CSV_COLUMNS.map((c) => csvCell(row[c])).join(','));
    }
    const e = run.epochs;
    for (let i = 0; i < e.epoch.length; i++) {
      const row: Record<string, string | number | undefined> = {
        optimizer: run.label,
        series: 'epoch',
        step: e.step[i],
        epoch: e.epoch[i],
        loss: e.loss[i],
        accuracy: e.accuracy[i],
        valLoss: e.valLoss[i],
        valAccuracy: e.valAccuracy[i],
        lr: e.lr[i],
      };
      lines.push(CSV_COLUMNS.map((c) => csvCell(row[c])).join(','));
    }
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
