import { getBackend, setBackend, Tensor } from '@nablajs/core';
import pkg from '../package.json';
import { type OptionDef, type ParsedArgs, parseArgs } from './args';
import { BACKEND_OPTION, type BackendChoice, type BackendName, resolveBackend, useBackend } from './backend';
import { createSpecOptimizer, parseOptimizerSpecs, type ResolvedOptimizer, resolveOptimizers } from './optimizer-spec';
import { checkOutDir, writeOutDir } from './output-dir';
import { loadUserPlugin, registerBuiltinPlugins } from './plugins';
import { ProgressDisplay, type TextOutput } from './progress';
import { renderReport } from './report';
import {
  autoLossScale,
  type CompareResult,
  type RunResult,
  resultsCsv,
  resultsJson,
  runsCsv,
  type Surface,
} from './results';
import {
  evaluateGrid,
  functionTaskRunner,
  isPlanarClassifier,
  modelRunLength,
  modelTaskRunner,
  type RunEvents,
  silentEvents,
  type TaskRunner,
} from './runner';
import { attachSchedule, parseSchedule } from './schedule';
import { type LabelledPoints, labelledPointsOf } from './svg-decision';
import { renderTable, seedRange } from './table';
import { type FunctionTask, getTask, type ModelTaskData, type Task } from './tasks';
import { aggregateRuns, REPEAT_STEPS, runTrials } from './trials';
import { TUNING_SEED_OFFSET, type TuneMetric } from './tune';
import {
  DEFAULT_TUNE_BUDGET,
  MAX_TUNE_BUDGET,
  MAX_TUNE_SEEDS,
  planTuning,
  runTuning,
  type TunePlan,
} from './tune-search';
import { UsageError } from './usage-error';

/**
 * The most seeds `--seeds` takes.
 *
 * @example
 * ```ts
 * MAX_SEEDS; // 100
 * ```
 */
export const MAX_SEEDS = 100;

/**
 * The default of `--diverge-factor`: a run whose loss passes 10 times its initial loss has diverged.
 *
 * @example
 * ```ts
 * DEFAULT_DIVERGE_FACTOR; // 10
 * ```
 */
export const DEFAULT_DIVERGE_FACTOR = 10;

/**
 * The options of `nabla compare`, as the parser and the help read them.
 *
 * @example
 * ```ts
 * parseArgs(['--task', 'spirals', '--epochs', '20'], COMPARE_OPTIONS).values; // { task: 'spirals', epochs: 20 }
 * ```
 */
