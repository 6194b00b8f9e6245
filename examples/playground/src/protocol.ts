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
  seed?: number;
}

/** One racer's progress since the previous report. */
export interface RacerReport {
  id: string;
  step: number;
  loss: number;
  initialLoss: number;
  /** Training accuracy (spirals) or held-out accuracy (digits); null for 2-D functions. */
  accuracy: number | null;
  lr: number;
  /** The current point, for 2-D functions. */
  position: number[];
  status: 'running' | 'done' | 'diverged' | 'error';
  error: string | null;
  /** The losses of the steps taken since the previous report. */
  losses: number[];
  /** Pairs `step, accuracy` measured since the previous report. */
  accuracies: number[];
  /** Points `x, y` visited since the previous report (2-D functions). */
  path: number[];
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
  | { type: 'run'; maxSteps: number }
  | { type: 'pause' }
  | { type: 'step'; count: number; maxSteps: number }
  | { type: 'defineCustom'; code: string };

/** Worker -> page. */
export type FromWorker =
  | { type: 'ready'; optimizers: OptimizerInfo[]; backend: string; backends: string[] }
  | {
      type: 'setup';
      generation: number;
      task: TaskName;
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
      running: boolean;
      reports: RacerReport[];
      boundaries: { id: string; size: number; values: number[] }[];
      stepsPerSecond: number;
    }
  | { type: 'custom'; ok: true; optimizer: OptimizerInfo }
  | { type: 'custom'; ok: false; error: string }
  | { type: 'error'; error: string };
