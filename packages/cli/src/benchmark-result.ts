// What `nabla benchmark` and `nabla merge` make of the finished trials: per task a comparison (as
// `nabla compare` writes it, with every optimizer's tuning), the time to the target of every optimizer on
// every task, the performance profiles over the tasks, and the leaderboard (benchmark-report.ts renders it).
import pkg from '../package.json';
import type { BenchmarkPlan, TaskPlan } from './benchmark-plan';
import type { TrialOutcome } from './benchmark-trial';
import type { MachineInfo } from './machine';
import {
  DEFAULT_TAU_MAX,
  type LeaderboardRow,
  leaderboard,
  performanceProfiles,
  performanceRatios,
  type TaskTimes,
} from './profiles';
import type { CompareResult, RunResult, TuningResult } from './results';
import { jsonNumber } from './results-json';
import { sampleSurface } from './run-comparison';
import { autoLossScale } from './summarize';
import type { FunctionTask } from './tasks';
import { getTask } from './tasks';
import type { TrialGroup } from './trial-definition';
import { aggregateRuns, SPREAD_THRESHOLD } from './trials';

/**
 * The finished trials of one optimizer on one task: its tuning (null without) and its reported runs.
 *
 * @example
 * ```ts
 * const group: GroupResult = await collectGroup(plan, trialGroups(plan)[0], obtain);
 * ```
 */
export interface GroupResult {
  /** The group. */
  group: TrialGroup;
  /** The search, or null when the sweep does not tune. */
  tuning: TuningResult | null;
  /** The reported runs, seed by seed. */
  runs: RunResult[];
  /** The task as the runs saw it. */
  task: TrialOutcome['task'];
}

/**
 * The time (ms) and steps to the target of every optimizer on one task; null: not reached.
 *
 * @example
 * ```ts
 * result.targets[0]; // { task: 'digits-mlp', timeMs: { sgd: 87.4, adam: 75.4, ... }, steps: { sgd: 137, ... } }
 * ```
 */
export interface TaskTargets {
  /** The task. */
  task: string;
  /** Median time to the target over the seeds, counting a seed that never reached it as infinitely slow. */
  timeMs: TaskTimes;
  /** The same median of the steps to the target. */
  steps: TaskTimes;
  /**
   * The performance ratios r: each optimizer's time (or steps) to the target over the fastest one's on this
   * task (1 for the fastest, Infinity when it did not reach the target); the profiles count them.
   */
  ratios: { time: Record<string, number>; steps: Record<string, number> };
}

/**
 * One row of the benchmark's leaderboard.
 *
 * @example
 * ```ts
 * result.leaderboard[0]; // { name: 'adam', score: 0.86, stepsScore: 0.92, reached: 9, wins: 3 }
 * ```
 */
export interface BenchmarkRow extends LeaderboardRow {
  /** The score of the profile over steps to the target instead of time (the same on every machine). */
  stepsScore: number;
}

/**
 * What `results.json` of `nabla benchmark` holds.
 *
 * @example
 * ```ts
 * const result: BenchmarkResult = JSON.parse(readFileSync('benchmark-out/results.json', 'utf8'));
 * ```
 */
export interface BenchmarkResult {
  /** `nabla benchmark`. */
  tool: string;
  /** The version of @nablajs/cli. */
  version: string;
  /** The command line. */
  command: string;
  /** When the report was made (ISO 8601). */
  createdAt: string;
  /** Node.js version and platform, cores and CPU model. */
  environment: string;
  /**
   * The machine the trials ran on: cores, CPU, `--jobs`, the load average before and after, and whether it
   * was busy; null for `nabla merge` (its shards ran elsewhere).
   */
  machine: MachineInfo | null;
  /** The sweep. */
  plan: BenchmarkPlan;
  /** The trials: how many the sweep has, how many this run made, and how many were found finished. */
  trials: { total: number; ran: number; skipped: number };
  /** The profiles' τ values and each optimizer's fraction of tasks within τ of the best, by time and by steps. */
  profiles: { taus: number[]; time: Record<string, number[]>; steps: Record<string, number[]> };
  /** The optimizers ranked by the score of their time profile. */
  leaderboard: BenchmarkRow[];
  /** The time and steps to the target of every optimizer, task by task. */
  targets: TaskTargets[];
  /** Per task, the comparison of its reported runs (with each optimizer's tuning in `tuning`). */
  tasks: CompareResult[];
}

/** τ from 1 to {@link DEFAULT_TAU_MAX} in steps of 0.01: the points of the profile charts. */
const TAUS = Array.from({ length: 301 }, (_, i) => +(1 + (i * (DEFAULT_TAU_MAX - 1)) / 300).toFixed(4));

/**
 * The median of a measure over seeds, a seed without it (never reached, or diverged) counting as +Infinity;
 * null when that median is not finite (half of the seeds or more never reached the target).
 *
 * @example
 * ```ts
 * medianReached([10, 30, null]); // 30
 * medianReached([10, null]); // null
 * ```
 */
export function medianReached(values: readonly (number | null | undefined)[]): number | null {
  if (values.length === 0) return null;
  const sorted = values
    .map((v) => (typeof v === 'number' && Number.isFinite(v) ? v : Number.POSITIVE_INFINITY))
    .sort((a, b) => a - b);
  const mid = (sorted.length - 1) / 2;
  const m = (sorted[Math.floor(mid)] + sorted[Math.ceil(mid)]) / 2;
  return Number.isFinite(m) ? m : null;
}

