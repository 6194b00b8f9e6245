// `nabla compare --seeds N`: every optimizer on N seeds in a shuffled, recorded order, with the
// statistics over the seeds in the table, the report, results.json, results.csv and runs.csv.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseArgs } from './args';
import { COMPARE_OPTIONS } from './compare-options';
import { loadPlugins, planComparison } from './compare-plan';
import type { CompareResult } from './results';
import { CSV_COLUMNS, parseCsvLine } from './results-csv';
import { runComparison } from './run-comparison';
import type { RunEvents } from './task-runner';
import { type Captured, runCaptured as run } from './test-cli';

function sampleSd(values: number[]): number {
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  return Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / (values.length - 1));
}

// 96 training samples in batches of 32, 2 epochs: 6 steps a run, 6 runs.
const ARGS = [
  'compare',
  '--task',
  'digits-mlp',
  '--optimizers',
  'sgd:lr=0.1 adam:lr=1e-3',
  '--limit',
  '96',
  '--epochs',
  '2',
  '--seeds',
  '3',
  '--seed',
  '5',
];

describe('--seeds 3 on a model task', () => {
  let dir: string;
  let cli: Captured;
  let json: CompareResult;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'nabla-seeds-'));
    cli = await run([...ARGS, '--quiet', '--out', 'out'], dir);
    json = JSON.parse(readFileSync(join(dir, 'out', 'results.json'), 'utf8')) as CompareResult;
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('keeps every run, optimizer by optimizer and seed by seed', () => {
    expect(cli.code).toBe(0);
    expect(cli.stderr).toBe('');
    expect(json.settings).toMatchObject({ seed: 5, seeds: [5, 6, 7], steps: 6 });
    expect(json.runs.map((r) => [r.label, r.seed, r.status])).toEqual([
      ['sgd', 5, 'ok'],
      ['sgd', 6, 'ok'],
      ['sgd', 7, 'ok'],
      ['adam', 5, 'ok'],
      ['adam', 6, 'ok'],
      ['adam', 7, 'ok'],
    ]);
    const firstLoss = (label: string, seed: number) =>
      json.runs.find((r) => r.label === label && r.seed === seed)!.steps.loss[0];
    // The first batch's loss comes before any update: the same seed gives every optimizer the same weights and
    // batch; another seed gives other weights or another batch.
    for (const seed of [5, 6, 7]) expect(firstLoss('adam', seed)).toBe(firstLoss('sgd', seed));
    expect(new Set([5, 6, 7].map((seed) => firstLoss('sgd', seed))).size).toBe(3);
  });

  it('records the shuffled order the runs were made in, the same for the same --seed', async () => {
    const order = json.order!;
    expect(order).toHaveLength(6);
    expect(order.map((o) => `${o.label}:${o.seed}`).sort()).toEqual(
      ['adam:5', 'adam:6', 'adam:7', 'sgd:5', 'sgd:6', 'sgd:7'].sort(),
    );
    // The runs really ran in that order: the events a progress display gets say so.
    const parsed = parseArgs(ARGS.slice(1), COMPARE_OPTIONS);
    const plan = planComparison(parsed, dir, await loadPlugins(parsed, dir));
    const started: string[] = [];
    const events: RunEvents = {
      start: (label) => started.push(label),
      update() {},
      end() {},
    };
    const again = await runComparison(plan, 'test', events);
    expect(again.order).toEqual(order);
    expect(started).toEqual(order.map((o) => o.label));
    // Same seeds, same numbers.
    expect(again.runs.map((r) => r.summary.finalLoss)).toEqual(json.runs.map((r) => r.summary.finalLoss));
  });

  it('aggregates each optimizer over its seeds: mean ± sd of the validation loss and accuracy, medians to target', () => {
    const [sgd, adam] = json.aggregates!;
    expect(sgd.label).toBe('sgd');
    expect(adam.label).toBe('adam');
    for (const agg of [sgd, adam]) {
      const runs = json.runs.filter((r) => r.label === agg.label);
      const finalVal = runs.map((r) => r.epochs.valLoss.at(-1)!);
      expect(agg.seeds).toEqual([5, 6, 7]);
      expect(agg.diverged).toEqual([]);
      expect(agg.finalValLoss!.n).toBe(3);
      expect(agg.finalValLoss!.mean).toBeCloseTo(finalVal.reduce((a, b) => a + b, 0) / 3, 12);
      expect(agg.finalValLoss!.sd).toBeCloseTo(sampleSd(finalVal), 12);
      const acc = runs.map((r) => r.epochs.valAccuracy.at(-1)!);
      expect(agg.finalAccuracy!.mean).toBeCloseTo(acc.reduce((a, b) => a + b, 0) / 3, 12);
      expect(agg.stepsToTarget.of).toBe(3);
      // The curves: the median over the seeds, step by step.
      const loss = agg.curves.loss;
      expect(loss.x).toEqual([1, 2, 3, 4, 5, 6]);
      loss.median.forEach((m, i) => {
        const at = runs.map((r) => r.steps.smoothedLoss[i]).sort((a, b) => a - b);
        expect(m).toBe(at[1]);
        expect(loss.q1[i]).toBeCloseTo((at[0] + at[1]) / 2, 12);
        expect(loss.q3[i]).toBeCloseTo((at[1] + at[2]) / 2, 12);
      });
      expect(agg.stepTime.samplesMs).toHaveLength(3);
    }
    // With several seeds there is no timing repeat.
    expect(json.timing!.repeats).toEqual([]);
  });

  it('prints mean ± sd, k/N and what they mean', () => {
    const lines = cli.stdout.split('\n');
    const header = lines.find((l) => l.startsWith('optimizer'))!;
    expect(header).toMatch(
      /^optimizer +status +val loss \(final \/ best\) +val accuracy \(final \/ best\) +steps to train loss <= 0.1 +time to target +time\/step$/,
    );
    const sgd = lines.find((l) => l.startsWith('sgd '))!;
    expect(sgd).toMatch(
      /^sgd +ok +[\d.]+ ± [\d.]+ \/ [\d.]+ ± [\d.]+ +[\d.]+ ± [\d.]+% \/ [\d.]+ ± [\d.]+% +not reached \(0\/3\)/,
    );
    expect(cli.stdout).toContain(
      '3 seeds (5-7): loss and accuracy as mean ± standard deviation; steps and time to target as the median over the k of N seeds that reached it (k/N).',
    );
  });

  it('writes a seed column in results.csv and one row per run in runs.csv', () => {
    const rows = readFileSync(join(dir, 'out', 'results.csv'), 'utf8')
      .trimEnd()
      .split('\n')
      .slice(1)
      .map(parseCsvLine);
    const col = (name: (typeof CSV_COLUMNS)[number]) => CSV_COLUMNS.indexOf(name);
    // 6 steps and 2 epochs per run
    expect(rows).toHaveLength(6 * 8);
    for (const r of json.runs) {
      const mine = rows.filter((row) => row[col('optimizer')] === r.label && row[col('seed')] === String(r.seed));
      expect(mine.filter((row) => row[col('series')] === 'step').map((row) => Number(row[col('loss')]))).toEqual(
        r.steps.loss,
      );
      expect(mine.filter((row) => row[col('series')] === 'epoch').map((row) => Number(row[col('valLoss')]))).toEqual(
        r.epochs.valLoss,
      );
    }
    const runsCsv = readFileSync(join(dir, 'out', 'runs.csv'), 'utf8')
      .trimEnd()
      .split('\n');
    expect(runsCsv[0]).toBe(
      'optimizer,seed,order,status,divergedAt,steps,finalTrainLoss,bestTrainLoss,finalValLoss,bestValLoss,finalValAccuracy,bestValAccuracy,stepsToTarget,timeToTargetMs,medianStepMs,wallTimeMs',
    );
    const runRows = runsCsv.slice(1).map(parseCsvLine);
    expect(runRows.map((row) => `${row[0]}:${row[1]}`)).toEqual(json.runs.map((r) => `${r.label}:${r.seed}`));
    // `order` is the position in results.json's order, from 1
    for (const row of runRows) expect(json.order![Number(row[2]) - 1]).toEqual({ label: row[0], seed: Number(row[1]) });
    expect(runRows.map((row) => Number(row[8]))).toEqual(json.runs.map((r) => r.epochs.valLoss.at(-1)));
  });

  it('draws the median with an interquartile band and says so', () => {
    const html = readFileSync(join(dir, 'out', 'report.html'), 'utf8');
    const svgs = html.match(/<svg[\s\S]*?<\/svg>/g) ?? [];
    expect(svgs).toHaveLength(4);
    for (const svg of svgs) {
      expect([...svg.matchAll(/<path class="series" data-label="([^"]*)"/g)].map((m) => m[1])).toEqual(['sgd', 'adam']);
      expect([...svg.matchAll(/<path class="band" data-label="([^"]*)"/g)].map((m) => m[1])).toEqual(['sgd', 'adam']);
      expect(svg).toContain('median of 3 seeds; band: interquartile range');
    }
    expect(html).toContain(
      'Lines are the median over 3 seeds, bands the interquartile range (25th to 75th percentile)',
    );
    expect(html).toContain('<td>seeds</td><td>5, 6, 7 (each seed gives every optimizer the same initial weights');
    expect(html).toMatch(/<td>run order<\/td><td>shuffled with seed 5: (sgd|adam) \(seed [567]\), /);
  });
});
