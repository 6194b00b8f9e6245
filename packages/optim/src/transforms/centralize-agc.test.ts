import { type Tensor, tensor } from '@nablajs/core';
import { describe, expect, it } from 'vitest';
import { chain } from '../chain';
import { stepContext } from '../context';
import { defineOptimizer } from '../define';
import type { Hyperparams, UpdateRule } from '../types';
import { adaptiveGradClip } from './adaptive-grad-clip';
import { addWeightDecay, flipIfMaximize, scaleByLearningRate } from './basic';
import { centralize } from './centralize';
import { traceMomentum } from './momentum';

const hp: Hyperparams = { lr: 0.1 };

/** A float64 parameter of `shape` holding `values`. */
const param = (values: number[], shape: number[]): Tensor =>
  tensor(values, { shape, dtype: 'float64', requiresGrad: true });

/** Run `rule` once on copies of `updates` for `params`; the transformed updates. */
function run(rule: UpdateRule<null>, params: Tensor[], updates: (number[] | null)[]): (number[] | null)[] {
  const u = updates.map((x) => (x === null ? null : Float64Array.from(x)));
  rule.update(u, rule.init(params, hp), stepContext(params, hp, { updates: u }));
  return u.map((x) => (x === null ? null : Array.from(x)));
}

const close = (a: readonly number[] | null, b: readonly number[]) => {
  expect(a).not.toBeNull();
  expect(a?.length).toBe(b.length);
  b.forEach((v, j) => {
    expect(Math.abs((a as number[])[j] - v)).toBeLessThanOrEqual(1e-15 * Math.max(1, Math.abs(v)));
  });
};

describe('centralize', () => {
  it('subtracts each output unit’s mean from a matrix update and leaves vectors alone', () => {
    const W = param([0, 0, 0, 0, 0, 0], [2, 3]);
    const b = param([0, 0], [2]);
    const [uw, ub] = run(
      centralize(),
      [W, b],
      [
        [1, 2, 6, -3, 0, 0],
        [5, 7],
      ],
    );
    // row means 3 and -1
    close(uw, [-2, -1, 3, -2, 1, 1]);
    expect(ub).toEqual([5, 7]);
  });

  it('centralizes each filter of a convolution kernel over all its other dimensions', () => {
    const K = param(new Array(8).fill(0), [2, 1, 2, 2]);
    const [u] = run(centralize(), [K], [[1, 2, 3, 4, 0, 0, 0, 8]]);
    close(u, [-1.5, -0.5, 0.5, 1.5, -2, -2, -2, 6]);
  });

  it('convOnly: only parameters with more than 3 dimensions', () => {
    const W = param([0, 0, 0, 0], [2, 2]);
    const K = param([0, 0, 0, 0], [1, 1, 2, 2]);
    const [uw, uk] = run(
      centralize({ convOnly: true }),
      [W, K],
      [
        [1, 3, 5, 9],
        [1, 3, 5, 9],
      ],
    );
    expect(uw).toEqual([1, 3, 5, 9]);
    close(uk, [-3.5, -1.5, 0.5, 4.5]);
  });

  it('skips a parameter without a gradient and an empty one', () => {
    const W = param([0, 0, 0, 0], [2, 2]);
    const E = tensor([], { shape: [0, 3], dtype: 'float64', requiresGrad: true });
    expect(run(centralize(), [W, E], [null, []])).toEqual([null, []]);
  });

  it('rejects a convOnly that is not a boolean, naming the option', () => {
    expect(() => centralize({ convOnly: 1 as unknown as boolean })).toThrow(
      /^centralize: options\.convOnly must be true or false, got 1/,
    );
  });

  it('before the momentum, gives the same steps as centralizing the momentum’s output', () => {
    // The authors' SGD centralizes the buffer (in place) after the momentum; GC is linear and idempotent,
    // so centralizing the gradient first gives the same steps.
    const defaults = { lr: 0.1, momentum: 0.9, dampening: 0, nesterov: false, weightDecay: 0.01, maximize: false };
    const before = defineOptimizer({
      name: 'gcBefore',
      defaults,
      rule: chain(flipIfMaximize(), addWeightDecay(), centralize(), traceMomentum(), scaleByLearningRate()),
    });
    const after = defineOptimizer({
      name: 'gcAfter',
      defaults,
      rule: chain(flipIfMaximize(), addWeightDecay(), traceMomentum(), centralize(), scaleByLearningRate()),
    });
    const a = param([0.3, -0.2, 0.5, 0.1, 0.7, -0.4], [2, 3]);
    const b = param([0.3, -0.2, 0.5, 0.1, 0.7, -0.4], [2, 3]);
    const oa = before([a]);
    const ob = after([b]);
    const grads = [
      [1, -2, 0.5, 3, 0.25, -1],
      [0.5, 0.5, -4, 2, -1, 1],
      [-1, 2, 3, -0.5, 0.5, 0],
    ];
    for (const g of grads) {
      a.grad = tensor(g, { shape: [2, 3], dtype: 'float64' });
      b.grad = tensor(g, { shape: [2, 3], dtype: 'float64' });
      oa.step();
      ob.step();
      close(Array.from(a.data), Array.from(b.data));
    }
    // every row of the total step sums to zero (the decay, added before, is centralized too), and it moved
    const start = [0.3, -0.2, 0.5, 0.1, 0.7, -0.4];
    const moved = Array.from(a.data, (v, j) => v - start[j]);
    expect(Math.abs(moved[0] + moved[1] + moved[2])).toBeLessThan(1e-15);
    expect(Math.abs(moved[3] + moved[4] + moved[5])).toBeLessThan(1e-15);
    expect(Math.abs(moved[0])).toBeGreaterThan(0.1);
  });
});

