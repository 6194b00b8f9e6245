import { type Tensor, tensor } from '@nablajs/core';
import { describe, expect, it } from 'vitest';
import { chain } from '../chain';
import { stepContext } from '../context';
import { defineOptimizer } from '../define';
import type { Hyperparams } from '../types';
import { flipIfMaximize, scaleByLearningRate } from './basic';
import { cautious } from './cautious';
import { traceMomentum } from './momentum';

const hp: Hyperparams = { lr: 0.1 };

/** A float64 parameter holding `values`, with gradient `grad`. */
function withGrad(values: number[], grad: number[]): Tensor {
  const p = tensor(values, { dtype: 'float64', requiresGrad: true });
  p.grad = tensor(grad, { dtype: 'float64' });
  return p;
}

/** Run the block once on `updates` (copies) for `params`, returning the transformed updates. */
function mask(params: Tensor[], updates: (number[] | null)[], h: Hyperparams = hp): (Float64Array | null)[] {
  const u = updates.map((x) => (x === null ? null : Float64Array.from(x)));
  const rule = cautious();
  rule.update(u, rule.init(params, h), stepContext(params, h, { updates: u }));
  return u;
}

/** The values of `u`, with -0 as 0 (a masked element is `u·0`, whose sign follows `u`). */
function values(u: Float64Array | null): number[] {
  return Array.from(u ?? [], (v) => v + 0);
}

describe('cautious', () => {
  it('zeroes the elements whose sign disagrees with the gradient and divides the rest by the fraction kept', () => {
    // signs of u: + - + -; of g: + + - -: kept elements 0 and 3, mean 2/4 = 0.5, scale 2.
    const p = withGrad([0, 0, 0, 0], [1, 2, -3, -4]);
    const [u] = mask([p], [[1, -2, 3, -4]]);
    expect(values(u)).toEqual([2, 0, 0, -8]);
  });

  it('leaves the update exactly as it was when every element agrees (signs compared: no underflow)', () => {
    // 1e-300 · 1e-300 underflows to 0 in floating point; the signs still agree.
    const p = withGrad([0, 0, 0], [0.5, -1e-300, 1e-300]);
    const [u] = mask([p], [[0.1, -3, 1e-300]]);
    expect(values(u)).toEqual([0.1, -3, 1e-300]);
  });

  it('masks an element whose gradient or update is zero (0·g is not > 0)', () => {
    const p = withGrad([0, 0, 0, 0], [0, 1, 1, 1]);
    const [u] = mask([p], [[1, 0, 1, 1]]);
    // kept: elements 2 and 3, mean 0.5
    expect(values(u)).toEqual([0, 0, 2, 2]);
  });

  it('floors the mean at 1e-3: one agreeing element in 4000 is scaled by 1000, not 4000', () => {
    const n = 4000;
    const g = new Array<number>(n).fill(-1);
    g[17] = 1;
    const p = withGrad(new Array<number>(n).fill(0), g);
    const [u] = mask([p], [new Array<number>(n).fill(0.5)]);
    expect(u![17]).toBe(500);
    let others = 0;
    for (let j = 0; j < n; j++) if (j !== 17) others += Math.abs(u![j]);
    expect(others).toBe(0);
    // Above the floor the scale is n / kept: 8 agreeing elements in 4000 give 500.
    for (let j = 0; j < 8; j++) g[j * 100] = 1;
    g[17] = -1;
    const q = withGrad(new Array<number>(n).fill(0), g);
    const [w] = mask([q], [new Array<number>(n).fill(0.5)]);
    expect(w![0]).toBe(250);
    expect(w![1]).toBe(0);
  });

  it('zeroes everything when no element agrees', () => {
    const p = withGrad([0, 0], [1, -1]);
    const [u] = mask([p], [[-1, 1]]);
    expect(values(u)).toEqual([0, 0]);
  });

  it('takes the mean per parameter tensor, and skips parameters without an update', () => {
    const a = withGrad([0, 0], [1, 1]);
    const b = withGrad([0, 0, 0, 0], [1, 1, 1, -1]);
    const c = withGrad([0], [1]);
    const [ua, ub, uc] = mask([a, b, c], [[1, -1], [1, 1, 1, 1], null]);
    expect(values(ua)).toEqual([2, 0]); // mean 1/2
    expect(values(ub)).toEqual([4 / 3, 4 / 3, 4 / 3, 0]); // mean 3/4
    expect(uc).toBeNull();
  });

  it('compares with -g when the group maximizes (the rules see the flipped gradient)', () => {
    const p = withGrad([0, 0], [1, -1]);
    const [u] = mask([p], [[-1, -1]], { lr: 0.1, maximize: true });
    expect(values(u)).toEqual([-2, 0]);
  });

  it('keeps a masked NaN or infinite update visible as NaN, like exp_avg * mask', () => {
    const p = withGrad([0, 0, 0, 0], [1, -1, 1, 1]);
    const [u] = mask([p], [[Number.NaN, Number.POSITIVE_INFINITY, 1, 1]]);
    expect(Number.isNaN(u![0])).toBe(true);
    expect(Number.isNaN(u![1])).toBe(true);
    expect(Array.from(u!.subarray(2))).toEqual([2, 2]);
  });

  it('never changes the gradients and keeps no state', () => {
    const p = withGrad([0, 0], [1, -2]);
    const rule = cautious();
    expect(rule.init([p], hp)).toBeNull();
    mask([p], [[-1, -1]]);
    expect(Array.from(p.grad!.data)).toEqual([1, -2]);
  });

  it('chains after a momentum rule: cautious heavy-ball SGD matches the hand-written loop', () => {
    const cautiousSgd = defineOptimizer({
      name: 'cautiousSgd',
      defaults: { lr: 0.05, momentum: 0.9, dampening: 0, nesterov: false, maximize: false },
      rule: chain(flipIfMaximize(), traceMomentum(), cautious(), scaleByLearningRate()),
    });
    // f(x) = Σ c_j x_j⁴ / 4 + x_j²/2: the momentum overshoots, so the mask acts at some steps.
    const c = [3, 1, 0.5];
    const loss = (x: Tensor) =>
      x
        .pow(4)
        .mul(tensor(c, { dtype: 'float64' }))
        .mul(0.25)
        .sum()
        .add(x.square().mul(0.5).sum());
    const x = tensor([1.5, -2, 1], { dtype: 'float64', requiresGrad: true });
    const opt = cautiousSgd([x]);
    const y = [1.5, -2, 1];
    const buf = [0, 0, 0];
    let masked = 0;
    for (let t = 1; t <= 30; t++) {
      opt.zeroGrad();
      loss(x).backward();
      opt.step();
      const g = y.map((v, j) => c[j] * v ** 3 + v);
      for (let j = 0; j < 3; j++) buf[j] = t === 1 ? g[j] : 0.9 * buf[j] + g[j];
      const keep = buf.map((b, j) => b * g[j] > 0);
      const kept = keep.filter(Boolean).length;
      masked += 3 - kept;
      const scale = 1 / Math.max(kept / 3, 1e-3);
      for (let j = 0; j < 3; j++) y[j] -= 0.05 * (keep[j] ? buf[j] * scale : 0);
      for (let j = 0; j < 3; j++)
        expect(Math.abs(x.data[j] - y[j])).toBeLessThanOrEqual(1e-13 * Math.max(1, Math.abs(y[j])));
    }
    expect(masked).toBeGreaterThan(0);
  });
});
