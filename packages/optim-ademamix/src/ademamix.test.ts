import { type Tensor, tensor } from '@nablajs/core';
import { createOptimizer, decodeState, listOptimizers, type Optimizer, resetRegistry, usePlugin } from '@nablajs/optim';
import { checkOptimizerConformance } from '@nablajs/optim/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import ademamixPlugin, { type AdemamixState, ademamix, linearHalfLifeWarmup, linearWarmup } from './index';

const f64 = (values: number[]) => tensor(values, { dtype: 'float64', requiresGrad: true });

function setGrad(p: Tensor, values: number[]): void {
  p.grad = tensor(values, { dtype: p.dtype });
}

function expectClose(actual: ArrayLike<number>, expected: readonly number[], tol = 1e-14): void {
  expect(actual.length).toBe(expected.length);
  for (let j = 0; j < expected.length; j++)
    expect(Math.abs(actual[j] - expected[j])).toBeLessThanOrEqual(tol * Math.max(1, Math.abs(expected[j])));
}

function state(opt: Optimizer): AdemamixState {
  return (decodeState(opt.stateDict().state[0]) as unknown[])[0] as AdemamixState;
}

afterEach(() => resetRegistry());

describe('warm-up schedules (the authors’ linear_warmup_scheduler and linear_hl_warmup_scheduler)', () => {
  it('alpha rises linearly from the start value and stays at the end value from step `warmup` on', () => {
    expect(linearWarmup(25, 8, 0, 100)).toBe(2);
    expect(linearWarmup(1, 5, 0, 10)).toBe(0.5);
    expect(linearWarmup(5, 3, 1, 10)).toBe(2);
    expect(linearWarmup(10, 5, 0, 10)).toBe(5);
    expect(linearWarmup(11, 5, 0, 10)).toBe(5);
    expect(linearWarmup(3, 5, 0, 0)).toBe(5);
  });

  it('beta3 interpolates the half-life linearly (half-life of β: ln 0.5 / ln β)', () => {
    const halfLife = (b: number) => Math.log(0.5) / Math.log(b);
    const start = 0.9;
    const end = 0.9999;
    const warmup = 40;
    for (let t = 1; t < warmup; t++) {
      const a = t / warmup;
      const want = (1 - a) * halfLife(start) + a * halfLife(end);
      // The authors add 1e-8 inside the logarithm, so this matches to ~1e-8 · d(halfLife)/dβ relative.
      expect(Math.abs(halfLife(linearHalfLifeWarmup(t, end, start, warmup)) / want - 1)).toBeLessThan(1e-3);
      // The paper's closed form, min(exp(ln βs · ln β₃ / ((1 - a) ln β₃ + a ln βs)), β₃):
      const paper = Math.min(
        Math.exp((Math.log(start) * Math.log(end)) / ((1 - a) * Math.log(end) + a * Math.log(start))),
        end,
      );
      // equal but for the authors' 1e-8 in ln(β + 1e-8), which lengthens the half-life of β₃ = 0.9999 by ~0.7 step.
      const code = linearHalfLifeWarmup(t, end, start, warmup);
      expect(code).toBeGreaterThanOrEqual(paper);
      expect(code - paper).toBeLessThan(1e-6);
    }
    expect(linearHalfLifeWarmup(warmup, end, start, warmup)).toBe(end);
    expect(linearHalfLifeWarmup(1000, end, start, warmup)).toBe(end);
  });

  it('beta3 at step 1 of a 15-step warm-up from 0.9 to 0.9999 (hand computation)', () => {
    const f = (b: number) => Math.log(0.5) / Math.log(b + 1e-8) - 1;
    const tau = (14 / 15) * f(0.9) + (1 / 15) * f(0.9999);
    expect(linearHalfLifeWarmup(1, 0.9999, 0.9, 15)).toBe(0.5 ** (1 / (tau + 1)));
    expect(linearHalfLifeWarmup(1, 0.9999, 0.9, 15)).toBeCloseTo(0.998521, 6);
  });
});

