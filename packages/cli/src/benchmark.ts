// `nabla benchmark`: a suite of tasks for a set of optimizers, each tuned on its own seeds within a stated
// budget, run as trials in a pool of worker processes, every trial stored as it finishes (so a run started
// again skips them, and shards run elsewhere merge), then one report with performance profiles.
import { availableParallelism } from 'node:os';
import { parseArgs } from './args';
import { type BenchmarkPlan, planBenchmark } from './benchmark-plan';
import { renderBenchmarkReport } from './benchmark-report';
import { type BenchmarkResult, benchmarkJson, benchmarkResult, type GroupResult } from './benchmark-result';
import { BENCHMARK_OPTIONS, trialMs } from './benchmark-suite';
import {
  checkSweepDir,
  collectGroup,
  markShard,
  type ObtainTrial,
  tuningDefinitions,
  writeSweep,
} from './benchmark-sweep';
import { reviveNumbers, type TrialOutcome } from './benchmark-trial';
import { type CliIO, shellQuote } from './compare';
import { currentLoad, machineInfo, machineText } from './machine';
import { writeOutDir } from './output-dir';
import { loadUserPlugin, registerBuiltinPlugins } from './plugins';
import { type TrialPool, trialPool } from './pool';
import type { TextOutput } from './progress';
import { parseShard, shardOf, TrialStore, trialKey } from './sweep-store';
import { formatDuration } from './table';
import { trialResultProblem } from './trial-check';
import { type TrialDefinition, trialGroups } from './trial-definition';
import { shuffled } from './trials';

/**
 * `backend wasm`, or `backend wasm for digits-mlp, spirals; cpu for the others` when the tasks differ; with
 * `--capture`, followed by `, captured steps on the model tasks`.
 */
function backendSummary(plan: BenchmarkPlan): string {
  const by = (name: string) => plan.tasks.filter((t) => t.backend === name).map((t) => t.name);
  const wasm = by('wasm');
  const captured = plan.tasks.some((t) => t.capture === true) ? ', captured steps on the model tasks' : '';
  if (wasm.length === 0 || wasm.length === plan.tasks.length)
    return `backend ${wasm.length === 0 ? 'cpu' : 'wasm'}${captured}`;
  return `backend wasm for ${wasm.join(', ')}; cpu for the others${captured}`;
}

/** Counts of a sweep's trials as it goes, and the same weighted by each trial's expected duration. */
export interface Tally {
  total: number;
  done: number;
  ran: number;
  skipped: number;
  /** Expected milliseconds ({@link trialWeight}) of all trials, of the finished ones, of those run here. */
  work: { total: number; done: number; ran: number };
}

/**
 * What a trial of `task` is expected to cost, for the ETA: its suite estimate (`trialMs`), or 1 s for a
 * task the suite does not time.
 */
function trialWeight(task: string, preset: 'quick' | 'full'): number {
  const ms = trialMs(task, preset);
  return Number.isFinite(ms) ? ms : 1000;
}

/**
 * The time left in a sweep, in ms, after `elapsedMs`: the expected work left at the pace of the work run
 * so far (null before any trial ran here, or when every trial is done).
 *
 * @example
 * ```ts
 * // 56 trials of 80 s done in 76 min, 504 of about 0.1 s left: about 50 s
 * etaMs(76 * 60_000, { total: 560, done: 56, ran: 56, skipped: 0, work: { total: 56 * 80_000 + 50_400, done: 56 * 80_000, ran: 56 * 80_000 } });
 * ```
 */
export function etaMs(elapsedMs: number, tally: Tally): number | null {
  if (tally.work.ran <= 0 || tally.done >= tally.total) return null;
  return (elapsedMs / tally.work.ran) * Math.max(0, tally.work.total - tally.work.done);
}

/**
 * Progress on stderr: on a terminal one line redrawn in place, elsewhere one line per tenth of the trials.
 * The ETA weighs each trial by its task's expected duration (the longest tasks run first, so a count of
 * trials would overstate what is left) and counts only the trials run here (found ones cost nothing).
 */
