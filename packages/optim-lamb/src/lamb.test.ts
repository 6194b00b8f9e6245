import { tensor } from '@nablajs/core';
import { createOptimizer, resetRegistry, usePlugin } from '@nablajs/optim';
import { afterEach, describe, expect, it } from 'vitest';
import lambPlugin, { lamb } from './index';

const f64 = (values: number[]) => tensor(values, { dtype: 'float64', requiresGrad: true });
const grad = (values: number[]) => tensor(values, { dtype: 'float64' });
const norm = (x: ArrayLike<number>) => Math.sqrt(Array.from(x).reduce((s, v) => s + v * v, 0));

function expectClose(actual: ArrayLike<number>, expected: readonly number[], tol = 1e-12): void {
  expect(actual.length).toBe(expected.length);
  for (let j = 0; j < expected.length; j++)
    expect(Math.abs(actual[j] - expected[j])).toBeLessThanOrEqual(tol * Math.max(1, Math.abs(expected[j])));
}

afterEach(() => resetRegistry());

describe('lamb: hand-derived cases (You et al. 2019, Algorithm 2)', () => {
  it('two steps without weight decay (eps = 0 keeps the numbers exact)', () => {
    // lr = 0.1, betas = [0.9, 0.999], eps = 0, weightDecay = 0. p0 = [3, 4], ‖p0‖ = 5.
    const p = f64([3, 4]);
    const opt = lamb([p], { lr: 0.1, betas: [0.9, 0.999], eps: 0 });

    // Step 1: g = [1, -2].
    //   m = 0.1*g = [0.1, -0.2];  v = 0.001*g² = [0.001, 0.004]
    //   m̂ = m/(1-0.9) = [1, -2];  v̂ = v/(1-0.999) = [1, 4];  √v̂ = [1, 2]
    //   r = m̂/√v̂ = [1, -1];  ‖r‖ = √2 = 1.41421356
    //   ratio = ‖p‖/‖r‖ = 5/√2 = 3.53553391
    //   p1 = p0 - 0.1*3.53553391*[1, -1] = [3 - a, 4 + a] with a = 0.5/√2 = 0.35355339
    //      = [2.64644661, 4.35355339]
    const a = 0.5 / Math.SQRT2;
    p.grad = grad([1, -2]);
    opt.step();
    expectClose(p.data, [3 - a, 4 + a]);
    expectClose([a], [0.35355339059327373]);

    // Step 2: g = [3, 2].
    //   m = 0.9*[0.1, -0.2] + 0.1*[3, 2] = [0.39, 0.02];  bias correction 1-0.9² = 0.19
    //   m̂ = [0.39/0.19, 0.02/0.19] = [2.05263158, 0.10526316]
    //   v = 0.999*[0.001, 0.004] + 0.001*[9, 4] = [0.009999, 0.007996];  bias correction 1-0.999² = 0.001999
    //   v̂ = [0.009999/0.001999, 0.007996/0.001999] = [5.00200100, 4];  √v̂ = [2.23651537, 2]
    //   r = [2.05263158/2.23651537, 0.10526316/2] = [0.91778112, 0.05263158];  ‖r‖ = 0.91928900
    //   ‖p1‖² = (3-a)² + (4+a)² = 25 + 2a + 2a² = 25.95710678;  ‖p1‖ = 5.09481175
    //   ratio = 5.09481175/0.91928900 = 5.54212196
    //   p2 = p1 - 0.1*5.54212196*r = [2.64644661 - 0.50864346, 4.35355339 - 0.02916906]
    //      = [2.13780112, 4.32438433]
    const mHat = [0.39 / 0.19, 0.02 / 0.19];
    const vHat = [0.009999 / 0.001999, 0.007996 / 0.001999];
    const r = [mHat[0] / Math.sqrt(vHat[0]), mHat[1] / Math.sqrt(vHat[1])];
    const p1Norm = Math.sqrt(25 + 2 * a + 2 * a * a);
    const ratio = p1Norm / Math.hypot(r[0], r[1]);
    const expected = [3 - a - 0.1 * ratio * r[0], 4 + a - 0.1 * ratio * r[1]];
    p.grad = grad([3, 2]);
    opt.step();
    expectClose(p.data, expected);
    expectClose(expected, [2.137801120308828, 4.324384327663082], 1e-9);
    expectClose([ratio], [5.542121956736544], 1e-9);
  });

  it('one step with weight decay: the decay is inside the direction and its norm', () => {
    // lr = 0.1, eps = 0, weightDecay = 0.1. p0 = [3, 4], g = [1, -2].
    //   Adam direction as above: [1, -1];  r = [1, -1] + 0.1*[3, 4] = [1.3, -0.6]
    //   ‖r‖ = √(1.69 + 0.36) = √2.05 = 1.43178211;  ratio = 5/1.43178211 = 3.49215148
    //   p1 = [3, 4] - 0.1*3.49215148*[1.3, -0.6] = [3 - 0.45397969, 4 + 0.20952909] = [2.54602031, 4.20952909]
    const p = f64([3, 4]);
    const opt = lamb([p], { lr: 0.1, eps: 0, weightDecay: 0.1 });
    p.grad = grad([1, -2]);
    opt.step();
    const s = (0.1 * 5) / Math.sqrt(2.05);
    expectClose(p.data, [3 - s * 1.3, 4 + s * 0.6]);
    expectClose(p.data, [2.546020307749774, 4.209529088730873], 1e-9);
  });

  it('biasCorrection: false uses the raw moments (the original BERT code)', () => {
    // Step 1, g = [1, -2]: m = [0.1, -0.2], v = [0.001, 0.004]; r = m/√v = [0.1/0.0316228, -0.2/0.0632456]
    //   = [3.16227766, -3.16227766]: the direction is √10·[1, -1], but the trust ratio rescales it, so
    //   the step equals the bias-corrected one: p1 = [3 - a, 4 + a].
    const p = f64([3, 4]);
    const opt = lamb([p], { lr: 0.1, eps: 0, biasCorrection: false });
    p.grad = grad([1, -2]);
    opt.step();
    const a = 0.5 / Math.SQRT2;
    expectClose(p.data, [3 - a, 4 + a]);
    // With eps = 1 the two differ: r = m/(√v + 1) vs m̂/(√v̂ + 1).
    const q = f64([3, 4]);
    const r = f64([3, 4]);
    const raw = lamb([q], { lr: 0.1, eps: 1, biasCorrection: false });
    const corrected = lamb([r], { lr: 0.1, eps: 1 });
    q.grad = grad([1, -2]);
    r.grad = grad([1, -2]);
    raw.step();
    corrected.step();
    // Corrected: r = [1/2, -2/3]. Raw: r = [0.1/1.0316228, -0.2/1.0632456]: different directions.
    const dirC = [0.5, -2 / 3];
    const sC = (0.1 * 5) / Math.hypot(dirC[0], dirC[1]);
    expectClose(r.data, [3 - sC * dirC[0], 4 - sC * dirC[1]]);
    const dirR = [0.1 / (Math.sqrt(0.001) + 1), -0.2 / (Math.sqrt(0.004) + 1)];
    const sR = (0.1 * 5) / Math.hypot(dirR[0], dirR[1]);
    expectClose(q.data, [3 - sR * dirR[0], 4 - sR * dirR[1]]);
  });
});

