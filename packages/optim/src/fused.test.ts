import { allocate, type Tensor, type TypedArray, tensor } from '@nablajs/core';
import { afterEach, describe, expect, it } from 'vitest';
import { chain } from './chain';
import { defineOptimizer } from './define';
import { fusedUpdatesEnabled, setFusedUpdates } from './fused';
import { checkFusedUpdate } from './fused-check';
import { flipIfMaximize, scaleByLearningRate } from './transforms/basic';
import type { FusedUpdate, StepContext, UpdateRule } from './types';

// A small stateful rule and fused steps for it, right and wrong: per parameter, a step counter and a
// running sum of gradients; the update is `sum / step` (the average gradient so far), then `-lr`.

interface AvgState {
  step: number[];
  sum: TypedArray[];
}

function scaleByAverage(): UpdateRule<AvgState> {
  return {
    init: (params) => ({ step: params.map(() => 0), sum: params.map((p) => allocate(p.dtype, p.size)) }),
    update(updates, state) {
      updates.forEach((u, i) => {
        if (u === null) return;
        const t = ++state.step[i];
        const sum = state.sum[i];
        for (let j = 0; j < u.length; j++) {
          sum[j] += u[j];
          u[j] = sum[j] / t;
        }
      });
    },
  };
}

type Mistake = 'none' | 'advance-null' | 'stale-lr' | 'ignore-maximize' | 'extra-state';

/** The fused step of `chain(flipIfMaximize(), scaleByAverage(), scaleByLearningRate())`, with an optional bug. */
function fusedAverage(mistake: Mistake = 'none', calls?: { count: number }): FusedUpdate {
  let firstLr: number | null = null;
  return (state, ctx: StepContext) => {
    if (calls) calls.count++;
    const s = (state as unknown[])[1] as AvgState & { extra?: number };
    firstLr ??= ctx.hp.lr;
    const lr = mistake === 'stale-lr' ? firstLr : ctx.hp.lr;
    const sign = ctx.hp.maximize === true && mistake !== 'ignore-maximize' ? -1 : 1;
    if (mistake === 'extra-state') s.extra = 1;
    ctx.params.forEach((p, i) => {
      const g = p.grad;
      if (g === null) {
        if (mistake === 'advance-null') s.step[i]++;
        return;
      }
      const t = ++s.step[i];
      const sum = s.sum[i];
      for (let j = 0; j < p.size; j++) {
        sum[j] += sign * g.data[j];
        p.data[j] += (sum[j] / t) * -lr;
      }
    });
    return true;
  };
}

const rule = () => chain(flipIfMaximize(), scaleByAverage(), scaleByLearningRate());
const averageSgd = (fused?: FusedUpdate) =>
  defineOptimizer({ name: 'averageSgd', defaults: { lr: 0.1, maximize: false }, rule: rule(), fused });

function withGrad(values: number[], grad: number[] | null, dtype: 'float32' | 'float64' = 'float64'): Tensor {
  const p = tensor(values, { dtype, requiresGrad: true });
  p.grad = grad === null ? null : tensor(grad, { dtype });
  return p;
}

afterEach(() => {
  setFusedUpdates(true);
});

describe('fused update path of the rule runtime', () => {
  it('runs the fused step instead of the rule when it returns true, on the rule state and the live hyperparameters', () => {
    const seen: { state: unknown; lr: number }[] = [];
    const updates: number[] = [];
    const spyRule: UpdateRule<unknown> = {
      init: () => ({ mine: true }),
      update: () => {
        updates.push(1);
      },
    };
    const fused: FusedUpdate = (state, ctx) => {
      seen.push({ state, lr: ctx.hp.lr });
      for (const p of ctx.params) if (p.grad !== null) p.data[0] -= ctx.hp.lr;
      return true;
    };
    const opt = defineOptimizer({ name: 'spy', defaults: { lr: 0.5 }, rule: spyRule, fused })([withGrad([1], [1])]);
    opt.step();
    opt.paramGroups[0].lr = 0.25;
    opt.step();
    expect(updates).toEqual([]);
    expect(seen.map((s) => s.lr)).toEqual([0.5, 0.25]);
    expect(seen[0].state).toEqual({ mine: true });
    expect(seen[1].state).toBe(seen[0].state);
    expect(opt.paramGroups[0].params[0].data[0]).toBe(0.25);
  });

  it('falls back to the rule, in the same step, when the fused step declines', () => {
    const declined: number[] = [];
    const fused: FusedUpdate = (_state, ctx) => {
      declined.push(ctx.hp.lr);
      return false;
    };
    const p = withGrad([1, 2], [0.5, -1]);
    averageSgd(fused)([p], { lr: 0.1 }).step();
    expect(declined).toEqual([0.1]);
    expect(Array.from(p.data)).toEqual([1 - 0.1 * 0.5, 2 + 0.1 * 1]);
  });

  it('setFusedUpdates(false) runs the rule and returns the previous setting; the default is on', () => {
    expect(fusedUpdatesEnabled()).toBe(true);
    const calls = { count: 0 };
    const p = withGrad([1], [2]);
    const opt = averageSgd(fusedAverage('none', calls))([p]);
    expect(setFusedUpdates(false)).toBe(true);
    expect(fusedUpdatesEnabled()).toBe(false);
    opt.step();
    expect(calls.count).toBe(0);
    expect(p.data[0]).toBeCloseTo(1 - 0.1 * 2, 15);
    expect(setFusedUpdates(true)).toBe(false);
    opt.step();
    expect(calls.count).toBe(1);
    expect(p.data[0]).toBeCloseTo(1 - 0.2 - 0.1 * 2, 15);
  });

  it('keeps hooks and closures: hooks fire around a fused step, step(closure) returns the loss', () => {
    const order: string[] = [];
    const p = withGrad([1], [1]);
    const opt = averageSgd(fusedAverage())([p]);
    opt.onBeforeStep(() => order.push('before'));
    opt.onAfterStep(() => order.push(`after ${p.data[0].toFixed(2)}`));
    const loss = opt.step(() => {
      order.push('closure');
      return 3;
    });
    expect(loss).toBe(3);
    expect(order).toEqual(['closure', 'before', 'after 0.90']);
  });
});

