// The report's charts on fabricated results: clipped outliers said in the caption, every loss named
// train or validation, decision maps of a 2-D classification task, and the --tune sensitivity curves.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tensor } from '@nablajs/core';
import { describe, expect, it } from 'vitest';
import { renderReport } from './report';
import { reportCharts } from './report-charts';
import type { CompareResult, RunResult, TuningResult } from './results';
import { PALETTE } from './svg';
import { CLASS_FILLS, type DecisionGrid, decisionGridOf, decisionMapsChart, labelledPointsOf } from './svg-decision';
import { runCaptured } from './test-cli';

/** A run of `label` whose loss per step is `loss` (and, for a model task, per epoch `epochs`). */
function fakeRun(label: string, index: number, loss: number[], epochs: { loss: number[]; val: number[] } | null) {
  const e = epochs ?? { loss: [], val: [] };
  const run: RunResult = {
    label,
    seed: 0,
    status: 'ok',
    divergedAt: null,
    optimizer: label,
    hyperparams: { lr: 0.01 },
    color: PALETTE[index],
    steps: { step: loss.map((_, i) => i), loss, smoothedLoss: loss, lr: loss.map(() => 0.01) },
    epochs: {
      epoch: e.loss.map((_, i) => i + 1),
      step: e.loss.map((_, i) => (i + 1) * 10),
      loss: e.loss,
      accuracy: e.loss.map(() => 0.9),
      valLoss: e.val,
      valAccuracy: e.val.map(() => 0.95),
      lr: e.loss.map(() => 0.01),
    },
    summary: {
      finalLoss: e.loss.at(-1) ?? loss.at(-1) ?? Number.NaN,
      bestLoss: Math.min(...(e.loss.length > 0 ? e.loss : loss)),
      finalAccuracy: epochs === null ? null : e.val.length > 0 ? 0.95 : 0.9,
      bestAccuracy: epochs === null ? null : 0.95,
      stepsToTarget: null,
      steps: loss.length,
      wallTimeMs: 100,
      stepsPerSecond: 10,
      stopReason: null,
    },
  };
  if (epochs === null) {
    run.steps.x = loss.map(() => 1);
    run.steps.y = loss.map(() => 1);
  }
  return run;
}

/** A comparison of a model task (`validation`: with a validation set) or of a 2-D function, without aggregates. */
function fakeResult(kind: 'model' | 'function', runs: RunResult[], name = kind === 'model' ? 'spirals' : 'rosenbrock') {
  const result: CompareResult = {
    tool: 'nabla compare',
    version: '0.0.0',
    command: `nabla compare --task ${name}`,
    createdAt: '2026-01-01T00:00:00.000Z',
    environment: 'test',
    task: { name, kind, description: name, details: [], classification: kind === 'model' },
    settings: {
      epochs: kind === 'model' ? 3 : null,
      steps: runs[0].steps.step.length,
      stepsPerEpoch: kind === 'model' ? 10 : null,
      batchSize: kind === 'model' ? 32 : null,
      seed: 0,
      seeds: [0],
      schedule: 'none',
      targetLoss: 0.1,
      lossScale: 'log',
      plugins: [],
      dataDir: null,
    },
    surface:
      kind === 'function'
        ? {
            formula: 'f',
            bounds: [
              [0, 2],
              [0, 2],
            ],
            minima: [[1, 1]],
            start: [0, 0],
            resolution: 2,
            values: Array(9).fill(1),
          }
        : null,
    runs,
  };
  return result;
}

const ramp = (n: number, from: number, to: number) =>
  Array.from({ length: n }, (_, i) => from * (to / from) ** (i / (n - 1)));

