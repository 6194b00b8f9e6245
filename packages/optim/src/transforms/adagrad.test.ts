import { type Tensor, tensor } from '@nablajs/core';
import { describe, expect, it } from 'vitest';
import { stepContext } from '../context';
import type { Hyperparams, StepContext } from '../types';
import { scaleByAdagrad } from './adagrad';

const params = (...sizes: number[]): Tensor[] => sizes.map((n) => tensor(new Float64Array(n)));
const base = { lr: 0.01, lrDecay: 0, eps: 1e-10, initialAccumulatorValue: 0 };
const ctxOf = (ps: Tensor[], hp: Partial<Hyperparams> = {}): StepContext => stepContext(ps, { ...base, ...hp });

describe('scaleByAdagrad', () => {
  it('starts the sum at initialAccumulatorValue and scales by sqrt(sum) + eps', () => {
    const ps = params(2);
    const rule = scaleByAdagrad();
    const state = rule.init(ps, ctxOf(ps, { initialAccumulatorValue: 0.5 }).hp);
    expect(Array.from(state.sum[0])).toEqual([0.5, 0.5]);
    const u = new Float64Array([1, -2]);
    rule.update([u], state, ctxOf(ps));
    expect(Array.from(state.sum[0])).toEqual([1.5, 4.5]);
    expect(u[0]).toBeCloseTo(1 / (Math.sqrt(1.5) + 1e-10), 15);
    expect(u[1]).toBeCloseTo(-2 / (Math.sqrt(4.5) + 1e-10), 15);
    expect(state.step).toEqual([1]);
  });

  it('puts eps outside the square root', () => {
    const ps = params(1);
    const rule = scaleByAdagrad();
    const state = rule.init(ps, ctxOf(ps).hp);
    const u = new Float64Array([1e-4]);
    rule.update([u], state, ctxOf(ps, { eps: 1e-4 }));
    expect(u[0]).toBeCloseTo(0.5, 12);
  });

  it('decays by 1 / (1 + (t - 1) * lrDecay), per parameter step count', () => {
    const ps = params(1, 1);
    const rule = scaleByAdagrad();
    const state = rule.init(ps, ctxOf(ps).hp);
    const ctx = ctxOf(ps, { lrDecay: 0.5, eps: 0 });
    const a = new Float64Array([1]);
    rule.update([a, null], state, ctx);
    expect(a[0]).toBe(1); // t = 1: no decay
    const b = new Float64Array([1]);
    const c = new Float64Array([1]);
    rule.update([b, c], state, ctx);
    expect(state.step).toEqual([2, 1]);
    expect(b[0]).toBeCloseTo(1 / Math.sqrt(2) / 1.5, 15);
    expect(c[0]).toBe(1); // the second parameter is at its first step
  });

  it("reads lrDecay at every step and keeps the sum in the parameter's dtype", () => {
    const ps = [tensor(new Float32Array(1))];
    const rule = scaleByAdagrad();
    const state = rule.init(ps, ctxOf(ps).hp);
    expect(state.sum[0]).toBeInstanceOf(Float32Array);
    rule.update([new Float32Array([1])], state, ctxOf(ps, { eps: 0 }));
    const u = new Float32Array([1]);
    rule.update([u], state, ctxOf(ps, { eps: 0, lrDecay: 1 }));
    expect(u[0]).toBeCloseTo(1 / Math.sqrt(2) / 2, 6);
  });
});
