import { ValueError } from '@nablajs/core';
import { describe, expect, it } from 'vitest';
import { oneCycleLR } from './one-cycle-lr';
import { allClose, fakeOptimizer, groupValues, run } from './testing';

describe('oneCycleLR', () => {
  const linear = { maxLr: 1, totalSteps: 10, divFactor: 4, finalDivFactor: 5, annealStrategy: 'linear' } as const;
  const wantLr = [0.25, 0.625, 1, ...[1, 2, 3, 4, 5, 6, 7].map((k) => 1 + ((0.05 - 1) * k) / 7)];
  const wantMomentum = [0.95, 0.9, 0.85, ...[1, 2, 3, 4, 5, 6, 7].map((k) => 0.85 + (0.1 * k) / 7)];

  it('goes up from maxLr/divFactor to maxLr, then down to initial/finalDivFactor; momentum the other way', () => {
    const opt = fakeOptimizer([{ lr: 123, momentum: 0 }]);
    const s = oneCycleLR(opt, linear);
    const lrs = [opt.paramGroups[0].lr];
    const momenta = [opt.paramGroups[0].momentum as number];
    for (let t = 1; t < 10; t++) {
      s.step();
      lrs.push(opt.paramGroups[0].lr);
      momenta.push(opt.paramGroups[0].momentum as number);
    }
    expect(allClose(lrs, wantLr)).toBe(true);
    expect(allClose(momenta, wantMomentum)).toBe(true);
  });

  it('follows the cosine by default, as in PyTorch (first value 0.020000000000000018 for maxLr 0.5)', () => {
    const opt = fakeOptimizer([{ lr: 0.1, momentum: 0.9 }]);
    const rows = run(oneCycleLR(opt, { maxLr: 0.5, totalSteps: 50 }), 49).map((r) => r[0]);
    expect(rows[0]).toBe(0.020000000000000018);
    expect(rows[14]).toBe(0.5);
    expect(allClose([rows[49]], [0.5 / 25 / 1e4])).toBe(true);
  });

  it('has a three-phase variant: up, down to the initial value, then down to the minimum', () => {
    const opt = fakeOptimizer([{ lr: 0.1, momentum: 0.9 }]);
    const rows = run(oneCycleLR(opt, { maxLr: 1, totalSteps: 20, pctStart: 0.25, threePhase: true }), 19);
    expect(allClose(rows[4], [1])).toBe(true);
    expect(allClose(rows[8], [0.04])).toBe(true);
    expect(allClose(rows[19], [0.04 / 1e4])).toBe(true);
    expect(opt.paramGroups[0].momentum).toBe(0.95);
  });

  it('infers totalSteps from epochs * stepsPerEpoch', () => {
    const rows = run(
      oneCycleLR(fakeOptimizer([{ lr: 1, momentum: 0.9 }]), {
        ...linear,
        totalSteps: undefined,
        epochs: 2,
        stepsPerEpoch: 5,
      }),
      9,
    );
    expect(
      allClose(
        rows.map((r) => r[0]),
        wantLr,
      ),
    ).toBe(true);
  });

  it('allows totalSteps calls to step() and throws on the next one, changing nothing', () => {
    const opt = fakeOptimizer([{ lr: 1, momentum: 0.9 }]);
    const s = oneCycleLR(opt, linear);
    for (let i = 0; i < 10; i++) s.step();
    const lr = opt.paramGroups[0].lr;
    expect(() => s.step()).toThrow(ValueError);
    expect(() => s.step()).toThrow('oneCycleLR: step() was called 11 times, more than totalSteps (10)');
    expect(s.lastEpoch).toBe(10);
    expect(opt.paramGroups[0].lr).toBe(lr);
  });

  it('cycles betas[0] of Adam-like groups with a new array each time, keeping betas[1]', () => {
    const betas = Object.freeze([0.9, 0.999]);
    const opt = fakeOptimizer([{ lr: 1e-3, betas }]);
    const s = oneCycleLR(opt, linear);
    const seen = [opt.paramGroups[0].betas as number[]];
    for (let t = 1; t < 10; t++) {
      s.step();
      seen.push(opt.paramGroups[0].betas as number[]);
    }
    expect(betas).toEqual([0.9, 0.999]);
    expect(seen.every((b) => b !== betas && b.length === 2 && b[1] === 0.999)).toBe(true);
    expect(new Set(seen).size).toBe(10);
    expect(
      allClose(
        seen.map((b) => b[0]),
        wantMomentum,
      ),
    ).toBe(true);
    expect('momentum' in opt.paramGroups[0]).toBe(false);
  });

  it('needs momentum or betas to cycle momentum, unless cycleMomentum is false', () => {
    const opt = fakeOptimizer([{ lr: 1 }]);
    expect(() => oneCycleLR(opt, { maxLr: 1, totalSteps: 10 })).toThrow(
      'oneCycleLR: cycleMomentum is true, but paramGroups[0] has neither momentum nor betas; pass cycleMomentum: false',
    );
    const rows = run(oneCycleLR(opt, { ...linear, cycleMomentum: false }), 9);
    expect(
      allClose(
        rows.map((r) => r[0]),
        wantLr,
      ),
    ).toBe(true);
    expect(Object.keys(opt.paramGroups[0]).sort()).toEqual(['lr', 'params']);
  });

  it('takes per-group maxLr and momentum bounds', () => {
    const opt = fakeOptimizer([
      { lr: 1, momentum: 0 },
      { lr: 1, momentum: 0 },
    ]);
    oneCycleLR(opt, { maxLr: [1, 2], totalSteps: 10, divFactor: 4, maxMomentum: [0.9, 0.8] });
    expect(allClose(groupValues(opt), [0.25, 0.5])).toBe(true);
    expect(allClose(groupValues(opt, 'momentum'), [0.9, 0.8])).toBe(true);
  });

  it('throws where PyTorch divides by a phase of no length, and leaves the optimizer alone at construction', () => {
    const opt = fakeOptimizer([{ lr: 0.5, momentum: 0.3 }]);
    // pctStart · totalSteps = 1: the first phase ends at step 0 (torch: ZeroDivisionError in __init__).
    for (const threePhase of [false, true])
      expect(() => oneCycleLR(opt, { maxLr: 1, totalSteps: 10, pctStart: 0.1, threePhase })).toThrow(
        /^oneCycleLR: step 0 falls in phase 1 of [23], which has no length \(pctStart · totalSteps = 1\)/,
      );
    expect([opt.paramGroups[0].lr, opt.paramGroups[0].momentum]).toEqual([0.5, 0.3]);
    // pctStart = 1: the last phase is empty, reached at step totalSteps only (torch raises at that step).
    const s = oneCycleLR(opt, { maxLr: 1, totalSteps: 5, pctStart: 1, annealStrategy: 'linear' });
    for (let t = 1; t < 5; t++) s.step();
    expect(opt.paramGroups[0].lr).toBe(1);
    expect(() => s.step()).toThrow('oneCycleLR: step 5 falls in phase 2 of 2, which has no length');
    expect(s.lastEpoch).toBe(4);
    expect(opt.paramGroups[0].lr).toBe(1);
  });

  it('rejects bad options', () => {
    const opt = fakeOptimizer([{ lr: 1, momentum: 0.9 }]);
    expect(() => oneCycleLR(opt, { maxLr: 1 })).toThrow(
      'oneCycleLR: give either totalSteps, or both epochs and stepsPerEpoch',
    );
    expect(() => oneCycleLR(opt, { maxLr: 1, totalSteps: 0 })).toThrow(
      'oneCycleLR: totalSteps must be a positive integer, got 0',
    );
    expect(() => oneCycleLR(opt, { maxLr: 1, epochs: 2, stepsPerEpoch: 0 })).toThrow(
      'oneCycleLR: stepsPerEpoch must be a positive integer, got 0',
    );
    expect(() => oneCycleLR(opt, { maxLr: 1, totalSteps: 10, pctStart: 1.5 })).toThrow(
      'oneCycleLR: pctStart must be in [0, 1], got 1.5',
    );
    expect(() => oneCycleLR(opt, { maxLr: 1, totalSteps: 10, annealStrategy: 'exp' as never })).toThrow(
      `oneCycleLR: annealStrategy must be one of 'cos', 'linear', got "exp"`,
    );
    expect(() => oneCycleLR(opt, { maxLr: [1, 2], totalSteps: 10 })).toThrow(
      'oneCycleLR: maxLr must have one value per param group (1), got 2',
    );
    expect(() => oneCycleLR(opt, { maxLr: -1, totalSteps: 10 })).toThrow(
      'oneCycleLR: maxLr must be a positive number, got -1',
    );
    expect(() => oneCycleLR(opt, { maxLr: 1, totalSteps: 10, key: 'momentum' })).toThrow(
      "oneCycleLR: key 'momentum' conflicts with cycleMomentum; pass cycleMomentum: false",
    );
    expect(opt.paramGroups[0]).toMatchObject({ lr: 1, momentum: 0.9 });
  });
});