function progressReporter(out: TextOutput, tally: Tally, quiet: boolean): { tick(): void; close(): void } {
  const started = performance.now();
  let decile = 0;
  let drawn = false;
  const line = () => {
    const elapsed = performance.now() - started;
    const eta = etaMs(elapsed, tally);
    const etaText = eta === null ? '' : `, about ${formatDuration(eta)} left`;
    return `  ${tally.done}/${tally.total} trials (${Math.floor((100 * tally.done) / Math.max(1, tally.total))}%), ${formatDuration(elapsed)}${etaText}`;
  };
  return {
    tick() {
      if (quiet) return;
      if (out.isTTY === true) {
        out.write(`\r\x1b[K${line()}`);
        drawn = true;
      } else if (Math.floor((10 * tally.done) / Math.max(1, tally.total)) > decile) {
        decile = Math.floor((10 * tally.done) / Math.max(1, tally.total));
        out.write(`${line()}\n`);
      }
    },
    close() {
      if (drawn) out.write('\n');
    },
  };
}

/** The leaderboard as text, for the terminal. */
function leaderboardText(result: BenchmarkResult): string {
  const rows = result.leaderboard.map((r, i) => [
    String(i + 1),
    r.name,
    r.score.toFixed(3),
    r.stepsScore.toFixed(3),
    `${r.reached}/${result.plan.tasks.length}`,
    String(r.wins),
  ]);
  const header = ['#', 'optimizer', 'score (time)', 'score (steps)', 'reached', 'fastest on'];
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c].length)));
  const line = (cells: string[]) =>
    cells.map((cell, c) => (c === 1 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join('  ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line), ''].join('\n');
}

/** A performance ratio for the terminal: `1.00`, `2.31`; `-` when the target was not reached. */
function formatRatio(ratio: number | undefined): string {
  return ratio !== undefined && Number.isFinite(ratio) ? ratio.toFixed(2) : '-';
}

/**
 * The performance ratios (results.json's `targets[].ratios`) as text, for the terminal: a row per task, a
 * column per optimizer in the leaderboard's order, each cell its time and its steps to the target over the
 * fastest optimizer's on that task (`1.00 / 1.00` for the fastest), `-` where it did not reach the target.
 *
 * @example
 * ```ts
 * ratiosText(result);
 * // performance ratios (time / steps to the target, over the fastest on the task; -: not reached):
 * // task       adam         sgd
 * // ---------  -----------  -----------
 * // quadratic  1.00 / 1.00  3.52 / 2.10
 * ```
 */
export function ratiosText(result: Pick<BenchmarkResult, 'leaderboard' | 'targets'>): string {
  const names = result.leaderboard.map((r) => r.name);
  const rows = result.targets.map((t) => [
    t.task,
    ...names.map((n) => `${formatRatio(t.ratios.time[n])} / ${formatRatio(t.ratios.steps[n])}`),
  ]);
  const header = ['task', ...names];
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c].length)));
  const line = (cells: string[]) =>
    cells
      .map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c])))
      .join('  ')
      .trimEnd();
  return [
    'performance ratios (time / steps to the target, over the fastest on the task; -: not reached):',
    line(header),
    widths.map((w) => '-'.repeat(w)).join('  '),
    ...rows.map(line),
    '',
  ].join('\n');
}

/**
 * Run every group of `groups` through `pool`, storing each trial in `store` as it finishes and taking the
 * finished ones from it: first every tuning trial (task by task, the longest tasks first, each task's trials
 * in an order shuffled with the base seed so that no optimizer always runs first), then each group's
 * reported trials as soon as its tuning is done (the pool puts them before the tuning trials still queued).
 *
 * @example
 * ```ts
 * const results = await runGroups(plan, trialGroups(plan), pool, new TrialStore('out'), tally, () => {});
 * ```
 */