function environment(machine?: MachineInfo | null): string {
  return `Node.js ${process.version} on ${process.platform}-${process.arch}${
    machine ? `, ${machine.cores} core${machine.cores === 1 ? '' : 's'} (${machine.cpu})` : ''
  }`;
}

/** The comparison of one task: every optimizer's reported runs, in the plan's order, with its colour. */
function taskResult(
  plan: BenchmarkPlan,
  task: TaskPlan,
  groups: readonly GroupResult[],
  command: string,
): CompareResult {
  const info = getTask(task.name);
  const first = groups[0];
  const colorOf = new Map(plan.optimizers.map((o) => [o.label, o.color]));
  const runs = groups.flatMap((g) =>
    g.runs.map((r) => ({
      ...r,
      label: g.group.optimizer.label,
      color: colorOf.get(g.group.optimizer.label) ?? r.color,
    })),
  );
  const tuning = groups.flatMap((g) => (g.tuning === null ? [] : [g.tuning]));
  const result: CompareResult = {
    tool: 'nabla benchmark',
    version: plan.version,
    command,
    createdAt: new Date().toISOString(),
    environment: environment(),
    task: {
      name: info.name,
      kind: info.kind,
      description: info.description,
      details: first?.task.details ?? [],
      classification: info.kind === 'model' && info.classification,
      ...(first?.task.points !== undefined ? { points: first.task.points } : {}),
    },
    settings: {
      epochs: task.epochs,
      steps: first?.task.totalSteps ?? task.steps ?? 0,
      stepsPerEpoch: first?.task.stepsPerEpoch ?? null,
      batchSize: task.batchSize,
      seed: plan.seed,
      seeds: plan.seeds,
      divergeFactor: plan.divergeFactor,
      schedule: 'none',
      targetLoss: task.targetLoss,
      lossScale: autoLossScale(runs),
      plugins: plan.plugins.map((p) => p.name),
      dataDir: null,
      ...(task.backend !== undefined ? { backend: task.backend } : {}),
      ...(task.capture === true ? { capture: true } : {}),
    },
    timing: { warmUp: null, repeats: [], spreadThreshold: SPREAD_THRESHOLD },
    surface: info.kind === 'function' ? sampleSurface(info as FunctionTask) : null,
    aggregates: [],
    runs,
    ...(tuning.length > 0 ? { tuning } : {}),
  };
  result.aggregates = aggregateRuns(result);
  return result;
}

/**
 * The result of a sweep from its finished groups: per task the comparison of the reported runs, the time and
 * steps to the target, the performance profiles (τ from 1 to 4) and the leaderboard.
 *
 * @example
 * ```ts
 * const result = benchmarkResult(plan, groups, { command: 'nabla benchmark --quick', trials: { total: 10, ran: 10, skipped: 0 } });
 * result.leaderboard[0].name; // the optimizer with the best profile score
 * ```
 */
export function benchmarkResult(
  plan: BenchmarkPlan,
  groups: readonly GroupResult[],
  meta: { command: string; trials: BenchmarkResult['trials']; machine?: MachineInfo | null },
): BenchmarkResult {
  const tasks = plan.tasks.map((task) =>
    taskResult(
      plan,
      task,
      groups.filter((g) => g.group.task.name === task.name),
      meta.command,
    ),
  );
  const targets: TaskTargets[] = tasks.map((t) => {
    const byLabel = (pick: (r: RunResult) => number | null | undefined): TaskTimes =>
      Object.fromEntries(
        plan.optimizers.map((o) => [
          o.label,
          medianReached(
            t.runs.filter((r) => r.label === o.label).map((r) => (r.status === 'diverged' ? null : pick(r))),
          ),
        ]),
      );
    const timeMs = byLabel((r) => (r.summary.stepsToTarget === null ? null : r.summary.timeToTargetMs));
    const steps = byLabel((r) => r.summary.stepsToTarget);
    return {
      task: t.task.name,
      timeMs,
      steps,
      ratios: { time: performanceRatios(timeMs), steps: performanceRatios(steps) },
    };
  });
  const time = performanceProfiles(
    targets.map((t) => t.timeMs),
    TAUS,
  );
  const steps = performanceProfiles(
    targets.map((t) => t.steps),
    TAUS,
  );
  const stepsBoard = new Map(leaderboard(targets.map((t) => t.steps)).map((r) => [r.name, r.score]));
  return {
    tool: 'nabla benchmark',
    version: pkg.version,
    command: meta.command,
    createdAt: new Date().toISOString(),
    environment: environment(meta.machine),
    machine: meta.machine ?? null,
    plan,
    trials: meta.trials,
    profiles: { taus: TAUS, time: time.rho, steps: steps.rho },
    leaderboard: leaderboard(targets.map((t) => t.timeMs)).map((r) => ({
      ...r,
      stepsScore: stepsBoard.get(r.name) ?? 0,
    })),
    targets,
    tasks,
  };
}

/**
 * results.json of a benchmark.
 *
 * @example
 * ```ts
 * writeFileSync('results.json', benchmarkJson(result));
 * ```
 */
export function benchmarkJson(result: BenchmarkResult): string {
  return `${JSON.stringify(result, jsonNumber, 2)}\n`;
}
