// `nabla merge DIR... --out DIR`: the shards of one `nabla benchmark` sweep, run on other machines (a Slurm
// job array, a Kubernetes indexed Job), combined into one report, with nothing run again.
import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { type OptionDef, parseArgs } from './args';
import { writeBenchmark } from './benchmark';
import type { GroupResult } from './benchmark-result';
import { checkSweepDir, collectGroup, markedShards, readSweep } from './benchmark-sweep';
import { reviveNumbers, type TrialOutcome } from './benchmark-trial';
import { type CliIO, shellQuote } from './compare';
import { mergeTrials, TrialStore, trialKey } from './sweep-store';
import { trialResultProblem } from './trial-check';
import { trialGroups } from './trial-definition';
import { UsageError } from './usage-error';

/**
 * The options of `nabla merge` (the directories to merge are its positional arguments).
 *
 * @example
 * ```ts
 * parseArgs(['a', 'b', '--out', 'all'], MERGE_OPTIONS); // { values: { out: 'all' }, positionals: ['a', 'b'], ... }
 * ```
 */
export const MERGE_OPTIONS: readonly OptionDef[] = [
  {
    name: 'out',
    type: 'string',
    value: 'DIR',
    description:
      'write the merged sweep there: report.html, results.json, sweep.json and every trial (it may be one of the inputs)',
  },
];

/** Where two plans first differ, for the message. */
function firstDifference(a: Record<string, unknown>, b: Record<string, unknown>): string {
  for (const key of Object.keys(a)) if (JSON.stringify(a[key]) !== JSON.stringify(b[key])) return key;
  return '?';
}

/** A trial a group needs that no merged directory holds. */
class MissingTrial extends Error {}

/**
 * `nabla merge DIR... --out DIR`: check that every directory is the output of the same sweep (the same
 * sweep.json) and that every trial file reads, that together they hold every trial of the sweep (else a
 * usage error naming the shards whose markers are missing), then write the report, results.json, the plan
 * and every trial into `--out`. Nothing is run. Returns the exit code (0, or 2 on a usage error).
 *
 * @example
 * ```ts
 * process.exitCode = await mergeCommand(['shard-1', 'shard-2', '--out', 'all'], { stdout: process.stdout, stderr: process.stderr, cwd: process.cwd() });
 * ```
 */
export async function mergeCommand(argv: readonly string[], io: CliIO): Promise<number> {
  const parsed = parseArgs(argv, MERGE_OPTIONS);
  if (parsed.positionals.length === 0)
    throw new UsageError('give the output directories of the shards: nabla merge DIR... --out DIR');
  if (parsed.values.out === undefined) throw new UsageError('--out DIR is required');
  const dirs = parsed.positionals.map((d) => {
    const dir = resolve(io.cwd, d);
    if (!existsSync(dir) || !statSync(dir).isDirectory())
      throw new UsageError(`${dir} is not a directory (give the --out of each shard)`);
    return dir;
  });
  const plans = dirs.map(readSweep);
  for (const [i, plan] of plans.entries())
    if (JSON.stringify(plan) !== JSON.stringify(plans[0]))
      throw new UsageError(
        `${dirs[i]} holds another sweep than ${dirs[0]} (their sweep.json differ in ${firstDifference(
          plans[0] as unknown as Record<string, unknown>,
          plan as unknown as Record<string, unknown>,
        )}); merge only the shards of one nabla benchmark command`,
      );
  const plan = plans[0];
  const outDir = checkSweepDir(parsed.values.out as string, io.cwd);
  const trials = mergeTrials(dirs, trialResultProblem);
  const byKey = new Map(trials.map((t) => [t.key, t]));
  const obtain = async (definition: Parameters<typeof trialKey>[0]) => {
    const stored = byKey.get(trialKey(definition));
    if (stored === undefined) throw new MissingTrial(trialKey(definition));
    return reviveNumbers<TrialOutcome>(stored.result);
  };
  const groups: GroupResult[] = [];
  let missing = 0;
  const all = trialGroups(plan);
  for (const group of all) {
    try {
      groups.push(await collectGroup(plan, group, (d) => obtain(d as unknown as Record<string, unknown>)));
    } catch (error) {
      if (!(error instanceof MissingTrial)) throw error;
      missing++;
    }
  }
  if (missing > 0) {
    const marked = markedShards(dirs);
    const count = marked.length > 0 ? Number(marked[0].split('/')[1]) : 0;
    const absent = Array.from({ length: count }, (_, i) => `${i + 1}/${count}`).filter((s) => !marked.includes(s));
    throw new UsageError(
      `the sweep is incomplete: ${missing} of ${all.length} optimizer-and-task groups lack finished trials${
        count > 0
          ? ` (finished shards found: ${marked.join(', ')}${absent.length > 0 ? `; missing: ${absent.join(', ')}` : ''})`
          : ''
      }; run the missing shards (or nabla benchmark with the same options and --out on one of these directories) first`,
    );
  }
  const store = new TrialStore(outDir, trialResultProblem);
  const present = new Set(store.list().map((t) => t.key));
  for (const t of trials) if (!present.has(t.key)) store.put(t);
  const command = ['nabla', 'merge', ...argv].map(shellQuote).join(' ');
  const used = all.length * (plan.tuning.grid.length * plan.tuneSeeds.length + plan.seeds.length);
  writeBenchmark(
    io,
    outDir,
    plan,
    groups,
    { command, trials: { total: used, ran: 0, skipped: used } },
    `merged ${used} trials from ${dirs.length} director${dirs.length === 1 ? 'y' : 'ies'}`,
  );
  return 0;
}
