// The plan of `nabla benchmark`: which tasks (and how long each runs, and its target), which optimizers,
// the tuning budget and the seeds, as plain JSON, so that the shards of a sweep and `nabla merge` rebuild
// the very same trials from it.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import pkg from '../package.json';
import type { ParsedArgs } from './args';
import { type BackendChoice, type BackendName, resolveBackend } from './backend';
import { DEFAULT_BENCHMARK_OPTIMIZERS, PRESETS, SUITE, type SuiteLength, suiteTaskNames } from './benchmark-suite';
import { DEFAULT_DIVERGE_FACTOR, MAX_SEEDS } from './compare-options';
import { type OptimizerSpec, parseOptimizerSpecs, resolveOptimizers } from './optimizer-spec';
import { PALETTE } from './svg';
import { getTask } from './tasks';
import { candidates, MAX_RANGE_POINTS, parseTuneSpace, TUNING_SEED_OFFSET, tuningSeeds } from './tune';
import { MAX_TUNE_SEEDS } from './tune-search';
import { UsageError } from './usage-error';

/**
 * A task as the plan runs it.
 *
 * @example
 * ```ts
 * const task: TaskPlan = plan.tasks[0]; // { name: 'digits-mlp', kind: 'model', epochs: 5, steps: null, ... }
 * ```
 */
export interface TaskPlan {
  /** The task's name (a key of TASKS). */
  name: string;
  /** `model` or `function`. */
  kind: 'model' | 'function';
  /** Epochs (model tasks run by epoch), or null. */
  epochs: number | null;
  /** Optimizer steps (2-D functions, or `--steps`), or null. */
  steps: number | null;
  /** Samples per batch (model tasks), or null. */
  batchSize: number | null;
  /** At most this many training samples (`--limit`), or null. */
  limit: number | null;
  /** The target of the time to target. */
  targetLoss: number;
  /** The backend its trials train on (`--backend`, with `auto` resolved for the task). */
  backend: BackendName;
  /**
   * `--capture` on a model task: its trials replay captured steps (see `fit`'s capture option). Absent
   * otherwise, so that the keys of trials without it are those of earlier versions.
   */
  capture?: true;
}

/**
 * An optimizer as the plan runs it.
 *
 * @example
 * ```ts
 * plan.optimizers.map((o: OptimizerPlan) => o.label); // ['sgd', 'momentum', 'adam', 'adamw']
 * ```
 */
export interface OptimizerPlan extends OptimizerSpec {
  /** The SHA-256 of the plugin file that defines it, or null for a built-in optimizer. */
  plugin: string | null;
  /** Its colour in every chart. */
  color: string;
}

/**
 * A user plugin of the sweep: its name, the hash of its file, and its optimizers.
 *
 * @example
 * ```ts
 * plan.plugins.map((p: PluginPlan) => p.optimizers).flat(); // ['signSgd']
 * ```
 */
export interface PluginPlan {
  /** The plugin's name. */
  name: string;
  /** The SHA-256 of its file. */
  sha256: string;
  /** The optimizers it defines. */
  optimizers: string[];
}

/**
 * Everything that defines a sweep (written to `sweep.json`): the same plan gives the same trials and
 * the same keys on every machine, so shards and resumed runs fit together.
 *
 * @example
 * ```ts
 * const plan: BenchmarkPlan = JSON.parse(readFileSync('benchmark-out/sweep.json', 'utf8'));
 * ```
 */
export interface BenchmarkPlan {
  /** The version of this format. */
  format: 1;
  /** The version of @nablajs/cli: a trial run by another version is run again. */
  version: string;
  /** `quick` or `full`. */
  preset: 'quick' | 'full';
  /** The tasks, in order. */
  tasks: TaskPlan[];
  /** The optimizers, in order. */
  optimizers: OptimizerPlan[];
  /** The base seed (it also draws each model task's data and split). */
  seed: number;
  /** The reported seeds. */
  seeds: number[];
  /** The tuning seeds (disjoint from the reported ones). */
  tuneSeeds: number[];
  /** The learning-rate grid: its space as `--tune` writes it and its points (empty: no tuning). */
  tuning: { space: string; grid: number[] };
  /** The divergence factor. */
  divergeFactor: number;
  /** The user plugins. */
  plugins: PluginPlan[];
}

/**
 * The run options of `nabla benchmark` that do not change what is computed.
 *
 * @example
 * ```ts
 * const run: RunOptions = { jobs: 2, shard: null, outDir: '/tmp/out', pluginFiles: [], quiet: true };
 * ```
 */
export interface RunOptions {
  /** Worker processes. */
  jobs: number;
  /** The share to run, or null for all. */
  shard: { index: number; count: number } | null;
  /** The output directory (absolute). */
  outDir: string;
  /** The plugin files (absolute). */
  pluginFiles: string[];
  /** No progress lines. */
  quiet: boolean;
}

