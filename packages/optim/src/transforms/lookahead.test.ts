import { type Tensor, tensor } from '@nablajs/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { chain } from '../chain';
import { defineOptimizer } from '../define';
import { definePlugin, resetRegistry, usePlugin } from '../plugin';
import { stepLR } from '../schedulers/step-lr';
import { checkNumber } from '../validate';
import { addWeightDecay, flipIfMaximize, scaleByLearningRate } from './basic';
import { type LookaheadState, lookahead, lookaheadSync } from './lookahead';
import { scaleByRms } from './rms';

// A local plain SGD and RMSprop, registered by name for the wrapper (optim cannot import optim-sgd).
const plainSgd = defineOptimizer({
  name: 'plainSgd',
  defaults: { lr: 0.1, maximize: false, weightDecay: 0 },
  rule: chain(flipIfMaximize(), addWeightDecay(), scaleByLearningRate()),
});
const rmsLike = defineOptimizer({
  name: 'rmsLike',
  defaults: { lr: 0.01, alpha: 0.99, eps: 1e-8, momentum: 0, centered: false },
  validate: (hp) => {
    checkNumber('rmsLike', 'alpha', hp.alpha, { min: 0, max: 1 });
  },
  rule: chain(scaleByRms(), scaleByLearningRate()),
});

function loss(ps: Tensor[]): Tensor {
  return ps[0].square().mul(2).sum().add(ps[1].sub(1).pow(4).sum());
}

function fresh(): Tensor[] {
  return [
    tensor([1, -0.5, 2], { dtype: 'float64', requiresGrad: true }),
    tensor([3, -1], { dtype: 'float64', requiresGrad: true }),
  ];
}

beforeEach(() => usePlugin(definePlugin({ name: 'test', optimizers: { plainSgd, rmsLike } })));
afterEach(() => resetRegistry());

