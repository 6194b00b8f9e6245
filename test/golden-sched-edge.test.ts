// LR schedulers against PyTorch 1.13 at two edges (test/fixtures/sched-edge.json, from
// scripts/fixtures/make_sched_edge_fixture.py): a param group added to the optimizer after they were built
// (chainable formulas schedule it, formulas over the base values or the lambdas leave it alone, oneCycleLR,
// where PyTorch fails with a KeyError, throws a clear error), and fractional step counts (tMax, stepSizeUp).
import { tensor } from '@nablajs/core';
import {
  chainedScheduler,
  constantLR,
  cosineAnnealingLR,
  cosineAnnealingWarmRestarts,
  cyclicLR,
  exponentialLR,
  lambdaLR,
  linearLR,
  multiplicativeLR,
  multiStepLR,
  type Optimizer,
  oneCycleLR,
  polynomialLR,
  type Scheduler,
  sequentialLR,
  stepLR,
} from '@nablajs/optim';
import { sgd } from '@nablajs/optim-sgd';
import { describe, expect, it } from 'vitest';
import { loadFixture } from './helpers/fixtures';

interface AddGroupCase {
  id: string;
  steps: number;
  add_at: number;
  lr: number[][];
  momentum?: number[][];
}

const builders: Record<string, (o: Optimizer) => Scheduler> = {
  stepLR: (o) => stepLR(o, { stepSize: 2, gamma: 0.5 }),
  multiStepLR: (o) => multiStepLR(o, { milestones: [3, 5], gamma: 0.1 }),
  exponentialLR: (o) => exponentialLR(o, { gamma: 0.9 }),
  cosineAnnealingLR: (o) => cosineAnnealingLR(o, { tMax: 10, etaMin: 0.01 }),
  'cosineAnnealingLR/restarts': (o) => cosineAnnealingLR(o, { tMax: 2, etaMin: 0.01 }),
  cosineAnnealingWarmRestarts: (o) => cosineAnnealingWarmRestarts(o, { t0: 3, tMult: 2, etaMin: 0.01 }),
  linearLR: (o) => linearLR(o, { startFactor: 0.5, totalIters: 4 }),
  constantLR: (o) => constantLR(o, { factor: 0.5, totalIters: 3 }),
  polynomialLR: (o) => polynomialLR(o, { totalIters: 5, power: 2 }),
  lambdaLR: (o) => lambdaLR(o, { lrLambda: (e) => 0.95 ** e }),
  multiplicativeLR: (o) => multiplicativeLR(o, { lrLambda: () => 0.9 }),
  cyclicLR: (o) => cyclicLR(o, { baseLr: 0.01, maxLr: 0.1, stepSizeUp: 2 }),
  sequentialLR: (o) =>
    sequentialLR(o, {
      schedulers: [linearLR(o, { startFactor: 0.5, totalIters: 2 }), exponentialLR(o, { gamma: 0.9 })],
      milestones: [3],
    }),
  chainedScheduler: (o) => chainedScheduler([stepLR(o, { stepSize: 2, gamma: 0.5 }), exponentialLR(o, { gamma: 0.9 })]),
};

const newParam = () => tensor([0], { requiresGrad: true });

function close(actual: number[], expected: number[], label: string): void {
  expect(actual.length, label).toBe(expected.length);
  actual.forEach((a, i) => {
    expect(Math.abs(a - expected[i]), `${label}[${i}]: ${a} vs ${expected[i]}`).toBeLessThanOrEqual(
      1e-12 * Math.max(1, Math.abs(expected[i])),
    );
  });
}

