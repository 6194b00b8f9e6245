/**
 * `nabla benchmark --jobs 1` against `--jobs 2`: the wall time of the same small sweep, in pairs of runs one
 * after the other (2 pairs; `NABLA_JOBS_BENCH_REPEATS=N` for N), with the machine's load measured around and
 * during each, and the CPU time each used. The speed-up is the ratio of the median wall times.
 *
 * Run with `npx tsx bench/jobs.bench.ts` (from the repository root). Each sweep is the CLI run from its
 * sources (`tsx packages/cli/src/cli.ts benchmark ...`) into a fresh temporary directory, so both pay the
 * same start-up, and `--jobs 2` also pays for starting its two worker processes. The load average (1 min,
 * from `os.loadavg()`) is sampled every second during each run: it counts this benchmark's own processes
 * too, so on 2 cores a run with 2 jobs adds about 2 to it, one with 1 job about 1. Prints a Markdown table
 * and writes bench-results/jobs.json.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism, cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const tsx = createRequire(import.meta.url).resolve('tsx/cli');

/**
 * The sweep: the full preset's three model tasks (digits-mlp, spirals, mnist-mlp on the wasm backend), the four
 * baselines, 9 learning rates on 1 tuning seed, then 5 seeds: 168 trials, about 45 s of trials on one core. (The
 * quick preset's 84 trials of these tasks take about 7 s since they train on wasm: too short to measure the
 * pool rather than the start-up of the command and its workers.)
 */
const SWEEP = ['--tasks', 'digits-mlp,spirals,mnist-mlp', '--quiet'];

interface Measured {
  jobs: number;
  wallMs: number;
  /** CPU seconds (user + system) of the run and every process it started, or NaN off Linux. */
  cpuS: number;
  loadBefore: number;
  loadDuring: number;
}

/** CPU seconds (user + system) of this process's children that have ended, from /proc (Linux), else NaN. */
function childrenCpuSeconds(): number {
  try {
    const stat = readFileSync('/proc/self/stat', 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // Fields 16 and 17 of stat (cutime, cstime), counted from the state field (3) here, in clock ticks.
    return (Number(fields[13]) + Number(fields[14])) / 100;
  } catch {
    return Number.NaN;
  }
}

function measure(jobs: number): Promise<Measured> {
  const out = mkdtempSync(join(tmpdir(), 'nabla-jobs-bench-'));
  const loadBefore = loadavg()[0];
  const samples: number[] = [];
  const timer = setInterval(() => samples.push(loadavg()[0]), 1000);
  const started = performance.now();
  const cpuBefore = childrenCpuSeconds();
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [
        tsx,
        '--tsconfig',
        join(root, 'packages/cli/tsconfig.json'),
        join(root, 'packages/cli/src/cli.ts'),
        'benchmark',
        ...SWEEP,
        '--jobs',
        String(jobs),
        '--out',
        join(out, 'out'),
      ],
      { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] },
    );
    child.on('exit', (code) => {
      const wallMs = performance.now() - started;
      clearInterval(timer);
      rmSync(out, { recursive: true, force: true });
      if (code !== 0) return reject(new Error(`nabla benchmark --jobs ${jobs} exited with ${code}`));
      const during = samples.length > 0 ? samples.reduce((a, b) => a + b, 0) / samples.length : loadavg()[0];
      resolve({ jobs, wallMs, cpuS: childrenCpuSeconds() - cpuBefore, loadBefore, loadDuring: during });
    });
  });
}

function median(values: number[]): number {
  const v = [...values].sort((x, y) => x - y);
  return (v[Math.floor((v.length - 1) / 2)] + v[Math.ceil((v.length - 1) / 2)]) / 2;
}

// Pairs of runs, --jobs 1 then --jobs 2, so that a busy spell of a shared machine falls on both.
const repeats = Math.max(1, Number(process.env.NABLA_JOBS_BENCH_REPEATS ?? 2));
const runs: Measured[] = [];
for (let r = 0; r < repeats; r++) runs.push(await measure(1), await measure(2));
const wall = (jobs: number) => median(runs.filter((m) => m.jobs === jobs).map((m) => m.wallMs));
const ratio = wall(1) / wall(2);
const cpu = cpus()[0]?.model ?? 'unknown CPU';
const rows = runs.map(
  (m, i) =>
    `| ${Math.floor(i / 2) + 1} | --jobs ${m.jobs} | ${(m.wallMs / 1000).toFixed(1)} | ${m.cpuS.toFixed(1)} | ${m.loadBefore.toFixed(2)} | ${m.loadDuring.toFixed(2)} |`,
);
process.stdout.write(
  [
    `nabla benchmark ${SWEEP.join(' ')}: ${availableParallelism()} cores (${cpu}), Node ${process.version}`,
    '',
    '| pair | run | wall time (s) | CPU time (s) | load before (1 min) | load during (mean) |',
    '| ---: | --- | ---: | ---: | ---: | ---: |',
    ...rows,
    '',
    `speed-up with 2 jobs (median wall times, ${repeats} pair${repeats > 1 ? 's' : ''}): ${ratio.toFixed(2)}x; per pair: ${Array.from(
      { length: repeats },
      (_, r) => `${(runs[2 * r].wallMs / runs[2 * r + 1].wallMs).toFixed(2)}x`,
    ).join(', ')} (target: at least 1.7x on 2 otherwise idle cores)`,
    '',
  ].join('\n'),
);
mkdirSync(join(root, 'bench-results'), { recursive: true });
writeFileSync(
  join(root, 'bench-results', 'jobs.json'),
  `${JSON.stringify({ date: new Date().toISOString(), cores: availableParallelism(), cpu, node: process.version, sweep: SWEEP, runs, ratio }, null, 2)}\n`,
);
