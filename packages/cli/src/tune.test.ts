import { describe, expect, it } from 'vitest';
import {
  axisPoints,
  bestTrial,
  candidates,
  gridSize,
  parseTuneSpace,
  TUNING_SEED_OFFSET,
  trialScore,
  tuningSeeds,
} from './tune';
import { UsageError } from './usage-error';

describe('parseTuneSpace', () => {
  it('reads ranges, lists, scales, counts, an optimizer prefix and snake_case names', () => {
    const s = parseTuneSpace('adam:lr=1e-4..1e-1:log:8;weight_decay=0,0.01');
    expect(s.optimizer).toBe('adam');
    expect(s.axes).toEqual([
      { kind: 'range', name: 'lr', lo: 1e-4, hi: 0.1, scale: 'log', count: 8 },
      { kind: 'list', name: 'weightDecay', values: [0, 0.01] },
    ]);
    expect(parseTuneSpace('lr=1e-3..1e-1').axes[0]).toMatchObject({ scale: 'log', count: 5 });
    expect(parseTuneSpace('momentum=0..0.9:4').axes[0]).toMatchObject({ scale: 'linear', count: 4, lo: 0 });
    expect(parseTuneSpace('lr=0.1..0.5:linear').axes[0]).toMatchObject({ scale: 'linear' });
    expect(parseTuneSpace(' lr=0.1,0.2 ').optimizer).toBeNull();
    expect(parseTuneSpace('momentum@sgd:lr=0.1,0.2').optimizer).toBe('momentum@sgd');
  });

  const bad: [string, RegExp][] = [
    ['', /no hyperparameter to tune/],
    ['lr', /expected name=lo\.\.hi/],
    ['lr=0.1..0.01', /needs low < high, got 0.1\.\.0.01/],
    ['lr=0..1:log', /a log range needs a positive low end/],
    ['lr=1e-3..1:1', /count must be an integer in \[2, 100\], got 1/],
    ['lr=1e-3..1:500', /count must be an integer in \[2, 100\]/],
    ['lr=1e-3..1:cubic', /unknown range modifier "cubic"/],
    ['lr=1e-3..1:log:log', /gives its scale twice/],
    ['lr=a..1', /the low end of lr must be a finite number, got "a"/],
    ['lr=0.1,nan', /a value of lr must be a finite number/],
    ['lr=0.1,0.1', /lists a value twice/],
    ['lr=0.1;lr=0.2', /lr is tuned twice/],
    ['1lr=0.1', /invalid hyperparameter name "1lr"/],
    ['lr=1..2..3', /malformed range/],
  ];
  for (const [text, message] of bad)
    it(`rejects ${JSON.stringify(text)} with a usage error`, () => {
      expect(() => parseTuneSpace(text)).toThrow(UsageError);
      expect(() => parseTuneSpace(text)).toThrow(message);
    });
});

describe('grid and random candidates', () => {
  it('spaces log ranges evenly in log space, ends exact', () => {
    expect(axisPoints({ kind: 'range', name: 'lr', lo: 1e-4, hi: 1e-1, scale: 'log', count: 4 })).toEqual([
      1e-4, 1e-3, 1e-2, 1e-1,
    ]);
    expect(axisPoints({ kind: 'range', name: 'm', lo: 0, hi: 0.9, scale: 'linear', count: 4 })).toEqual([
      0, 0.3, 0.6, 0.9,
    ]);
  });

  it('gives the whole grid within the budget, in order', () => {
    const space = parseTuneSpace('lr=1e-3..1e-1:3;momentum=0,0.9');
    expect(gridSize(space)).toBe(6);
    expect(candidates(space, 'grid', 16, 0)).toEqual([
      { lr: 1e-3, momentum: 0 },
      { lr: 1e-3, momentum: 0.9 },
      { lr: 0.01, momentum: 0 },
      { lr: 0.01, momentum: 0.9 },
      { lr: 0.1, momentum: 0 },
      { lr: 0.1, momentum: 0.9 },
    ]);
  });

  it('samples distinct grid points from the seed when the grid exceeds the budget', () => {
    const space = parseTuneSpace('lr=1e-4..1:9;momentum=0,0.5,0.9');
    const a = candidates(space, 'grid', 5, 3);
    expect(a).toHaveLength(5);
    expect(new Set(a.map((s) => JSON.stringify(s))).size).toBe(5);
    expect(candidates(space, 'grid', 5, 3)).toEqual(a);
    expect(candidates(space, 'grid', 5, 4)).not.toEqual(a);
    const grid = candidates(space, 'grid', 1000, 0).map((s) => JSON.stringify(s));
    for (const s of a) expect(grid).toContain(JSON.stringify(s));
  });

  it('draws random settings inside the ranges, log-uniformly for log ranges', () => {
    const space = parseTuneSpace('lr=1e-4..1e-1;beta=0.8,0.9');
    const draws = candidates(space, 'random', 400, 1);
    expect(draws).toHaveLength(400);
    for (const d of draws) {
      expect(d.lr).toBeGreaterThanOrEqual(1e-4);
      expect(d.lr).toBeLessThanOrEqual(1e-1);
      expect([0.8, 0.9]).toContain(d.beta);
    }
    // Log-uniform: about a third of the draws in each decade.
    const low = draws.filter((d) => d.lr < 1e-3).length;
    expect(low).toBeGreaterThan(90);
    expect(low).toBeLessThan(180);
    expect(() => candidates(space, 'random', 0, 1)).toThrow(/--tune-budget: expected an integer >= 1/);
  });
});

describe('tuning seeds and selection', () => {
  it('tunes on seeds disjoint from the reported ones', () => {
    const tuning = tuningSeeds(7, 3);
    expect(tuning).toEqual([7 + TUNING_SEED_OFFSET, 8 + TUNING_SEED_OFFSET, 9 + TUNING_SEED_OFFSET]);
    const reported = Array.from({ length: 100 }, (_, k) => 7 + k);
    for (const s of tuning) expect(reported).not.toContain(s);
  });

  it('picks the lowest mean metric, never a setting that diverged on a tuning seed', () => {
    const trials = [
      { setting: { lr: 1 }, metrics: [0.01, Number.NaN] },
      { setting: { lr: 0.1 }, metrics: [0.4, 0.2] },
      { setting: { lr: 0.01 }, metrics: [0.3, 0.3] },
      { setting: { lr: 0.001 }, metrics: [0.3, 0.3] },
    ];
    expect(trialScore(trials[0])).toBe(Number.POSITIVE_INFINITY);
    expect(trialScore(trials[1])).toBeCloseTo(0.3, 12);
    // 0.1 and 0.01 tie at 0.3 (up to rounding of the mean): the first listed wins on an exact tie.
    expect(bestTrial([trials[2], trials[3]])).toBe(0);
    expect(bestTrial(trials)).toBe(trialScore(trials[1]) <= 0.3 ? 1 : 2);
    expect(bestTrial([trials[0]])).toBe(-1);
  });
});
