// The statistics of a comparison over its seeds: quantiles, means and deviations, bands, the shuffled
// order, the aggregates (diverged runs left out, noisy timings flagged) and how the table writes them.
import { describe, expect, it } from 'vitest';
import type { CompareResult, EpochSeries, RunResult, RunStatus } from './results';
import { meanSd, median, pointwiseBand, quantile, relativeSpread } from './stats';
import { summarize } from './summarize';
import { formatMeanSd, formatTime, renderTable, summaryTable } from './table';
import { aggregateRuns, plotted, shuffled } from './trials';

describe('stats', () => {
  it('quantiles interpolate between order statistics and skip non-finite values', () => {
    expect(quantile([1, 2, 3, 4], 0.25)).toBe(1.75);
    expect(quantile([4, 3, 2, 1], 0.75)).toBe(3.25);
    expect(quantile([5], 0.9)).toBe(5);
    expect(quantile([Number.NaN, 2, Number.POSITIVE_INFINITY], 0.5)).toBe(2);
    expect(quantile([], 0.5)).toBeNaN();
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 2, 3])).toBe(2.5);
  });

  it('gives the mean and the sample standard deviation', () => {
    const s = meanSd([2, 4, 4, 4, 5, 5, 7, 9]);
    expect(s.mean).toBe(5);
    expect(s.sd).toBeCloseTo(Math.sqrt(32 / 7), 14);
    expect(s.n).toBe(8);
    expect(meanSd([3])).toEqual({ mean: 3, sd: null, n: 1 });
    expect(meanSd([Number.NaN])).toEqual({ mean: null, sd: null, n: 0 });
  });

  it('bands curves of different lengths index by index', () => {
    expect(
      pointwiseBand(
        [1, 2, 3],
        [
          [4, 2, 1],
          [6, 4],
          [5, 3, 2],
        ],
      ),
    ).toEqual({
      x: [1, 2, 3],
      median: [5, 3, 1.5],
      q1: [4.5, 2.5, 1.25],
      q3: [5.5, 3.5, 1.75],
    });
  });

  it('measures the relative spread of positive values', () => {
    expect(relativeSpread([1, 1.1, 1.3])).toBeCloseTo(0.3, 14);
    expect(relativeSpread([2])).toBeNull();
    expect(relativeSpread([2, Number.NaN])).toBeNull();
  });
});

describe('the run order', () => {
  it('is a permutation fixed by the seed', () => {
    const items = Array.from({ length: 20 }, (_, i) => i);
    const a = shuffled(items, 0);
    expect([...a].sort((p, q) => p - q)).toEqual(items);
    expect(shuffled(items, 0)).toEqual(a);
    expect(shuffled(items, 1)).not.toEqual(a);
    expect(a).not.toEqual(items);
    expect(items).toEqual(Array.from({ length: 20 }, (_, i) => i));
  });
});

describe('formatting', () => {
  it('writes mean ± sd to the precision of the deviation', () => {
    expect(formatMeanSd({ mean: 0.12345, sd: 0.0041, n: 3 })).toBe('0.123 ± 0.004');
    expect(formatMeanSd({ mean: 0.12345, sd: 0.0141, n: 3 })).toBe('0.123 ± 0.014');
    expect(formatMeanSd({ mean: 123.4, sd: 25, n: 3 })).toBe('123 ± 25');
    expect(formatMeanSd({ mean: 0.9517, sd: 0.0032, n: 3 }, 'percent')).toBe('95.2 ± 0.3%');
    expect(formatMeanSd({ mean: 0.83, sd: 0.016, n: 3 }, 'percent')).toBe('83.0 ± 1.6%');
    expect(formatMeanSd({ mean: 1.5e-7, sd: 2e-8, n: 3 })).toBe('1.5e-7 ± 2e-8');
    expect(formatMeanSd({ mean: 0.2182, sd: null, n: 1 })).toBe('0.2182');
    expect(formatMeanSd({ mean: 0.5, sd: 0, n: 2 })).toBe('0.5 ± 0');
    expect(formatMeanSd({ mean: null, sd: null, n: 0 })).toBe('-');
    expect(formatMeanSd(null)).toBe('-');
  });

  it('writes times below 10 ms with two significant digits', () => {
    expect(formatTime(0.3412)).toBe('0.34ms');
    expect(formatTime(2.314)).toBe('2.31ms');
    expect(formatTime(45.21)).toBe('45.2ms');
    expect(formatTime(1234)).toBe('1.2s');
    expect(formatTime(Number.NaN)).toBe('-');
  });
});

