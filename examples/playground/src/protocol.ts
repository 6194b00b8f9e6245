// The messages between the page (main thread) and the training worker.
import type { HyperValue } from '@nablajs/optim';

/** The half-width of the square over which the spirals' decision boundary is drawn. */
export const SPIRAL_BOX = 1.25;

/** The tasks the playground offers: five 2-D functions and two small classifiers. */
export type TaskName = 'rosenbrock' | 'beale' | 'himmelblau' | 'saddle' | 'illConditioned' | 'spirals' | 'digits';

/** An optional learning-rate schedule, stepped after every optimizer step. */
export interface ScheduleSpec {
  kind: 'none' | 'stepLR' | 'exponentialLR' | 'cosineAnnealingLR';
  stepSize?: number;
  gamma?: number;
  tMax?: number;
}

/** One optimizer in the race: a registered name, its options and a schedule. */
export interface RacerSpec {
  id: string;
  label: string;
  optimizer: string;
  options: Record<string, HyperValue>;
  schedule: ScheduleSpec;
}

/** Everything the worker needs to (re)build a race. */
export interface RaceSetup {
  task: TaskName;
  racers: RacerSpec[];
  /** The data seed (the spirals' points, the digits' train/test split); default 0. */
  seed?: number;
  /**
   * How many runs each optimizer makes (default 1, at most {@link MAX_SEEDS}): on the models, run `s` draws
   * its initial weights from seed `s`; on the 2-D functions, run 0 starts at the function's start and run
   * `s > 0` at a point perturbed by {@link START_JITTER} of the plot's width (Gaussian, seed `s`).
   */
  seeds?: number;
}

/** The most seeds (runs per optimizer) the playground offers. */
export const MAX_SEEDS = 10;

/** The standard deviation of the start-point perturbation of seeds 2.. on the 2-D functions, as a fraction of the plot's width. */
export const START_JITTER = 0.01;

/** A run is `diverged` when its loss is NaN or infinite, its point is not finite, or its loss exceeds this times |initial loss|. */
export const DIVERGENCE_FACTOR = 10;

/** A racer's state: `running` while any of its seeds runs, then `diverged` when any seed diverged, `error` when one threw. */
export type RacerStatus = 'running' | 'done' | 'diverged' | 'error';

/** One racer's progress since the previous report, aggregated over its seeds. */
export interface RacerReport {
  id: string;
  step: number;
  /** How many seeds (runs) the racer has. */
  seeds: number;
  /** The median over the seeds that did not diverge (or fail) of the latest loss; NaN when none is left. */
  loss: number;
  /** The interquartile range `[q1, q3]` of the same losses. */
  lossIqr: [number, number];
  /** The median of the seeds' first losses (the loss at the start). */
  initialLoss: number;
  /** Training accuracy (spirals) or held-out accuracy (digits), median over the seeds left; null for 2-D functions. */
  accuracy: number | null;
  lr: number;
  /** The current point of seed 1, for 2-D functions. */
  position: number[];
  status: RacerStatus;
  error: string | null;
  /** How many seeds diverged. */
  diverged: number;
  /** Per seed, the step at which it diverged, or null. */
  divergedAt: (number | null)[];
  /** Triples `median, q1, q3` of the losses, one per step taken since the previous report (the seeds left). */
  losses: number[];
  /** Quadruples `step, median, q1, q3` of the accuracy, measured since the previous report. */
  accuracies: number[];
  /** Per seed, the points `x, y` visited since the previous report (2-D functions). */
  paths: number[][];
}

/** An optimizer the worker can race, with its defaults (PyTorch's) read from a dummy instance. */
export interface OptimizerInfo {
  name: string;
  plugin: string;
  defaults: Record<string, HyperValue>;
}

/** Page -> worker. */
export type ToWorker =
  | { type: 'hello' }
  | { type: 'setup'; setup: RaceSetup; generation: number }
  | { type: 'run'; maxSteps: number; stepsPerSecond: number }
  | { type: 'pause' }
  | { type: 'step'; count: number; maxSteps: number }
  | { type: 'defineCustom'; code: string };

/** Worker -> page. */
export type FromWorker =
  | {
      type: 'ready';
      optimizers: OptimizerInfo[];
      /** The backend for the 2-D functions (wasm or cpu), and every registered one. */
      backend: string;
      backends: string[];
      /** The WebGPU adapter the models train on (`vendor / architecture`), or null without WebGPU. */
      gpu: string | null;
    }
  | {
      type: 'setup';
      generation: number;
      task: TaskName;
      /** The backend this race runs on, and why (`WebGPU adapter google / swiftshader`, `no WebGPU: ...`). */
      backend: string;
      backendWhy: string;
      grid: {
        size: number;
        values: number[];
        bounds: { x: readonly number[]; y: readonly number[] };
        minima: (readonly number[])[];
        start: readonly number[];
        formula: string;
      } | null;
      spirals: { points: number[]; labels: number[] } | null;
      reports: RacerReport[];
    }
  | {
      type: 'progress';
      generation: number;
      /** Whether every racer has stopped (done, diverged or failed). */
      finished: boolean;
      reports: RacerReport[];
      /** Per racer: the decision map of the model of seed `seed` (0-based; its median-loss seed) of `seeds`. */
      boundaries: { id: string; size: number; seed: number; seeds: number; values: number[] }[];
      stepsPerSecond: number;
    }
  | { type: 'custom'; ok: true; optimizer: OptimizerInfo }
  | { type: 'custom'; ok: false; error: string }
  | { type: 'error'; error: string };