async function runGroups(
  plan: BenchmarkPlan,
  groups: readonly ReturnType<typeof trialGroups>[number][],
  pool: TrialPool,
  store: TrialStore,
  finished: ReadonlySet<string>,
  tally: Tally,
  tick: () => void,
): Promise<GroupResult[]> {
  const pending = new Map<string, Promise<TrialOutcome>>();
  const obtain: ObtainTrial = (definition: TrialDefinition) => {
    const key = trialKey(definition as unknown as Record<string, unknown>);
    const weight = trialWeight(definition.task, plan.preset);
    let promise = pending.get(key);
    if (promise === undefined) {
      promise = (async () => {
        let encoded: unknown;
        if (finished.has(key)) {
          encoded = store.get(key)!.result;
          tally.skipped++;
          tally.work.done += weight;
        } else {
          encoded = await pool.run(definition);
          store.put({ key, definition: definition as unknown as Record<string, unknown>, result: encoded });
          tally.ran++;
          tally.work.ran += weight;
          tally.work.done += weight;
        }
        tally.done++;
        tick();
        return reviveNumbers<TrialOutcome>(encoded);
      })();
      pending.set(key, promise);
    }
    return promise;
  };
  const longestFirst = [...plan.tasks].sort((a, b) => trialMs(b.name, plan.preset) - trialMs(a.name, plan.preset));
  for (const task of longestFirst)
    for (const definition of shuffled(
      groups.filter((g) => g.task.name === task.name).flatMap((g) => tuningDefinitions(plan, g)),
      plan.seed,
    ))
      void obtain(definition).catch(() => undefined);
  return Promise.all(groups.map((g) => collectGroup(plan, g, obtain)));
}

/**
 * `nabla benchmark`: check everything (options, plugins, `--shard`, `--out` and the trials already in it)
 * before any trial runs; run the trials of the sweep (or of its `--shard`) in `--jobs` workers, skipping
 * those already stored under `--out`; then write report.html and results.json (a shard writes its trials and
 * a marker, and `nabla merge` makes the report). Returns the exit code: 0 done, 1 a trial failed, 2 a
 * usage error (one line on stderr, nothing run).
 *
 * @example
 * ```ts
 * process.exitCode = await benchmarkCommand(['--quick', '--out', 'bench-out'], { stdout: process.stdout, stderr: process.stderr, cwd: process.cwd() });
 * ```
 */
