// The plan of `nabla benchmark`: which tasks (and how long each runs, and its target), which optimizers,
// the tuning budget and the seeds, as plain JSON, so that the shards of a sweep and `nabla merge` rebuild
// the very same trials from it; and the trials themselves, with their keys.

import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { HyperValue } from '@nablajs/optim';
import pkg from '../package.json';
import type { OptionDef, ParsedArgs } from './args';
import { BACKEND_OPTION, type BackendChoice, type BackendName, resolveBackend } from './backend';
import { COMPARE_OPTIONS, DEFAULT_DIVERGE_FACTOR, MAX_SEEDS } from './compare';
import { type OptimizerSpec, parseOptimizerSpecs, resolveOptimizers } from './optimizer-spec';
import { PALETTE } from './svg';
import { trialKey } from './sweep-store';
import { getTask, TASKS } from './tasks';
import { candidates, MAX_RANGE_POINTS, parseTuneSpace, TUNING_SEED_OFFSET, tuningSeeds } from './tune';
import { MAX_TUNE_SEEDS } from './tune-search';
import { UsageError } from './usage-error';

/**
 * How long one task runs in a preset, and the train loss (f for 2-D functions) its time-to-target counts to.
 *
 * @example
 * ```ts
 * const length: SuiteLength = { epochs: 5, target: 0.2, ms: 33 };
 * ```
 */
export interface SuiteLength {
  /** Epochs (model tasks). */
  epochs?: number;
  /** Optimizer steps (2-D functions). */
  steps?: number;
  /** At most this many training samples (model tasks; `--limit` overrides it). */
  limit?: number;
  /** The smoothed train loss (or f) whose first crossing is the time to the target. */
  target: number;
  /**
   * About how long one trial takes, in milliseconds (measured on 2 cores): the pool starts the
   * longest tasks first, and the help and the guide estimate durations from it.
   */
  ms: number;
}

/**
 * A task of the benchmark suite: its length and target in each preset (null: not in that preset).
 *
 * @example
 * ```ts
 * const task: SuiteTask = { quick: null, full: { epochs: 1, limit: 6000, target: 2.5, ms: 80_000 } };
 * ```
 */
export interface SuiteTask {
  /** The `--quick` preset, or null when the task is left out of it. */
  quick: SuiteLength | null;
  /** The full preset. */
  full: SuiteLength;
}

/**
 * The tasks of `nabla benchmark` and their length and target in each preset. The targets are losses that
 * tuned baselines reach within the run (set from a run of the suite), so that the time to reach them
 * separates optimizers, as AlgoPerf's targets do; a task of `nabla compare` left out of this table (mnist-cnn) runs with its
 * compare defaults when named in `--tasks`.
 *
 * @example
 * ```ts
 * SUITE['digits-mlp'].quick; // { epochs: 5, target: 0.2, ms: 33 }
 * ```
 */
export const SUITE: Readonly<Record<string, SuiteTask>> = {
  'digits-mlp': { quick: { epochs: 5, target: 0.2, ms: 33 }, full: { epochs: 10, target: 0.1, ms: 90 } },
  spirals: { quick: { epochs: 40, target: 0.1, ms: 67 }, full: { epochs: 100, target: 0.05, ms: 210 } },
  'linear-regression': { quick: { epochs: 10, target: 0.02, ms: 3 }, full: { epochs: 20, target: 0.015, ms: 6 } },
  'mnist-mlp': { quick: { epochs: 1, target: 0.4, ms: 170 }, full: { epochs: 3, target: 0.3, ms: 600 } },
  'tiny-shakespeare': { quick: null, full: { epochs: 1, limit: 6000, target: 2.5, ms: 80_000 } },
  rosenbrock: { quick: { steps: 1500, target: 1e-3, ms: 70 }, full: { steps: 1500, target: 1e-3, ms: 70 } },
  beale: { quick: { steps: 1500, target: 0.1, ms: 40 }, full: { steps: 1500, target: 0.1, ms: 40 } },
  himmelblau: { quick: { steps: 500, target: 1e-3, ms: 20 }, full: { steps: 500, target: 1e-3, ms: 20 } },
  saddle: { quick: { steps: 150, target: -1, ms: 2 }, full: { steps: 150, target: -1, ms: 2 } },
  quadratic: { quick: { steps: 300, target: 1e-4, ms: 7 }, full: { steps: 300, target: 1e-4, ms: 7 } },
};

