// `nabla benchmark` end to end on a tiny sweep: the same metrics, to the bit, with 1 job, 2 jobs and 2
// shards merged; resuming skips finished trials; bad input is a usage error before anything runs.
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { etaMs, ratiosText } from './benchmark';
import type { BenchmarkResult } from './benchmark-result';
import { metricsOf } from './benchmark-test-helpers';
import type { TrialOutcome } from './benchmark-trial';
import { type Captured, runCaptured as run } from './test-cli';
import { trialResultProblem } from './trial-check';

const plugin = fileURLToPath(new URL('./__fixtures__/sign-sgd.mjs', import.meta.url));

// 3 tasks (a classifier with a validation set, a regression, a 2-D function) × 3 optimizers (one from a
// plugin), a grid of 2 learning rates on 1 tuning seed, 2 reported seeds: 36 trials of a few steps each.
const SWEEP = [
  'benchmark',
  '--tasks',
  'digits-mlp,linear-regression quadratic',
  '--optimizers',
  'sgd adam signSgd',
  '--plugin',
  plugin,
  '--steps',
  '6',
  '--limit',
  '64',
  '--seeds',
  '2',
  '--tune-budget',
  '2',
  '--lr-range',
  '1e-2..1e-1',
  '--tune-seeds',
  '1',
  '--quiet',
];
const TRIALS = 3 * 3 * (2 * 1 + 2);

function results(dir: string): BenchmarkResult {
  return JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8')) as BenchmarkResult;
}