export const COMPARE_OPTIONS: readonly OptionDef[] = [
  {
    name: 'task',
    type: 'string',
    value: 'TASK',
    description: 'what to train or minimise (see TASKS)',
    default: 'digits-mlp',
  },
  {
    name: 'optimizers',
    type: 'list',
    value: 'SPECS',
    description:
      "optimizer specs separated by spaces, e.g. 'sgd:lr=0.1,momentum=0.9 adam:lr=1e-3' (see OPTIMIZER SPECS)",
    default: "the task's own set",
  },
  {
    name: 'epochs',
    type: 'integer',
    min: 1,
    value: 'N',
    description: 'epochs to train (model tasks)',
    default: 'per task',
  },
  {
    name: 'steps',
    type: 'integer',
    min: 1,
    value: 'N',
    description: 'optimizer steps to take (2-D functions; for model tasks, instead of --epochs)',
    default: 'per task',
  },
  {
    name: 'batch-size',
    type: 'integer',
    min: 1,
    value: 'N',
    description: 'samples per batch (model tasks)',
    default: 'per task',
  },
  {
    name: 'seed',
    type: 'integer',
    min: 0,
    value: 'N',
    description: 'the base seed: it draws the data and its split; run k of each optimizer uses seed N + k',
    default: '0',
  },
  {
    name: 'seeds',
    type: 'integer',
    min: 1,
    value: 'N',
    description: `run every optimizer on N seeds (at most ${MAX_SEEDS}): each seed gives other initial weights and another data order; the table shows mean ± standard deviation, the charts the median and the interquartile range. The 2-D functions start from a fixed point, so their seeds differ only for an optimizer that draws random numbers`,
    default: '1',
  },
  {
    name: 'diverge-factor',
    type: 'number',
    value: 'X',
    description:
      'a run diverges, and stops there, when its loss is NaN or infinite or above X times its initial loss (X > 1; for a 2-D function, X times the larger of f at the start and the largest f in the plotted box); it is shown as diverged and left out of the means',
    default: '10',
  },
  {
    name: 'schedule',
    type: 'string',
    value: 'SPEC',
    description: 'learning-rate schedule (see SCHEDULES)',
    default: 'none',
  },
  {
    name: 'target-loss',
    type: 'number',
    value: 'X',
    description: 'report the first step (and the time) at which the smoothed train loss (f for 2-D functions) is <= X',
    default: 'per task',
  },
  {
    name: 'data',
    type: 'string',
    value: 'DIR',
    description: 'MNIST directory (mnist-mlp, mnist-cnn)',
    default: 'the bundled test set',
  },
  { name: 'limit', type: 'integer', min: 1, value: 'N', description: 'use at most N training samples (model tasks)' },
  {
    name: 'out',
    type: 'string',
    value: 'DIR',
    description:
      'write report.html, results.json, results.csv and runs.csv into DIR (checked before the run; each file written to a temporary file, then renamed)',
  },
  {
    name: 'plugin',
    type: 'list',
    value: 'FILE',
    description: 'load an optimizer plugin (a module whose default export is definePlugin(...))',
  },
  {
    name: 'loss-scale',
    type: 'choice',
    choices: ['auto', 'log', 'linear', 'symlog'],
    value: 'SCALE',
    description:
      'y scale of the loss charts; auto: log when every loss is positive, else symlog (sign(y) log10(1 + |y|)) when |loss| passes 100, else linear',
    default: 'auto',
  },
  {
    name: 'tune',
    type: 'list',
    value: 'SPACE',
    description:
      "search hyperparameters before the comparison, e.g. 'lr=1e-4..1e-1:log:8' or 'lr=1e-3..1:4;momentum=0.8,0.9,0.95' (see TUNING); a prefix 'adam:' limits a space to the optimizer of that label or name",
  },
  {
    name: 'tune-mode',
    type: 'choice',
    choices: ['grid', 'random'],
    value: 'MODE',
    description: `grid: every point of the grid (a seeded sample of --tune-budget points when it is larger); random: --tune-budget seeded draws`,
    default: 'grid',
  },
  {
    name: 'tune-budget',
    type: 'integer',
    min: 1,
    value: 'N',
    description: `the most trials per tuned optimizer (at most ${MAX_TUNE_BUDGET})`,
    default: String(DEFAULT_TUNE_BUDGET),
  },
  {
    name: 'tune-seeds',
    type: 'integer',
    min: 1,
    value: 'K',
    description: `the seeds every trial runs on (at most ${MAX_TUNE_SEEDS}): --seed + ${TUNING_SEED_OFFSET}, ..., never among the seeds the results are reported on`,
    default: '1',
  },
  BACKEND_OPTION,
  { name: 'quiet', type: 'flag', description: 'no progress display' },
  { name: 'json', type: 'flag', description: 'print results.json to stdout instead of the table' },
];

/** What a command needs from its environment: output streams and the working directory. */
export interface CliIO {
  /** Where results go (the table, or JSON with --json). */
  stdout: TextOutput;
  /** Where progress and errors go. */
  stderr: TextOutput;
  /** The directory relative paths (`--out`, `--data`, `--plugin`) start from. */
  cwd: string;
}

