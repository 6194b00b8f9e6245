// The plan of `nabla compare`: its parsed options checked and completed with the task's defaults, every
// mistake raised before anything runs.
import { Tensor } from '@nablajs/core';
import type { ParsedArgs } from './args';
import { type BackendChoice, type BackendName, resolveBackend } from './backend';
import { DEFAULT_DIVERGE_FACTOR, MAX_SEEDS } from './compare-options';
import { createSpecOptimizer, parseOptimizerSpecs, type ResolvedOptimizer, resolveOptimizers } from './optimizer-spec';
import { checkOutDir } from './output-dir';
import { loadUserPlugin, registerBuiltinPlugins } from './plugins';
import { attachSchedule, parseSchedule } from './schedule';
import { getTask, type Task } from './tasks';
import { planTuning, type TunePlan } from './tune-search';
import { UsageError } from './usage-error';

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
  /** `--capture`: model runs replay captured steps (see `fit`'s capture option). */
  capture: boolean;
  quiet: boolean;
  json: boolean;
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
 * plan.steps; // 1500
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
    for (const name of ['epochs', 'batch-size', 'data', 'limit', 'capture'])
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
    capture: v.capture === true,
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