describe('ademamix: hand-computed steps (the authors’ pytorch/ademamix.py)', () => {
  it('two steps mixing the bias-corrected fast EMA with the uncorrected slow EMA, with weight decay', () => {
    const [b1, b2, b3] = [0.5, 0.75, 0.9];
    const [lr, alpha, eps, wd] = [0.1, 3, 1e-4, 0.2];
    const p = f64([1, -2]);
    const opt = ademamix([p], { lr, betas: [b1, b2, b3], alpha, eps, weightDecay: wd });
    const g1 = [0.5, -4];
    const g2 = [-1, -3];
    let x = [1, -2];
    const m1 = [0, 0];
    const m2 = [0, 0];
    const nu = [0, 0];
    [g1, g2].forEach((g, k) => {
      const t = k + 1;
      setGrad(p, g);
      opt.step();
      x = x.map((xj, j) => {
        m1[j] = b1 * m1[j] + (1 - b1) * g[j];
        m2[j] = b3 * m2[j] + (1 - b3) * g[j];
        nu[j] = b2 * nu[j] + (1 - b2) * g[j] ** 2;
        const u = (m1[j] / (1 - b1 ** t) + alpha * m2[j]) / (Math.sqrt(nu[j] / (1 - b2 ** t)) + eps);
        return xj - lr * (u + wd * xj);
      });
      expectClose(p.data, x);
    });
    const s = state(opt);
    expect(s.step).toEqual([2]);
    expectClose(s.m2[0], m2);
  });

  it('warms alpha and beta3 up per parameter step', () => {
    // With the warm-ups, the first step uses α₁ = α/T_α and β₃,₁ from the half-life schedule.
    const p = f64([1]);
    const opt = ademamix([p], { lr: 0.1, betas: [0.9, 0.99, 0.999], alpha: 4, alphaWarmup: 8, beta3Warmup: 5 });
    setGrad(p, [2]);
    opt.step();
    const b3 = linearHalfLifeWarmup(1, 0.999, 0.9, 5);
    const m2 = (1 - b3) * 2;
    const u = (2 + (4 / 8) * m2) / (Math.sqrt((0.01 * 4) / 0.01) + 1e-8);
    expectClose(p.data, [1 - 0.1 * u]);
    expectClose(state(opt).m2[0], [m2]);
  });

  it('with β₁ = 0 uses the gradient itself and keeps no fast buffer', () => {
    const p = f64([1, 1]);
    const opt = ademamix([p], { lr: 0.1, betas: [0, 0.9, 0.99], alpha: 0 });
    setGrad(p, [3, -0.5]);
    opt.step();
    expect(state(opt).m1).toEqual([null]);
    // u = g / (|g| + ε): a sign step at the first step.
    expectClose(p.data, [1 - 0.1 * (3 / (3 + 1e-8)), 1 + 0.1 * (0.5 / (0.5 + 1e-8))]);
    // A scheduler may raise β₁ later: the buffer starts from zero then.
    opt.paramGroups[0].betas = [0.5, 0.9, 0.99];
    setGrad(p, [1, 1]);
    opt.step();
    expectClose(state(opt).m1[0] as ArrayLike<number>, [0.5, 0.5]);
  });

  it('skips a parameter without a gradient: no move, no step (its warm-ups start later)', () => {
    const a = f64([1]);
    const b = f64([2]);
    const opt = ademamix([a, b], { lr: 0.1, alphaWarmup: 10 });
    setGrad(a, [1]);
    opt.step();
    expect(Array.from(b.data)).toEqual([2]);
    expect(state(opt).step).toEqual([1, 0]);
  });

  it('has the authors’ PyTorch defaults', () => {
    expect(ademamix([f64([1])]).defaults).toEqual({
      lr: 1e-3,
      betas: [0.9, 0.999, 0.9999],
      alpha: 2,
      beta3Warmup: null,
      alphaWarmup: null,
      eps: 1e-8,
      weightDecay: 0,
    });
  });

  it('rejects invalid options, naming the option', () => {
    const p = [f64([1])];
    expect(() => ademamix(p, { betas: [0.9, 0.999] })).toThrow(
      'ademamix: betas must be an array of 3 numbers, got [0.9,0.999]',
    );
    expect(() => ademamix(p, { betas: [0.9, 0.999, 1] })).toThrow('ademamix: betas[2] must be in [0, 1), got 1');
    expect(() => ademamix(p, { alpha: -1 })).toThrow('ademamix: alpha must be in [0, inf), got -1');
    expect(() => ademamix(p, { alphaWarmup: 2.5 })).toThrow(
      'ademamix: alphaWarmup must be null or an integer in [0, inf), got 2.5',
    );
    expect(() => ademamix(p, { beta3Warmup: -3 })).toThrow(
      'ademamix: beta3Warmup must be null or an integer in [0, inf), got -3',
    );
    expect(() => ademamix(p, { beta3Warmup: '10' as unknown as number })).toThrow(
      'ademamix: beta3Warmup must be null or an integer in [0, inf), got "10"',
    );
    expect(() => ademamix(p, { eps: -1 })).toThrow('ademamix: eps must be in [0, inf), got -1');
    expect(() => ademamix(p, { weightDecay: -1 })).toThrow('ademamix: weightDecay must be in [0, inf), got -1');
  });

  it('passes the conformance suite, with and without warm-ups', () => {
    for (const options of [
      { lr: 0.01 },
      { lr: 0.01, alpha: 5, alphaWarmup: 10, beta3Warmup: 10, weightDecay: 0.01 },
      { lr: 0.01, betas: [0, 0.99, 0.99] },
    ]) {
      const result = checkOptimizerConformance(ademamix, {
        name: 'ademamix',
        options,
        invalidOptions: [{ betas: [0.9, 0.9] }, { alpha: -1 }, { alphaWarmup: 1.5 }, { beta3Warmup: -1 }],
      });
      expect(result.failures).toEqual([]);
    }
  });

  it('registers ademamix through its plugin', () => {
    usePlugin(ademamixPlugin);
    expect(ademamixPlugin.name).toBe('@nablajs/optim-ademamix');
    expect(listOptimizers()).toContain('ademamix');
    const opt = createOptimizer('ademamix', [f64([1, 2])], { alphaWarmup: 100 });
    expect(opt.name).toBe('ademamix');
    expect(opt.paramGroups[0].alphaWarmup).toBe(100);
  });
});