describe('schedulers with a param group added after construction, vs PyTorch', () => {
  const cases = loadFixture<{ cases: AddGroupCase[] }>('sched-edge.json').cases;
  it('has the 28 cases', () => expect(cases.length).toBe(28));
  for (const c of cases) {
    it(c.id, () => {
      const opt = sgd([newParam()], { lr: 0.1, momentum: 0.9 });
      const scheduler = builders[c.id.slice(0, c.id.lastIndexOf('/add_at'))](opt);
      for (let t = 1; t <= c.steps; t++) {
        if (t === c.add_at) opt.addParamGroup({ params: [newParam()], lr: 0.2 });
        opt.step();
        scheduler.step();
        close(
          opt.paramGroups.map((g) => g.lr as number),
          c.lr[t - 1],
          `${c.id} step ${t} lr`,
        );
        expect(scheduler.getLastLr()).toEqual(opt.paramGroups.map((g) => g.lr));
        if (c.momentum)
          close(
            opt.paramGroups.map((g) => g.momentum as number),
            c.momentum[t - 1],
            `${c.id} step ${t} momentum`,
          );
      }
      // The state after the new group round-trips into a scheduler built on the grown optimizer.
      const saved = JSON.parse(JSON.stringify(scheduler.stateDict()));
      expect(saved.lastValues.length).toBe(2);
    });
  }

  it('oneCycleLR throws a clear error where PyTorch fails with a KeyError, changing nothing', () => {
    const opt = sgd([newParam()], { lr: 0.1, momentum: 0.9 });
    const s = oneCycleLR(opt, { maxLr: 1, totalSteps: 10 });
    s.step();
    opt.addParamGroup({ params: [newParam()], lr: 0.2 });
    const before = opt.paramGroups.map((g) => [g.lr, g.momentum]);
    expect(() => s.step()).toThrow(
      'oneCycleLR: the optimizer has 2 param groups, but the scheduler was built for 1 (its maxLr and momentum bounds are per param group, set at construction); build a new scheduler for the new groups',
    );
    expect(opt.paramGroups.map((g) => [g.lr, g.momentum])).toEqual(before);
    expect(s.lastEpoch).toBe(1);
  });
});

describe('fractional step counts, as PyTorch takes them', () => {
  const cases = loadFixture<{ fractional: { id: string; steps: number; lr: number[] }[] }>(
    'sched-edge.json',
  ).fractional;
  const build: Record<string, (o: Optimizer) => Scheduler> = {
    'cosineAnnealingLR/tMax=2.5': (o) => cosineAnnealingLR(o, { tMax: 2.5, etaMin: 0.01 }),
    'cosineAnnealingLR/tMax=0.75': (o) => cosineAnnealingLR(o, { tMax: 0.75 }),
    'cyclicLR/up=2.5': (o) => cyclicLR(o, { baseLr: 0.01, maxLr: 0.1, stepSizeUp: 2.5 }),
    'cyclicLR/up=1.5,down=0.5': (o) =>
      cyclicLR(o, { baseLr: 0.01, maxLr: 0.1, stepSizeUp: 1.5, stepSizeDown: 0.5, mode: 'triangular2' }),
  };
  it('has the 4 cases', () => expect(cases.length).toBe(4));
  for (const c of cases) {
    it(c.id, () => {
      const opt = sgd([newParam()], { lr: 0.1, momentum: 0.9 });
      const s = build[c.id](opt);
      const lrs: number[] = [];
      for (let t = 0; t < c.steps; t++) {
        s.step();
        lrs.push(opt.paramGroups[0].lr as number);
      }
      close(lrs, c.lr, c.id);
    });
  }

  it('a fractional tMax that lands a step on the bottom of the cosine is an error, not 0/0', () => {
    const opt = sgd([newParam()], { lr: 0.1 });
    const s = cosineAnnealingLR(opt, { tMax: 2 / 3 });
    s.step();
    s.step();
    expect(() => s.step()).toThrow(
      /^cosineAnnealingLR: tMax 0.6666666666666666 puts step 2 at the bottom of the cosine/,
    );
    expect(Number.isFinite(opt.paramGroups[0].lr)).toBe(true);
  });
});