const noEpochs = (): EpochSeries => ({
  epoch: [],
  step: [],
  loss: [],
  accuracy: [],
  valLoss: [],
  valAccuracy: [],
  lr: [],
});

/** A 2-D function run of f values at steps 0, 1, ..., timed at `stepMs` per step. */
function fakeRun(label: string, seed: number, loss: number[], status: RunStatus, stepMs: number): RunResult {
  const steps = {
    step: loss.map((_, i) => i),
    loss,
    smoothedLoss: loss,
    lr: loss.map(() => 0.1),
    x: loss.map((_, i) => i),
    y: loss.map(() => 0),
    timeMs: loss.map((_, i) => i * stepMs),
  };
  return {
    label,
    seed,
    status,
    divergedAt: status === 'diverged' ? loss.length - 1 : null,
    optimizer: 'sgd',
    hyperparams: { lr: 0.1 },
    color: '#123456',
    steps,
    epochs: noEpochs(),
    summary: summarize({
      steps,
      epochs: noEpochs(),
      stepCount: loss.length - 1,
      wallTimeMs: (loss.length - 1) * stepMs,
      stopReason: status === 'diverged' ? `diverged: f is NaN at step ${loss.length - 1}` : null,
      targetLoss: 0.5,
      stepTimesMs: loss.slice(1).map(() => stepMs),
    }),
  };
}

function fakeResult(runs: RunResult[]): CompareResult {
  return {
    tool: 'nabla compare',
    version: '0.0.0',
    command: 'nabla compare',
    createdAt: '2024-01-01T00:00:00.000Z',
    environment: 'test',
    task: { name: 't', kind: 'function', description: 'd', details: [], classification: false },
    settings: {
      epochs: null,
      steps: 6,
      stepsPerEpoch: null,
      batchSize: null,
      seed: 0,
      seeds: [0, 1, 2],
      divergeFactor: 10,
      schedule: 'none',
      targetLoss: 0.5,
      lossScale: 'linear',
      plugins: [],
      dataDir: null,
    },
    surface: null,
    runs,
  };
}

