import { ValueError } from '@nablajs/core';
import { describe, expect, it } from 'vitest';
import { cosineAnnealingLR, cosineAnnealingWarmRestarts } from './cosine-annealing';
import { allClose, fakeOptimizer, run } from './testing';

const closed = (base: number, etaMin: number, t: number, tMax: number) =>
  etaMin + ((base - etaMin) * (1 + Math.cos((Math.PI * t) / tMax))) / 2;

describe('cosineAnnealingLR', () => {
  it('follows the closed form, reaches etaMin at tMax and rises again past it (period 2 tMax)', () => {
    const rows = run(cosineAnnealingLR(fakeOptimizer([{ lr: 1 }]), { tMax: 4 }), 12).map((r) => r[0]);
    const want = rows.map((_, t) => closed(1, 0, t, 4));
    expect(allClose(rows, want)).toBe(true);
    expect(rows[4]).toBe(0);
    expect(rows[6]).toBeCloseTo(0.5, 14);
    expect(rows[8]).toBeCloseTo(1, 14);
  });

  it('anneals each group from its own base to etaMin', () => {
    const rows = run(cosineAnnealingLR(fakeOptimizer([{ lr: 0.1 }, { lr: 0.3 }]), { tMax: 10, etaMin: 0.01 }), 25);
    for (let t = 0; t <= 25; t++) {
      expect(allClose(rows[t], [closed(0.1, 0.01, t, 10), closed(0.3, 0.01, t, 10)])).toBe(true);
    }
  });

  it('rejects bad options', () => {
    const opt = fakeOptimizer([{ lr: 1 }]);
    expect(() => cosineAnnealingLR(opt, { tMax: 0 })).toThrow(ValueError);
    expect(() => cosineAnnealingLR(opt, { tMax: 0 })).toThrow(
      'cosineAnnealingLR: tMax must be a positive number, got 0',
    );
    expect(() => cosineAnnealingLR(opt, { tMax: 5, etaMin: Number.NaN })).toThrow(
      'cosineAnnealingLR: etaMin must be a finite number, got NaN',
    );
  });
});

describe('cosineAnnealingWarmRestarts', () => {
  it('restarts at exactly the base value after T_0, T_0 T_mult, ... epochs', () => {
    const rows = run(cosineAnnealingWarmRestarts(fakeOptimizer([{ lr: 1 }]), { t0: 2, tMult: 2 }), 14).map((r) => r[0]);
    const want = [
      1,
      closed(1, 0, 1, 2),
      1,
      closed(1, 0, 1, 4),
      closed(1, 0, 2, 4),
      closed(1, 0, 3, 4),
      1,
      ...[1, 2, 3, 4, 5, 6, 7].map((c) => closed(1, 0, c, 8)),
      1,
    ];
    expect(allClose(rows, want)).toBe(true);
    expect([rows[0], rows[2], rows[6], rows[14]]).toEqual([1, 1, 1, 1]);
  });

  it('keeps a constant period with the default tMult = 1, down to etaMin', () => {
    const rows = run(cosineAnnealingWarmRestarts(fakeOptimizer([{ lr: 1 }]), { t0: 3, etaMin: 0.1 }), 6).map(
      (r) => r[0],
    );
    const period = [1, closed(1, 0.1, 1, 3), closed(1, 0.1, 2, 3)];
    expect(allClose(rows, [...period, ...period, 1])).toBe(true);
  });

  it('accepts a fractional epoch, as PyTorch step(epoch + i / iters)', () => {
    const opt = fakeOptimizer([{ lr: 1 }]);
    const s = cosineAnnealingWarmRestarts(opt, { t0: 5, tMult: 2 });
    s.step(2.5);
    expect(allClose(s.getLastLr(), [closed(1, 0, 2.5, 5)])).toBe(true);
    expect(s.lastEpoch).toBe(2);
    // epoch 25 lies in the third cycle: T_i = 20, T_cur = 25 - 5 - 10 = 10.
    s.step(25);
    expect(allClose(s.getLastLr(), [0.5])).toBe(true);
    s.step();
    expect(allClose(s.getLastLr(), [closed(1, 0, 11, 20)])).toBe(true);
    expect(s.lastEpoch).toBe(26);
    expect(() => s.step(-1)).toThrow('cosineAnnealingWarmRestarts: epoch must be a non-negative number, got -1');
  });

  it('rejects bad options', () => {
    const opt = fakeOptimizer([{ lr: 1 }]);
    expect(() => cosineAnnealingWarmRestarts(opt, { t0: 0 })).toThrow(
      'cosineAnnealingWarmRestarts: t0 must be a positive integer, got 0',
    );
    expect(() => cosineAnnealingWarmRestarts(opt, { t0: 2, tMult: 1.5 })).toThrow(
      'cosineAnnealingWarmRestarts: tMult must be a positive integer, got 1.5',
    );
  });
});
