// `nabla compare`: plan (compare-plan.ts), run (run-comparison.ts), then print the table or JSON, write
// `--out` and warn about runs that diverged.
import { parseArgs } from './args';
import { COMPARE_OPTIONS } from './compare-options';
import { type ComparePlan, loadPlugins, planComparison } from './compare-plan';
import { writeOutDir } from './output-dir';
import { ProgressDisplay, type TextOutput } from './progress';
import { renderReport } from './report';
import type { CompareResult } from './results';
import { resultsCsv, runsCsv } from './results-csv';
import { resultsJson } from './results-json';
import { runComparison } from './run-comparison';
import { nonPositiveLosses } from './summarize';
import { renderTable, seedRange } from './table';
import { RunError, silentEvents } from './task-runner';

/** `1 optimizer`, `2 optimizers`. */
function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/** What a command needs from its environment: output streams and the working directory. */
export interface CliIO {
  /** Where results go (the table, or JSON with --json). */
  stdout: TextOutput;
  /** Where progress and errors go. */
  stderr: TextOutput;
  /** The directory relative paths (`--out`, `--data`, `--plugin`) start from. */
  cwd: string;
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
      `nabla compare: ${plan.task.name}, ${plural(plan.optimizers.length, 'optimizer')}, ${
        plan.epochs !== null ? plural(plan.epochs, 'epoch') : plural(plan.steps ?? 0, 'step')
      }, ${seeds.length === 1 ? `seed ${seeds[0]}` : `${seeds.length} seeds (${seeds[0]}-${seeds[seeds.length - 1]})`}${tuneHeader(plan)}, backend ${plan.backend}${plan.capture ? ', captured steps' : ''}\n`,
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
  let result: CompareResult;
  try {
    result = await runComparison(plan, command, progress ?? silentEvents);
  } catch (error) {
    progress?.close();
    if (!(error instanceof RunError)) throw error;
    // which task, optimizer, seed and phase failed, on one line (as nabla benchmark names a failed trial)
    io.stderr.write(`nabla compare: ${error.message}\n`);
    return 1;
  }
  progress?.close();
  if (plan.json) io.stdout.write(resultsJson(result));
  else io.stdout.write(`\n${renderTable(result)}`);
  for (const line of divergenceWarnings(result)) io.stderr.write(`${line}\n`);
  const left = plan.lossScale === 'log' ? nonPositiveLosses(result.runs) : { count: 0, of: 0 };
  if (left.count > 0)
    io.stderr.write(
      `nabla compare: note: --loss-scale log leaves ${left.count} of ${left.of} losses out of the charts (they are <= 0); --loss-scale symlog or linear draws them\n`,
    );
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