describe('aggregates', () => {
  const runs = [
    fakeRun('a', 0, [2, 1, 0.4, 0.3, 0.2, 0.1, 0.05], 'ok', 1),
    fakeRun('a', 1, [2, 5, 40, Number.NaN], 'diverged', 1),
    fakeRun('a', 2, [2, 1.5, 1, 0.8, 0.6, 0.45, 0.4], 'ok', 1.1),
    fakeRun('b', 0, [2, 1, 0.9, 0.8, 0.7, 0.6, 0.55], 'ok', 1),
    fakeRun('b', 1, [2, 1, 0.9, 0.8, 0.7, 0.6, 0.5], 'ok', 2),
    fakeRun('b', 2, [2, 1, 0.9, 0.8, 0.7, 0.6, 0.45], 'ok', 1),
  ];
  const result = fakeResult(runs);
  const [a, b] = aggregateRuns(result);

  it('leaves diverged runs out of the means, medians and curves, and counts them', () => {
    expect(a.seeds).toEqual([0, 1, 2]);
    expect(a.diverged).toEqual([1]);
    expect(a.finalLoss).toEqual({ mean: 0.225, sd: expect.closeTo(Math.sqrt(2 * 0.175 ** 2), 12), n: 2 });
    // steps to f <= 0.5: 2 (seed 0) and 5 (seed 2); the diverged seed never counts
    expect(a.stepsToTarget).toEqual({ median: 3.5, reached: 2, of: 3 });
    expect(a.timeToTargetMs).toEqual({ median: expect.closeTo((2 + 5.5) / 2, 12), reached: 2, of: 3 });
    a.curves.loss.median.forEach((m, i) => {
      expect(m).toBeCloseTo([2, 1.25, 0.7, 0.55, 0.4, 0.275, 0.225][i], 14);
    });
    expect(a.curves.loss.x).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(a.finalPoint).toEqual([6, 0]);
    expect(b.diverged).toEqual([]);
    expect(b.stepsToTarget).toEqual({ median: 6, reached: 2, of: 3 });
  });

  it('cuts a diverged run before its last step when drawn', () => {
    expect(plotted(runs[1])).toEqual({ steps: 3, epochs: 0 });
    expect(plotted(runs[0])).toEqual({ steps: 7, epochs: 0 });
  });

  it('flags an optimizer whose median step times spread by more than 25%', () => {
    expect(a.stepTime).toEqual({ medianMs: 1.05, samplesMs: [1, 1.1], spread: expect.closeTo(0.1, 12), noisy: false });
    expect(b.stepTime.samplesMs).toEqual([1, 2, 1]);
    expect(b.stepTime.spread).toBe(1);
    expect(b.stepTime.noisy).toBe(true);
    expect(b.stepTime.medianMs).toBe(1);
  });

  it('counts a timing repeat with one seed', () => {
    const one = fakeResult([fakeRun('c', 0, [2, 1, 0.4, 0.3, 0.2, 0.1], 'ok', 1)]);
    one.timing = { warmUp: null, repeats: [{ label: 'c', steps: 5, medianStepMs: 1.2 }], spreadThreshold: 0.25 };
    expect(aggregateRuns(one)[0].stepTime).toMatchObject({ samplesMs: [1, 1.2], noisy: false });
    one.timing.repeats[0].medianStepMs = 1.3;
    expect(aggregateRuns(one)[0].stepTime).toMatchObject({ samplesMs: [1, 1.3], noisy: true });
  });

  it('shows it all in the table: status k/N diverged, mean ± sd, k/N to target, * for noisy times', () => {
    const text = renderTable(result);
    const lines = text.split('\n');
    expect(lines[0]).toMatch(
      /^optimizer +status +f \(final \/ best\) +final \(x, y\) +steps to f <= 0.5 +time to target +time\/step$/,
    );
    expect(lines[2]).toMatch(
      /^a +1\/3 diverged +0\.2 ± 0\.2 \/ 0\.2 ± 0\.2 +\(6, 0\) +3\.5 \(2\/3\) +3\.75ms \(2\/3\) +1\.05ms$/,
    );
    expect(lines[3]).toMatch(
      /^b +ok +0\.50 ± 0\.05 \/ 0\.50 ± 0\.05 +\(6, 0\) +6 \(2\/3\) +9\.00ms \(2\/3\) +1\.00ms\*$/,
    );
    expect(text).toContain('note: a diverged on 1 of 3 seeds (seed 1 at step 3); those runs are left out.');
    expect(text).toContain('note: * the median step time of b varied by 100% between seeds (1.00ms to 2.00ms)');
    const table = summaryTable(result);
    expect(table.notes).toHaveLength(2);
  });

  it('reads results written before --seeds (one run per optimizer, no seed or status)', () => {
    const old = fakeResult([fakeRun('a', 0, [2, 1, 0.4], 'ok', 1)]);
    delete old.runs[0].seed;
    delete old.runs[0].status;
    delete old.settings.seeds;
    const [agg] = aggregateRuns(old);
    expect(agg.seeds).toEqual([0]);
    expect(agg.finalLoss).toEqual({ mean: 0.4, sd: null, n: 1 });
    expect(renderTable(old).split('\n')[2]).toMatch(/^a +ok +0\.4 \/ 0\.4 /);
  });
});
