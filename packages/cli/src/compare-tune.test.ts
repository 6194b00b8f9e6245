// `nabla compare --tune`: the search runs on tuning seeds, the chosen setting is what the reported runs
// (on other seeds) use, and the table, results.json and stderr say what was tuned.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CompareResult } from './results';
import { type Captured, runCaptured as run } from './test-cli';
import { bestTrial } from './tune';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'nabla-tune-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const QUADRATIC = ['compare', '--task', 'quadratic', '--steps', '30'];

const readJson = (out: string) => JSON.parse(readFileSync(join(dir, out, 'results.json'), 'utf8')) as CompareResult;

/** Run `nabla compare ARGS --quiet --out OUT`, check that it succeeded, and read its results.json. */
async function compareQuietly(args: string[], out: string): Promise<{ cli: Captured; json: CompareResult }> {
  const cli = await run([...args, '--quiet', '--out', out], dir);
  expect(cli.code).toBe(0);
  return { cli, json: readJson(out) };
}

describe('--tune on a 2-D function', () => {
  // sgd diverges on the quadratic from lr = 0.1 on; adam does not until lr = 10.
  const ARGS = [
    ...QUADRATIC,
    '--optimizers',
    'sgd adam',
    '--tune',
    'lr=1e-3..10:log:5',
    '--seed',
    '3',
    '--seeds',
    '2',
    '--tune-seeds',
    '2',
  ];
  let cli: Captured;
  let json: CompareResult;
  beforeAll(async () => {
    cli = await run([...ARGS, '--out', 'grid'], dir);
    json = readJson('grid');
  });

  it('tunes on seeds never among the reported ones', () => {
    expect(cli.code).toBe(0);
    const tuning = json.tuning!;
    expect(tuning.map((t) => [t.optimizer, t.seeds, t.metric, t.mode, t.budget])).toEqual([
      ['sgd', [1003, 1004], 'final f', 'grid', 16],
      ['adam', [1003, 1004], 'final f', 'grid', 16],
    ]);
    const reported = [...json.order!.map((r) => r.seed), ...json.runs.map((r) => r.seed)];
    expect(new Set(reported)).toEqual(new Set([3, 4]));
    for (const t of tuning) for (const s of t.seeds) expect(reported).not.toContain(s);
  });

  it('chooses the best trial, never one that diverged, and runs the reported seeds with it', () => {
    for (const t of json.tuning!) {
      expect(t.trials.map((trial) => trial.setting.lr)).toEqual([1e-3, 0.01, 0.1, 1, 10]);
      const best = bestTrial(
        t.trials.map((trial) => ({ setting: trial.setting, metrics: trial.metrics.map((m) => m ?? Number.NaN) })),
      );
      expect(t.chosen).toEqual(t.trials[best].setting);
      const finite = t.trials.filter((trial) => trial.score !== null).map((trial) => trial.score!);
      expect(t.trials[best].score).toBe(Math.min(...finite));
      for (const trial of t.trials)
        if (trial.metrics.includes(null)) expect(trial.score).toBeNull();
        else expect(trial.score).toBeCloseTo((trial.metrics[0]! + trial.metrics[1]!) / 2, 12);
      const runs = json.runs.filter((r) => r.label === t.optimizer);
      expect(runs).toHaveLength(2);
      for (const r of runs) expect(r.hyperparams.lr).toBe(t.chosen!.lr);
    }
    const [sgd] = json.tuning!;
    // sgd diverged from lr = 0.1 on: those trials have no score, and the choice is among the others.
    expect(sgd.trials.slice(2).map((t) => t.score)).toEqual([null, null, null]);
    expect(sgd.chosen).toEqual({ lr: 0.01 });
    expect(json.aggregates!.map((a) => [a.label, a.hyperparams.lr])).toEqual([
      ['sgd', 0.01],
      ['adam', json.tuning![1].chosen!.lr],
    ]);
  });

  it('shows the chosen values in the table and a line per search, with progress notes on stderr', () => {
    const lines = cli.stdout.split('\n');
    expect(lines.find((l) => l.startsWith('sgd'))).toMatch(/^sgd \(lr=0\.01\) +ok /);
    expect(lines.find((l) => l.startsWith('adam'))).toMatch(/^adam \(lr=[\d.e-]+\) +ok /);
    expect(cli.stdout).toMatch(/\ntuned sgd on seeds 1003-1004: lr=0\.01 \(5 trials, grid; final f [\d.e-]+\)\n/);
    expect(cli.stdout).toMatch(/\ntuned adam on seeds 1003-1004: lr=[\d.e-]+ \(5 trials, grid; final f [\d.e-]+\)\n/);
    expect(cli.stderr).toMatch(
      /^nabla compare: quadratic, 2 optimizers, 30 steps, 2 seeds \(3-4\); tuning sgd \(5 trials\), adam \(5 trials\) on seeds 1003-1004, backend cpu\n/,
    );
    expect(cli.stderr).toContain('\ntuning sgd: trial 1/5 (lr=0.001)\n');
    expect(cli.stderr).toContain('\ntuning adam: trial 5/5 (lr=10)\n');
    // The tuning trials have no progress rows of their own: only the reported runs start.
    expect(cli.stderr.match(/ start /g)).toHaveLength(4);
  });

  it('chooses the same values for the same command', async () => {
    const again = await run([...ARGS, '--quiet', '--json'], dir);
    const tuning = (JSON.parse(again.stdout) as CompareResult).tuning!;
    expect(tuning).toEqual(json.tuning);
  });

  it('random mode draws --tune-budget settings inside the space; a prefix tunes one optimizer', async () => {
    const { cli: r, json } = await compareQuietly(
      [...QUADRATIC, '--optimizers', 'sgd adam', '--tune', 'adam:lr=1e-3..1e-1;eps=1e-8,1e-6'].concat(
        '--tune-mode random --tune-budget 3'.split(' '),
      ),
      'random',
    );
    expect(json.tuning!.map((t) => t.optimizer)).toEqual(['adam']);
    const [adam] = json.tuning!;
    expect(adam).toMatchObject({ mode: 'random', budget: 3, seeds: [1000] });
    expect(adam.trials).toHaveLength(3);
    for (const t of adam.trials) {
      expect(t.setting.lr).toBeGreaterThanOrEqual(1e-3);
      expect(t.setting.lr).toBeLessThanOrEqual(1e-1);
      expect([1e-8, 1e-6]).toContain(t.setting.eps);
    }
    expect(json.runs.find((run) => run.label === 'adam')!.hyperparams).toMatchObject(adam.chosen!);
    expect(json.runs.find((run) => run.label === 'sgd')!.hyperparams.lr).toBe(0.001);
    expect(r.stdout).toMatch(/^sgd +ok /m);
    expect(r.stdout).toMatch(/\ntuned adam on seed 1000: lr=[\d.e-]+, eps=1e-(8|6) \(3 trials, random; final f /);
  });

  it('a grid larger than the budget tries --tune-budget of its points', async () => {
    const r = await run(
      [...QUADRATIC, '--optimizers', 'adam', '--tune', 'lr=1e-3..1:log:10', '--tune-budget', '4', '--quiet', '--json'],
      dir,
    );
    const [adam] = (JSON.parse(r.stdout) as CompareResult).tuning!;
    const grid = [0.001, 0.00215, 0.00464, 0.01, 0.0215, 0.0464, 0.1, 0.215, 0.464, 1];
    expect(adam.trials).toHaveLength(4);
    for (const t of adam.trials) expect(grid).toContain(t.setting.lr);
  });

  it('warns and keeps the spec as given when every trial diverged', async () => {
    const r = await run(
      [...QUADRATIC, '--optimizers', 'sgd:lr=0.02 adam', '--tune', 'sgd:lr=1,10', '--quiet', '--json'],
      dir,
    );
    expect(r.code).toBe(0);
    expect(r.stderr).toBe(
      'nabla: warning: every --tune trial of sgd diverged (2 trials); it ran with its spec as given\n',
    );
    const json = JSON.parse(r.stdout) as CompareResult;
    expect(json.tuning![0].chosen).toBeNull();
    expect(json.runs[0]).toMatchObject({ label: 'sgd', status: 'ok', hyperparams: { lr: 0.02 } });
  });
});

describe('--tune on a model task', () => {
  it('selects on the final validation loss; the reported runs use the chosen lr', async () => {
    const { cli: r, json } = await compareQuietly(
      'compare --task digits-mlp --limit 96 --epochs 1 --optimizers sgd --tune lr=0.01,0.3'.split(' '),
      'model',
    );
    const [sgd] = json.tuning!;
    expect(sgd.metric).toBe('final validation loss');
    expect(sgd.trials.map((t) => t.setting.lr)).toEqual([0.01, 0.3]);
    for (const t of sgd.trials) expect(t.metrics[0]).toBeGreaterThan(0);
    expect(json.runs[0].hyperparams.lr).toBe(sgd.chosen!.lr);
    expect(json.runs[0].seed).toBe(0);
    expect(r.stdout).toMatch(
      new RegExp(
        `\\ntuned sgd on seed 1000: lr=${sgd.chosen!.lr} \\(2 trials, grid; final validation loss [\\d.]+\\)\\n`,
      ),
    );
  });
});

describe('usage errors: exit code 2, nothing run or written', () => {
  const bad: [string[], RegExp][] = [
    [['--optimizers', 'sgd adam', '--tune', 'adamw:lr=0.1,1'], /no optimizer is labelled or named "adamw"/],
    [
      ['--optimizers', 'sgd adam', '--tune', 'lr=0.1,1', '--tune', 'adam:lr=0.1,1'],
      /optimizer adam is matched by two spaces/,
    ],
    [
      ['--optimizers', 'adam', '--tune', 'momentum=0.5,0.9'],
      /optimizer adam has no hyperparameter "momentum"; valid hyperparameters of adam: lr, /,
    ],
    [['--optimizers', 'sgd', '--tune', 'nesterov=0,1'], /nesterov of sgd is not a number/],
    [
      ['--optimizers', 'sgd', '--tune', 'momentum=0.9,-0.5'],
      /the candidate momentum=-0.5 of sgd is rejected: sgd: momentum must be in \[0, inf\)/,
    ],
    [['--tune', 'lr=0.1,1', '--tune-budget', '1001'], /--tune-budget: expected an integer from 1 to 1000, got 1001/],
    [['--tune', 'lr=0.1,1', '--tune-budget', '0'], /--tune-budget: expected an integer >= 1, got "0"/],
    [['--tune', 'lr=0.1,1', '--tune-seeds', '11'], /--tune-seeds: expected an integer from 1 to 10, got 11/],
    [['--tune', 'lr=0.1,1', '--tune-mode', 'bayes'], /--tune-mode: unknown value "bayes"; valid values: grid, random/],
    [['--tune-seeds', '2'], /--tune-seeds applies only with --tune/],
    [['--tune', 'lr=0.1,1e'], /a value of lr must be a finite number, got "1e"/],
  ];
  for (const [args, message] of bad)
    it(args.join(' '), async () => {
      const r = await run([...QUADRATIC, ...args, '--out', 'never'], dir);
      expect(r.code).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(message);
      expect(r.stderr).not.toContain('tuning');
      expect(existsSync(join(dir, 'never'))).toBe(false);
    });
});
