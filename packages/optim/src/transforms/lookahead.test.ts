import { type Tensor, tensor } from '@nablajs/core';
import { describe, expect, it } from 'vitest';
import { chain } from '../chain';
import { defineOptimizer } from '../runtime';
import { addWeightDecay, flipIfMaximize, scaleByLearningRate } from './basic';
import { type LookaheadState, lookahead } from './lookahead';

const defaults = { lr: 0.1, maximize: false, weightDecay: 0 };
const sgdRule = () => chain(flipIfMaximize(), addWeightDecay(), scaleByLearningRate());

function loss(ps: Tensor[]): Tensor {
  return ps[0].square().mul(2).sum().add(ps[1].sub(1).pow(4).sum());
}

function fresh(): Tensor[] {
  return [
    tensor([1, -0.5, 2], { dtype: 'float64', requiresGrad: true }),
    tensor([3, -1], { dtype: 'float64', requiresGrad: true }),
  ];
}

describe('lookahead', () => {
  it('syncs every k steps: slow += alpha (fast - slow); fast = slow (hand computation)', () => {
    const p = tensor([1], { dtype: 'float64', requiresGrad: true });
    const opt = defineOptimizer({ name: 'la-hand', defaults, rule: lookahead(sgdRule(), { k: 2, alpha: 0.5 }) })([p]);
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
    const opt = defineOptimizer({ name: 'la', defaults, rule: lookahead(sgdRule(), { k: 3, alpha: 0.6 }) })(a);
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
    const opt = defineOptimizer({ name: 'la', defaults, rule: lookahead(sgdRule(), { k: 2 }) })(a);
    opt.zeroGrad();
    a[0].square().sum().backward(); // a[1] has no gradient
    opt.step();
    opt.zeroGrad();
    loss(a).backward();
    opt.step();
    const state = opt.stateDict().state[0] as { steps: number[]; slow: { data: number[] }[] };
    expect(state.steps).toEqual([2, 1]);
    expect(state.slow[0].data).toEqual(Array.from(a[0].data));
    expect(state.slow[1].data).toEqual([3, -1]);
  });

  it('round-trips its state through JSON with identical continuation', () => {
    const factory = defineOptimizer({ name: 'la', defaults, rule: lookahead(sgdRule(), { k: 3 }) });
    const a = fresh();
    const optA = factory(a);
    const step = (opt: ReturnType<typeof factory>, ps: Tensor[]) => {
      opt.zeroGrad();
      loss(ps).backward();
      opt.step();
    };
    for (let i = 0; i < 4; i++) step(optA, a);
    const b = fresh();
    b.forEach((p, i) => {
      p.data.set(a[i].data);
    });
    const optB = factory(b);
    optB.loadStateDict(JSON.parse(JSON.stringify(optA.stateDict())));
    for (let i = 0; i < 7; i++) {
      step(optA, a);
      step(optB, b);
    }
    a.forEach((p, i) => {
      expect(Array.from(p.data)).toEqual(Array.from(b[i].data));
    });
    expect((optB.stateDict().state[0] as LookaheadState<unknown>).steps).toEqual([11, 11]);
  });

  it('validates its options', () => {
    expect(() => lookahead(sgdRule(), { k: 0 })).toThrow('lookahead: k must be an integer in [1, inf), got 0');
    expect(() => lookahead(sgdRule(), { alpha: 1.5 })).toThrow('lookahead: alpha must be in [0, 1], got 1.5');
  });
});
