// The parts of a sweep that `nabla benchmark` and `nabla merge` share: the output directory (its check, the
// plan in sweep.json, the shard markers), and how one optimizer-and-task group turns its finished trials into
// a tuning choice and reported runs.
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { join, resolve } from 'node:path';
import type { BenchmarkPlan } from './benchmark-plan';
import type { GroupResult } from './benchmark-result';
import type { TrialOutcome } from './benchmark-trial';
import { checkOutDir } from './output-dir';
import type { TuningResult } from './results';
import { TRIALS_DIR } from './sweep-store';
import type { TrialDefinition, TrialGroup } from './trial-definition';
import { trialDefinition } from './trial-definition';
import { type TuneTrial, tuningResult } from './tune';
import { UsageError } from './usage-error';

/**
 * The file of a sweep's output directory that holds its plan.
 *
 * @example
 * ```ts
 * readFileSync(join('benchmark-out', SWEEP_FILE), 'utf8');
 * ```
 */
export const SWEEP_FILE = 'sweep.json';

/**
 * The directory of a sweep's output directory that holds one marker per finished shard.
 *
 * @example
 * ```ts
 * readdirSync(join('shard-2', SHARDS_DIR)); // ['2-of-4.json']
 * ```
 */
export const SHARDS_DIR = 'shards';

/** What `nabla benchmark` and `nabla merge` write into their output directory. */
const OUR_FILES = new Set(['report.html', 'results.json', SWEEP_FILE, TRIALS_DIR, SHARDS_DIR]);

/** A temporary file of an atomic write, left behind only by a process killed while writing. */
const TEMP_FILE = /^\.(?:report\.html|results\.json|sweep\.json)\.tmp-/;

/**
 * Check an output directory of `nabla benchmark` or `nabla merge` before anything runs: missing (and
 * creatable), or a writable directory holding only what these commands write (report.html, results.json,
 * sweep.json, trials/, shards/). Returns the absolute path.
 *
 * @example
 * ```ts
 * checkSweepDir('benchmark-out', process.cwd()); // '/home/me/benchmark-out'
 * ```
 */
export function checkSweepDir(out: string, cwd: string): string {
  const dir = resolve(cwd, out);
  if (!existsSync(dir)) return checkOutDir(out, cwd);
  if (!statSync(dir).isDirectory()) throw new UsageError(`--out: ${dir} exists and is not a directory`);
  const foreign = readdirSync(dir).filter((f) => !OUR_FILES.has(f) && !TEMP_FILE.test(f));
  if (foreign.length > 0)
    throw new UsageError(
      `--out: ${dir} holds files that nabla benchmark did not write (${foreign.slice(0, 5).join(', ')}${foreign.length > 5 ? ', ...' : ''}); choose a new directory, or the output of an earlier benchmark to resume it`,
    );
  try {
    rmSync(mkdtempSync(join(dir, '.nabla-out-check-')), { recursive: true, force: true });
  } catch (e) {
    throw new UsageError(`--out: ${dir} is not writable (${e instanceof Error ? e.message : String(e)})`);
  }
  return dir;
}

/**
 * Write a file atomically: to a temporary file beside it, then renamed over it. The directory must exist.
 *
 * @example
 * ```ts
 * mkdirSync('out', { recursive: true });
 * writeAtomic('out/sweep.json', JSON.stringify(plan));
 * ```
 */
export function writeAtomic(path: string, text: string): void {
  const temp = join(path, '..', `.${path.split(/[\\/]/).pop()}.tmp-${process.pid}`);
  writeFileSync(temp, text);
  renameSync(temp, path);
}

/**
 * Write a sweep's plan (sweep.json) into its output directory, creating it.
 *
 * @example
 * ```ts
 * writeSweep('/tmp/out', plan);
 * ```
 */
export function writeSweep(dir: string, plan: BenchmarkPlan): void {
  mkdirSync(dir, { recursive: true });
  writeAtomic(join(dir, SWEEP_FILE), `${JSON.stringify(plan, null, 2)}\n`);
}

/**
 * Read the plan of a sweep's output directory, or a {@link UsageError} saying why it is not one.
 *
 * @example
 * ```ts
 * readSweep('shard-1').tasks.length;
 * ```
 */