function sha256(text: string | Buffer): string {
  return createHash('sha256').update(text).digest('hex');
}

/** Split list values given with spaces or commas. */
function listValues(values: readonly string[] | undefined): string[] {
  return (values ?? []).flatMap((v) => v.split(/[\s,]+/)).filter((v) => v !== '');
}

function taskPlan(
  name: string,
  preset: 'quick' | 'full',
  steps: number | null,
  limit: number | null,
  backend: BackendChoice,
  capture = false,
): TaskPlan {
  const task = getTask(name);
  const suite = SUITE[name];
  const length: SuiteLength = suite?.[preset] ??
    suite?.full ?? {
      epochs: task.defaults.epochs,
      steps: task.defaults.steps,
      target: task.defaults.targetLoss,
      ms: Number.POSITIVE_INFINITY,
    };
  const fn = task.kind === 'function';
  return {
    name,
    kind: task.kind,
    epochs: fn || steps !== null ? null : (length.epochs ?? task.defaults.epochs ?? 1),
    steps: steps ?? (fn ? (length.steps ?? task.defaults.steps ?? 100) : null),
    batchSize: fn ? null : (task.defaults.batchSize ?? 32),
    limit: fn ? null : (limit ?? length.limit ?? null),
    targetLoss: length.target,
    backend: resolveBackend(backend, name),
    ...(capture && !fn ? { capture: true as const } : {}),
  };
}

/**
 * The learning rates of a `LO..HI` range with `budget` log-spaced points (the ends included), as the
 * `--tune` space `lr=LO..HI:log:budget` gives them.
 *
 * @example
 * ```ts
 * lrGrid('1e-3..1', 4); // { space: 'lr=1e-3..1:log:4', grid: [0.001, 0.01, 0.1, 1] }
 * ```
 */
export function lrGrid(range: string, budget: number): { space: string; grid: number[] } {
  if (budget === 0) return { space: '', grid: [] };
  if (budget === 1)
    throw new UsageError('--tune-budget: a grid needs at least 2 learning rates (0 turns tuning off), got 1');
  if (budget > MAX_RANGE_POINTS)
    throw new UsageError(`--tune-budget: expected at most ${MAX_RANGE_POINTS} learning rates, got ${budget}`);
  const typed = JSON.stringify(range);
  const ends = range.trim().split('..');
  if (ends.length !== 2 || !/^[^:;=]+\.\.[^:;=]+$/.test(range.trim()))
    throw new UsageError(`--lr-range: expected LO..HI (e.g. 1e-4..1), got ${typed}`);
  const [lo, hi] = ends.map((end) => (end.trim() === '' ? Number.NaN : Number(end)));
  if (!Number.isFinite(lo) || !Number.isFinite(hi))
    throw new UsageError(`--lr-range: expected LO..HI, two finite numbers (e.g. 1e-4..1), got ${typed}`);
  if (!(lo > 0)) throw new UsageError(`--lr-range: the grid is log-spaced, so LO must be > 0, got ${typed}`);
  if (!(lo < hi)) throw new UsageError(`--lr-range: expected LO < HI, got ${typed}`);
  const space = `lr=${range.trim()}:log:${budget}`;
  return { space, grid: candidates(parseTuneSpace(space), 'grid', budget, 0).map((setting) => setting.lr) };
}

/**
 * Check the options of `nabla benchmark` and build its plan and run options. Every mistake (an unknown task
 * or optimizer, a bad `--shard`, `--jobs 0`, a learning-rate range that is not one) is a
 * {@link UsageError} raised here, before anything runs. `plugins` are the user plugins already loaded,
 * with their files.
 *
 * @example
 * ```ts
 * const { plan } = planBenchmark(parseArgs(['--quick'], BENCHMARK_OPTIONS), process.cwd(), []);
 * plan.tasks.map((t) => t.name); // ['digits-mlp', 'spirals', ...]
 * ```
 */
