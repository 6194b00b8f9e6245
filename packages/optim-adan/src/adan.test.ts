import { type Tensor, tensor } from '@nablajs/core';
import { createOptimizer, decodeState, listOptimizers, type Optimizer, resetRegistry, usePlugin } from '@nablajs/optim';
import { checkOptimizerConformance } from '@nablajs/optim/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import adanPlugin, { type AdanState, adan } from './index';

const f64 = (values: number[]) => tensor(values, { dtype: 'float64', requiresGrad: true });

function setGrad(p: Tensor, values: number[]): void {
  p.grad = tensor(values, { dtype: p.dtype });
}

function expectClose(actual: ArrayLike<number>, expected: readonly number[], tol = 1e-14): void {
  expect(actual.length).toBe(expected.length);
  for (let j = 0; j < expected.length; j++)
    expect(Math.abs(actual[j] - expected[j])).toBeLessThanOrEqual(tol * Math.max(1, Math.abs(expected[j])));
}

/** The state of scaleByAdan (block 1 of the recipe) for group `g`. */
function adanState(opt: Optimizer, g = 0): AdanState {
  return (decodeState(opt.stateDict().state[g]) as unknown[])[1] as AdanState;
}

afterEach(() => resetRegistry());

describe('adan: hand-computed steps (the authors’ adan.py)', () => {
  it('two steps with the moments, bias corrections and the Nesterov term', () => {
    const [b1, b2, b3] = [0.8, 0.7, 0.9];
    const lr = 0.1;
    const eps = 1e-3;
    const p = f64([1, -2]);
    const opt = adan([p], { lr, betas: [b1, b2, b3], eps });
    const g1 = [0.5, -4];
    const g2 = [-1, -3];
    setGrad(p, g1);
    opt.step();
    // Step 1: g_prev = g, d = 0: m = (1-β₁)g, v = 0, n = (1-β₃)g², so u = g / (|g| + ε).
    const p1 = [1 - (lr * 0.5) / (0.5 + eps), -2 + (lr * 4) / (4 + eps)];
    expectClose(p.data, p1);
    setGrad(p, g2);
    opt.step();
    const p2 = p1.map((x, j) => {
      const d = g2[j] - g1[j];
      const m = b1 * (1 - b1) * g1[j] + (1 - b1) * g2[j];
      const v = (1 - b2) * d;
      const n = b3 * (1 - b3) * g1[j] ** 2 + (1 - b3) * (g2[j] + b2 * d) ** 2;
      const denom = Math.sqrt(n / (1 - b3 ** 2)) + eps;
      return x - (lr * (m / (1 - b1 ** 2) + (b2 * v) / (1 - b2 ** 2))) / denom;
    });
    expectClose(p.data, p2);
    const s = adanState(opt);
    expect(s.step).toEqual([2]);
    expectClose(s.prevGrad[0], g2);
  });

  it('decays the weights proximally by default, AdamW-style with noProx (zero gradient: no Adan step)', () => {
    const lr = 0.1;
    const wd = 0.5;
    const prox = f64([2, -1]);
    const plain = f64([2, -1]);
    const optProx = adan([prox], { lr, weightDecay: wd });
    const optPlain = adan([plain], { lr, weightDecay: wd, noProx: true });
    for (let t = 1; t <= 3; t++) {
      setGrad(prox, [0, 0]);
      setGrad(plain, [0, 0]);
      optProx.step();
      optPlain.step();
      expectClose(prox.data, [2 / (1 + lr * wd) ** t, -1 / (1 + lr * wd) ** t]);
      expectClose(plain.data, [2 * (1 - lr * wd) ** t, -1 * (1 - lr * wd) ** t]);
    }
  });

  it('proximal decay divides the whole step: p ← (p - lr·u) / (1 + lr·λ)', () => {
    const lr = 0.05;
    const wd = 0.2;
    const a = f64([1.5, -0.5]);
    const b = f64([1.5, -0.5]);
    const withDecay = adan([a], { lr, weightDecay: wd });
    const without = adan([b], { lr });
    setGrad(a, [0.3, 0.7]);
    setGrad(b, [0.3, 0.7]);
    withDecay.step();
    without.step();
    expectClose(
      a.data,
      Array.from(b.data, (x) => x / (1 + lr * wd)),
    );
  });
});