export async function benchmarkCommand(argv: readonly string[], io: CliIO): Promise<number> {
  const parsed = parseArgs(argv, BENCHMARK_OPTIONS);
  registerBuiltinPlugins();
  const plugins = [];
  for (const file of (parsed.values.plugin as string[] | undefined) ?? []) {
    const plugin = await loadUserPlugin(file, io.cwd);
    plugins.push({ file, name: plugin.name, optimizers: Object.keys(plugin.optimizers) });
  }
  const { plan, run } = planBenchmark(parsed, io.cwd, plugins, availableParallelism());
  const shard = run.shard === null ? null : parseShard(run.shard);
  const outDir = checkSweepDir(run.out, io.cwd);
  const store = new TrialStore(outDir, trialResultProblem);
  const finished = new Set(store.list().map((t) => t.key));
  // Every check passed: say what of the command line is not used as typed (even with --quiet).
  for (const note of run.notes) io.stderr.write(`nabla benchmark: note: ${note}\n`);
  const all = trialGroups(plan);
  const groups = shard === null ? all : shardOf(all, (g) => g.key, shard);
  const perGroup = plan.tuning.grid.length * plan.tuneSeeds.length + plan.seeds.length;
  const tally: Tally = {
    total: groups.length * perGroup,
    done: 0,
    ran: 0,
    skipped: 0,
    work: {
      total: groups.reduce((sum, g) => sum + perGroup * trialWeight(g.task.name, plan.preset), 0),
      done: 0,
      ran: 0,
    },
  };
  const command = ['nabla', 'benchmark', ...argv].map(shellQuote).join(' ');
  if (!run.quiet)
    io.stderr.write(
      `nabla benchmark: ${plan.preset} preset, ${plan.tasks.length} task${plan.tasks.length === 1 ? '' : 's'} × ${plan.optimizers.length} optimizer${plan.optimizers.length === 1 ? '' : 's'}${
        shard === null
          ? ''
          : `, shard ${shard.index}/${shard.count} (${groups.length} of ${all.length} optimizer-and-task groups)`
      }: ${tally.total} trials (${
        plan.tuning.grid.length > 0
          ? `${plan.tuning.grid.length} learning rates × ${plan.tuneSeeds.length} tuning seed${plan.tuneSeeds.length > 1 ? 's' : ''}, then `
          : ''
      }${plan.seeds.length} seed${plan.seeds.length > 1 ? 's' : ''} each), ${run.jobs} job${run.jobs > 1 ? 's' : ''}, ${backendSummary(plan)}${
        finished.size > 0 ? `; ${finished.size} finished trials found in ${outDir}` : ''
      }\n`,
    );
  writeSweep(outDir, plan);
  const progress = progressReporter(io.stderr, tally, run.quiet);
  const pool = trialPool(Math.min(run.jobs, Math.max(1, tally.total)), { plugins: run.pluginFiles, cwd: io.cwd });
  const started = performance.now();
  const loadBefore = currentLoad();
  let results: GroupResult[];
  try {
    results = await runGroups(plan, groups, pool, store, finished, tally, () => progress.tick());
    await pool.close();
  } catch (error) {
    pool.kill();
    progress.close();
    io.stderr.write(
      `nabla benchmark: ${(error as Error).message}\n(${tally.ran} trials finished and stored in ${outDir}/trials; run the same command again to resume)\n`,
    );
    return 1;
  }
  progress.close();
  const summary = `${tally.ran} trials run, ${tally.skipped} skipped (already finished) in ${formatDuration(performance.now() - started)}`;
  if (shard !== null) {
    markShard(outDir, shard, { groups: groups.length, trials: tally.total });
    io.stdout.write(
      `shard ${shard.index}/${shard.count}: ${summary}; stored in ${outDir}/trials.\nWhen every shard is done: nabla merge DIR1 DIR2 ... --out DIR\n`,
    );
    return 0;
  }
  writeBenchmark(
    io,
    outDir,
    plan,
    results,
    {
      command,
      trials: { total: tally.total, ran: tally.ran, skipped: tally.skipped },
      machine: machineInfo(loadBefore, run.jobs),
    },
    summary,
  );
  return 0;
}

/**
 * Make the result of a finished sweep, write report.html, results.json and sweep.json into `outDir`
 * (atomically), and print the leaderboard and each task's performance ratios: the end of `nabla benchmark`
 * and of `nabla merge`.
 *
 * @example
 * ```ts
 * writeBenchmark(io, '/tmp/out', plan, groups, { command, trials: { total: 8, ran: 8, skipped: 0 } }, '8 trials run');
 * ```
 */
export function writeBenchmark(
  io: CliIO,
  outDir: string,
  plan: BenchmarkPlan,
  groups: readonly GroupResult[],
  meta: Parameters<typeof benchmarkResult>[2],
  summary: string,
): BenchmarkResult {
  const result = benchmarkResult(plan, groups, meta);
  writeOutDir(outDir, {
    'report.html': renderBenchmarkReport(result),
    'results.json': benchmarkJson(result),
    'sweep.json': `${JSON.stringify(plan, null, 2)}\n`,
  });
  // The backends again under the leaderboard: with --quiet the first line, which names them, is not printed.
  io.stdout.write(
    `${leaderboardText(result)}\n${ratiosText(result)}\n${backendSummary(plan)}.\n${
      result.machine === null ? '' : `${machineText(result.machine)}.\n`
    }${summary}.\nwrote ${outDir}/report.html, results.json\n`,
  );
  return result;
}