export function planBenchmark(
  parsed: ParsedArgs,
  cwd: string,
  plugins: readonly { file: string; name: string; optimizers: string[] }[],
  defaultJobs = 1,
): {
  plan: BenchmarkPlan;
  run: Omit<RunOptions, 'outDir' | 'shard'> & { out: string; shard: string | null; notes: string[] };
} {
  const v = parsed.values;
  if (parsed.positionals.length > 0)
    throw new UsageError(
      `benchmark takes no positional arguments, got ${parsed.positionals.map((p) => JSON.stringify(p)).join(' ')}`,
    );
  const preset = v.quick === true ? 'quick' : 'full';
  const defaults = PRESETS[preset];
  const steps = (v.steps as number | undefined) ?? null;
  const limit = (v.limit as number | undefined) ?? null;
  const taskNames = listValues(v.tasks as string[] | undefined);
  const names = taskNames.length > 0 ? taskNames : suiteTaskNames(preset);
  for (const name of names) getTask(name);
  if (new Set(names).size !== names.length) throw new UsageError('--tasks: a task is named twice');
  const pluginPlans: PluginPlan[] = plugins.map((p) => ({
    name: p.name,
    sha256: sha256(readFileSync(resolve(cwd, p.file))),
    optimizers: [...p.optimizers],
  }));
  const specTexts = (v.optimizers as string[] | undefined) ?? [
    DEFAULT_BENCHMARK_OPTIMIZERS,
    ...pluginPlans.flatMap((p) => p.optimizers),
  ];
  const resolved = resolveOptimizers(parseOptimizerSpecs(specTexts));
  const seedCount = (v.seeds as number | undefined) ?? defaults.seeds;
  if (seedCount > MAX_SEEDS)
    throw new UsageError(`--seeds: expected an integer from 1 to ${MAX_SEEDS}, got ${seedCount}`);
  const seed = (v.seed as number | undefined) ?? 0;
  if (seed + TUNING_SEED_OFFSET + MAX_TUNE_SEEDS > 2 ** 32 - 1)
    throw new UsageError(
      `--seed: expected an integer from 0 to ${2 ** 32 - 1 - TUNING_SEED_OFFSET - MAX_TUNE_SEEDS} (seeds are 32-bit), got ${seed}`,
    );
  const tuneSeedCount = (v['tune-seeds'] as number | undefined) ?? defaults.tuneSeeds;
  if (tuneSeedCount > MAX_TUNE_SEEDS)
    throw new UsageError(`--tune-seeds: expected an integer from 1 to ${MAX_TUNE_SEEDS}, got ${tuneSeedCount}`);
  const budget = (v['tune-budget'] as number | undefined) ?? defaults.tuneBudget;
  if (budget === 0)
    for (const name of ['lr-range', 'tune-seeds'])
      if (v[name] !== undefined)
        throw new UsageError(
          `--${name} applies only when learning rates are tuned, and --tune-budget 0 runs the specs as given`,
        );
  const range = ((v['lr-range'] as string | undefined) ?? defaults.lrRange).trim();
  const tuning = lrGrid(range, budget);
  const notes: string[] = [];
  if (tuning.grid.length > 0)
    for (const o of resolved) {
      if (!Object.hasOwn(o.hyperparams, 'lr'))
        throw new UsageError(`optimizer ${o.label} has no lr to tune; use --tune-budget 0`);
      if (Object.hasOwn(o.options, 'lr'))
        notes.push(
          `${o.label}: lr=${o.options.lr} in --optimizers is not used: lr is tuned (the best of ${tuning.grid.length} learning rates in ${range}); --tune-budget 0 runs the spec as given`,
        );
    }
  const divergeFactor = (v['diverge-factor'] as number | undefined) ?? DEFAULT_DIVERGE_FACTOR;
  if (!(divergeFactor > 1)) throw new UsageError(`--diverge-factor: expected a number > 1, got ${divergeFactor}`);
  const pluginOfOptimizer = new Map(pluginPlans.flatMap((p) => p.optimizers.map((o) => [o, p.sha256] as const)));
  const plan: BenchmarkPlan = {
    format: 1,
    version: pkg.version,
    preset,
    tasks: names.map((name) =>
      taskPlan(name, preset, steps, limit, (v.backend as BackendChoice | undefined) ?? 'auto', v.capture === true),
    ),
    optimizers: resolved.map((o, i) => ({
      label: o.label,
      name: o.name,
      options: o.options,
      text: o.text,
      plugin: pluginOfOptimizer.get(o.name) ?? null,
      color: PALETTE[i % PALETTE.length],
    })),
    seed,
    seeds: Array.from({ length: seedCount }, (_, k) => seed + k),
    tuneSeeds: tuning.grid.length > 0 ? tuningSeeds(seed, tuneSeedCount) : [],
    tuning,
    divergeFactor,
    plugins: pluginPlans,
  };
  const jobs = (v.jobs as number | undefined) ?? defaultJobs;
  if (jobs < 1) throw new UsageError(`--jobs: expected an integer >= 1, got ${jobs}`);
  return {
    plan,
    run: {
      jobs,
      out: (v.out as string | undefined) ?? 'benchmark-out',
      shard: (v.shard as string | undefined) ?? null,
      pluginFiles: plugins.map((p) => resolve(cwd, p.file)),
      quiet: v.quiet === true,
      notes,
    },
  };
}
