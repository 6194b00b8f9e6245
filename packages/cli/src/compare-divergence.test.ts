// A run whose loss is NaN, infinite or above --diverge-factor times its initial loss stops there as
// `diverged`: shown so in the table, the charts and the files, left out of the means, with a warning.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CompareResult } from './results';
import { parseCsvLine } from './results-csv';
import { runCaptured as run } from './test-cli';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'nabla-diverge-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const MODEL = ['compare', '--task', 'digits-mlp', '--limit', '96', '--epochs', '2', '--quiet'];

describe('divergence on a model task', () => {
  it('sgd:lr=1e6 stops at once as diverged: a status, a note, a warning, exit code 0', async () => {
    const r = await run([...MODEL, '--optimizers', 'sgd:lr=1e6 adam:lr=1e-3', '--out', 'out'], dir);
    expect(r.code).toBe(0);
    // The first step's loss is the initial one; the second, after a step of lr 1e6, is far above 10 times it.
    expect(r.stderr).toMatch(
      /^nabla: warning: sgd diverged: the train loss is [\d.]+e\d+ at step 2, above 10 × the initial [\d.]+\n$/,
    );
    const lines = r.stdout.split('\n');
    expect(lines.find((l) => l.startsWith('sgd '))).toMatch(
      /^sgd +diverged +- \/ - +- \/ - +not reached +not reached +-$/,
    );
    expect(lines.find((l) => l.startsWith('adam '))).toMatch(/^adam +ok +[\d.]+ \/ [\d.]+ /);
    expect(r.stdout).toMatch(
      /\nnote: sgd diverged: the train loss is .* at step 2, above 10 × the initial .*; no numbers to show\.\n/,
    );

    const json = JSON.parse(readFileSync(join(dir, 'out', 'results.json'), 'utf8')) as CompareResult;
    const [sgd, adam] = json.runs;
    expect(sgd).toMatchObject({ status: 'diverged', divergedAt: 2 });
    expect(sgd.summary.steps).toBe(1);
    expect(sgd.steps.step).toEqual([1, 2]);
    expect(sgd.steps.loss[1]).toBeGreaterThan(10 * sgd.steps.loss[0]);
    expect(adam).toMatchObject({ status: 'ok', divergedAt: null });
    expect(adam.summary.steps).toBe(6);
    const [sgdAgg] = json.aggregates!;
    expect(sgdAgg.diverged).toEqual([0]);
    expect(sgdAgg.finalValLoss).toEqual({ mean: null, sd: null, n: 0 });
    expect(sgdAgg.finalLoss.n).toBe(0);

    // The chart draws the run up to the step before, then a cross; the 1e10 loss does not set the axis.
    const html = readFileSync(join(dir, 'out', 'report.html'), 'utf8');
    const loss = (html.match(/<svg[\s\S]*?<\/svg>/g) ?? [])[0];
    expect(loss).toMatch(/<path class="series" data-label="sgd" d="M[\d.]+,[\d.]+"/);
    expect(loss).toMatch(
      /<path class="diverged" data-label="sgd" d="M[^"]+"[^>]*\/><title>sgd diverged at step 2<\/title>/,
    );
    expect(loss).toContain('>diverged</text>');
    expect(loss).not.toMatch(/>1e\d\d?</);
    expect(html).toContain('A cross marks where a run diverged');
    expect(html).toContain('<td class="status">diverged</td>');
    const runsCsv = readFileSync(join(dir, 'out', 'runs.csv'), 'utf8')
      .trimEnd()
      .split('\n')
      .slice(1)
      .map(parseCsvLine);
    expect(runsCsv.map((row) => row.slice(3, 6))).toEqual([
      ['diverged', '2', '1'],
      ['ok', '', '6'],
    ]);
  });

  it('counts the diverged seeds (2/2 diverged) and warns once per optimizer', async () => {
    const r = await run([...MODEL, '--optimizers', 'sgd:lr=1e6 adam:lr=1e-3', '--seeds', '2'], dir);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('nabla: warning: sgd diverged on 2 of 2 seeds (0, 1); it has no numbers to show\n');
    expect(r.stdout.split('\n').find((l) => l.startsWith('sgd '))).toMatch(/^sgd +2\/2 diverged +- \/ - /);
    expect(r.stdout).toContain(
      'note: sgd diverged on 2 of 2 seeds (seed 0 at step 2, seed 1 at step 2); no numbers to show.',
    );
  });

  it('--diverge-factor sets the threshold: 1.0001 stops a run whose batch loss rises at all', async () => {
    const loose = await run([...MODEL, '--optimizers', 'sgd:lr=0.1', '--json'], dir);
    const [ok] = (JSON.parse(loose.stdout) as CompareResult).runs;
    expect(ok.status).toBe('ok');
    const firstRise = ok.steps.loss.findIndex((l) => l > 1.0001 * ok.steps.loss[0]);
    expect(firstRise).toBeGreaterThan(0);
    const tight = await run([...MODEL, '--optimizers', 'sgd:lr=0.1', '--json', '--diverge-factor', '1.0001'], dir);
    const [stopped] = (JSON.parse(tight.stdout) as CompareResult).runs;
    expect(stopped.status).toBe('diverged');
    expect(stopped.divergedAt).toBe(firstRise + 1);
    // Until then, the same run.
    expect(stopped.steps.loss).toEqual(ok.steps.loss.slice(0, firstRise + 1));
  });
});