describe('adaptiveGradClip', () => {
  it('scales a row whose norm exceeds clipping·‖row of p‖ down to it and keeps the others', () => {
    // rows of p: norms 5 and 1; clipping 0.5: limits 2.5 and 0.5
    const W = param([3, 4, 0, 1], [2, 2]);
    const [u] = run(adaptiveGradClip(0.5), [W], [[6, 8, 0.3, 0.3]]);
    // row 0: norm 10 -> scaled by 0.25; row 1: norm 0.424 < 0.5 kept
    close(u, [1.5, 2, 0.3, 0.3]);
  });

  it('floors the parameter norm at eps: a zero bias can still move', () => {
    const b = param([0, 0], [2]);
    const [u] = run(adaptiveGradClip(0.1, 0.01), [b], [[3, 4]]);
    // limit 0.1 · 0.01 = 1e-3, norm 5
    close(u, [3 * 2e-4, 4 * 2e-4]);
  });

  it('treats a vector, an [n, 1] weight and a scalar as one unit, a kernel filter by filter', () => {
    const col = param([3, 4], [2, 1]); // one unit: norm 5, limit 5
    const K = param([1, 0, 0, 0, 0, 0, 0, 2], [2, 1, 2, 2]); // filters: norms 1 and 2
    const s = param([2], []);
    const [uc, uk, us] = run(adaptiveGradClip(1), [col, K, s], [[6, 0.1], [0, 0, 0, 4, 0, 0, 0, 1], [-4]]);
    // the whole column: norm √36.01 -> 5 (row by row it would be [3, 0.1])
    const n = Math.sqrt(36.01);
    close(uc, [(6 * 5) / n, (0.1 * 5) / n]);
    close(uk, [0, 0, 0, 1, 0, 0, 0, 1]); // filter 0: 4 -> 1; filter 1: 1 < 2 kept
    close(us, [-2]);
  });

  it('a unit exactly at its limit is scaled (by 1), a unit below is left bit for bit', () => {
    const W = param([3, 4], [1, 2]);
    const [u] = run(adaptiveGradClip(1), [W], [[0.1 + 0.2, 0.4]]);
    expect(u).toEqual([0.1 + 0.2, 0.4]);
  });

  it('reads the parameter’s values before the step changes them and leaves param.grad alone', () => {
    const opt = defineOptimizer({
      name: 'agcSgd',
      defaults: { lr: 1 },
      rule: chain(adaptiveGradClip(0.1), scaleByLearningRate()),
    });
    const W = param([3, 4], [1, 2]);
    W.grad = tensor([30, 40], { shape: [1, 2], dtype: 'float64' });
    opt([W]).step();
    // limit 0.1 · 5 = 0.5; update [0.3, 0.4]
    close(Array.from(W.data), [2.7, 3.6]);
    expect(Array.from(W.grad.data)).toEqual([30, 40]);
  });

  it('keeps a NaN update visible as NaN', () => {
    const W = param([1, 1], [2]);
    const [u] = run(adaptiveGradClip(0.1), [W], [[Number.NaN, 1]]);
    expect(Number.isNaN((u as number[])[0])).toBe(true);
    expect(Number.isNaN((u as number[])[1])).toBe(true);
  });

  it('rejects a negative or NaN clipping and a negative eps, naming the argument', () => {
    expect(() => adaptiveGradClip(-0.1)).toThrow(/^adaptiveGradClip: clipping must be/);
    expect(() => adaptiveGradClip(Number.NaN)).toThrow(/^adaptiveGradClip: clipping must be/);
    expect(() => adaptiveGradClip(0.1, -1)).toThrow(/^adaptiveGradClip: eps must be/);
  });
});
