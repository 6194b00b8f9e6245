import { ValueError } from '@nablajs/core';
import { describe, expect, it } from 'vitest';
import { reduceLROnPlateau } from './reduce-lr-on-plateau';
import { fakeOptimizer, groupValues } from './testing';

function feed(s: { step(m: number): void; getLastLr(): number[] }, metrics: number[]): number[][] {
  return metrics.map((m) => {
    s.step(m);
    return s.getLastLr();
  });
}

describe('reduceLROnPlateau', () => {
  it('reduces once the bad epochs exceed patience (strictly), then resets the count', () => {
    const opt = fakeOptimizer([{ lr: 1 }]);
    const s = reduceLROnPlateau(opt, { factor: 0.5, patience: 2, threshold: 0 });
    expect(s.getLastLr()).toEqual([1]);
    expect(s.lastEpoch).toBe(0);
    const rows = feed(s, [10, 9, 9, 9, 9, 9, 9, 8, 8, 8, 8]).map((r) => r[0]);
    expect(rows).toEqual([1, 1, 1, 1, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.25]);
    expect(s.lastEpoch).toBe(11);
  });

  it('ignores bad epochs during the cooldown', () => {
    const s = reduceLROnPlateau(fakeOptimizer([{ lr: 1 }]), { factor: 0.5, patience: 0, cooldown: 2 });
    expect(feed(s, [5, 5, 5, 5, 5, 5]).map((r) => r[0])).toEqual([1, 0.5, 0.5, 0.5, 0.25, 0.25]);
  });

  it('clamps at minLr per group and skips reductions smaller than eps', () => {
    const opt = fakeOptimizer([{ lr: 1 }, { lr: 1 }, { lr: 1.5e-8 }]);
    const s = reduceLROnPlateau(opt, { factor: 0.5, patience: 0, minLr: [0.3, 0, 0] });
    expect(feed(s, [1, 1, 1, 1])).toEqual([
      [1, 1, 1.5e-8],
      [0.5, 0.5, 1.5e-8],
      [0.3, 0.25, 1.5e-8],
      [0.3, 0.125, 1.5e-8],
    ]);
  });

  it('measures improvement relative or absolute, for min and max', () => {
    // min, rel: 9.5 is not below 10 * (1 - 0.1) = 9, so it is a bad epoch.
    const rel = reduceLROnPlateau(fakeOptimizer([{ lr: 1 }]), { threshold: 0.1, patience: 0, factor: 0.5 });
    expect(feed(rel, [10, 9.5, 8.9]).map((r) => r[0])).toEqual([1, 0.5, 0.5]);
    // max, abs: 1.5 is not above 1 + 1; 3 is.
    const abs = reduceLROnPlateau(fakeOptimizer([{ lr: 1 }]), { mode: 'max', thresholdMode: 'abs', threshold: 1 });
    feed(abs, [1, 1.5]);
    expect(abs.stateDict()).toMatchObject({ best: 1, numBadEpochs: 1 });
    feed(abs, [3]);
    expect(abs.stateDict()).toMatchObject({ best: 3, numBadEpochs: 0 });
  });

  it('uses the defaults of PyTorch: min mode, factor 0.1, patience 10', () => {
    const opt = fakeOptimizer([{ lr: 1 }]);
    const s = reduceLROnPlateau(opt);
    feed(s, new Array(11).fill(1));
    expect(groupValues(opt)).toEqual([1]);
    s.step(1);
    expect(groupValues(opt)).toEqual([0.1]);
  });

  it('keeps a JSON-safe state with an infinite best', () => {
    const s = reduceLROnPlateau(fakeOptimizer([{ lr: 1 }]), { mode: 'max' });
    const state = JSON.parse(JSON.stringify(s.stateDict()));
    expect(state.best).toBe('-inf');
    const fresh = reduceLROnPlateau(fakeOptimizer([{ lr: 1 }]), { mode: 'max' });
    fresh.loadStateDict(state);
    expect(fresh.stateDict()).toEqual(s.stateDict());
  });

  it('rejects bad options and metrics', () => {
    const opt = fakeOptimizer([{ lr: 1 }, { lr: 1 }]);
    expect(() => reduceLROnPlateau(opt, { factor: 1 })).toThrow(ValueError);
    expect(() => reduceLROnPlateau(opt, { factor: 1 })).toThrow('reduceLROnPlateau: factor must be in [0, 1), got 1');
    expect(() => reduceLROnPlateau(opt, { mode: 'avg' as never })).toThrow(
      `reduceLROnPlateau: mode must be one of 'min', 'max', got "avg"`,
    );
    expect(() => reduceLROnPlateau(opt, { patience: -1 })).toThrow(
      'reduceLROnPlateau: patience must be a non-negative integer, got -1',
    );
    expect(() => reduceLROnPlateau(opt, { thresholdMode: 'pct' as never })).toThrow(
      `reduceLROnPlateau: thresholdMode must be one of 'rel', 'abs', got "pct"`,
    );
    expect(() => reduceLROnPlateau(opt, { minLr: [0.1] })).toThrow(
      'reduceLROnPlateau: minLr must have one value per param group (2), got 1',
    );
    const s = reduceLROnPlateau(opt);
    expect(() => s.step('low' as never)).toThrow('reduceLROnPlateau: step(metric) needs a number, got "low"');
    expect(s.lastEpoch).toBe(0);
  });
});