describe('adan: clipping by the global gradient norm over all groups', () => {
  /** The reference's factor: float32 sum, square root and division, capped at 1. */
  function referenceFactor(grads: number[][], maxNorm: number, eps: number): number {
    let total = 0;
    for (const g of grads) total = Math.fround(total + Math.fround(g.reduce((s, x) => s + x * x, 0)));
    const norm = Math.fround(Math.sqrt(total));
    return Math.min(1, Math.fround(Math.fround(maxNorm) / Math.fround(norm + Math.fround(eps))));
  }

  it('equals the unclipped optimizer fed the gradients times the reference’s float32 factor', () => {
    const gA = [[3, -4], [1]];
    const gB = [[-2, 1], [0.5]];
    const clipped = [f64([1, 2]), f64([-1])];
    const plain = [f64([1, 2]), f64([-1])];
    const optC = adan([{ params: [clipped[0]] }, { params: [clipped[1]], lr: 0.02 }], { lr: 0.01, maxGradNorm: 1.5 });
    const optP = adan([{ params: [plain[0]] }, { params: [plain[1]], lr: 0.02 }], { lr: 0.01 });
    for (const grads of [gA, gB, gA]) {
      const k = referenceFactor(grads, 1.5, 1e-8);
      expect(k).toBeLessThan(1);
      grads.forEach((g, i) => {
        setGrad(clipped[i], g);
        setGrad(
          plain[i],
          g.map((x) => x * k),
        );
      });
      optC.step();
      optP.step();
      for (let i = 0; i < 2; i++) expect(Array.from(clipped[i].data)).toEqual(Array.from(plain[i].data));
    }
    expect(optC.stateDict().global).toEqual({ 'adan.gradSqSum': 26 }); // the last step's 3² + 4² + 1²
  });

  it('computes the factor in float32 for float64 parameters, as the reference does', () => {
    // ‖g‖ = 3 exactly; 0.1 / (3 + 1e-8) is not a float32 number, the factor is its float32 rounding.
    const p = f64([0, 0]);
    const q = f64([0, 0]);
    const opt = adan([p], { lr: 1, maxGradNorm: 0.1, betas: [0, 0, 0] });
    const ref = adan([q], { lr: 1, betas: [0, 0, 0] });
    const k = Math.fround(Math.fround(0.1) / Math.fround(3 + Math.fround(1e-8)));
    expect(k).not.toBe(0.1 / (3 + 1e-8));
    setGrad(p, [3, 0]);
    setGrad(q, [3 * k, 0]);
    opt.step();
    ref.step();
    expect(Array.from(p.data)).toEqual(Array.from(q.data));
  });

  it('couples the groups only when maxGradNorm > 0: another group’s gradient changes the step', () => {
    const run = (maxGradNorm: number, other: number) => {
      const a = f64([1, 1]);
      const b = f64([1]);
      const opt = adan([{ params: [a] }, { params: [b] }], { lr: 0.1, maxGradNorm });
      for (let t = 0; t < 3; t++) {
        setGrad(a, [0.3, -0.2 * t]);
        setGrad(b, [other * (t + 1)]);
        opt.step();
      }
      return Array.from(a.data);
    };
    expect(run(0.5, 1)).not.toEqual(run(0.5, 5));
    expect(run(0, 1)).toEqual(run(0, 5));
    expect(adan([f64([1])]).couples?.global).toBe(true);
  });

  it('does not clip when the norm is below maxGradNorm (factor exactly 1)', () => {
    const a = f64([1, -1]);
    const b = f64([1, -1]);
    const clipped = adan([a], { lr: 0.1, maxGradNorm: 10 });
    const plain = adan([b], { lr: 0.1 });
    for (const g of [
      [0.3, 0.4],
      [-1, 2],
    ]) {
      setGrad(a, g);
      setGrad(b, g);
      clipped.step();
      plain.step();
    }
    expect(Array.from(a.data)).toEqual(Array.from(b.data));
  });
});