describe('loadStateDict with a fused step', () => {
  it('copies the saved state into the arrays the fused step already updates, and continues exactly', () => {
    const states: unknown[] = [];
    const inner = fusedAverage();
    const spying: FusedUpdate = (state, ctx) => {
      states.push(state);
      return inner(state, ctx);
    };
    const make = () => averageSgd(spying)([withGrad([1, 2], [0.5, -1]), withGrad([3], null)], { lr: 0.1 });
    const a = make();
    a.step();
    a.step();
    const saved = JSON.parse(JSON.stringify(a.stateDict()));
    const b = make();
    b.step();
    const arrays = ((states[2] as unknown[])[1] as AvgState).sum;
    const sum0 = arrays[0];
    b.loadStateDict(saved);
    b.paramGroups[0].params.forEach((p, i) => {
      p.data.set(a.paramGroups[0].params[i].data);
    });
    a.step();
    b.step();
    expect(states[4]).toBe(states[2]);
    expect(((states[4] as unknown[])[1] as AvgState).sum[0]).toBe(sum0);
    expect(b.stateDict()).toEqual(a.stateDict());
    expect(Array.from(b.paramGroups[0].params[0].data)).toEqual(Array.from(a.paramGroups[0].params[0].data));
  });
});

describe('checkFusedUpdate', () => {
  it('passes a correct fused step bit for bit in float64, for plain and maximize runs with a learning-rate schedule', () => {
    for (const maximize of [false, true]) {
      const result = checkFusedUpdate(averageSgd(fusedAverage()), {
        options: { lr: 0.05, maximize },
        schedule: (k) => (k % 5 === 0 ? { lr: 0.05 / k } : null),
      });
      expect(result.failures).toEqual([]);
      expect(result.maxError).toBe(0);
    }
  });

  it('passes it in float32 within float32 rounding (not bit for bit: the fused step rounds once)', () => {
    const result = checkFusedUpdate(averageSgd(fusedAverage()), { dtype: 'float32', options: { lr: 0.05 } });
    expect(result.failures).toEqual([]);
    expect(result.maxError).toBeGreaterThan(0);
    expect(result.maxError).toBeLessThan(1e-6);
  });

  const mistakes: [Mistake, Record<string, unknown>, RegExp][] = [
    ['advance-null', {}, /state\[\d\]\[1\]\.step\[\d\]: \d+, the chain gives \d+/],
    ['stale-lr', { schedule: (k: number) => ({ lr: 0.1 / k }) }, /parameter \d\[\d+\]/],
    ['ignore-maximize', { options: { maximize: true } }, /parameter 0\[0\]/],
    ['extra-state', {}, /state\[0\]\[1\]: keys \{extra, step, sum\}, the chain's are \{step, sum\}/],
  ];
  for (const [mistake, opts, message] of mistakes)
    it(`catches a fused step that gets it wrong: ${mistake}`, () => {
      const result = checkFusedUpdate(averageSgd(fusedAverage(mistake)), opts);
      expect(result.failures.length).toBeGreaterThan(0);
      expect(result.failures[0]).toMatch(message);
    });

  it('rejects fewer than two parameter sizes', () => {
    expect(() => checkFusedUpdate(averageSgd(), { sizes: [4] })).toThrow(/sizes must be at least two/);
  });
});
