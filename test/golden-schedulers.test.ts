import {
  cosineAnnealingLR,
  cosineAnnealingWarmRestarts,
  cyclicLR,
  exponentialLR,
  linearLR,
  multiStepLR,
  type Optimizer,
  oneCycleLR,
  type ParamGroup,
  polynomialLR,
  reduceLROnPlateau,
  type Scheduler,
  sequentialLR,
  stepLR,
} from '@nablajs/optim';
import { describe, expect, it } from 'vitest';
import { loadFixture } from './helpers/fixtures';

interface SchedulerCase {
  id: string;
  scheduler: string;
  kwargs: Record<string, unknown>;
  optimizer: { name: string; kwargs: Record<string, number>; group_initial_lrs: number[] };
  n_steps: number;
  metrics?: number[];
  lr: number[][];
  momentum?: number[][];
}

interface SchedulersFile {
  format: string;
  kind: string;
  cases: SchedulerCase[];
}

const fixture = loadFixture<SchedulersFile>('schedulers.json');

/** A stand-in for the optimizer runtime: schedulers only read and write `paramGroups`. */
function fakeOptimizer(lrs: number[], hyper: Record<string, number>): Optimizer {
  const paramGroups = lrs.map((lr) => ({ params: [], ...hyper, lr }) as unknown as ParamGroup);
  return {
    name: 'sgd',
    defaults: { lr: lrs[0], ...hyper },
    paramGroups,
    step: () => undefined,
    zeroGrad: () => undefined,
    addParamGroup: () => undefined,
    stateDict: () => ({ name: 'sgd', paramGroups: [], state: [] }),
    loadStateDict: () => undefined,
    onBeforeStep: () => () => undefined,
    onAfterStep: () => () => undefined,
  };
}

/** PyTorch's snake_case kwargs in lowerCamelCase (`T_max` -> `tMax`, `step_size_up` -> `stepSizeUp`). */
function camel(kwargs: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(kwargs)) {
    const [head, ...rest] = k.split('_');
    out[head.toLowerCase() + rest.map((p) => p.charAt(0).toUpperCase() + p.slice(1)).join('')] = v;
  }
  return out;
}

type Factory = (opt: Optimizer, options: never) => Scheduler;
const factories: Record<string, Factory> = {
  StepLR: stepLR,
  MultiStepLR: multiStepLR,
  ExponentialLR: exponentialLR,
  CosineAnnealingLR: cosineAnnealingLR,
  CosineAnnealingWarmRestarts: cosineAnnealingWarmRestarts,
  LinearLR: linearLR,
  PolynomialLR: polynomialLR,
  OneCycleLR: oneCycleLR,
  CyclicLR: cyclicLR,
};

function build(opt: Optimizer, scheduler: string, kwargs: Record<string, unknown>): Scheduler {
  if (scheduler === 'SequentialLR') {
    const subs = (kwargs.schedulers as { scheduler: string; kwargs: Record<string, unknown> }[]).map((s) =>
      build(opt, s.scheduler, s.kwargs),
    );
    return sequentialLR(opt, { schedulers: subs, milestones: kwargs.milestones as number[] });
  }
  const factory = factories[scheduler];
  if (!factory) throw new Error(`no factory for ${scheduler}`);
  return factory(opt, camel(kwargs) as never);
}

/** `|a - b| <= 1e-12 * |b|` (the README's scheduler tolerance); at b = 0, `a` must be 0 up to 1e-15. */
function expectClose(actual: number, expected: number, label: string): void {
  const ok =
    expected === 0
      ? actual === 0 || Math.abs(actual) <= 1e-15
      : Math.abs(actual - expected) <= Math.max(1e-300, 1e-12 * Math.abs(expected));
  if (!ok) expect.fail(`${label}: got ${actual}, expected ${expected} (|diff| ${Math.abs(actual - expected)})`);
}

describe('golden schedulers (PyTorch 1.13)', () => {
  it('has the 20 cases of schedulers.json', () => {
    expect(fixture.kind).toBe('schedulers');
    expect(fixture.cases).toHaveLength(20);
  });

  for (const c of fixture.cases) {
    it(c.id, () => {
      const opt = fakeOptimizer(c.optimizer.group_initial_lrs, c.optimizer.kwargs);
      const groups = c.optimizer.group_initial_lrs.length;
      let stepped = 0;
      const check = (t: number) => {
        for (let g = 0; g < groups; g++) {
          expectClose(opt.paramGroups[g].lr, c.lr[g][t], `lr[${g}][${t}]`);
          if (c.momentum) expectClose(opt.paramGroups[g].momentum as number, c.momentum[g][t], `momentum[${g}][${t}]`);
        }
        stepped++;
      };
      if (c.scheduler === 'ReduceLROnPlateau') {
        const metrics = c.metrics as number[];
        const s = reduceLROnPlateau(opt, camel(c.kwargs));
        check(0);
        for (let t = 1; t <= c.n_steps; t++) {
          s.step(metrics[t - 1]);
          check(t);
          expect(s.getLastLr()).toEqual(opt.paramGroups.map((g) => g.lr));
        }
      } else {
        const s = build(opt, c.scheduler, c.kwargs);
        check(0);
        for (let t = 1; t <= c.n_steps; t++) {
          s.step();
          check(t);
          expect(s.getLastLr()).toEqual(opt.paramGroups.map((g) => g.lr));
        }
      }
      expect(stepped).toBe(c.n_steps + 1);
      expect(c.lr[0]).toHaveLength(c.n_steps + 1);
    });
  }
});