/**
 * The settings of a preset that options can override.
 *
 * @example
 * ```ts
 * const mine: PresetDefaults = { ...PRESETS.quick, seeds: 5 };
 * ```
 */
export interface PresetDefaults {
  /** Reported seeds per optimizer and task. */
  seeds: number;
  /** Tuning seeds per candidate learning rate. */
  tuneSeeds: number;
  /** Points of the learning-rate grid. */
  tuneBudget: number;
  /** The learning-rate range of the grid (log-spaced, ends included). */
  lrRange: string;
}

/**
 * The defaults of the two presets.
 *
 * @example
 * ```ts
 * PRESETS.quick.tuneBudget; // 4: lr = 0.001, 0.01, 0.1, 1
 * ```
 */
export const PRESETS: Readonly<Record<'quick' | 'full', PresetDefaults>> = {
  quick: { seeds: 3, tuneSeeds: 1, tuneBudget: 4, lrRange: '1e-3..1' },
  full: { seeds: 5, tuneSeeds: 1, tuneBudget: 9, lrRange: '1e-4..1' },
};

/**
 * The optimizers `nabla benchmark` compares when `--optimizers` is not given (with `--plugin`, the
 * plugins' optimizers join them).
 *
 * @example
 * ```ts
 * DEFAULT_BENCHMARK_OPTIMIZERS; // 'sgd momentum@sgd:momentum=0.9 adam adamw'
 * ```
 */
export const DEFAULT_BENCHMARK_OPTIMIZERS = 'sgd momentum@sgd:momentum=0.9 adam adamw';

/** An option of `nabla compare` that `nabla benchmark` takes as it is. */
function compareOption(name: string): OptionDef {
  const def = COMPARE_OPTIONS.find((o) => o.name === name);
  if (def === undefined) throw new Error(`nabla compare has no option --${name}`);
  return def;
}

/**
 * The options of `nabla benchmark`, as the parser and the help read them.
 *
 * @example
 * ```ts
 * parseArgs(['--quick', '--jobs', '2'], BENCHMARK_OPTIONS).values; // { quick: true, jobs: 2 }
 * ```
 */
