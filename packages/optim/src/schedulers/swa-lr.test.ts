import { ValueError } from '@nablajs/core';
import { describe, expect, it } from 'vitest';
import { cosineAnnealingLR } from './cosine-annealing';
import { sequentialLR } from './sequential-lr';
import { swaLR } from './swa-lr';
import { allClose, fakeOptimizer, groupValues, run } from './testing';

const cosAlpha = (t: number) => (1 - Math.cos(Math.PI * Math.min(1, t))) / 2;

describe('swaLR', () => {
  it('anneals from the starting value to swaLr along half a cosine over annealEpochs, then holds', () => {
    const rows = run(swaLR(fakeOptimizer([{ lr: 0.1 }]), { swaLr: 0.01, annealEpochs: 4 }), 8).map((r) => r[0]);
    const want = rows.map((_, s) => 0.01 * cosAlpha(s / 4) + 0.1 * (1 - cosAlpha(s / 4)));
    expect(allClose(rows, want)).toBe(true);
    expect(rows[0]).toBe(0.1); // construction leaves the value alone
    expect(rows.slice(4)).toEqual([0.01, 0.01, 0.01, 0.01, 0.01]);
  });

  it('anneals linearly, per group, upwards as well as downwards, with one swaLr per group', () => {
    const opt = fakeOptimizer([{ lr: 1 }, { lr: 0.2 }]);
    const rows = run(swaLR(opt, { swaLr: [0.5, 0.6], annealEpochs: 2, annealStrategy: 'linear' }), 3);
    expect(allClose(rows[1], [0.75, 0.4])).toBe(true);
    expect(rows[2]).toEqual([0.5, 0.6]);
    expect(rows[3]).toEqual([0.5, 0.6]);
    expect(groupValues(opt)).toEqual([0.5, 0.6]);
  });

  it('with annealEpochs 0, sets swaLr at construction; with 1, at the first step', () => {
    const zero = fakeOptimizer([{ lr: 0.1 }]);
    swaLR(zero, { swaLr: 0.03, annealEpochs: 0 });
    expect(groupValues(zero)).toEqual([0.03]);
    const one = run(swaLR(fakeOptimizer([{ lr: 0.1 }]), { swaLr: 0.03, annealEpochs: 1 }), 2).map((r) => r[0]);
    expect(one).toEqual([0.1, 0.03, 0.03]);
  });

  it('starts from whatever value another scheduler left (it backs the start out of the current value)', () => {
    const opt = fakeOptimizer([{ lr: 0.1 }]);
    const cosine = cosineAnnealingLR(opt, { tMax: 10 });
    const swa = swaLR(opt, { swaLr: 0.02, annealEpochs: 2, annealStrategy: 'linear' });
    for (let i = 0; i < 5; i++) cosine.step();
    const start = groupValues(opt)[0];
    expect(start).toBeCloseTo(0.05, 15);
    swa.step(); // s = 1: half way from the cosine's value
    expect(groupValues(opt)[0]).toBeCloseTo((start + 0.02) / 2, 15);
    swa.step();
    expect(groupValues(opt)[0]).toBeCloseTo(0.02, 15);
  });

  it('counts its own steps inside sequentialLR: the switch is its second step, as in PyTorch', () => {
    const opt = fakeOptimizer([{ lr: 1 }]);
    const cosine = cosineAnnealingLR(opt, { tMax: 4 });
    const swa = swaLR(opt, { swaLr: 0.1, annealEpochs: 2, annealStrategy: 'linear' });
    const seq = sequentialLR(opt, { schedulers: [cosine, swa], milestones: [2] });
    const rows = run(seq, 4).map((r) => r[0]);
    expect(rows[1]).toBeCloseTo(0.5 + 0.5 * Math.cos(Math.PI / 4), 15);
    // At the milestone the group holds cosine's value at epoch 1; SWALR's step 1 takes it half way to 0.1.
    expect(rows[2]).toBeCloseTo((rows[1] + 0.1) / 2, 15);
    expect(rows[3]).toBe(0.1);
  });

  it('round-trips its state through JSON into a fresh optimizer and scheduler, continuing identically', () => {
    const make = () => {
      const opt = fakeOptimizer([{ lr: 0.1 }, { lr: 0.3 }]);
      return { opt, s: swaLR(opt, { swaLr: [0.01, 0.5], annealEpochs: 6 }) };
    };
    const a = make();
    for (let i = 0; i < 3; i++) a.s.step();
    const saved = JSON.parse(JSON.stringify(a.s.stateDict()));
    expect(saved).toMatchObject({ name: 'swaLR', key: 'lr', lastEpoch: 3, stepCount: 4, swaLrs: [0.01, 0.5] });
    const b = make();
    b.s.loadStateDict(saved);
    expect(groupValues(b.opt)).toEqual(groupValues(a.opt));
    expect(run(b.s, 5)).toEqual(run(a.s, 5));
  });

  it('refuses a state saved with other options or of another scheduler, changing nothing', () => {
    const opt = fakeOptimizer([{ lr: 0.1 }]);
    const s = swaLR(opt, { swaLr: 0.01, annealEpochs: 3 });
    s.step();
    const before = JSON.stringify(s.stateDict());
    const other = swaLR(fakeOptimizer([{ lr: 0.1 }]), { swaLr: 0.02, annealEpochs: 3 }).stateDict();
    expect(() => s.loadStateDict(other)).toThrow(
      'swaLR: the state was saved with swaLr [0.02], annealEpochs 3 and annealStrategy "cos"; this scheduler has swaLr [0.01], annealEpochs 3 and annealStrategy "cos"',
    );
    const cos = cosineAnnealingLR(fakeOptimizer([{ lr: 0.1 }]), { tMax: 3 }).stateDict();
    expect(() => s.loadStateDict(cos)).toThrow('swaLR: cannot load the state of a "cosineAnnealingLR" scheduler');
    expect(() => s.loadStateDict({ ...JSON.parse(before), stepCount: 1.5 })).toThrow(
      'swaLR: state.stepCount must be an integer, got 1.5',
    );
    expect(JSON.stringify(s.stateDict())).toBe(before);
    expect(groupValues(opt)).toEqual(s.getLastLr());
  });

  it('throws when a param group was added after construction (PyTorch fails with a KeyError)', () => {
    const opt = fakeOptimizer([{ lr: 0.1 }]);
    const s = swaLR(opt, { swaLr: 0.01 });
    opt.addParamGroup({ params: [], lr: 0.2 });
    expect(() => s.step()).toThrow(
      'swaLR: the optimizer has 2 param groups, but the scheduler was built for 1 (its swaLr is per param group, set at construction); build a new scheduler for the new groups',
    );
    expect(groupValues(opt)).toEqual([0.1, 0.2]);
  });

  it('validates its options, naming swaLR and the option, and leaves the optimizer untouched', () => {
    const opt = fakeOptimizer([{ lr: 0.1 }, { lr: 0.2 }]);
    expect(() => swaLR(opt, {} as never)).toThrow(ValueError);
    expect(() => swaLR(opt, {} as never)).toThrow('swaLR: swaLr must be a non-negative number, got undefined');
    expect(() => swaLR(opt, { swaLr: -1 })).toThrow('swaLR: swaLr must be a non-negative number, got -1');
    expect(() => swaLR(opt, { swaLr: [0.1] })).toThrow('swaLR: swaLr must have one value per param group (2), got 1');
    expect(() => swaLR(opt, { swaLr: [0.1, Number.NaN] })).toThrow(
      'swaLR: swaLr[1] must be a non-negative number, got NaN',
    );
    expect(() => swaLR(opt, { swaLr: 0.1, annealEpochs: 2.5 })).toThrow(
      'swaLR: annealEpochs must be a non-negative integer, got 2.5',
    );
    expect(() => swaLR(opt, { swaLr: 0.1, annealEpochs: -1 })).toThrow(
      'swaLR: annealEpochs must be a non-negative integer, got -1',
    );
    expect(() => swaLR(opt, { swaLr: 0.1, annealStrategy: 'cosine' as never })).toThrow(
      "swaLR: annealStrategy must be one of 'cos', 'linear', got \"cosine\"",
    );
    expect(() => swaLR(opt, { swaLr: 0.1, anneal_epochs: 3 } as never)).toThrow(
      /swaLR: unknown option "anneal_epochs"/,
    );
    expect(() => swaLR({} as never, { swaLr: 0.1 })).toThrow(/swaLR: optimizer must be an optimizer with paramGroups/);
    expect(groupValues(opt)).toEqual([0.1, 0.2]);
  });
});