export function readSweep(dir: string): BenchmarkPlan {
  const path = join(dir, SWEEP_FILE);
  if (!existsSync(path)) throw new UsageError(`${dir} has no ${SWEEP_FILE} (is it the --out of nabla benchmark?)`);
  try {
    const plan = JSON.parse(readFileSync(path, 'utf8')) as BenchmarkPlan;
    if (plan.format !== 1 || !Array.isArray(plan.tasks) || !Array.isArray(plan.optimizers))
      throw new Error('not a plan');
    return plan;
  } catch (e) {
    throw new UsageError(`${path} is not a sweep plan (${(e as Error).message})`);
  }
}

/**
 * Mark shard `index/count` of a sweep as finished in its output directory (shards/INDEX-of-COUNT.json), so
 * that `nabla merge` can name the shards that are missing.
 *
 * @example
 * ```ts
 * markShard('/tmp/out', { index: 2, count: 4 }, { groups: 9, trials: 54 });
 * ```
 */
export function markShard(
  dir: string,
  shard: { index: number; count: number },
  done: { groups: number; trials: number },
): void {
  mkdirSync(join(dir, SHARDS_DIR), { recursive: true });
  writeAtomic(
    join(dir, SHARDS_DIR, `${shard.index}-of-${shard.count}.json`),
    `${JSON.stringify({ shard: `${shard.index}/${shard.count}`, ...done, finishedAt: new Date().toISOString() })}\n`,
  );
}

/**
 * The finished shards marked in output directories, as `i/n`.
 *
 * @example
 * ```ts
 * markedShards(['shard-1', 'shard-2']); // ['1/2', '2/2']
 * ```
 */
export function markedShards(dirs: readonly string[]): string[] {
  const found = new Set<string>();
  for (const dir of dirs) {
    const shards = join(dir, SHARDS_DIR);
    if (!existsSync(shards)) continue;
    for (const f of readdirSync(shards)) {
      const m = /^(\d+)-of-(\d+)\.json$/.exec(f);
      if (m !== null) found.add(`${m[1]}/${m[2]}`);
    }
  }
  return [...found].sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
}

/**
 * Where a group gets each of its trials: the store, a worker, or (for merge) the merged shards.
 *
 * @example
 * ```ts
 * const fromDisk: ObtainTrial = async (d) => reviveNumbers(store.get(trialKey(d as unknown as Record<string, unknown>))!.result);
 * ```
 */
export type ObtainTrial = (definition: TrialDefinition) => Promise<TrialOutcome>;

/**
 * The definitions of a group's tuning trials: every learning rate of the grid on every tuning seed, learning
 * rate by learning rate.
 *
 * @example
 * ```ts
 * tuningDefinitions(plan, group).length; // grid points × tuning seeds
 * ```
 */
export function tuningDefinitions(plan: BenchmarkPlan, group: TrialGroup): TrialDefinition[] {
  return plan.tuning.grid.flatMap((lr) =>
    plan.tuneSeeds.map((seed) => trialDefinition(plan, group.task, group.optimizer, { lr }, seed, 'tune')),
  );
}

/**
 * Run (or find) one group's trials: first its tuning trials, then, with the learning rate of the lowest
 * mean metric over the tuning seeds (a rate that diverged on any of them is never chosen; when all did,
 * the spec as given), its reported trials on the reported seeds.
 *
 * @example
 * ```ts
 * const result = await collectGroup(plan, group, (d) => runTrial(d));
 * result.tuning?.chosen; // { lr: 0.01 }
 * ```
 */
export async function collectGroup(plan: BenchmarkPlan, group: TrialGroup, obtain: ObtainTrial): Promise<GroupResult> {
  let tuning: TuningResult | null = null;
  const seedsPer = plan.tuneSeeds.length;
  if (plan.tuning.grid.length > 0) {
    const outcomes = await Promise.all(tuningDefinitions(plan, group).map(obtain));
    const trials: TuneTrial[] = plan.tuning.grid.map((lr, i) => ({
      setting: { lr },
      metrics: outcomes.slice(i * seedsPer, (i + 1) * seedsPer).map((o) => o.metric),
    }));
    tuning = tuningResult(trials, {
      optimizer: group.optimizer.label,
      space: plan.tuning.space,
      mode: 'grid',
      budget: plan.tuning.grid.length,
      seeds: plan.tuneSeeds,
      metric: outcomes[0].metricName,
    });
  }
  const reported = await Promise.all(
    plan.seeds.map((seed) =>
      obtain(trialDefinition(plan, group.task, group.optimizer, tuning?.chosen ?? null, seed, 'report')),
    ),
  );
  return { group, tuning, runs: reported.map((o) => o.run), task: reported[0].task };
}