export const BENCHMARK_OPTIONS: readonly OptionDef[] = [
  {
    name: 'quick',
    type: 'flag',
    description: 'the quick preset (see PRESETS): under 5 minutes on 2 cores',
  },
  {
    name: 'tasks',
    type: 'list',
    value: 'NAMES',
    description: 'the tasks, separated by spaces or commas (any task of nabla compare)',
    default: "the preset's",
  },
  {
    name: 'optimizers',
    type: 'list',
    value: 'SPECS',
    description: 'optimizer specs as in nabla compare; their lr is tuned (the other hyperparameters stay as given)',
    default: `'${DEFAULT_BENCHMARK_OPTIMIZERS}', plus the optimizers of --plugin`,
  },
  {
    name: 'plugin',
    type: 'list',
    value: 'FILE',
    description: 'load an optimizer plugin; without --optimizers, its optimizers join the baselines',
  },
  {
    name: 'seeds',
    type: 'integer',
    min: 1,
    value: 'N',
    description: `report every optimizer on N seeds per task (at most ${MAX_SEEDS})`,
    default: `${PRESETS.quick.seeds} with --quick, else ${PRESETS.full.seeds}`,
  },
  {
    name: 'seed',
    type: 'integer',
    min: 0,
    value: 'N',
    description:
      'the base seed: reported seeds are N, N+1, ...; tuning seeds N+1000, N+1001, ...; it also draws the data',
    default: '0',
  },
  {
    name: 'tune-budget',
    type: 'integer',
    min: 0,
    value: 'N',
    description:
      'per optimizer and task, try N learning rates log-spaced over --lr-range on the tuning seeds and report the best (lowest final validation loss, else train loss or f); 0: no tuning, run the specs as given',
    default: `${PRESETS.quick.tuneBudget} with --quick, else ${PRESETS.full.tuneBudget}`,
  },
  {
    name: 'tune-seeds',
    type: 'integer',
    min: 1,
    value: 'N',
    description: 'tuning seeds per learning rate (never among the reported seeds)',
    default:
      PRESETS.quick.tuneSeeds === PRESETS.full.tuneSeeds
        ? String(PRESETS.full.tuneSeeds)
        : `${PRESETS.quick.tuneSeeds} with --quick, else ${PRESETS.full.tuneSeeds}`,
  },
  {
    name: 'lr-range',
    type: 'string',
    value: 'LO..HI',
    description: 'the learning rates the grid spans (log-spaced, ends included)',
    default: `${PRESETS.quick.lrRange} with --quick, else ${PRESETS.full.lrRange}`,
  },
  {
    name: 'steps',
    type: 'integer',
    min: 1,
    value: 'N',
    description: 'run every task for N optimizer steps instead of its preset length (for trying things out)',
  },
  compareOption('limit'),
  compareOption('diverge-factor'),
  {
    name: 'jobs',
    type: 'integer',
    min: 1,
    value: 'N',
    description: 'run trials in N worker processes (1: in this process)',
    default: 'the number of cores',
  },
  {
    name: 'shard',
    type: 'string',
    value: 'I/N',
    description:
      'run only the I-th of N deterministic shares of the sweep (whole optimizer-and-task groups); combine the shards with nabla merge',
  },
  {
    name: 'out',
    type: 'string',
    value: 'DIR',
    description:
      'write report.html, results.json, sweep.json and trials/ (one file per finished trial) into DIR; run again to resume',
    default: 'benchmark-out',
  },
  BACKEND_OPTION,
  compareOption('quiet'),
];

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
 * What a trial runs: one optimizer setting on one task and one seed. Its hash is the trial's key.
 *
 * @example
 * ```ts
 * const key = trialKey(definition as unknown as Record<string, unknown>); // its file: trials/<key>.json
 * ```
 */
export interface TrialDefinition extends Omit<TaskPlan, 'name' | 'kind'> {
  /** The format of the definition. */
  format: 1;
  /** The version of @nablajs/cli. */
  version: string;
  /** The task's name. */
  task: string;
  /** The seed that draws the task's data and split. */
  dataSeed: number;
  /** The divergence factor. */
  divergeFactor: number;
  /** The optimizer with every option it runs with (the tuned lr included), and the hash of its plugin file. */
  optimizer: { name: string; options: Record<string, HyperValue>; plugin: string | null };
  /** The seed of the initial weights and data order. */
  seed: number;
  /** `tune` (a candidate on a tuning seed) or `report` (the chosen setting on a reported seed). */
  stage: 'tune' | 'report';
}

/**
 * One optimizer on one task: its tuning trials, then its reported trials with the chosen setting.
 *
 * @example
 * ```ts
 * const mine: TrialGroup[] = shardOf(trialGroups(plan), (g) => g.key, { index: 1, count: 4 });
 * ```
 */
export interface TrialGroup {
  /** The hash of what defines the group (the unit of `--shard`). */
  key: string;
  /** The task. */
  task: TaskPlan;
  /** The optimizer. */
  optimizer: OptimizerPlan;
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
  if (!/^[^:;=]+\.\.[^:;=]+$/.test(range.trim()))
    throw new UsageError(`--lr-range: expected LO..HI (e.g. 1e-4..1), got ${JSON.stringify(range)}`);
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
): { plan: BenchmarkPlan; run: Omit<RunOptions, 'outDir' | 'shard'> & { out: string; shard: string | null } } {
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
  const tuning = lrGrid((v['lr-range'] as string | undefined) ?? defaults.lrRange, budget);
  if (tuning.grid.length > 0)
    for (const o of resolved)
      if (!Object.hasOwn(o.hyperparams, 'lr'))
        throw new UsageError(`optimizer ${o.label} has no lr to tune; use --tune-budget 0`);
  const divergeFactor = (v['diverge-factor'] as number | undefined) ?? DEFAULT_DIVERGE_FACTOR;
  if (!(divergeFactor > 1)) throw new UsageError(`--diverge-factor: expected a number > 1, got ${divergeFactor}`);
  const pluginOfOptimizer = new Map(pluginPlans.flatMap((p) => p.optimizers.map((o) => [o, p.sha256] as const)));
  const plan: BenchmarkPlan = {
    format: 1,
    version: pkg.version,
    preset,
    tasks: names.map((name) =>
      taskPlan(name, preset, steps, limit, (v.backend as BackendChoice | undefined) ?? 'auto'),
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
    },
  };
}

