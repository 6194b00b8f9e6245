import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { checkOutDir, writeOutDir } from './output-dir';
import type { CompareResult, EpochSeries, RunResult } from './results';
import { csvCell, parseCsvLine, resultsCsv } from './results-csv';
import { resultsJson } from './results-json';
import { smooth, stepsToTarget, summarize } from './summarize';
import { formatDuration, formatNumber, renderTable } from './table';

const noEpochs = (): EpochSeries => ({
  epoch: [],
  step: [],
  loss: [],
  accuracy: [],
  valLoss: [],
  valAccuracy: [],
  lr: [],
});

describe('smoothing and summaries', () => {
  it('smooths with a bias-corrected moving average', () => {
    expect(smooth([2, 2, 2])).toEqual([2, 2, 2]);
    const [a, b] = smooth([2, 0], 0.5);
    expect(a).toBe(2);
    // m1 = 1, m2 = 0.5; corrected: 0.5 / (1 - 0.25)
    expect(b).toBeCloseTo(2 / 3, 15);
    expect(smooth([1, Number.NaN, 1])).toEqual([1, Number.NaN, 1]);
  });

  it('finds the first step at or below the target', () => {
    expect(stepsToTarget({ step: [1, 2, 3, 4], smoothedLoss: [3, 2, 1, 0.5] }, 1)).toBe(3);
    expect(stepsToTarget({ step: [1, 2], smoothedLoss: [3, 2] }, 1)).toBeNull();
  });

  it('summarises by epoch for model runs, with validation accuracy when there is one', () => {
    const steps = {
      step: [1, 2, 3, 4],
      loss: [2, 1, 0.5, 0.4],
      smoothedLoss: [2, 1.4, 1, 0.8],
      lr: [0.1, 0.1, 0.1, 0.1],
    };
    const epochs: EpochSeries = {
      epoch: [1, 2],
      step: [2, 4],
      loss: [1.5, 0.45],
      accuracy: [0.5, 0.9],
      valLoss: [1.2, 0.6],
      valAccuracy: [0.6, 0.55],
      lr: [0.1, 0.1],
    };
    expect(summarize({ steps, epochs, stepCount: 4, wallTimeMs: 2000, stopReason: null, targetLoss: 1 })).toEqual({
      finalLoss: 0.45,
      bestLoss: 0.45,
      finalAccuracy: 0.55,
      bestAccuracy: 0.6,
      stepsToTarget: 3,
      steps: 4,
      wallTimeMs: 2000,
      stepsPerSecond: 2,
      stopReason: null,
    });
  });

  it('summarises per iterate for 2-D functions and has no accuracy', () => {
    const steps = { step: [0, 1, 2], loss: [5, 1, 3], smoothedLoss: [5, 1, 3], lr: [0.1, 0.1, 0.1] };
    const s = summarize({ steps, epochs: noEpochs(), stepCount: 2, wallTimeMs: 0, stopReason: 'x', targetLoss: 0 });
    expect(s).toMatchObject({
      finalLoss: 3,
      bestLoss: 1,
      finalAccuracy: null,
      bestAccuracy: null,
      stepsToTarget: null,
      stepsPerSecond: 0,
    });
  });
});

function fakeResult(): CompareResult {
  const run = (label: string, color: string, loss: number[]): RunResult => {
    const steps = {
      step: loss.map((_, i) => i),
      loss,
      smoothedLoss: loss,
      lr: loss.map(() => 0.1),
      x: loss.map(() => 1),
      y: loss.map(() => -1),
    };
    return {
      label,
      optimizer: 'sgd',
      hyperparams: { lr: 0.1 },
      color,
      steps,
      epochs: noEpochs(),
      summary: summarize({
        steps,
        epochs: noEpochs(),
        stepCount: loss.length - 1,
        wallTimeMs: 1500,
        stopReason: null,
        targetLoss: 0.5,
      }),
    };
  };
  return {
    tool: 'nabla compare',
    version: '0.0.0',
    command: 'nabla compare',
    createdAt: '2024-01-01T00:00:00.000Z',
    environment: 'test',
    task: { name: 't', kind: 'function', description: 'd', details: [], classification: false },
    settings: {
      epochs: null,
      steps: 2,
      stepsPerEpoch: null,
      batchSize: null,
      seed: 0,
      schedule: 'none',
      targetLoss: 0.5,
      lossScale: 'linear',
      plugins: [],
      dataDir: null,
    },
    surface: null,
    runs: [run('a, "quoted"', '#111', [1, 0.25, Number.NaN]), run('b', '#222', [2, 1, Number.POSITIVE_INFINITY])],
  };
}

