import { ValueError } from '@nablajs/core';
import { describe, expect, it } from 'vitest';
import type { Optimizer } from '../types';
import { cosineAnnealingLR, cosineAnnealingWarmRestarts } from './cosine-annealing';
import { cyclicLR } from './cyclic-lr';
import { lambdaLR, multiplicativeLR } from './lambda-lr';
import { constantLR, linearLR, polynomialLR } from './linear-lr';
import { oneCycleLR } from './one-cycle-lr';
import { reduceLROnPlateau } from './reduce-lr-on-plateau';
import type { SchedulerBase } from './scheduler';
import { chainedScheduler, sequentialLR } from './sequential-lr';
import { exponentialLR, multiStepLR, stepLR } from './step-lr';
import { allClose, type FakeGroup, fakeOptimizer, groupValues, run } from './testing';

describe('the key option', () => {
  it('lets weight decay follow a schedule, leaving the lr alone', () => {
    const opt = fakeOptimizer([
      { lr: 0.1, weightDecay: 0.01 },
      { lr: 0.2, weightDecay: 0.02 },
    ]);
    const s = cosineAnnealingLR(opt, { tMax: 10, key: 'weightDecay' });
    expect(s.key).toBe('weightDecay');
    const rows = run(s, 10);
    for (let t = 0; t <= 10; t++) {
      const f = (1 + Math.cos((Math.PI * t) / 10)) / 2;
      expect(allClose(rows[t], [0.01 * f, 0.02 * f])).toBe(true);
    }
    expect(groupValues(opt)).toEqual([0.1, 0.2]);
    expect(s.stateDict().baseValues).toEqual([0.01, 0.02]);
  });

  it('lets momentum follow a schedule', () => {
    const opt = fakeOptimizer([{ lr: 0.1, momentum: 0.9 }]);
    const rows = run(linearLR(opt, { startFactor: 0.5, totalIters: 2, key: 'momentum' }), 3).map((r) => r[0]);
    expect(allClose(rows, [0.45, 0.675, 0.9, 0.9])).toBe(true);
    expect(opt.paramGroups[0].lr).toBe(0.1);
  });

  it('keeps the base values of different keys apart, like initial_lr per hyperparameter', () => {
    const opt = fakeOptimizer([{ lr: 1, weightDecay: 0.5 }]);
    const lr = stepLR(opt, { stepSize: 1, gamma: 0.5 });
    const wd = exponentialLR(opt, { gamma: 0.1, key: 'weightDecay' });
    lr.step();
    wd.step();
    expect(groupValues(opt)).toEqual([0.5]);
    expect(allClose(groupValues(opt, 'weightDecay'), [0.05])).toBe(true);
  });

  it('shares the first initial value of a group among later schedulers (PyTorch initial_lr)', () => {
    const opt = fakeOptimizer([{ lr: 1 }]);
    linearLR(opt, { startFactor: 0.5 });
    expect(groupValues(opt)).toEqual([0.5]);
    const later = lambdaLR(opt, { lrLambda: () => 1 });
    expect(later.getLastLr()).toEqual([1]);
    expect(later.stateDict().baseValues).toEqual([1]);
  });
});

interface Case {
  name: string;
  groups: FakeGroup[];
  build(opt: Optimizer): SchedulerBase;
  step?(s: SchedulerBase, t: number): void;
}

const momentumGroups: FakeGroup[] = [
  { lr: 0.1, momentum: 0.9 },
  { lr: 0.05, momentum: 0.8 },
];
const adamGroups: FakeGroup[] = [{ lr: 1e-3, betas: [0.9, 0.999] }];
const metrics = [5, 4, 4, 4, 3, 3, 3, 3, 3, 2, 2, 2, 2, 2, 2, 2, 1, 1, 1, 1, 1, 1, 1, 1];