/**
 * The definition of one trial of a plan: `optimizer` on `task` from `seed`, with `setting` (the tuned
 * hyperparameters) over the optimizer's own options.
 *
 * @example
 * ```ts
 * trialDefinition(plan, plan.tasks[0], plan.optimizers[0], { lr: 0.1 }, 1000, 'tune');
 * ```
 */
export function trialDefinition(
  plan: BenchmarkPlan,
  task: TaskPlan,
  optimizer: OptimizerPlan,
  setting: Readonly<Record<string, number>> | null,
  seed: number,
  stage: 'tune' | 'report',
): TrialDefinition {
  return {
    format: 1,
    version: plan.version,
    task: task.name,
    dataSeed: plan.seed,
    epochs: task.epochs,
    steps: task.steps,
    batchSize: task.batchSize,
    limit: task.limit,
    targetLoss: task.targetLoss,
    backend: task.backend,
    divergeFactor: plan.divergeFactor,
    optimizer: { name: optimizer.name, options: { ...optimizer.options, ...setting }, plugin: optimizer.plugin },
    seed,
    stage,
  };
}

/**
 * What a trial's process loads for it: the task with its data seed, length, batch size and sample limit.
 * Trials with the same key share the data, the model's code and the warm-up.
 *
 * @example
 * ```ts
 * trialTaskKey(definition); // '["digits-mlp",0,5,null,32,null,"wasm"]'
 * ```
 */
export function trialTaskKey(d: TrialDefinition): string {
  return JSON.stringify([d.task, d.dataSeed, d.epochs, d.steps, d.batchSize, d.limit, d.backend]);
}

/**
 * The groups of a plan (every optimizer on every task, task by task), each keyed by a hash of what
 * defines it, so that `--shard` splits a sweep the same way on every machine.
 *
 * @example
 * ```ts
 * trialGroups(plan).length; // tasks × optimizers
 * ```
 */
export function trialGroups(plan: BenchmarkPlan): TrialGroup[] {
  return plan.tasks.flatMap((task) =>
    plan.optimizers.map((optimizer) => ({
      key: trialKey({
        group: 1,
        version: plan.version,
        seed: plan.seed,
        seeds: plan.seeds,
        tuneSeeds: plan.tuneSeeds,
        grid: plan.tuning.grid,
        divergeFactor: plan.divergeFactor,
        task,
        optimizer: { name: optimizer.name, options: optimizer.options, plugin: optimizer.plugin },
      }),
      task,
      optimizer,
    })),
  );
}

/**
 * About how long one trial of a task takes in a preset (ms; Infinity for a task the suite does not time,
 * which is then taken for the longest): the pool starts the longest tasks first, so that the last trials
 * to finish are short ones.
 *
 * @example
 * ```ts
 * trialMs('mnist-mlp', 'quick'); // 170
 * ```
 */
export function trialMs(task: string, preset: 'quick' | 'full'): number {
  return SUITE[task]?.[preset]?.ms ?? Number.POSITIVE_INFINITY;
}

/**
 * The task names of every `TASKS` entry the suite knows, for the help.
 *
 * @example
 * ```ts
 * suiteTaskNames('full'); // ['digits-mlp', ..., 'tiny-shakespeare', 'rosenbrock', ...]
 * ```
 */
export function suiteTaskNames(preset: 'quick' | 'full'): string[] {
  return Object.keys(SUITE).filter((name) => SUITE[name][preset] !== null && Object.hasOwn(TASKS, name));
}
