import { describeOptions } from './args';
import { BENCHMARK_OPTIONS, DEFAULT_BENCHMARK_OPTIMIZERS, PRESETS, SUITE, type SuiteLength } from './benchmark-suite';
import { MERGE_OPTIONS } from './merge';

function lengthText(length: SuiteLength | null): string {
  if (length === null) return 'not run';
  const size =
    length.epochs !== undefined ? `${length.epochs} epoch${length.epochs === 1 ? '' : 's'}` : `${length.steps} steps`;
  return `${size}${length.limit !== undefined ? ` of ${length.limit} samples` : ''}, target ${length.target}`;
}

/** The presets side by side: their seeds and grids, then every task's length and target in each. */
function presetTable(): string[] {
  const q = PRESETS.quick;
  const f = PRESETS.full;
  const rows: [string, string, string][] = [
    ['', '--quick', 'full (the default)'],
    ['duration, 2 cores', '11 s measured (32 to 37 s on cpu)', '77 min 29 s measured (busy); about 40 min idle'],
    ['reported seeds', String(q.seeds), String(f.seeds)],
    [
      'learning rates',
      `${q.tuneBudget} in ${q.lrRange}, ${q.tuneSeeds} tuning seed${q.tuneSeeds === 1 ? '' : 's'}`,
      `${f.tuneBudget} in ${f.lrRange}, ${f.tuneSeeds} tuning seed${f.tuneSeeds === 1 ? '' : 's'}`,
    ],
    ...Object.entries(SUITE).map(([name, t]): [string, string, string] => [
      name,
      lengthText(t.quick),
      lengthText(t.full),
    ]),
  ];
  const w0 = Math.max(...rows.map((r) => r[0].length));
  const w1 = Math.max(...rows.map((r) => r[1].length));
  return rows.map(([a, b, c]) => `  ${a.padEnd(w0)}  ${b.padEnd(w1)}  ${c}`.trimEnd());
}

/**
 * The help of `nabla benchmark`: what it runs, the presets, its options, the output directory, sharding,
 * and examples.
 *
 * @example
 * ```ts
 * process.stdout.write(benchmarkHelp());
 * ```
 */
export function benchmarkHelp(): string {
  return [
    'Usage: nabla benchmark [--quick] [options]',
    '',
    'Run a suite of tasks (the quick-running model tasks of nabla compare on bundled data and the 2-D',
    'functions; the tiny Shakespeare GPT in the full preset) for a set of optimizers. Each optimizer',
    'gets the same tuning budget on every task: a grid of learning rates tried on tuning seeds, the best',
    'one then reported on other seeds. The report shows per task the curves with interquartile bands and',
    "the time to the task's target, then AlgoPerf-style performance profiles (the fraction of tasks on",
    "which an optimizer reaches the target within τ times the fastest one's time, τ from 1 to 4) and a",
    'leaderboard ranked by the area under them.',
    '',
    'PRESETS (targets: the smoothed train loss, or f, that the time to target counts to)',
    ...presetTable(),
    `  Optimizers by default: '${DEFAULT_BENCHMARK_OPTIMIZERS}' (plus those of --plugin).`,
    '',
    'OPTIONS',
    ...describeOptions(BENCHMARK_OPTIONS),
    '  -h, --help  this help',
    '',
    'TRIALS, RESUMING AND SHARDS',
    '  A trial is one optimizer setting on one task from one seed. Each is stored as it finishes in',
    '  DIR/trials/<key>.json, the key a hash of what defines it (task, length, optimizer and options,',
    '  seed, target, divergence factor, backend, version), so running the same command again skips the finished ones and says how',
    '  many. --shard I/N runs the I-th of N deterministic shares (whole optimizer-and-task groups, so a',
    '  machine tunes and reports its groups by itself); each shard writes its own DIR, and nabla merge',
    '  combines them (or, on a shared filesystem, give every shard the same --out and run the command',
    '  once more without --shard to write the report).',
    '',
    'EXAMPLES',
    '  nabla benchmark --quick',
    "  nabla benchmark --quick --plugin ./sign-sgd.mjs --optimizers 'adam signSgd' --out my-bench",
    "  nabla benchmark --tasks 'digits-mlp rosenbrock' --seeds 3 --tune-budget 5 --jobs 4",
    '  nabla benchmark --shard $((SLURM_ARRAY_TASK_ID + 1))/8 --out shard-$SLURM_ARRAY_TASK_ID',
    '  nabla merge shard-* --out all',
    '',
    'EXIT CODES',
    '  0 done; 1 a trial failed (the finished ones are kept: run again to resume); 2 a usage error (an',
    '  unknown task or optimizer, a bad --shard, --jobs 0, an --out that is not ours, a corrupt trial',
    '  file): one line on stderr, nothing run',
    '',
  ].join('\n');
}

/**
 * The help of `nabla merge`.
 *
 * @example
 * ```ts
 * process.stdout.write(mergeHelp());
 * ```
 */
export function mergeHelp(): string {
  return [
    'Usage: nabla merge DIR... --out DIR',
    '',
    'Combine the output directories of the shards of one nabla benchmark sweep (nabla benchmark',
    '--shard I/N --out DIR on each machine) into one report: report.html, results.json, sweep.json and',
    'every trial, in --out. Nothing runs again. The directories must hold the same sweep (the same',
    'sweep.json) and, together, every trial of it; otherwise the message names the missing shards.',
    '',
    'OPTIONS',
    ...describeOptions(MERGE_OPTIONS),
    '  -h, --help  this help',
    '',
    'EXAMPLE',
    '  nabla merge shard-0 shard-1 shard-2 shard-3 --out all',
    '',
  ].join('\n');
}

/**
 * The lines `nabla help` adds for the two commands.
 *
 * @example
 * ```ts
 * ['Usage:', '  nabla compare [options]   ...', ...BENCHMARK_COMMAND_LINES].join('\n');
 * ```
 */
export const BENCHMARK_COMMAND_LINES: readonly string[] = [
  '  nabla benchmark [options] tune and run optimizers on a suite of tasks; performance profiles',
  '  nabla merge DIR...        combine the shards of a nabla benchmark into one report',
];