/** The settings of a comparison after defaults and checks. */
export interface ComparePlan {
  task: Task;
  optimizers: ResolvedOptimizer[];
  epochs: number | null;
  steps: number | null;
  batchSize: number | null;
  seed: number;
  /** The seeds every optimizer runs on: `seed`, `seed + 1`, ... (`--seeds` of them). */
  seeds: number[];
  /** `--diverge-factor`. */
  divergeFactor: number;
  schedule: ReturnType<typeof parseSchedule>;
  targetLoss: number;
  dataDir: string | null;
  limit: number | null;
  outDir: string | null;
  plugins: string[];
  lossScale: 'auto' | 'log' | 'linear' | 'symlog';
  /** The `--tune` searches, or null without `--tune`. */
  tune: TunePlan | null;
  /** The backend the runs train on (`--backend`, with `auto` resolved for the task). */
  backend: BackendName;
  quiet: boolean;
  json: boolean;
}

/**
 * Quote an argument for a POSIX shell when it needs it.
 *
 * @example
 * ```ts
 * shellQuote('sgd:lr=0.1 adam'); // "'sgd:lr=0.1 adam'"
 * ```
 */
export function shellQuote(arg: string): string {
  return /^[A-Za-z0-9_./:=,@%+-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}

/**
 * Load the plugins of `--plugin` (after the built-ins), for `compare` and for the help.
 *
 * @example
 * ```ts
 * await loadPlugins(parsed, process.cwd());
 * ```
 */
export async function loadPlugins(parsed: ParsedArgs, cwd: string): Promise<string[]> {
  registerBuiltinPlugins();
  const paths = (parsed.values.plugin as string[] | undefined) ?? [];
  for (const path of paths) await loadUserPlugin(path, cwd);
  return paths;
}

/**
 * Check the parsed options of `nabla compare` and fill in the task's defaults. Every mistake is a
 * {@link UsageError} raised here, before anything runs or is written.
 *
 * @example
 * ```ts
 * const plan = planComparison(parseArgs(['--task', 'rosenbrock'], COMPARE_OPTIONS), process.cwd(), []);
 * plan.steps; // 1000
 * ```
 */
export function planComparison(parsed: ParsedArgs, cwd: string, plugins: string[]): ComparePlan {
  const v = parsed.values;
  if (parsed.positionals.length > 0)
    throw new UsageError(
      `compare takes no positional arguments, got ${parsed.positionals.map((p) => JSON.stringify(p)).join(' ')}`,
    );
  const task = getTask((v.task as string | undefined) ?? 'digits-mlp');
  const fn = task.kind === 'function';
  if (fn)
    for (const name of ['epochs', 'batch-size', 'data', 'limit'])
      if (v[name] !== undefined)
        throw new UsageError(
          `--${name} does not apply to the 2-D function task ${task.name}${name === 'epochs' ? '; use --steps' : ''}`,
        );
  if (v.epochs !== undefined && v.steps !== undefined) throw new UsageError('give --epochs or --steps, not both');
  if (v.data !== undefined && !(task.kind === 'model' && task.usesDataDir))
    throw new UsageError(`--data applies to the MNIST tasks (mnist-mlp, mnist-cnn), not to ${task.name}`);
  const seed = (v.seed as number | undefined) ?? 0;
  const seedCount = (v.seeds as number | undefined) ?? 1;
  if (!Number.isInteger(seedCount) || seedCount < 1 || seedCount > MAX_SEEDS)
    throw new UsageError(`--seeds: expected an integer from 1 to ${MAX_SEEDS}, got ${seedCount}`);
  if (seed + seedCount - 1 > 2 ** 32 - 1)
    throw new UsageError(
      `--seed: expected an integer from 0 to ${2 ** 32 - seedCount} with --seeds ${seedCount} (seeds are 32-bit), got ${seed}`,
    );
  const divergeFactor = (v['diverge-factor'] as number | undefined) ?? DEFAULT_DIVERGE_FACTOR;
  if (!(divergeFactor > 1)) throw new UsageError(`--diverge-factor: expected a number > 1, got ${divergeFactor}`);
  const optimizers = resolveOptimizers(
    parseOptimizerSpecs((v.optimizers as string[] | undefined) ?? [task.defaults.optimizers]),
  );
  const tune = planTuning(
    {
      spaces: v.tune as string[] | undefined,
      mode: v['tune-mode'] as TunePlan['mode'] | undefined,
      budget: v['tune-budget'] as number | undefined,
      seeds: v['tune-seeds'] as number | undefined,
    },
    optimizers,
    seed,
  );
  const schedule = parseSchedule((v.schedule as string | undefined) ?? 'none');
  const steps = (v.steps as number | undefined) ?? (fn ? (task.defaults.steps ?? 100) : null);
  const epochs = fn ? null : steps !== null ? null : ((v.epochs as number | undefined) ?? task.defaults.epochs ?? 1);
  const plan: ComparePlan = {
    task,
    backend: resolveBackend((v.backend as BackendChoice | undefined) ?? 'auto', task.name),
    optimizers,
    epochs,
    steps,
    batchSize: fn ? null : ((v['batch-size'] as number | undefined) ?? task.defaults.batchSize ?? 32),
    seed,
    seeds: Array.from({ length: seedCount }, (_, k) => seed + k),
    divergeFactor,
    schedule,
    targetLoss: (v['target-loss'] as number | undefined) ?? task.defaults.targetLoss,
    dataDir: (v.data as string | undefined) ?? null,
    limit: (v.limit as number | undefined) ?? null,
    outDir: v.out === undefined ? null : checkOutDir(v.out as string, cwd),
    plugins,
    lossScale: (v['loss-scale'] as ComparePlan['lossScale'] | undefined) ?? 'auto',
    tune,
    quiet: v.quiet === true,
    json: v.json === true,
  };
  // Build the schedule once on a throwaway optimizer, so that a bad schedule option fails now.
  for (const o of optimizers) {
    const probe = new Tensor(new Float64Array(2), [2], 'float64');
    probe.requiresGrad = true;
    const opt = createSpecOptimizer(o, [probe]);
    attachSchedule(schedule, opt, {
      totalSteps: Math.max(2, steps ?? 100),
      unit: 1,
      unitName: epochs !== null ? 'epoch' : 'step',
    });
  }
  return plan;
}

/**
 * Sample a 2-D task's function on a grid of `(resolution + 1)²` points over its plotting box, for
 * the contour plot (one batched evaluation of `f`).
 *
 * @example
 * ```ts
 * sampleSurface(TASKS.rosenbrock as FunctionTask, 50).values.length; // 2601
 * ```
 */
export function sampleSurface(task: FunctionTask, resolution = 100): Surface {
  const [x0, x1] = task.fn.bounds.x;
  const [y0, y1] = task.fn.bounds.y;
  const n = resolution;
  const values = evaluateGrid(task, n);
  return {
    formula: task.fn.formula,
    bounds: [
      [x0, x1],
      [y0, y1],
    ],
    minima: task.fn.minima.map(([x, y]) => [x, y]),
    start: [task.fn.start[0], task.fn.start[1]],
    resolution: n,
    values: Array.from(values),
  };
}

function chooseLossScale(plan: ComparePlan, runs: readonly RunResult[]): 'log' | 'linear' | 'symlog' {
  return plan.lossScale !== 'auto' ? plan.lossScale : autoLossScale(runs);
}

/**
 * Run a planned comparison: with `--tune`, first each tuned optimizer's search on the tuning seeds
 * (see {@link runTuning}); then every optimizer (a tuned one with its chosen setting) on every seed,
 * after an untimed warm-up and in a shuffled order (see {@link runTrials}), and build the result with
 * each optimizer's statistics and the searches.
 *
 * @example
 * ```ts
 * const result = await runComparison(plan, 'nabla compare --task rosenbrock', silentEvents);
 * ```
 */
export async function runComparison(plan: ComparePlan, command: string, events: RunEvents): Promise<CompareResult> {
  const previous = getBackend();
  const backend = await useBackend(plan.backend);
  try {
    return await compareOn(plan, command, events, backend);
  } finally {
    setBackend(previous);
  }
}

async function compareOn(
  plan: ComparePlan,
  command: string,
  events: RunEvents,
  backend: string,
): Promise<CompareResult> {
  const { task } = plan;
  let runner: TaskRunner;
  let details: string[];
  let surface: Surface | null = null;
  let points: LabelledPoints | null = null;
  let stepsPerEpoch: number | null = null;
  let totalSteps: number;
  let metric: TuneMetric = 'final f';
  if (task.kind === 'function') {
    totalSteps = plan.steps ?? 100;
    runner = functionTaskRunner(task, {
      steps: totalSteps,
      schedule: plan.schedule,
      targetLoss: plan.targetLoss,
      divergeFactor: plan.divergeFactor,
    });
    surface = sampleSurface(task);
    details = [`f(x, y) = ${task.fn.formula}`, `start (${task.fn.start.join(', ')})`];
  } else {
    let data: ModelTaskData;
    try {
      data = task.load({ seed: plan.seed, dataDir: plan.dataDir, limit: plan.limit });
    } catch (error) {
      if (plan.dataDir !== null && !(error instanceof UsageError))
        throw new UsageError(`--data ${plan.dataDir}: ${(error as Error).message}`);
      throw error;
    }
    const options = {
      epochs: plan.epochs,
      steps: plan.steps,
      batchSize: plan.batchSize ?? 32,
      seed: plan.seed,
      schedule: plan.schedule,
      targetLoss: plan.targetLoss,
      divergeFactor: plan.divergeFactor,
    };
    const length = modelRunLength(data.train.x.shape[0], options);
    stepsPerEpoch = length.stepsPerEpoch;
    totalSteps = length.totalSteps;
    runner = modelTaskRunner(data, options);
    details = data.details;
    if (isPlanarClassifier(data)) points = labelledPointsOf(data.train.x, data.train.y);
    metric = data.validation === null ? 'final train loss' : 'final validation loss';
  }
  const tuned = plan.tune === null ? null : await runTuning(runner, plan.optimizers, plan.tune, metric, events);
  const outcome = await runTrials(
    runner,
    tuned?.optimizers ?? plan.optimizers,
    { seeds: plan.seeds, orderSeed: plan.seed, repeatSteps: REPEAT_STEPS },
    events,
  );
  const result: CompareResult = {
    tool: 'nabla compare',
    version: pkg.version,
    command,
    createdAt: new Date().toISOString(),
    environment: `Node.js ${process.version} on ${process.platform}-${process.arch}`,
    task: {
      name: task.name,
      kind: task.kind,
      description: task.description,
      details,
      classification: task.kind === 'model' && task.classification,
      ...(points === null ? {} : { points }),
    },
    settings: {
      epochs: plan.epochs,
      steps: totalSteps,
      stepsPerEpoch,
      batchSize: plan.batchSize,
      seed: plan.seed,
      seeds: plan.seeds,
      divergeFactor: plan.divergeFactor,
      schedule: plan.schedule.text,
      targetLoss: plan.targetLoss,
      lossScale: chooseLossScale(plan, outcome.runs),
      plugins: plan.plugins,
      dataDir: plan.dataDir,
      backend,
    },
    order: outcome.order,
    timing: outcome.timing,
    surface,
    aggregates: [],
    runs: outcome.runs,
    ...(tuned === null ? {} : { tuning: tuned.tuning }),
  };
  result.aggregates = aggregateRuns(result);
  return result;
}

/**
 * The warning lines (on stderr) about runs that diverged, and searches whose every trial diverged: the
 * comparison goes on, and the exit code stays 0.
 */
function divergenceWarnings(result: CompareResult): string[] {
  const lines: string[] = [];
  for (const t of result.tuning ?? [])
    if (t.chosen === null)
      lines.push(
        `nabla: warning: every --tune trial of ${t.optimizer} diverged (${t.trials.length} trials); it ran with its spec as given`,
      );
  for (const agg of result.aggregates ?? []) {
    if (agg.diverged.length === 0) continue;
    const runs = result.runs.filter((r) => r.label === agg.label);
    if (runs.length === 1) lines.push(`nabla: warning: ${agg.label} ${runs[0].summary.stopReason ?? 'diverged'}`);
    else
      lines.push(
        `nabla: warning: ${agg.label} diverged on ${agg.diverged.length} of ${runs.length} seeds (${agg.diverged.join(', ')}); ${
          agg.diverged.length === runs.length ? 'it has no numbers to show' : 'those runs are left out of the means'
        }`,
      );
  }
  return lines;
}

/** The header's words about `--tune`: `; tuning sgd (4 trials), adam (4 trials) on seed 1000`. */
function tuneHeader(plan: ComparePlan): string {
  const tune = plan.tune;
  if (tune === null) return '';
  const which = tune.optimizers.map((t) => `${plan.optimizers[t.index].label} (${t.trials.length} trials)`).join(', ');
  return `; tuning ${which} on ${seedRange(tune.seeds)}`;
}

/**
 * `nabla compare`: parse and check everything (options, plugins, `--out`) before any training, run
 * with a progress display, print the table (or JSON), write `--out` atomically, and warn on stderr
 * about runs that diverged. Returns the exit code: 0 on success (runs that diverged included), 2 on a
 * usage error (one line on stderr, nothing run or written), 1 when the run itself failed.
 *
 * @example
 * ```ts
 * process.exitCode = await compareCommand(process.argv.slice(3), { stdout: process.stdout, stderr: process.stderr, cwd: process.cwd() });
 * ```
 */
export async function compareCommand(argv: readonly string[], io: CliIO): Promise<number> {
  const parsed = parseArgs(argv, COMPARE_OPTIONS);
  const plugins = await loadPlugins(parsed, io.cwd);
  const plan = planComparison(parsed, io.cwd, plugins);
  const command = ['nabla', 'compare', ...argv].map(shellQuote).join(' ');
  const seeds = plan.seeds;
  // The header goes out before the display draws anything, so that a terminal redraw never covers it.
  if (!plan.quiet)
    io.stderr.write(
      `nabla compare: ${plan.task.name}, ${plan.optimizers.length} optimizers, ${
        plan.epochs !== null ? `${plan.epochs} epochs` : `${plan.steps} steps`
      }, ${seeds.length === 1 ? `seed ${seeds[0]}` : `${seeds.length} seeds (${seeds[0]}-${seeds[seeds.length - 1]})`}${tuneHeader(plan)}, backend ${plan.backend}\n`,
    );
  const progress = plan.quiet
    ? null
    : new ProgressDisplay(
        io.stderr,
        plan.optimizers.map((o) => o.label),
        {
          epochs: plan.task.kind === 'model' ? (plan.epochs ?? null) : null,
          runs: plan.optimizers.length * seeds.length,
        },
      );
  const result = await runComparison(plan, command, progress ?? silentEvents);
  progress?.close();
  if (plan.json) io.stdout.write(resultsJson(result));
  else io.stdout.write(`\n${renderTable(result)}`);
  for (const line of divergenceWarnings(result)) io.stderr.write(`${line}\n`);
  if (plan.outDir !== null) {
    try {
      writeOutDir(plan.outDir, {
        'report.html': renderReport(result),
        'results.json': resultsJson(result),
        'results.csv': resultsCsv(result),
        'runs.csv': runsCsv(result),
      });
    } catch (error) {
      // Checked before the run, so this is the disk (full, or the directory removed meanwhile): one line, no trace.
      io.stderr.write(`nabla: --out ${plan.outDir}: could not write the results: ${(error as Error).message}\n`);
      return 1;
    }
    if (!plan.json) io.stdout.write(`\nwrote ${plan.outDir}/report.html, results.json, results.csv, runs.csv\n`);
  }
  return 0;
}
