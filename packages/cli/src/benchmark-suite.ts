// The suite of `nabla benchmark`: its tasks with their length and target in each preset, the presets'
// defaults, the default optimizers, and the command's options.
import type { OptionDef } from './args';
import { BACKEND_OPTION } from './backend';
import { COMPARE_OPTIONS, MAX_SEEDS } from './compare-options';
import { TASKS } from './tasks';

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
  compareOption('capture'),
  compareOption('quiet'),
];

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
