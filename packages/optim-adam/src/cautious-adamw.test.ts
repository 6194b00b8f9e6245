import { type Tensor, tensor } from '@nablajs/core';
import { createOptimizer, decodeState, type Optimizer, resetRegistry, usePlugin } from '@nablajs/optim';
import { checkOptimizerConformance } from '@nablajs/optim/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import adamPlugin, { cautiousAdamw, type EfficientAdamState } from './index';

const f64 = (values: number[]) => tensor(values, { dtype: 'float64', requiresGrad: true });

function setGrad(p: Tensor, values: number[]): void {
  p.grad = tensor(values, { dtype: p.dtype });
}

function expectClose(actual: ArrayLike<number>, expected: readonly number[], tol = 1e-14): void {
  expect(actual.length).toBe(expected.length);
  for (let j = 0; j < expected.length; j++)
    expect(Math.abs(actual[j] - expected[j])).toBeLessThanOrEqual(tol * Math.max(1, Math.abs(expected[j])));
}

function adamState(opt: Optimizer): EfficientAdamState {
  return (decodeState(opt.stateDict().state[0]) as unknown[])[0] as EfficientAdamState;
}

/** The authors' C-AdamW loop (c_adamw.py, foreach=False), written out for one float64 parameter. */
function referenceSteps(
  x0: number[],
  grads: number[][],
  o: { lr: number; b1: number; b2: number; eps: number; wd: number; correctBias: boolean },
): number[] {
  const x = [...x0];
  const m = x.map(() => 0);
  const v = x.map(() => 0);
  grads.forEach((g, k) => {
    const t = k + 1;
    for (let j = 0; j < x.length; j++) x[j] -= o.lr * o.wd * x[j];
    for (let j = 0; j < x.length; j++) {
      m[j] = o.b1 * m[j] + (1 - o.b1) * g[j];
      v[j] = o.b2 * v[j] + (1 - o.b2) * g[j] * g[j];
    }
    const stepSize = o.correctBias ? (o.lr * Math.sqrt(1 - o.b2 ** t)) / (1 - o.b1 ** t) : o.lr;
    const mask = m.map((mj, j) => (mj * g[j] > 0 ? 1 : 0));
    const mean = Math.max(mask.reduce((a: number, b) => a + b, 0) / mask.length, 1e-3);
    for (let j = 0; j < x.length; j++) x[j] -= stepSize * ((m[j] * (mask[j] / mean)) / (Math.sqrt(v[j]) + o.eps));
  });
  return x;
}

afterEach(() => resetRegistry());