describe('nabla benchmark on a tiny sweep', () => {
  let dir: string;
  let one: Captured;
  let two: Captured;
  let shards: Captured[];
  let merged: Captured;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'nabla-benchmark-'));
    one = await run([...SWEEP, '--jobs', '1', '--out', 'one'], dir);
    two = await run([...SWEEP, '--jobs', '2', '--out', 'two'], dir);
    shards = [];
    for (const s of ['1/2', '2/2'])
      shards.push(await run([...SWEEP, '--jobs', '1', '--shard', s, '--out', `shard-${s[0]}`], dir));
    merged = await run(['merge', 'shard-1', 'shard-2', '--out', 'merged'], dir);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('runs every trial, stores each, and writes the report', () => {
    for (const r of [one, two, ...shards, merged]) expect(r.stderr).toBe('');
    expect([one.code, two.code, ...shards.map((s) => s.code), merged.code]).toEqual([0, 0, 0, 0, 0]);
    expect(one.stdout).toContain(`${TRIALS} trials run, 0 skipped (already finished)`);
    // --quiet drops the first line, so the backends are named under the leaderboard
    expect(one.stdout).toContain('\nbackend wasm for digits-mlp; cpu for the others.\n');
    expect(merged.stdout).toContain('\nbackend wasm for digits-mlp; cpu for the others.\n');
    expect(readdirSync(join(dir, 'one', 'trials'))).toHaveLength(TRIALS);
    const r = results(join(dir, 'one'));
    expect(r.tool).toBe('nabla benchmark');
    expect(r.tasks.map((t) => t.task.name)).toEqual(['digits-mlp', 'linear-regression', 'quadratic']);
    expect(r.leaderboard.map((row) => row.name).sort()).toEqual(['adam', 'sgd', 'signSgd']);
    expect(r.profiles.taus[0]).toBe(1);
    expect(r.profiles.taus.at(-1)).toBe(4);
    for (const task of r.tasks) {
      expect(task.runs.map((run) => [run.label, run.seed])).toEqual([
        ['sgd', 0],
        ['sgd', 1],
        ['adam', 0],
        ['adam', 1],
        ['signSgd', 0],
        ['signSgd', 1],
      ]);
      expect(task.tuning?.map((t) => [t.optimizer, t.seeds, t.trials.map((trial) => trial.setting.lr)])).toEqual([
        ['sgd', [1000], [0.01, 0.1]],
        ['adam', [1000], [0.01, 0.1]],
        ['signSgd', [1000], [0.01, 0.1]],
      ]);
      // The reported runs use the chosen learning rate, chosen on a seed they are not reported on.
      for (const t of task.tuning ?? [])
        for (const run of task.runs.filter((x) => x.label === t.optimizer))
          expect(run.hyperparams.lr).toBe(t.chosen?.lr ?? run.hyperparams.lr);
    }
    const html = readFileSync(join(dir, 'one', 'report.html'), 'utf8');
    // The machine: cores, CPU, --jobs and the load before and after, in results.json and the report.
    expect(r.machine).toMatchObject({ cores: availableParallelism(), jobs: 1, busy: expect.any(Boolean) });
    expect(r.machine?.cpu).toBe(cpus()[0]?.model.trim() || 'unknown');
    for (const load of [r.machine?.loadAverage.before, r.machine?.loadAverage.after]) expect(load).toHaveLength(3);
    expect(results(join(dir, 'two')).machine?.jobs).toBe(2);
    expect(results(join(dir, 'merged')).machine).toBeNull();
    expect(html).toMatch(
      /Machine: \d+ cores? \(.*\), --jobs 1; load average [\d.]+ before the trials and [\d.]+ after/,
    );
    expect(one.stdout).toMatch(/\n\d+ cores? \(.*\), --jobs 1; load average /);
    // The performance ratios the profiles count: 1 for the fastest of a task that someone reached.
    for (const t of r.targets)
      if (Object.values(t.steps).some((v) => v !== null)) expect(Math.min(...Object.values(t.ratios.steps))).toBe(1);
    // ... printed under the leaderboard, a row per task, as results.json stores them (Infinity as a string there)
    const ratio = (v: number | string) => (typeof v === 'number' && Number.isFinite(v) ? v.toFixed(2) : '-');
    for (const out of [one.stdout, merged.stdout]) {
      const lines = out.split('\n');
      const at = lines.indexOf(
        'performance ratios (time / steps to the target, over the fastest on the task; -: not reached):',
      );
      expect(at).toBeGreaterThan(0);
      expect(lines[at + 1].split(/\s+/)).toEqual(['task', ...r.leaderboard.map((row) => row.name)]);
      for (const [i, t] of r.targets.entries())
        expect(lines[at + 3 + i].split(/\s{2,}/)).toEqual([
          t.task,
          ...r.leaderboard.map((row) => `${ratio(t.ratios.time[row.name])} / ${ratio(t.ratios.steps[row.name])}`),
        ]);
    }
    for (const id of ['leaderboard', 'profile-time', 'profile-steps', 'task-digits-mlp', 'quadratic-contour'])
      expect(html).toContain(`id="${id}"`);
    // Each tuned task gets compare's sensitivity chart: the chosen learning rate ringed.
    expect(html).toContain('id="digits-mlp-sensitivity-lr"');
    expect(html).toContain('class="chosen"');
  });

  it('gives the same metrics, to the bit, with 1 job, 2 jobs, or 2 shards merged', () => {
    const reference = metricsOf(results(join(dir, 'one')));
    expect(metricsOf(results(join(dir, 'two')))).toEqual(reference);
    expect(metricsOf(results(join(dir, 'merged')))).toEqual(reference);
    const keys = (d: string) => readdirSync(join(dir, d, 'trials')).sort();
    expect(keys('two')).toEqual(keys('one'));
    expect(keys('merged')).toEqual(keys('one'));
  });

  it('splits the sweep into disjoint shards, each marked when done', () => {
    const a = readdirSync(join(dir, 'shard-1', 'trials'));
    const b = readdirSync(join(dir, 'shard-2', 'trials'));
    expect(a.length + b.length).toBe(TRIALS);
    expect(a.filter((k) => b.includes(k))).toEqual([]);
    expect(shards[0].stdout).toMatch(/^shard 1\/2: \d+ trials run, 0 skipped/);
    expect(existsSync(join(dir, 'shard-1', 'report.html'))).toBe(false);
    expect(readdirSync(join(dir, 'shard-2', 'shards'))).toEqual(['2-of-2.json']);
  });

  it('skips finished trials when run again, and runs only the missing ones', async () => {
    const again = await run([...SWEEP, '--jobs', '1', '--out', 'one'], dir);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain(`0 trials run, ${TRIALS} skipped (already finished)`);
    const trials = join(dir, 'one', 'trials');
    for (const f of readdirSync(trials).slice(0, 3)) rmSync(join(trials, f));
    const resumed = await run([...SWEEP.filter((a) => a !== '--quiet'), '--jobs', '1', '--out', 'one'], dir);
    expect(resumed.code).toBe(0);
    expect(resumed.stderr).toContain(`${TRIALS - 3} finished trials found in`);
    expect(resumed.stdout).toContain(`3 trials run, ${TRIALS - 3} skipped (already finished)`);
    expect(metricsOf(results(join(dir, 'one')))).toEqual(metricsOf(results(join(dir, 'two'))));
  });

  it('refuses a stored trial whose result is impossible, naming the file and the field', async () => {
    const edits: [string, (result: TrialOutcome) => void, string][] = [
      [
        'status',
        (o) => Object.assign(o.run, { status: 'banana' }),
        'result.run.status: expected one of ok, diverged, stopped, got "banana"',
      ],
      [
        'steps',
        (o) => Object.assign(o.run.summary, { steps: -5 }),
        'result.run.summary.steps: expected an integer >= 0, got -5',
      ],
      [
        'time',
        (o) => Object.assign(o.run.summary, { wallTimeMs: 'soon' }),
        'result.run.summary.wallTimeMs: expected a number >= 0, got "soon"',
      ],
    ];
    for (const [name, edit, message] of edits) {
      const out = join(dir, `tampered-${name}`);
      cpSync(join(dir, 'two'), out, { recursive: true });
      const file = join(out, 'trials', readdirSync(join(out, 'trials')).sort()[0]);
      const trial = JSON.parse(readFileSync(file, 'utf8'));
      expect(trialResultProblem(trial.result)).toBeNull();
      edit(trial.result);
      writeFileSync(file, JSON.stringify(trial));
      const r = await run([...SWEEP, '--jobs', '1', '--out', `tampered-${name}`], dir);
      expect(r.code).toBe(2);
      expect(r.stderr.split('\n')[0]).toBe(
        `nabla benchmark: ${file}: not a trial file (${message}) (see nabla benchmark --help)`,
      );
      const merged = await run(['merge', `tampered-${name}`, '--out', `merged-${name}`], dir);
      expect(merged.code).toBe(2);
      expect(merged.stderr).toContain(`${file}: not a trial file (${message})`);
    }
  });
});

