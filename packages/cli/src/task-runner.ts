// What runs the optimizers on a task, for either kind of task (model tasks in runner.ts, 2-D functions in
// function-runner.ts): the events it reports, its warm-up, and when a run counts as diverged.
import { NablaError } from '@nablajs/core';
import type { ResolvedOptimizer } from './optimizer-spec';
import type { EpochSeries, RunResult, RunStatus } from './results';
import { UsageError } from './usage-error';

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
 * A run that threw (an optimizer's update, a plugin's code): its message says which task, optimizer label
 * and seed, then what went wrong and in which part of the comparison (`nabla compare` prints it as one line
 * and exits with code 1, as `nabla benchmark` names a failed trial).
 *
 * @example
 * ```ts
 * new RunError('quadratic, bomb, seed 0: kaboom (in the untimed warm-up)').message;
 * ```
 */
export class RunError extends NablaError {
  /** The error's name, spelled out so that a minifier that renames classes keeps it. */
  override name = 'RunError';
}

/** Which part of a comparison a run belongs to, for the message of a {@link RunError}. */
export type RunPhase = 'tuning' | 'timed';

async function naming<T>(task: string, label: string, seed: number, phase: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (error instanceof UsageError || error instanceof RunError) throw error;
    const message = error instanceof Error ? error.message : String(error);
    throw new RunError(`${task}, ${label}, seed ${seed}: ${message} (in ${phase})`);
  }
}

/**
 * `runner` with every error of a run turned into a {@link RunError} naming `task`, the optimizer's label,
 * the seed and the phase (`warmUpSeed` is the seed the warm-up trains from).
 *
 * @example
 * ```ts
 * await runTrials(namedRunner(runner, 'quadratic', 0, 'timed'), optimizers, options, events);
 * ```
 */
export function namedRunner(runner: TaskRunner, task: string, warmUpSeed: number, phase: RunPhase): TaskRunner {
  return {
    totalSteps: runner.totalSteps,
    warmUp: (spec, length, runs) =>
      naming(task, spec.label, warmUpSeed, 'the untimed warm-up', () => runner.warmUp(spec, length, runs)),
    run: (spec, at, events) =>
      naming(task, spec.label, at.seed, phase === 'tuning' ? 'a tuning run' : 'the timed run', () =>
        runner.run(spec, at, events),
      ),
    timeSteps: (spec, seed, steps, budgetMs) =>
      naming(task, spec.label, seed, 'the timing repeat', () => runner.timeSteps(spec, seed, steps, budgetMs)),
  };
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

/** The time in milliseconds, for the step times and wall times of the runs. */
export const now = () => performance.now();

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
export function short(v: number): string {
  if (!Number.isFinite(v) || v === 0) return String(v);
  if (Math.abs(v) >= 1e5 || Math.abs(v) < 1e-3) {
    const [m, e] = v.toExponential(3).split('e');
    return `${+m}e${+e}`;
  }
  return String(+v.toPrecision(4));
}

/** The stop reason of a run whose loss (`what`: `the train loss`, `f`) is `value` at `step`, or null when it has not diverged. */
export function divergence(what: string, value: number, step: number, initial: number, factor: number): string | null {
  if (!Number.isFinite(value)) return `diverged: ${what} is ${value} at step ${step}`;
  if (value > divergenceThreshold(initial, factor))
    return `diverged: ${what} is ${short(value)} at step ${step}, above ${short(factor)} × the initial ${short(initial)}`;
  return null;
}

/** The status of a run that stopped for `stopReason` (null: it ran to the end). */
export function statusOf(stopReason: string | null): RunStatus {
  if (stopReason === null) return 'ok';
  return stopReason.startsWith('diverged') ? 'diverged' : 'stopped';
}

/** An epoch series with no epochs (2-D functions have none). */
export function emptyEpochs(): EpochSeries {
  return { epoch: [], step: [], loss: [], accuracy: [], valLoss: [], valAccuracy: [], lr: [] };
}
