import { ValueError } from '@nablajs/core';
import { describe, expect, it } from 'vitest';
import { cyclicLR } from './cyclic-lr';
import { allClose, fakeOptimizer, groupValues, run } from './testing';

describe('cyclicLR', () => {
  it('cycles the lr along triangles between baseLr and maxLr, and momentum inversely', () => {
    const opt = fakeOptimizer([{ lr: 0.5, momentum: 0 }]);
    const s = cyclicLR(opt, { baseLr: 1, maxLr: 3, stepSizeUp: 2 });
    const lrs = [opt.paramGroups[0].lr];
    const momenta = [opt.paramGroups[0].momentum as number];
    for (let t = 1; t <= 8; t++) {
      s.step();
      lrs.push(opt.paramGroups[0].lr);
      momenta.push(opt.paramGroups[0].momentum as number);
    }
    expect(allClose(lrs, [1, 2, 3, 2, 1, 2, 3, 2, 1])).toBe(true);
    expect(allClose(momenta, [0.9, 0.85, 0.8, 0.85, 0.9, 0.85, 0.8, 0.85, 0.9])).toBe(true);
  });

  it('halves the amplitude every cycle in triangular2 mode', () => {
    const opt = fakeOptimizer([{ lr: 1, momentum: 0.9 }]);
    const rows = run(cyclicLR(opt, { baseLr: 1, maxLr: 3, stepSizeUp: 2, mode: 'triangular2' }), 10).map((r) => r[0]);
    expect(allClose(rows, [1, 2, 3, 2, 1, 1.5, 2, 1.5, 1, 1.25, 1.5])).toBe(true);
  });

  it('scales the amplitude by gamma^t in exp_range mode', () => {
    const opt = fakeOptimizer([{ lr: 1, momentum: 0.9 }]);
    const rows = run(cyclicLR(opt, { baseLr: 1, maxLr: 3, stepSizeUp: 2, mode: 'exp_range', gamma: 0.5 }), 3);
    expect(
      allClose(
        rows.map((r) => r[0]),
        [1, 1.5, 1.5, 1.125],
      ),
    ).toBe(true);
  });

  it('supports asymmetric cycles and custom scale functions', () => {
    const asym = run(
      cyclicLR(fakeOptimizer([{ lr: 1, momentum: 0.9 }]), { baseLr: 1, maxLr: 3, stepSizeUp: 1, stepSizeDown: 3 }),
      4,
    );
    expect(
      allClose(
        asym.map((r) => r[0]),
        [1, 3, 1 + 4 / 3, 1 + 2 / 3, 1],
      ),
    ).toBe(true);
    const custom = cyclicLR(fakeOptimizer([{ lr: 1, momentum: 0.9 }]), {
      baseLr: 1,
      maxLr: 3,
      stepSizeUp: 2,
      scaleFn: (x) => 1 / (x + 1),
      scaleMode: 'iterations',
    });
    expect(
      allClose(
        run(custom, 2).map((r) => r[0]),
        [1, 1.5, 1 + 2 / 3],
      ),
    ).toBe(true);
  });

  it('cycles betas[0] of Adam-like groups with a new array, keeping betas[1]', () => {
    const betas = Object.freeze([0.5, 0.99]);
    const opt = fakeOptimizer([{ lr: 1, betas }]);
    const s = cyclicLR(opt, { baseLr: 1, maxLr: 3, stepSizeUp: 2 });
    expect(opt.paramGroups[0].betas).toEqual([0.9, 0.99]);
    s.step();
    expect(opt.paramGroups[0].betas).not.toBe(betas);
    expect(allClose(opt.paramGroups[0].betas as number[], [0.85, 0.99])).toBe(true);
    expect(betas).toEqual([0.5, 0.99]);
  });

  it('takes per-group bounds and can leave momentum alone', () => {
    const opt = fakeOptimizer([{ lr: 1 }, { lr: 1 }]);
    const s = cyclicLR(opt, { baseLr: [1, 2], maxLr: [3, 6], stepSizeUp: 2, cycleMomentum: false });
    s.step();
    expect(allClose(groupValues(opt), [2, 4])).toBe(true);
    expect('momentum' in opt.paramGroups[0]).toBe(false);
  });

  it('rejects bad options', () => {
    const opt = fakeOptimizer([{ lr: 1, momentum: 0.9 }]);
    expect(() => cyclicLR(opt, { baseLr: 1, maxLr: 2, stepSizeUp: 0 })).toThrow(ValueError);
    expect(() => cyclicLR(opt, { baseLr: 1, maxLr: 2, stepSizeUp: 0 })).toThrow(
      'cyclicLR: stepSizeUp must be a positive number, got 0',
    );
    expect(() => cyclicLR(opt, { baseLr: 1, maxLr: 2, mode: 'foo' as never })).toThrow(
      `cyclicLR: mode must be one of 'triangular', 'triangular2', 'exp_range', got "foo"`,
    );
    expect(() => cyclicLR(opt, { maxLr: 2 } as never)).toThrow(
      'cyclicLR: baseLr must be a finite number, got undefined',
    );
    expect(() => cyclicLR(opt, { baseLr: 1, maxLr: 2, scaleFn: 3 as never })).toThrow(
      'cyclicLR: scaleFn must be a function, got 3',
    );
    expect(() => cyclicLR(fakeOptimizer([{ lr: 1 }]), { baseLr: 1, maxLr: 2 })).toThrow(
      'cyclicLR: cycleMomentum is true, but paramGroups[0] has neither momentum nor betas; pass cycleMomentum: false',
    );
    expect(opt.paramGroups[0]).toMatchObject({ lr: 1, momentum: 0.9 });
  });
});