describe('result files', () => {
  it('writes NaN as null and infinities as strings in JSON', () => {
    const json = JSON.parse(resultsJson(fakeResult()));
    expect(json.runs[0].steps.loss).toEqual([1, 0.25, null]);
    expect(json.runs[1].steps.loss).toEqual([2, 1, 'Infinity']);
  });

  it('quotes CSV cells that need it and leaves NaN empty', () => {
    const lines = resultsCsv(fakeResult()).trimEnd().split('\n');
    expect(lines).toHaveLength(7);
    expect(lines[1]).toBe('"a, ""quoted""",,step,0,,,1,1,,,,0.1,1,-1');
    expect(parseCsvLine(lines[3])).toEqual([
      'a, "quoted"',
      '',
      'step',
      '2',
      '',
      '',
      '',
      '',
      '',
      '',
      '',
      '0.1',
      '1',
      '-1',
    ]);
    expect(parseCsvLine(lines[6])[6]).toBe('Infinity');
  });

  it('keeps a text cell from being a spreadsheet formula, and numbers numbers', () => {
    for (const text of ['=x', '+1', '-a', '@sum', '\tx']) expect(csvCell(text)).toBe(`'${text}`);
    expect(csvCell('=HYPERLINK("x","y")')).toBe(`"'=HYPERLINK(""x"",""y"")"`);
    expect(csvCell('a=b')).toBe('a=b');
    expect(csvCell(-1)).toBe('-1');
    expect(csvCell(-0.25)).toBe('-0.25');
    const result = fakeResult();
    result.runs[0].label = '=x';
    expect(resultsCsv(result).split('\n')[1]).toMatch(/^'=x,/);
  });

  it('renders an aligned table', () => {
    const table = renderTable(fakeResult()).split('\n');
    expect(table[0]).toMatch(
      /^optimizer +status +f \(final \/ best\) +final \(x, y\) +steps to f <= 0.5 +time to target +time\/step$/,
    );
    expect(table[1]).toMatch(/^-+ +-+/);
    // A NaN or infinite final loss has no mean: '-' (diverged runs are flagged by their status).
    expect(table[2]).toMatch(/^a, "quoted" +ok +- \/ 0.25 +\(1, -1\) +1 +- +-$/);
    expect(table[3]).toMatch(/^b +ok +- \/ 1 +\(1, -1\) +not reached +not reached +-$/);
    expect(table[0].length).toBe(table[2].length);
  });

  it('formats numbers and durations', () => {
    expect(formatNumber(0.000012346)).toBe('1.235e-5');
    expect(formatNumber(123456)).toBe('1.235e5');
    expect(formatNumber(0.1234567)).toBe('0.1235');
    expect(formatNumber(null)).toBe('-');
    expect(formatDuration(850)).toBe('850ms');
    expect(formatDuration(12_345)).toBe('12.3s');
    expect(formatDuration(125_000)).toBe('2m05s');
  });
});

describe('the output directory', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'nabla-out-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('writes every file at once and replaces a previous output', () => {
    const out = join(dir, 'nested', 'out');
    writeOutDir(out, { 'report.html': 'one', 'results.json': '{}' });
    expect(readdirSync(out).sort()).toEqual(['report.html', 'results.json']);
    writeOutDir(out, { 'report.html': 'two' });
    expect(readdirSync(out)).toEqual(['report.html']);
    expect(readFileSync(join(out, 'report.html'), 'utf8')).toBe('two');
    expect(readdirSync(join(dir, 'nested'))).toEqual(['out']);
  });

  it('leaves nothing behind when writing fails', () => {
    const out = join(dir, 'out');
    expect(() => writeOutDir(out, { 'report.html': 'x', 'no/such/dir.csv': 'y' })).toThrow();
    expect(existsSync(out)).toBe(false);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('accepts a missing directory or a previous output, and refuses anything else', () => {
    expect(checkOutDir('fresh', dir)).toBe(join(dir, 'fresh'));
    mkdirSync(join(dir, 'prev'));
    writeFileSync(join(dir, 'prev', 'results.csv'), '');
    expect(checkOutDir('prev', dir)).toBe(join(dir, 'prev'));
    writeFileSync(join(dir, 'file'), '');
    expect(() => checkOutDir('file', dir)).toThrow(/--out: .*file exists and is not a directory/);
    expect(() => checkOutDir('.', dir)).toThrow(/holds files that nabla compare did not write \(file, prev\)/);
  });
});
