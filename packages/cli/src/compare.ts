import { Tensor } from '@nablajs/core';
import pkg from '../package.json';
import { type OptionDef, type ParsedArgs, parseArgs } from './args';
import { createSpecOptimizer, parseOptimizerSpecs, type ResolvedOptimizer, resolveOptimizers } from './optimizer-spec';
import { checkOutDir, writeOutDir } from './output-dir';
import { loadUserPlugin, registerBuiltinPlugins } from './plugins';
import { ProgressDisplay, type TextOutput } from './progress';
import { renderReport } from './report';
import { type CompareResult, type RunResult, resultsCsv, resultsJson, type Surface } from './results';
import { modelRunLength, type RunEvents, runFunctionTask, runModelTask, silentEvents } from './runner';
import { attachSchedule, parseSchedule } from './schedule';
import { renderTable } from './table';
import { type FunctionTask, getTask, type ModelTaskData, type Task } from './tasks';
import { UsageError } from './usage-error';

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
    description: 'seed of the data, its order and the initial weights',
    default: '0',
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
    description: 'report the first step at which the (smoothed) loss is <= X',
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
    description: 'write report.html, results.json and results.csv into DIR',
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
  schedule: ReturnType<typeof parseSchedule>;
  targetLoss: number;
  dataDir: string | null;
  limit: number | null;
  outDir: string | null;
  plugins: string[];
  lossScale: 'auto' | 'log' | 'linear' | 'symlog';
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
  const optimizers = resolveOptimizers(
    parseOptimizerSpecs((v.optimizers as string[] | undefined) ?? [task.defaults.optimizers]),
  );
  const schedule = parseSchedule((v.schedule as string | undefined) ?? 'none');
  const steps = (v.steps as number | undefined) ?? (fn ? (task.defaults.steps ?? 100) : null);
  const epochs = fn ? null : steps !== null ? null : ((v.epochs as number | undefined) ?? task.defaults.epochs ?? 1);
  const plan: ComparePlan = {
    task,
    optimizers,
    epochs,
    steps,
    batchSize: fn ? null : ((v['batch-size'] as number | undefined) ?? task.defaults.batchSize ?? 32),
    seed: (v.seed as number | undefined) ?? 0,
    schedule,
    targetLoss: (v['target-loss'] as number | undefined) ?? task.defaults.targetLoss,
    dataDir: (v.data as string | undefined) ?? null,
    limit: (v.limit as number | undefined) ?? null,
    outDir: v.out === undefined ? null : checkOutDir(v.out as string, cwd),
    plugins,
    lossScale: (v['loss-scale'] as ComparePlan['lossScale'] | undefined) ?? 'auto',
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
  const points = new Float64Array((n + 1) * (n + 1) * 2);
  for (let j = 0; j <= n; j++)
    for (let i = 0; i <= n; i++) {
      const k = j * (n + 1) + i;
      points[2 * k] = x0 + ((x1 - x0) * i) / n;
      points[2 * k + 1] = y0 + ((y1 - y0) * j) / n;
    }
  const values = task.fn.f(new Tensor(points, [(n + 1) * (n + 1), 2], 'float64'));
  return {
    formula: task.fn.formula,
    bounds: [
      [x0, x1],
      [y0, y1],
    ],
    minima: task.fn.minima.map(([x, y]) => [x, y]),
    start: [task.fn.start[0], task.fn.start[1]],
    resolution: n,
    values: Array.from(values.values),
  };
}

function chooseLossScale(plan: ComparePlan, runs: readonly RunResult[]): 'log' | 'linear' | 'symlog' {
  if (plan.lossScale !== 'auto') return plan.lossScale;
  const values = runs
    .flatMap((r) => [...r.steps.smoothedLoss, ...r.epochs.loss, ...r.epochs.valLoss])
    .filter(Number.isFinite);
  if (values.every((v) => v > 0)) return 'log';
  return values.some((v) => Math.abs(v) > 100) ? 'symlog' : 'linear';
}

/**
 * Run a planned comparison: train (or walk) with every optimizer, then build the result.
 *
 * @example
 * ```ts
 * const result = await runComparison(plan, 'nabla compare --task rosenbrock', silentEvents);
 * ```
 */
export async function runComparison(plan: ComparePlan, command: string, events: RunEvents): Promise<CompareResult> {
  const { task } = plan;
  let runs: RunResult[];
  let details: string[];
  let surface: Surface | null = null;
  let stepsPerEpoch: number | null = null;
  let totalSteps: number;
  if (task.kind === 'function') {
    totalSteps = plan.steps ?? 100;
    runs = runFunctionTask(
      task,
      plan.optimizers,
      { steps: totalSteps, schedule: plan.schedule, targetLoss: plan.targetLoss },
      events,
    );
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
    };
    const length = modelRunLength(data.train.x.shape[0], options);
    stepsPerEpoch = length.stepsPerEpoch;
    totalSteps = length.totalSteps;
    runs = await runModelTask(data, plan.optimizers, options, events);
    details = data.details;
  }
  const partial: CompareResult = {
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
    },
    settings: {
      epochs: plan.epochs,
      steps: totalSteps,
      stepsPerEpoch,
      batchSize: plan.batchSize,
      seed: plan.seed,
      schedule: plan.schedule.text,
      targetLoss: plan.targetLoss,
      lossScale: 'log',
      plugins: plan.plugins,
      dataDir: plan.dataDir,
    },
    surface,
    runs,
  };
  partial.settings.lossScale = chooseLossScale(plan, runs);
  return partial;
}

/**
 * `nabla compare`: parse, plan, run with a progress display, print the table (or JSON), and write
 * `--out` atomically. Returns the exit code: 0 on success, 2 on a usage error (message on stderr,
 * nothing written), 1 when the run itself failed.
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
  const progress = plan.quiet
    ? null
    : new ProgressDisplay(
        io.stderr,
        plan.optimizers.map((o) => o.label),
        { epochs: plan.task.kind === 'model' ? (plan.epochs ?? null) : null },
      );
  if (!plan.quiet)
    io.stderr.write(
      `nabla compare: ${plan.task.name}, ${plan.optimizers.length} optimizers, ${
        plan.epochs !== null ? `${plan.epochs} epochs` : `${plan.steps} steps`
      }, seed ${plan.seed}\n`,
    );
  const result = await runComparison(plan, command, progress ?? silentEvents);
  progress?.close();
  if (plan.json) io.stdout.write(resultsJson(result));
  else io.stdout.write(`\n${renderTable(result)}`);
  if (plan.outDir !== null) {
    writeOutDir(plan.outDir, {
      'report.html': renderReport(result),
      'results.json': resultsJson(result),
      'results.csv': resultsCsv(result),
    });
    if (!plan.json) io.stdout.write(`\nwrote ${plan.outDir}/report.html, results.json, results.csv\n`);
  }
  return 0;
}