const cases: Case[] = [
  { name: 'stepLR', groups: momentumGroups, build: (o) => stepLR(o, { stepSize: 3, gamma: 0.5 }) },
  { name: 'multiStepLR', groups: momentumGroups, build: (o) => multiStepLR(o, { milestones: [2, 5, 5, 9] }) },
  { name: 'exponentialLR', groups: momentumGroups, build: (o) => exponentialLR(o, { gamma: 0.9 }) },
  { name: 'cosineAnnealingLR', groups: momentumGroups, build: (o) => cosineAnnealingLR(o, { tMax: 7, etaMin: 0.001 }) },
  {
    name: 'cosineAnnealingWarmRestarts',
    groups: momentumGroups,
    build: (o) => cosineAnnealingWarmRestarts(o, { t0: 3, tMult: 2, etaMin: 0.001 }),
  },
  { name: 'linearLR', groups: momentumGroups, build: (o) => linearLR(o, { startFactor: 0.2, totalIters: 8 }) },
  { name: 'constantLR', groups: momentumGroups, build: (o) => constantLR(o, { factor: 0.5, totalIters: 9 }) },
  { name: 'polynomialLR', groups: momentumGroups, build: (o) => polynomialLR(o, { totalIters: 15, power: 2 }) },
  { name: 'lambdaLR', groups: momentumGroups, build: (o) => lambdaLR(o, { lrLambda: (e) => 1 / (1 + e) }) },
  { name: 'multiplicativeLR', groups: momentumGroups, build: (o) => multiplicativeLR(o, { lrLambda: () => 0.9 }) },
  { name: 'oneCycleLR', groups: momentumGroups, build: (o) => oneCycleLR(o, { maxLr: [1, 0.5], totalSteps: 20 }) },
  {
    name: 'oneCycleLR (betas)',
    groups: adamGroups,
    build: (o) => oneCycleLR(o, { maxLr: 0.01, totalSteps: 20, threePhase: true }),
  },
  {
    name: 'cyclicLR (betas)',
    groups: adamGroups,
    build: (o) => cyclicLR(o, { baseLr: 0.001, maxLr: 0.01, stepSizeUp: 3, mode: 'triangular2' }),
  },
  {
    name: 'reduceLROnPlateau',
    groups: momentumGroups,
    build: (o) => reduceLROnPlateau(o, { factor: 0.5, patience: 1, cooldown: 1, minLr: [0.01, 0.02] }),
    step: (s, t) => (s as unknown as { step(m: number): void }).step(metrics[t]),
  },
  {
    name: 'sequentialLR',
    groups: momentumGroups,
    build: (o) =>
      sequentialLR(o, {
        schedulers: [linearLR(o, { startFactor: 0.1, totalIters: 4 }), cosineAnnealingLR(o, { tMax: 10 })],
        milestones: [4],
      }),
  },
  {
    name: 'chainedScheduler',
    groups: [{ lr: 0.1, weightDecay: 0.01 }],
    build: (o) =>
      chainedScheduler([
        constantLR(o, { factor: 0.5, totalIters: 6 }),
        exponentialLR(o, { gamma: 0.95 }),
        cosineAnnealingLR(o, { tMax: 10, key: 'weightDecay' }),
      ]),
  },
];

function snapshot(opt: Optimizer): unknown[] {
  return opt.paramGroups.map((g) => ({ ...g }));
}

describe('stateDict / loadStateDict', () => {
  for (const c of cases) {
    it(`${c.name}: a fresh optimizer and scheduler continue identically after a JSON round trip`, () => {
      const step = c.step ?? ((s: SchedulerBase) => (s as unknown as { step(): void }).step());
      const optA = fakeOptimizer(c.groups);
      const a = c.build(optA);
      for (let t = 0; t < 7; t++) step(a, t);
      const saved = JSON.parse(JSON.stringify(a.stateDict()));
      expect(saved).toEqual(a.stateDict());

      const optB = fakeOptimizer(c.groups);
      const b = c.build(optB);
      b.loadStateDict(saved);
      expect(b.lastEpoch).toBe(a.lastEpoch);
      expect(b.getLastLr()).toEqual(a.getLastLr());
      expect(snapshot(optB)).toEqual(snapshot(optA));
      for (let t = 7; t < 19; t++) {
        step(a, t);
        step(b, t);
        expect(b.getLastLr()).toEqual(a.getLastLr());
        expect(snapshot(optB)).toEqual(snapshot(optA));
      }
      expect(b.stateDict()).toEqual(a.stateDict());
    });
  }

  it('rejects a state of another scheduler, key or size, and changes nothing', () => {
    const opt = fakeOptimizer([{ lr: 1, weightDecay: 0.1 }]);
    const s = stepLR(opt, { stepSize: 2 });
    s.step();
    const before = s.stateDict();
    const cosine = cosineAnnealingLR(fakeOptimizer([{ lr: 1 }]), { tMax: 3 }).stateDict();
    expect(() => s.loadStateDict(cosine)).toThrow(ValueError);
    expect(() => s.loadStateDict(cosine)).toThrow('stepLR: cannot load the state of a "cosineAnnealingLR" scheduler');
    const wd = stepLR(opt, { stepSize: 2, key: 'weightDecay' }).stateDict();
    expect(() => s.loadStateDict(wd)).toThrow('stepLR: the state drives "weightDecay", but this scheduler drives "lr"');
    const two = stepLR(fakeOptimizer([{ lr: 1 }, { lr: 2 }]), { stepSize: 2 }).stateDict();
    expect(() => s.loadStateDict(two)).toThrow('stepLR: state.lastValues must be an array of 1 numbers, got [1,2]');
    expect(() => s.loadStateDict(null as never)).toThrow('stepLR: loadStateDict expects a state object, got null');
    expect(s.stateDict()).toEqual(before);
    expect(opt.paramGroups[0].lr).toBe(1);
  });

  it('checks every sub-scheduler state of a sequential scheduler before loading any', () => {
    const build = () => {
      const opt = fakeOptimizer([{ lr: 1 }]);
      const s = sequentialLR(opt, {
        schedulers: [linearLR(opt, { totalIters: 2 }), exponentialLR(opt, { gamma: 0.5 })],
        milestones: [2],
      });
      return { opt, s };
    };
    const { s } = build();
    for (let t = 0; t < 4; t++) s.step();
    const saved = JSON.parse(JSON.stringify(s.stateDict()));
    saved.schedulers[1].lastValues = ['x'];
    const fresh = build();
    const before = fresh.s.stateDict();
    expect(() => fresh.s.loadStateDict(saved)).toThrow(
      'exponentialLR: state.lastValues must be an array of 1 numbers, got ["x"]',
    );
    expect(fresh.s.stateDict()).toEqual(before);
    expect(fresh.opt.paramGroups[0].lr).toBe(before.lastValues[0]);
  });
});