describe('adan: per-parameter steps and options', () => {
  it('skips a parameter without a gradient: no move, no step, and its first difference is still zero', () => {
    const a = f64([1, 2]);
    const b = f64([3]);
    const opt = adan([a, b], { lr: 0.1 });
    setGrad(a, [1, 1]);
    opt.step();
    expect(Array.from(b.data)).toEqual([3]);
    expect(adanState(opt).step).toEqual([1, 0]);
    setGrad(a, [2, 1]);
    setGrad(b, [-0.5]);
    opt.step();
    // b's first step: u = g / (|g| + ε), whatever a's step count.
    expectClose(b.data, [3 + 0.1 * (0.5 / (0.5 + 1e-8))]);
    expect(adanState(opt).step).toEqual([2, 1]);
  });

  it('reads the hyperparameters at every step (schedulers change them)', () => {
    const run = (change: boolean) => {
      const p = f64([1, -1]);
      const opt = adan([p], { lr: 0.1 });
      for (let t = 0; t < 4; t++) {
        if (change && t === 2) {
          opt.paramGroups[0].betas = [0.5, 0.5, 0.5];
          opt.paramGroups[0].weightDecay = 0.3;
        }
        setGrad(p, [Math.sin(t + 1), Math.cos(t + 1)]);
        opt.step();
      }
      return Array.from(p.data);
    };
    expect(run(true)).not.toEqual(run(false));
  });

  it('has the reference’s defaults', () => {
    const opt = adan([f64([1])]);
    expect(opt.defaults).toEqual({
      lr: 1e-3,
      betas: [0.98, 0.92, 0.99],
      eps: 1e-8,
      weightDecay: 0,
      maxGradNorm: 0,
      noProx: false,
    });
  });

  it('rejects invalid options, naming the option', () => {
    const p = [f64([1])];
    expect(() => adan(p, { betas: [0.9, 0.9] })).toThrow('adan: betas must be an array of 3 numbers, got [0.9,0.9]');
    expect(() => adan(p, { betas: [0.9, 1, 0.9] })).toThrow('adan: betas[1] must be in [0, 1), got 1');
    expect(() => adan(p, { eps: -1 })).toThrow('adan: eps must be in [0, inf), got -1');
    expect(() => adan(p, { weightDecay: -0.1 })).toThrow('adan: weightDecay must be in [0, inf), got -0.1');
    expect(() => adan(p, { maxGradNorm: -1 })).toThrow('adan: maxGradNorm must be in [0, inf), got -1');
    expect(() => adan(p, { noProx: 1 as unknown as boolean })).toThrow('adan: noProx must be true or false, got 1');
    expect(() => adan(p, { lr: -1 })).toThrow('adan: lr must be in [0, inf), got -1');
  });

  it('passes the conformance suite, with and without clipping and weight decay', () => {
    for (const options of [
      { lr: 0.01 },
      { lr: 0.01, maxGradNorm: 0.5, weightDecay: 0.01 },
      { lr: 0.01, noProx: true, weightDecay: 0.05 },
    ]) {
      const result = checkOptimizerConformance(adan, {
        name: 'adan',
        options,
        invalidOptions: [{ betas: [0.9, 0.9, 1] }, { maxGradNorm: -1 }, { noProx: 'yes' }, { eps: -1 }],
      });
      expect(result.failures).toEqual([]);
    }
  });

  it('registers adan through its plugin', () => {
    usePlugin(adanPlugin);
    expect(adanPlugin.name).toBe('@nablajs/optim-adan');
    expect(listOptimizers()).toContain('adan');
    const opt = createOptimizer('adan', [f64([1, 2])], { maxGradNorm: 1 });
    expect(opt.name).toBe('adan');
    expect(opt.paramGroups[0].maxGradNorm).toBe(1);
  });
});