describe('lamb: properties', () => {
  it('each parameter tensor moves by exactly lr·‖p‖ when its trust ratio applies', () => {
    const params = [f64([0.3, -1.2, 2.5, 0.7]), f64([5, -3]), f64([0.01])];
    const lr = 0.02;
    const opt = lamb(params, { lr, weightDecay: 0.05 });
    for (let k = 1; k <= 10; k++) {
      const before = params.map((p) => Array.from(p.data));
      params.forEach((p, i) => {
        p.grad = grad(Array.from(p.data, (_, j) => Math.sin(2.1 * k + 1.3 * j + i) * (i + 1)));
      });
      opt.step();
      params.forEach((p, i) => {
        const step = before[i].map((b, j) => p.data[j] - b);
        expect(Math.abs(norm(step) - lr * norm(before[i]))).toBeLessThanOrEqual(1e-14 * lr * norm(before[i]) + 1e-17);
      });
    }
  });

  it('uses a ratio of 1 when the parameter or the direction has norm 0', () => {
    // p = 0: ratio 1, so p -= lr * r with r = [1, -1] (first Adam step, eps = 0).
    const z = f64([0, 0]);
    const opt = lamb([z], { lr: 0.1, eps: 0 });
    z.grad = grad([5, -0.5]);
    opt.step();
    expectClose(z.data, [-0.1, 0.1]);
    // r = 0 (zero gradient, no weight decay): nothing moves, and nothing is NaN.
    const p = f64([1, 2]);
    const opt2 = lamb([p], { lr: 0.1 });
    p.grad = grad([0, 0]);
    opt2.step();
    expect(Array.from(p.data)).toEqual([1, 2]);
  });

  it('trustClip caps the ratio at 1', () => {
    // ‖p‖ = 5, r = [1, -1] (‖r‖ = √2): the ratio 3.54 is capped to 1, so p -= lr*r.
    const p = f64([3, 4]);
    const opt = lamb([p], { lr: 0.1, eps: 0, trustClip: true });
    p.grad = grad([1, -2]);
    opt.step();
    expectClose(p.data, [2.9, 4.1]);
    // A ratio below 1 is kept: ‖p‖ = 0.5 < √2.
    const q = f64([0.3, 0.4]);
    const opt2 = lamb([q], { lr: 0.1, eps: 0, trustClip: true });
    q.grad = grad([1, -2]);
    opt2.step();
    const s = (0.1 * 0.5) / Math.SQRT2;
    expectClose(q.data, [0.3 - s, 0.4 + s]);
  });

  it('uses per-group hyperparameters and picks up changes between steps', () => {
    const a = f64([3, 4]);
    const b = f64([3, 4]);
    const opt = lamb([{ params: [a] }, { params: [b], lr: 0.2 }], { lr: 0.1, eps: 0 });
    a.grad = grad([1, -2]);
    b.grad = grad([1, -2]);
    opt.step();
    // Step norms lr·‖p‖: 0.5 for group 0, 1.0 for group 1.
    const s0 = 0.5 / Math.SQRT2;
    const s1 = 1 / Math.SQRT2;
    expectClose(a.data, [3 - s0, 4 + s0]);
    expectClose(b.data, [3 - s1, 4 + s1]);
    // Turn on trustClip for group 0 and weight decay for group 1; step again with g = [1, -2] (Adam
    // direction [1, -1] again: constant gradients give m̂ = g and v̂ = g²).
    opt.paramGroups[0].trustClip = true;
    opt.paramGroups[1].weightDecay = 0.5;
    const a1 = Array.from(a.data);
    const b1 = Array.from(b.data);
    a.grad = grad([1, -2]);
    b.grad = grad([1, -2]);
    opt.step();
    expectClose(a.data, [a1[0] - 0.1, a1[1] + 0.1]);
    const rb = [1 + 0.5 * b1[0], -1 + 0.5 * b1[1]];
    const sb = (0.2 * norm(b1)) / norm(rb);
    expectClose(b.data, [b1[0] - sb * rb[0], b1[1] - sb * rb[1]]);
  });

  it('has the paper defaults and validates its options', () => {
    const p = [f64([1])];
    expect({ ...lamb(p).defaults }).toEqual({
      lr: 1e-3,
      betas: [0.9, 0.999],
      eps: 1e-6,
      weightDecay: 0,
      biasCorrection: true,
      trustClip: false,
    });
    expect(() => lamb(p, { betas: [0.9, 1.5] })).toThrow('lamb: betas[1] must be in [0, 1), got 1.5');
    expect(() => lamb(p, { lr: -1 })).toThrow('lamb: lr must be in [0, inf), got -1');
    expect(() => lamb(p, { eps: -1 })).toThrow('lamb: eps must be in [0, inf), got -1');
    expect(() => lamb(p, { weightDecay: -1 })).toThrow('lamb: weightDecay must be in [0, inf), got -1');
    expect(() => lamb(p, { biasCorrection: 0 as unknown as boolean })).toThrow(
      'lamb: biasCorrection must be true or false, got 0',
    );
    expect(() => lamb(p, { trustClip: 'no' as unknown as boolean })).toThrow(
      'lamb: trustClip must be true or false, got "no"',
    );
    expect(() => lamb(p, { amsgrad: true } as object)).toThrow('lamb: unknown option "amsgrad"');
  });

  it('is a plugin', () => {
    expect(lambPlugin.name).toBe('@nablajs/optim-lamb');
    usePlugin(lambPlugin);
    expect(createOptimizer('lamb', [f64([1])], { lr: 0.01 }).name).toBe('lamb');
  });
});