describe('nabla benchmark: usage errors before anything runs', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'nabla-benchmark-usage-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const expectUsage = (r: Captured, message: string | RegExp) => {
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    const [line, rest] = r.stderr.split('\n');
    expect(line).toMatch(
      typeof message === 'string' ? new RegExp(message.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')) : message,
    );
    expect(line).toMatch(/^nabla benchmark: .* \(see nabla benchmark --help\)$/);
    expect(rest).toBe('');
  };

  it('names an unknown task, a bad shard, zero jobs, a bad grid', async () => {
    expectUsage(
      await run(['benchmark', '--tasks', 'digits-mlp,rosenbrok', '--out', 'o'], dir),
      /unknown task "rosenbrok"; valid tasks: digits-mlp, /,
    );
    for (const bad of ['0/2', '3/2', 'two', '1/2/3'])
      expectUsage(
        await run(['benchmark', '--shard', bad, '--out', 'o'], dir),
        `--shard: expected i/n with 1 <= i <= n`,
      );
    expectUsage(
      await run(['benchmark', '--jobs', '0', '--out', 'o'], dir),
      '--jobs: expected an integer >= 1, got "0"',
    );
    expectUsage(
      await run(['benchmark', '--tune-budget', '1', '--out', 'o'], dir),
      'a grid needs at least 2 learning rates',
    );
    expectUsage(await run(['benchmark', '--lr-range', '0.1', '--out', 'o'], dir), '--lr-range: expected LO..HI');
    expectUsage(await run(['benchmark', '--optimizers', 'adamm', '--out', 'o'], dir), 'unknown optimizer "adamm"');
    expectUsage(await run(['benchmark', 'extra', '--out', 'o'], dir), 'benchmark takes no positional arguments');
    expect(existsSync(join(dir, 'o'))).toBe(false);
  });

  it('refuses a corrupt trial file and an --out it did not write', async () => {
    mkdirSync(join(dir, 'bad', 'trials'), { recursive: true });
    writeFileSync(join(dir, 'bad', 'trials', '0123456789abcdef01234567.json'), '{"key": "0123');
    expectUsage(
      await run(['benchmark', '--quick', '--out', 'bad'], dir),
      /bad\/trials\/0123456789abcdef01234567\.json: not a trial file/,
    );
    mkdirSync(join(dir, 'mine'));
    writeFileSync(join(dir, 'mine', 'notes.txt'), 'mine');
    expectUsage(
      await run(['benchmark', '--quick', '--out', 'mine'], dir),
      'holds files that nabla benchmark did not write (notes.txt)',
    );
  });

  it('prints its help, and main knows the commands', async () => {
    const help = await run(['benchmark', '--help'], dir);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^Usage: nabla benchmark/);
    expect(help.stdout).toContain('--shard I/N');
    // the durations are the guide's measurements (docs/guides/benchmarking.md), not other figures
    const guide = readFileSync(new URL('../../../docs/guides/benchmarking.md', import.meta.url), 'utf8');
    const duration = help.stdout.split('\n').find((l) => l.includes('duration, 2 cores'));
    for (const figure of ['11 s measured', '32 to 37 s', '77 min 29 s measured', 'about 40 min']) {
      expect(duration).toContain(figure);
      expect(guide.replace(/\s+/g, ' ')).toContain(figure);
    }
    expect(help.stdout).toContain(
      '(task, length, optimizer and options,\n  seed, target, divergence factor, backend, version)',
    );
    expect((await run(['help', 'merge'], dir)).stdout).toMatch(/^Usage: nabla merge DIR\.\.\. --out DIR/);
    expect((await run(['benchmrk'], dir)).stderr).toContain('valid commands: compare, help, benchmark, merge');
  });
});