describe('report charts', () => {
  it('fits the f axis to the bulk of the values and says in the caption that a spike was clipped', () => {
    const lion = ramp(300, 10, 1e-3);
    lion[120] = 2e-27;
    const result = fakeResult('function', [
      fakeRun('adam', 0, ramp(300, 10, 1e-6), null),
      fakeRun('lion', 1, lion, null),
    ]);
    const f = reportCharts(result).find((c) => c.id === 'loss')!;
    expect(f.svg).toContain('<title>lion: 2e-27 at step 120, beyond the axis</title>');
    expect(f.svg).not.toMatch(/class="axis">1e-2\d</);
    expect(f.caption).toContain('1 point beyond it is drawn at its edge, marked by a triangle');
    // The distance chart and the learning rate have nothing to clip.
    expect(reportCharts(result).find((c) => c.id === 'lr')!.caption).not.toContain('triangle');
  });

  it('names every loss train or validation', () => {
    const epochs = { loss: [0.9, 0.5, 0.3], val: [1, 0.6, 0.4] };
    const withVal = reportCharts(fakeResult('model', [fakeRun('sgd', 0, ramp(30, 2, 0.3), epochs)]));
    expect(withVal.map((c) => c.id)).toEqual(['loss', 'epoch-loss', 'accuracy', 'lr']);
    expect(withVal[0].svg).toContain('>train loss (smoothed) (log scale)<');
    expect(withVal[1].svg).toContain('>validation loss (log scale)<');
    expect(withVal[2].svg).toContain('>validation accuracy<');
    const trainOnly = reportCharts(
      fakeResult('model', [fakeRun('sgd', 0, ramp(30, 2, 0.3), { loss: epochs.loss, val: [NaN, NaN, NaN] })]),
    );
    expect(trainOnly[1].svg).toContain('>train loss (epoch mean) (log scale)<');
    expect(trainOnly[1].svg).toContain('>Train loss per epoch<');
    const html = renderReport(fakeResult('model', [fakeRun('sgd', 0, ramp(30, 2, 0.3), epochs)]));
    expect(html).toContain('<td>target train loss</td>');
  });
});

describe('decision maps', () => {
  // A 4x4 grid over [-1, 1]²: class 1 right of x1 = 0, class 0 left of it.
  const grid: DecisionGrid = {
    bounds: [
      [-1, 1],
      [-1, 1],
    ],
    resolution: 4,
    classes: Array.from({ length: 16 }, (_, k) => (k % 4 >= 2 ? 1 : 0)),
  };
  const points = { x: [-0.5, 0.5, 0.6, 3], y: [0.2, -0.3, 0.4, 0], label: [0, 1, 1, 1] };

  it('fills each class region, draws the boundary in the optimizer colour, and the points by class', () => {
    const svg = decisionMapsChart({
      title: 'Decision regions',
      maps: [
        { label: 'sgd', color: '#4e79a7', grid, note: 'validation accuracy 95.0%' },
        { label: 'adam', color: '#f28e2b', grid },
      ],
      points,
    });
    expect(svg.match(/<g class="decision-map" data-label="(sgd|adam)">/g)).toHaveLength(2);
    // One rectangle per row and class (runs merged), in the two class fills.
    const regions = /<g class="regions"[^>]*>(.*?)<\/g>/.exec(svg)![1];
    expect(regions.match(/<rect /g)).toHaveLength(8);
    expect(new Set([...regions.matchAll(/fill="([^"]*)"/g)].map((m) => m[1]))).toEqual(
      new Set(CLASS_FILLS.slice(0, 2)),
    );
    // The boundary is the vertical line x1 = 0, in the middle of the panel, across the cell centres.
    const boundary = /<path class="boundary" data-label="sgd" d="([^"]*)" fill="none" stroke="#4e79a7"/.exec(svg)![1];
    const xs = [...boundary.matchAll(/[ML]([\d.]+),/g)].map((m) => Number(m[1]));
    expect(new Set(xs).size).toBe(1);
    const frame = /<rect x="([\d.]+)" y="[\d.]+" width="([\d.]+)" height="[\d.]+" fill="none" stroke="#999"\/>/.exec(
      svg,
    )!;
    expect(xs[0]).toBeCloseTo(Number(frame[1]) + Number(frame[2]) / 2, 1);
    // Three points inside the box on each map (the one at x1 = 3 is outside), hollow class 0, filled class 1.
    expect(svg.match(/class="class-point class-0" fill="#ffffff"/g)).toHaveLength(2);
    expect(svg.match(/class="class-point class-1" fill="#333333"/g)).toHaveLength(4);
    expect(svg).toContain('validation accuracy 95.0%');
  });

  it('appears in the report of a classification task whose runs carry a decision grid, and only then', () => {
    const epochs = { loss: [0.9, 0.5, 0.3], val: [1, 0.6, 0.4] };
    const runs = [fakeRun('sgd', 0, ramp(30, 2, 0.3), epochs), fakeRun('adam', 1, ramp(30, 2, 0.1), epochs)];
    expect(reportCharts(fakeResult('model', runs)).map((c) => c.id)).not.toContain('decision');
    for (const run of runs) Object.assign(run, { decisionGrid: grid });
    const result = fakeResult('model', runs);
    Object.assign(result.task, { points });
    const charts = reportCharts(result);
    expect(charts.map((c) => c.id)).toEqual(['loss', 'epoch-loss', 'accuracy', 'decision', 'lr']);
    const decision = charts[3];
    expect(decision.svg.match(/<path class="boundary" data-label="(sgd|adam)"/g)).toHaveLength(2);
    expect(decision.svg).toContain('>val accuracy 95.0%</text>');
    expect(decision.caption).toContain('with the training points (hollow: class 0, filled: class 1)');
    expect(renderReport(result)).toContain('<figure id="chart-decision">');
  });

  it('samples a trained classifier over the box of its inputs', () => {
    const inputs = tensor([
      [-1, -1],
      [1, 1],
    ]);
    // Class 1 when x1 > 0: logits [0, x1].
    const w = tensor([
      [0, 1],
      [0, 0],
    ]);
    const g = decisionGridOf((x) => x.matmul(w), inputs, 4);
    expect(g.bounds).toEqual([
      [-1.2, 1.2],
      [-1.2, 1.2],
    ]);
    expect(g.classes).toEqual(grid.classes);
    expect(labelledPointsOf(inputs, tensor([0, 1], { dtype: 'int32' }))).toEqual({
      x: [-1, 1],
      y: [-1, 1],
      label: [0, 1],
    });
  });
});