describe('cautiousAdamw: the authors’ C-AdamW loop', () => {
  const grads = [
    [0.5, -1, 2, 0.1],
    [-0.4, -1, -1, 0.3],
    [-0.6, 0.2, -3, -0.2],
    [0.1, 0.5, 1, -1],
    [0.3, -0.5, 0.7, 0.05],
  ];

  it('matches the written-out reference over steps where the mask zeroes elements', () => {
    const o = { lr: 0.1, b1: 0.9, b2: 0.99, eps: 1e-6, wd: 0.1, correctBias: true };
    const p = f64([1, -2, 0.5, 3]);
    const opt = cautiousAdamw([p], { lr: o.lr, betas: [o.b1, o.b2], eps: o.eps, weightDecay: o.wd });
    grads.forEach((g, k) => {
      setGrad(p, g);
      opt.step();
      expectClose(p.data, referenceSteps([1, -2, 0.5, 3], grads.slice(0, k + 1), o));
    });
    // The momentum disagrees with the gradient somewhere (element 0 at step 2: m > 0, g < 0).
    const m1 = 0.1 * 0.5;
    expect(0.9 * m1 + 0.1 * -0.4).toBeGreaterThan(0);
    expect(adamState(opt).step).toEqual([5]);
  });

  it('without bias correction the step size is lr', () => {
    const o = { lr: 0.05, b1: 0.8, b2: 0.9, eps: 1e-3, wd: 0, correctBias: false };
    const p = f64([1, -2, 0.5, 3]);
    const opt = cautiousAdamw([p], { lr: o.lr, betas: [o.b1, o.b2], eps: o.eps, correctBias: false });
    for (const g of grads) {
      setGrad(p, g);
      opt.step();
    }
    expectClose(p.data, referenceSteps([1, -2, 0.5, 3], grads, o));
  });

  it('adds ε to the un-corrected √v (the efficient form), unlike PyTorch’s AdamW', () => {
    // One step, g = 1e-6, ε = 1e-6, β₁ = 0.9, β₂ = 0.99: m = 1e-7, √v = 1e-7, √(1-β₂)/(1-β₁) = 1.
    // Here: lr·m/(√v + ε) = 1e-7/1.1e-6 ≈ 0.0909; PyTorch's AdamW: lr·m̂/(√v̂ + ε) = 1e-6/2e-6 = 0.5.
    const p = f64([0]);
    const opt = cautiousAdamw([p], { lr: 1, betas: [0.9, 0.99], eps: 1e-6 });
    setGrad(p, [1e-6]);
    opt.step();
    expectClose(p.data, [-1e-7 / (1e-7 + 1e-6)]);
  });

  it('decays masked elements too: the weight decay is not masked', () => {
    // Step 2: g flips sign for element 0 while m keeps it: element 0 is masked, yet decays by lr·λ.
    const lr = 0.1;
    const wd = 0.5;
    const p = f64([2, 2]);
    const opt = cautiousAdamw([p], { lr, weightDecay: wd, betas: [0.9, 0.999] });
    setGrad(p, [1, 1]);
    opt.step();
    const after1 = Array.from(p.data);
    setGrad(p, [-0.01, 1]);
    opt.step();
    expectClose([p.data[0]], [after1[0] * (1 - lr * wd)]);
    expect(p.data[1]).toBeLessThan(after1[1] * (1 - lr * wd));
  });

  it('has the reference’s defaults and rejects invalid options, naming the option', () => {
    const p = [f64([1])];
    expect(cautiousAdamw(p).defaults).toEqual({
      lr: 1e-3,
      betas: [0.9, 0.999],
      eps: 1e-6,
      weightDecay: 0,
      correctBias: true,
    });
    expect(() => cautiousAdamw(p, { betas: [0.9, 1] })).toThrow('cautiousAdamw: betas[1] must be in [0, 1), got 1');
    expect(() => cautiousAdamw(p, { eps: -1 })).toThrow('cautiousAdamw: eps must be in [0, inf), got -1');
    expect(() => cautiousAdamw(p, { weightDecay: -1 })).toThrow(
      'cautiousAdamw: weightDecay must be in [0, inf), got -1',
    );
    expect(() => cautiousAdamw(p, { correctBias: 0 as unknown as boolean })).toThrow(
      'cautiousAdamw: correctBias must be true or false, got 0',
    );
    expect(() => cautiousAdamw(p, { amsgrad: true } as object)).toThrow('cautiousAdamw: unknown option "amsgrad"');
  });

  it('passes the conformance suite', () => {
    for (const options of [{ lr: 0.01 }, { lr: 0.01, weightDecay: 0.05, correctBias: false }]) {
      const result = checkOptimizerConformance(cautiousAdamw, {
        name: 'cautiousAdamw',
        options,
        invalidOptions: [{ betas: [0.9, 1.5] }, { eps: -1 }, { correctBias: 'yes' }],
      });
      expect(result.failures).toEqual([]);
    }
  });

  it('is registered by the optim-adam plugin', () => {
    usePlugin(adamPlugin);
    const opt = createOptimizer('cautiousAdamw', [f64([1, 2])], { weightDecay: 0.1 });
    expect(opt.name).toBe('cautiousAdamw');
    expect(opt.paramGroups[0].eps).toBe(1e-6);
  });
});
