import { type Tensor, tensor } from '@nablajs/core';
import { describe, expect, it } from 'vitest';
import { chain } from '../chain';
import { defineOptimizer } from '../define';
import { decodeState } from '../state';
import { checkOptimizerConformance } from '../testkit';
import type { UpdateRule } from '../types';
import { scaleByAdam } from './adam';
import { applyIfFinite, applyIfFiniteStats } from './apply-if-finite';
import { addWeightDecay, flipIfMaximize, scaleByLearningRate } from './basic';
import { clipByGlobalNorm } from './clip-by-global-norm';

const ADAM_DEFAULTS = { lr: 0.1, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0, amsgrad: false, maximize: false };
const adamRule = () => chain(flipIfMaximize(), addWeightDecay(), scaleByAdam(), scaleByLearningRate());

/** Adam, plain or wrapped by applyIfFinite(·, max). */
function adamOf(max?: number) {
  return defineOptimizer({
    name: max === undefined ? 'adamPlain' : 'adamSafe',
    defaults: ADAM_DEFAULTS,
    rule: max === undefined ? adamRule() : applyIfFinite(adamRule(), max),
  });
}

const param = (values: number[]) => tensor(values, { dtype: 'float64', requiresGrad: true });
const setGrad = (p: Tensor, values: number[]) => {
  p.grad = tensor(values, { dtype: 'float64' });
};

describe('applyIfFinite', () => {
  it('takes finite steps exactly as the inner rule does', () => {
    const a = param([1, -2]);
    const b = param([1, -2]);
    const safe = adamOf(3)([a]);
    const plain = adamOf()([b]);
    for (const g of [
      [0.5, -1],
      [2, 0.25],
      [-1, 3],
    ]) {
      setGrad(a, g);
      setGrad(b, g);
      safe.step();
      plain.step();
      expect(Array.from(a.data)).toEqual(Array.from(b.data));
    }
    expect(applyIfFiniteStats(safe)).toEqual({ notFiniteCount: 0, lastFinite: true, totalNotFinite: 0 });
  });

  it('skips a step with a NaN in any group: parameters and inner state untouched, counters up', () => {
    const w = param([1, -2]);
    const b = param([0.5]);
    const opt = adamOf(3)([{ params: [w] }, { params: [b] }]);
    setGrad(w, [0.5, -1]);
    setGrad(b, [1]);
    opt.step();
    const before = JSON.stringify(opt.stateDict().state);
    const wBefore = Array.from(w.data);
    const bBefore = Array.from(b.data);
    setGrad(w, [0.5, -1]); // finite here, NaN in the other group: the whole step is skipped
    setGrad(b, [Number.NaN]);
    opt.step();
    expect(Array.from(w.data)).toEqual(wBefore);
    expect(Array.from(b.data)).toEqual(bBefore);
    expect(JSON.stringify(opt.stateDict().state)).toBe(before);
    expect(applyIfFiniteStats(opt)).toEqual({ notFiniteCount: 1, lastFinite: false, totalNotFinite: 1 });
    // a finite step resets the run but not the total, and moves again
    setGrad(w, [1, 1]);
    setGrad(b, [1]);
    opt.step();
    expect(w.data[0]).not.toBe(wBefore[0]);
    expect(applyIfFiniteStats(opt)).toEqual({ notFiniteCount: 0, lastFinite: true, totalNotFinite: 1 });
  });

  it('after maxConsecutiveErrors skipped steps in a row, takes the next non-finite one', () => {
    const w = param([1, 2]);
    const opt = adamOf(2)([w]);
    const start = Array.from(w.data);
    for (let k = 1; k <= 2; k++) {
      setGrad(w, [Number.POSITIVE_INFINITY, 1]);
      opt.step();
      expect(Array.from(w.data)).toEqual(start);
      expect(applyIfFiniteStats(opt).notFiniteCount).toBe(k);
    }
    setGrad(w, [Number.POSITIVE_INFINITY, 1]);
    opt.step(); // the third in a row: taken, and the infinity reaches the parameter
    expect(Number.isFinite(w.data[0])).toBe(false);
    expect(applyIfFiniteStats(opt)).toEqual({ notFiniteCount: 3, lastFinite: false, totalNotFinite: 3 });
  });

  it('maxConsecutiveErrors 0 skips nothing', () => {
    const w = param([1]);
    const opt = adamOf(0)([w]);
    setGrad(w, [Number.NaN]);
    opt.step();
    expect(Number.isNaN(w.data[0])).toBe(true);
  });

  it('keeps its counters in the state dict: a reloaded optimizer continues the run', () => {
    const w = param([1, 2]);
    const opt = adamOf(1)([w]);
    setGrad(w, [Number.NaN, 0]);
    opt.step();
    const sd = JSON.parse(JSON.stringify(opt.stateDict()));
    const v = param([1, 2]);
    const again = adamOf(1)([v]);
    again.loadStateDict(sd);
    expect(applyIfFiniteStats(again)).toEqual({ notFiniteCount: 1, lastFinite: false, totalNotFinite: 1 });
    setGrad(v, [Number.NaN, 0]);
    again.step(); // the second in a row with max 1: taken
    expect(Number.isNaN(v.data[0])).toBe(true);
  });

  it('zeroes the whole update of a skipped step, including a decay the inner rule would add', () => {
    const w = param([1, 2]);
    const opt = adamOf(5)([w], { weightDecay: 0.5 });
    setGrad(w, [Number.NaN, 0]);
    opt.step();
    expect(Array.from(w.data)).toEqual([1, 2]);
    const inner = (decodeState(opt.stateDict().state[0]) as unknown[])[2] as { step: number[] };
    expect(inner.step).toEqual([0]);
  });

  it('passes the optimizer conformance suite (float64 and float32)', () => {
    for (const dtype of ['float64', 'float32'] as const)
      expect(checkOptimizerConformance(adamOf(3), { name: 'adamSafe', dtype }).failures).toEqual([]);
  });

  it('reports the initial counters before any step', () => {
    expect(applyIfFiniteStats(adamOf(1)([param([1])]))).toEqual({
      notFiniteCount: 0,
      lastFinite: true,
      totalNotFinite: 0,
    });
  });

  it('rejects a bad maxConsecutiveErrors, a non-rule and a rule with passes, naming the argument', () => {
    expect(() => applyIfFinite(adamRule(), -1)).toThrow(/^applyIfFinite: maxConsecutiveErrors must be/);
    expect(() => applyIfFinite(adamRule(), 1.5)).toThrow(/^applyIfFinite: maxConsecutiveErrors must be/);
    expect(() => applyIfFinite(null as unknown as UpdateRule<null>, 1)).toThrow(/^applyIfFinite: inner must be/);
    const withPasses: UpdateRule<null> = { init: () => null, update: () => {}, passes: [() => {}] };
    expect(() => applyIfFinite(chain(clipByGlobalNorm(1), withPasses), 1)).toThrow(/^applyIfFinite: inner has passes/);
  });
});
