import type { Hyperparams } from '@nablajs/optim';
import type { OptimizerAggregate } from './optimizer-aggregate';
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
  /** Whether the runs replayed captured steps (`--capture`); absent in results written before `--capture`. */
  capture?: boolean;
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