describe('lookahead', () => {
  it('syncs every k steps: slow += alpha (fast - slow); fast = slow (hand computation)', () => {
    const p = tensor([1], { dtype: 'float64', requiresGrad: true });
    const opt = lookahead([p], { inner: 'plainSgd', k: 2, alpha: 0.5 });
    const step = () => {
      opt.zeroGrad();
      p.square().mul(0.5).sum().backward(); // g = p
      opt.step();
    };
    step();
    expect(p.data[0]).toBeCloseTo(0.9, 15);
    step();
    expect(p.data[0]).toBeCloseTo(0.905, 15); // fast 0.81, slow 1 + 0.5 (0.81 - 1)
    step();
    expect(p.data[0]).toBeCloseTo(0.8145, 15);
    step();
    expect(p.data[0]).toBeCloseTo(0.905 + 0.5 * (0.905 * 0.81 - 0.905), 15);
  });

  it('matches the manual Lookahead loop over plain SGD', () => {
    const a = fresh();
    const opt = lookahead(a, { inner: 'plainSgd', innerOptions: { lr: 0.1 }, k: 3, alpha: 0.6 });
    const b = fresh();
    const slow = b.map((p) => Float64Array.from(p.data));
    for (let t = 1; t <= 12; t++) {
      opt.zeroGrad();
      loss(a).backward();
      opt.step();

      for (const p of b) p.grad = null;
      loss(b).backward();
      b.forEach((p) => {
        for (let j = 0; j < p.size; j++) p.data[j] -= 0.1 * p.grad!.data[j];
      });
      if (t % 3 === 0)
        b.forEach((p, i) => {
          for (let j = 0; j < p.size; j++) {
            slow[i][j] += 0.6 * (p.data[j] - slow[i][j]);
            p.data[j] = slow[i][j];
          }
        });
      for (let i = 0; i < a.length; i++)
        for (let j = 0; j < a[i].size; j++) {
          const v = a[i].data[j];
          expect(Math.abs(v - b[i].data[j])).toBeLessThanOrEqual(1e-15 * Math.max(1, Math.abs(v)));
        }
    }
  });

  it('keeps fast and slow weights equal after a sync, and counts steps per parameter', () => {
    const a = fresh();
    const opt = lookahead(a, { inner: 'plainSgd', k: 2 });
    opt.zeroGrad();
    a[0].square().sum().backward(); // a[1] has no gradient
    opt.step();
    opt.zeroGrad();
    loss(a).backward();
    opt.step();
    const state = (opt.stateDict().state[0] as unknown[])[1] as { steps: number[]; slow: { data: number[] }[] };
    expect(state.steps).toEqual([2, 1]);
    expect(state.slow[0].data).toEqual(Array.from(a[0].data));
    expect(state.slow[1].data).toEqual([3, -1]);
  });

  it('round-trips its state through JSON with identical continuation', () => {
    const a = fresh();
    const optA = lookahead(a, { inner: 'rmsLike', k: 3 });
    const step = (opt: ReturnType<typeof lookahead>, ps: Tensor[]) => {
      opt.zeroGrad();
      loss(ps).backward();
      opt.step();
    };
    for (let i = 0; i < 4; i++) step(optA, a);
    const b = fresh();
    b.forEach((p, i) => {
      p.data.set(a[i].data);
    });
    const optB = lookahead(b, { inner: 'rmsLike', k: 3 });
    optB.loadStateDict(JSON.parse(JSON.stringify(optA.stateDict())));
    for (let i = 0; i < 7; i++) {
      step(optA, a);
      step(optB, b);
    }
    a.forEach((p, i) => {
      expect(Array.from(p.data)).toEqual(Array.from(b[i].data));
    });
    expect(((optB.stateDict().state[0] as unknown[])[1] as LookaheadState).steps).toEqual([11, 11]);
  });

  it('shows its own and the inner hyperparameters per group; a clashing inner name becomes inner.<name>', () => {
    const [a, b] = fresh();
    const opt = lookahead(
      [
        { params: [a], k: 2 },
        { params: [b], 'inner.alpha': 0.5 },
      ],
      {
        inner: 'rmsLike',
        innerOptions: { alpha: 0.9, lr: 0.05 },
        alpha: 0.25,
      },
    );
    expect(opt.paramGroups[0]).toMatchObject({ k: 2, alpha: 0.25, 'inner.alpha': 0.9, lr: 0.05, inner: 'rmsLike' });
    expect(opt.paramGroups[1]).toMatchObject({ k: 5, alpha: 0.25, 'inner.alpha': 0.5, lr: 0.05 });
  });

  it('reads k, alpha and the inner options at every step (schedulers can change them)', () => {
    const run = (change: boolean) => {
      const ps = fresh();
      const opt = lookahead(ps, { inner: 'plainSgd', k: 2, alpha: 0.5 });
      for (let t = 0; t < 6; t++) {
        if (change && t === 3) {
          opt.paramGroups[0].alpha = 0.9;
          opt.paramGroups[0].lr = 0.01;
        }
        opt.zeroGrad();
        loss(ps).backward();
        opt.step();
      }
      return Array.from(ps[0].data);
    };
    expect(run(true)).not.toEqual(run(false));
  });

  it('follows a scheduler on its own hyperparameter (key: alpha), per group, and saves it', () => {
    const ps = fresh();
    const opt = lookahead([{ params: [ps[0]] }, { params: [ps[1]], alpha: 0.8 }], { inner: 'plainSgd', k: 1 });
    const sched = stepLR(opt, { stepSize: 1, gamma: 0.5, key: 'alpha' });
    opt.zeroGrad();
    loss(ps).backward();
    opt.step();
    sched.step();
    expect(opt.paramGroups.map((g) => g.alpha)).toEqual([0.25, 0.4]);
    expect(opt.stateDict().paramGroups.map((g) => g.alpha)).toEqual([0.25, 0.4]);
  });

  it('equals the inner optimizer alone when alpha is 1', () => {
    const a = fresh();
    const b = fresh();
    const la = lookahead(a, { inner: 'rmsLike', alpha: 1, k: 2 });
    const alone = rmsLike(b);
    for (let t = 0; t < 7; t++) {
      for (const [opt, ps] of [
        [la, a],
        [alone, b],
      ] as const) {
        opt.zeroGrad();
        loss(ps).backward();
        opt.step();
      }
    }
    expect(Array.from(a[0].data)).toEqual(Array.from(b[0].data));
  });

  it('validates its options and the inner ones, naming the option', () => {
    const ps = fresh();
    expect(() => lookahead(ps, { inner: 'plainSgd', k: 0 })).toThrow(
      'lookahead: k must be an integer in [1, inf), got 0',
    );
    expect(() => lookahead(ps, { inner: 'plainSgd', alpha: 1.5 })).toThrow(
      'lookahead: alpha must be in [0, 1], got 1.5',
    );
    expect(() => lookahead(ps, {})).toThrow('lookahead: inner must name a registered optimizer');
    expect(() => lookahead(ps, { inner: 'nope' })).toThrow('lookahead: inner "nope" is not a registered optimizer');
    expect(() => lookahead(ps, { inner: 'plainSgd', innerOptions: { rho: 1 } })).toThrow(
      'lookahead: unknown option "rho" in innerOptions for plainSgd',
    );
    expect(() => lookahead(ps, { inner: 'rmsLike', innerOptions: { alpha: 2 } })).toThrow(
      'rmsLike: alpha must be in [0, 1], got 2',
    );
    expect(() => lookahead(ps, { inner: 'plainSgd', lr: -1 })).toThrow('lookahead: lr must be in [0, inf), got -1');
    expect(() => lookahead(ps, { inner: 'plainSgd', lr: 0.1, innerOptions: { lr: 0.2 } })).toThrow(
      'lookahead: option "lr" of plainSgd is given twice, at the top level and in innerOptions; give it once',
    );
    expect(() => lookahead([{ params: [ps[0]], inner: 'rmsLike' }], { inner: 'plainSgd' })).toThrow(
      'lookahead: inner is "plainSgd" for the whole optimizer',
    );
  });

  it('lookaheadSync chains after any rule of a defineOptimizer recipe', () => {
    const p = tensor([1], { dtype: 'float64', requiresGrad: true });
    const opt = defineOptimizer({
      name: 'la-recipe',
      defaults: { lr: 0.1, k: 2, alpha: 0.5 },
      rule: chain(scaleByLearningRate(), lookaheadSync()),
    })([p]);
    for (let t = 0; t < 2; t++) {
      opt.zeroGrad();
      p.square().mul(0.5).sum().backward();
      opt.step();
    }
    expect(p.data[0]).toBeCloseTo(0.905, 15);
  });
});