describe('sensitivity curves of --tune', () => {
  const lrs = [1e-4, 1e-3, 1e-2, 1e-1, 1];
  /** A grid search over `lrs` on 2 tuning seeds: each trial's metric on each seed (null: diverged). */
  const search = (optimizer: string, metrics: (number | null)[][], chosen: number): TuningResult => ({
    optimizer,
    space: 'lr=1e-4..1:log:5',
    mode: 'grid',
    budget: 8,
    seeds: [1000, 1001],
    metric: 'final validation loss',
    trials: lrs.map((lr, k) => ({
      setting: { lr },
      metrics: metrics[k],
      score: metrics[k].includes(null) ? null : ((metrics[k][0] ?? 0) + (metrics[k][1] ?? 0)) / 2,
    })),
    chosen: { lr: chosen },
  });
  const tuning = [
    search(
      'sgd',
      [
        [1.8, 2.2],
        [0.9, 1.1],
        [0.27, 0.33],
        [0.45, 0.55],
        [null, 2.5],
      ],
      1e-2,
    ),
    search(
      'adam',
      [
        [0.8, 0.8],
        [0.4, 0.5],
        [0.6, 0.6],
        [null, null],
        [null, null],
      ],
      1e-3,
    ),
  ];
  const epochs = { loss: [0.9, 0.5, 0.3], val: [1, 0.6, 0.4] };
  const result = fakeResult('model', [
    fakeRun('sgd', 0, ramp(30, 2, 0.3), epochs),
    fakeRun('adam', 1, ramp(30, 2, 0.2), epochs),
  ]);
  result.tuning = tuning;
  const html = renderReport(result);
  const chart = /<figure id="chart-sensitivity-lr">(<svg[\s\S]*?<\/svg>)<figcaption>([^<]*)<\/figcaption>/.exec(html)!;

  it('draws the score of every lr tried on a log axis, the chosen one ringed and the diverged ones crossed at the top', () => {
    const svg = chart[1];
    expect(svg).toContain('>lr (log scale)<');
    // The scores span less than a factor of 10: a linear y axis.
    expect(svg).toContain('>final validation loss<');
    expect(svg).toContain('line: mean of 2 tuning seeds; band: lowest to highest');
    expect([...svg.matchAll(/<path class="series" data-label="([^"]*)"/g)].map((m) => m[1])).toEqual(['sgd', 'adam']);
    // The chosen settings: one ring each, in the optimizer's colour, with what was chosen as the tooltip.
    expect(svg).toMatch(
      /<g class="chosen" data-label="sgd"><circle [^>]*\/><circle [^>]*stroke="#4e79a7"[^>]*\/><title>sgd chose lr=0.01: final validation loss 0.3<\/title><\/g>/,
    );
    expect(svg.match(/<g class="chosen" data-label="adam">/g)).toHaveLength(1);
    // Diverged settings: 1 of sgd, 2 of adam, as crosses at the top of the plot.
    const crosses = [...svg.matchAll(/<path class="diverged" data-label="([^"]*)" d="M[\d.]+,([\d.]+)L/g)];
    expect(crosses.map((m) => m[1])).toEqual(['sgd', 'adam', 'adam']);
    const top = Number(/<rect x="62" y="([\d.]+)" width="[\d.]+" height="[\d.]+" fill="none"/.exec(svg)![1]);
    // Each series' crosses a little lower than the one before, so that they do not cover each other.
    expect(crosses.map((m) => Number(m[2]) + 5 - top)).toEqual([6, 15, 15]);
    expect(svg).toContain('<title>sgd lr=1 diverged on 1 of 2 tuning seeds</title>');
    // Bands from the lowest to the highest seed's metric, and the legend's words for the symbols.
    expect(svg.match(/<path class="band"/g)).toHaveLength(2);
    expect(svg).toContain('class="legend">chosen</text>');
    expect(svg).toContain('class="legend">diverged</text>');
    expect(chart[2]).toContain('A ring marks the setting chosen');
    expect(chart[2]).toContain('a cross at the top, a setting that diverged');
  });

  it('tabulates the chosen values, saying when one lies at the end of the range', () => {
    const table = /<table class="tuning">([\s\S]*?)<\/table>/.exec(html)![1];
    expect(html.indexOf('<h2>Tuning</h2>')).toBeLessThan(html.indexOf('<h2>Charts</h2>'));
    const rows = [...table.matchAll(/<tr><td>.*?<\/span>([^<]*)<\/td>((?:<td[^>]*>[^<]*<\/td>)*)<\/tr>/g)].map((m) => [
      m[1],
      ...[...m[2].matchAll(/<td[^>]*>([^<]*)<\/td>/g)].map((c) => c[1]),
    ]);
    expect(rows).toEqual([
      [
        'sgd',
        'lr=1e-4..1:log:5 (grid)',
        '5 of 8, 1 diverged',
        '1000, 1001',
        'final validation loss (mean)',
        'lr=0.01',
        '0.3',
      ],
      [
        'adam',
        'lr=1e-4..1:log:5 (grid)',
        '5 of 8, 2 diverged',
        '1000, 1001',
        'final validation loss (mean)',
        'lr=0.001',
        '0.45',
      ],
    ]);
    const edge = renderReport({
      ...result,
      tuning: [
        { ...tuning[0], chosen: { lr: 1e-4 } },
        { ...tuning[1], chosen: null },
      ],
    });
    expect(edge).toContain('lr=1e-4 (the lowest lr tried: the best may lie below)');
    expect(edge).toContain('none: every trial diverged, so it ran with its spec as given');
  });

  it('leaves the tuning section out without --tune', () => {
    expect(renderReport({ ...result, tuning: undefined })).not.toContain('Tuning');
  });
});

describe('decision maps from a real comparison', () => {
  it('records each run’s predicted classes and the training points on the spirals, and draws them', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nabla-decision-'));
    try {
      const r = await runCaptured(
        ['compare', '--task', 'spirals', '--optimizers', 'sgd adam', '--epochs', '2', '--out', 'out', '--quiet'],
        dir,
      );
      expect(r.code).toBe(0);
      const result = JSON.parse(readFileSync(join(dir, 'out', 'results.json'), 'utf8')) as CompareResult;
      expect(result.task.points?.x.length).toBeGreaterThan(10);
      expect(new Set(result.task.points?.label)).toEqual(new Set([0, 1]));
      for (const run of result.runs) {
        expect(run.decisionGrid?.resolution).toBe(60);
        expect(run.decisionGrid?.classes).toHaveLength(3600);
        expect(run.decisionGrid?.classes.every((c) => c === 0 || c === 1)).toBe(true);
      }
      expect(readFileSync(join(dir, 'out', 'report.html'), 'utf8')).toContain('Decision regions after training');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