describe('divergence on a 2-D function', () => {
  // f = (x² + 100 y²) / 2 from (-1.5, 0.5); sgd with lr 0.03 multiplies y by -2 a step, so the y part of f,
  // 12.5 at the start, grows 4 times a step. The largest f in the box [-2, 2]² is 202.
  it('measures against the larger of f at the start and the largest f in the plotted box', async () => {
    const r = await run(
      [
        'compare',
        '--task',
        'quadratic',
        '--optimizers',
        'sgd:lr=0.03 sgd:lr=0.01',
        '--steps',
        '50',
        '--json',
        '--quiet',
      ],
      dir,
    );
    expect(r.code).toBe(0);
    const [fast, slow] = (JSON.parse(r.stdout) as CompareResult).runs;
    expect(fast.status).toBe('diverged');
    // 12.5 * 4^4 = 3200 > 10 * 202 at step 4 (step 3: 800 is not)
    expect(fast.divergedAt).toBe(4);
    expect(fast.summary.stopReason).toMatch(
      /^diverged: f is 3\d{3}(\.\d+)? at step 4, above 10 × 202 \(the largest f in the plotted box\)$/,
    );
    expect(fast.steps.step).toEqual([0, 1, 2, 3, 4]);
    expect(slow.status).toBe('ok');
    expect(r.stderr).toMatch(/^nabla: warning: sgd:lr=0\.03 diverged: f is /);

    const tight = await run(
      [
        'compare',
        '--task',
        'quadratic',
        '--optimizers',
        'sgd:lr=0.03',
        '--steps',
        '50',
        '--json',
        '--quiet',
        '--diverge-factor',
        '2',
      ],
      dir,
    );
    expect((JSON.parse(tight.stdout) as CompareResult).runs[0].divergedAt).toBe(3);
  });

  it('marks the end of a diverged path on the contour plot', async () => {
    const r = await run(
      [
        'compare',
        '--task',
        'quadratic',
        '--optimizers',
        'sgd:lr=0.03 adam:lr=0.05',
        '--steps',
        '30',
        '--quiet',
        '--out',
        'out',
      ],
      dir,
    );
    expect(r.code).toBe(0);
    const html = readFileSync(join(dir, 'out', 'report.html'), 'utf8');
    const contour = (html.match(/<svg class="chart contour"[\s\S]*?<\/svg>/g) ?? [''])[0];
    expect(contour.match(/<path class="diverged" data-label="sgd"/g)).toHaveLength(1);
    expect(contour.match(/class="diverged"/g)).toHaveLength(1);
  });
});
