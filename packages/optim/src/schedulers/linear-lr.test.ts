import { ValueError } from '@nablajs/core';
import { describe, expect, it } from 'vitest';
import { constantLR, linearLR, polynomialLR } from './linear-lr';
import { allClose, fakeOptimizer, run } from './testing';

describe('linearLR', () => {
  it('warms up linearly from startFactor to endFactor over totalIters, then stays', () => {
    const rows = run(linearLR(fakeOptimizer([{ lr: 1 }, { lr: 0.5 }]), { startFactor: 0.2, totalIters: 4 }), 6);
    const f = [0.2, 0.4, 0.6, 0.8, 1, 1, 1];
    expect(
      allClose(
        rows.map((r) => r[0]),
        f,
      ),
    ).toBe(true);
    expect(
      allClose(
        rows.map((r) => r[1]),
        f.map((x) => x * 0.5),
      ),
    ).toBe(true);
  });

  it('decays linearly, and defaults to startFactor 1/3, endFactor 1, totalIters 5', () => {
    const decay = run(linearLR(fakeOptimizer([{ lr: 1 }]), { startFactor: 1, endFactor: 0.5, totalIters: 2 }), 3);
    expect(
      allClose(
        decay.map((r) => r[0]),
        [1, 0.75, 0.5, 0.5],
      ),
    ).toBe(true);
    const defaults = run(linearLR(fakeOptimizer([{ lr: 3 }])), 6).map((r) => r[0]);
    expect(allClose(defaults, [1, 1.4, 1.8, 2.2, 2.6, 3, 3])).toBe(true);
  });

  it('rejects factors outside PyTorch ranges', () => {
    const opt = fakeOptimizer([{ lr: 1 }]);
    expect(() => linearLR(opt, { startFactor: 0 })).toThrow(ValueError);
    expect(() => linearLR(opt, { startFactor: 0 })).toThrow('linearLR: startFactor must be in (0, 1], got 0');
    expect(() => linearLR(opt, { endFactor: 1.5 })).toThrow('linearLR: endFactor must be in [0, 1], got 1.5');
    expect(() => linearLR(opt, { totalIters: 0 })).toThrow('linearLR: totalIters must be a positive integer, got 0');
  });
});

describe('constantLR', () => {
  it('scales by factor until totalIters, then restores the base value', () => {
    const rows = run(constantLR(fakeOptimizer([{ lr: 1 }]), { factor: 0.5, totalIters: 3 }), 5).map((r) => r[0]);
    expect(rows).toEqual([0.5, 0.5, 0.5, 1, 1, 1]);
    const defaults = run(constantLR(fakeOptimizer([{ lr: 3 }])), 6).map((r) => r[0]);
    expect(allClose(defaults, [1, 1, 1, 1, 1, 3, 3])).toBe(true);
  });

  it('rejects a factor of 0 (PyTorch would produce NaN) or above 1', () => {
    const opt = fakeOptimizer([{ lr: 1 }]);
    expect(() => constantLR(opt, { factor: 0 })).toThrow('constantLR: factor must be in (0, 1], got 0');
    expect(() => constantLR(opt, { factor: 2 })).toThrow('constantLR: factor must be in (0, 1], got 2');
  });
});

describe('polynomialLR', () => {
  it('decays along (1 - t/T)^power to 0 and stays there', () => {
    const rows = run(polynomialLR(fakeOptimizer([{ lr: 1 }]), { totalIters: 4, power: 2 }), 6).map((r) => r[0]);
    expect(allClose(rows, [1, 0.5625, 0.25, 0.0625, 0, 0, 0])).toBe(true);
    expect(rows[4]).toBe(0);
  });

  it('defaults to a linear decay over 5 epochs', () => {
    const rows = run(polynomialLR(fakeOptimizer([{ lr: 1 }])), 6).map((r) => r[0]);
    expect(allClose(rows, [1, 0.8, 0.6, 0.4, 0.2, 0, 0])).toBe(true);
  });

  it('rejects bad options', () => {
    const opt = fakeOptimizer([{ lr: 1 }]);
    expect(() => polynomialLR(opt, { totalIters: -2 })).toThrow(
      'polynomialLR: totalIters must be a positive integer, got -2',
    );
    expect(() => polynomialLR(opt, { power: -1 })).toThrow('polynomialLR: power must be a non-negative number, got -1');
  });
});