describe('the performance ratios printed under the leaderboard', () => {
  it('shows time and steps over the fastest per task, in the leaderboard order, - where not reached', () => {
    const text = ratiosText({
      leaderboard: [
        { name: 'adam', score: 0.9, stepsScore: 0.9, reached: 2, wins: 1 },
        { name: 'sgd', score: 0.4, stepsScore: 0.5, reached: 1, wins: 1 },
      ],
      targets: [
        {
          task: 'quadratic',
          timeMs: { sgd: null, adam: 12 },
          steps: { sgd: null, adam: 30 },
          ratios: {
            time: { sgd: Number.POSITIVE_INFINITY, adam: 1 },
            steps: { sgd: Number.POSITIVE_INFINITY, adam: 1 },
          },
        },
        {
          task: 'linear-regression',
          timeMs: { sgd: 10, adam: 105.8 },
          steps: { sgd: 40, adam: 43 },
          ratios: { time: { sgd: 1, adam: 10.58 }, steps: { sgd: 1, adam: 1.078 } },
        },
      ],
    });
    expect(text).toBe(
      [
        'performance ratios (time / steps to the target, over the fastest on the task; -: not reached):',
        'task                       adam          sgd',
        '-----------------  ------------  -----------',
        'quadratic           1.00 / 1.00        - / -',
        'linear-regression  10.58 / 1.08  1.00 / 1.00',
        '',
      ].join('\n'),
    );
  });
});

describe('the ETA of a sweep', () => {
  it('weighs trials by their expected duration, so long tasks run first do not inflate it', () => {
    // the full preset's shape: 56 trials of about 80 s first, then 504 of about 0.1 s
    const work = { total: 56 * 80_000 + 504 * 100, done: 56 * 80_000, ran: 56 * 80_000 };
    const eta = etaMs(76 * 60_000, { total: 560, done: 56, ran: 56, skipped: 0, work });
    // 76 minutes for 4480 s of expected work: the 50.4 s left take about 51 s (a count of trials said 685 min)
    expect(eta).toBeCloseTo((76 * 60_000 * 50_400) / (56 * 80_000), 6);
    expect(eta!).toBeLessThan(60_000);
  });

  it('counts only the trials run here, and says nothing before the first or after the last', () => {
    const tally = { total: 10, done: 5, ran: 0, skipped: 5, work: { total: 1000, done: 500, ran: 0 } };
    expect(etaMs(1000, tally)).toBeNull();
    expect(etaMs(1000, { ...tally, ran: 1, done: 6, work: { total: 1000, done: 600, ran: 100 } })).toBe(4000);
    expect(etaMs(1000, { ...tally, ran: 5, done: 10, work: { total: 1000, done: 1000, ran: 500 } })).toBeNull();
  });
});
