import { type Tensor, tensor } from '@nablajs/core';
import { decodeState, type Optimizer, resetRegistry } from '@nablajs/optim';
import { afterEach, describe, expect, it } from 'vitest';
import { type MarsState, mars, marsNewtonSchulz } from './index';

/** A float64 leaf parameter of `shape` (default: a vector). */
const f64 = (values: number[], shape?: number[]) =>
  tensor(values, { dtype: 'float64', requiresGrad: true, shape: shape ?? [values.length] });

function setGrad(p: Tensor, values: number[]): void {
  p.grad = tensor(values, { dtype: p.dtype, shape: p.shape });
}

function expectClose(actual: ArrayLike<number>, expected: readonly number[], tol = 1e-14): void {
  expect(actual.length).toBe(expected.length);
  for (let j = 0; j < expected.length; j++)
    expect(Math.abs(actual[j] - expected[j])).toBeLessThanOrEqual(tol * Math.max(1, Math.abs(expected[j])));
}

const norm = (v: readonly number[]) => Math.sqrt(v.reduce((s, x) => s + x * x, 0));

/** The state of scaleByMars (block 0 of the recipe) for group `g`. */
function marsState(opt: Optimizer, g = 0): MarsState {
  return (decodeState(opt.stateDict().state[g]) as unknown[])[0] as MarsState;
}

afterEach(() => resetRegistry());

describe('mars: hand-computed steps (the authors’ mars.py, approximate version)', () => {
  it('MARS-AdamW on a matrix: the c_t correction, its norm clip at 1, the moments and the bias corrections', () => {
    const [b1, b2] = [0.8, 0.9];
    const [lr, gamma, eps, wd] = [0.1, 0.5, 1e-3, 0.2];
    const p0 = [1, -2, 0.5, 3];
    const p = f64(p0, [2, 2]);
    const opt = mars([p], { lr, betas: [b1, b2], gamma, eps, weightDecay: wd });
    const k = gamma * (b1 / (1 - b1)); // 2
    const g1 = [0.3, -0.4, 0.1, 0.2];
    const g2 = [0.05, -0.1, 0.02, 0.0];
    // Step 1: g_prev = 0, c = (1 + k)·g, ‖c‖ = 3·0.5477 > 1: clipped to unit norm.
    let c1 = g1.map((g) => g * (1 + k));
    expect(norm(c1)).toBeGreaterThan(1);
    c1 = c1.map((c) => c / norm(c1));
    const m1 = c1.map((c) => (1 - b1) * c);
    const v1 = c1.map((c) => (1 - b2) * c * c);
    const denom = (v: number, t: number) => (Math.sqrt(v) / Math.sqrt(1 - b2 ** t) + eps) * (1 - b1 ** t);
    const p1 = p0.map((x, j) => x - lr * (wd * x + m1[j] / denom(v1[j], 1)));
    setGrad(p, g1);
    opt.step();
    expectClose(p.data, p1);
    // Step 2: c = g2 + k·(g2 - g1) has norm below 1 and is not scaled (up or down).
    const c2 = g2.map((g, j) => g + k * (g - g1[j]));
    expect(norm(c2)).toBeLessThan(1);
    const m2 = m1.map((m, j) => b1 * m + (1 - b1) * c2[j]);
    const v2 = v1.map((v, j) => b2 * v + (1 - b2) * c2[j] ** 2);
    const p2 = p1.map((x, j) => x - lr * (wd * x + m2[j] / denom(v2[j], 2)));
    setGrad(p, g2);
    opt.step();
    expectClose(p.data, p2);
    const s = marsState(opt);
    expect(s.step).toEqual([2]);
    expectClose(s.lastGrad[0], g2);
    expectClose(s.expAvg[0], m2);
    expectClose(s.expAvgSq[0], v2);
    expect(s.maxExpAvgSq).toEqual([null]);
  });

  it('a vector takes the AdamW branch: betas1d, lr1d and weightDecay1d, no c_t, not the group’s weightDecay', () => {
    const [b1, b2] = [0.5, 0.75];
    const [lr, lr1d, wd1d, eps] = [0.1, 0.04, 0.3, 1e-3];
    const p0 = [2, -1];
    const p = f64(p0);
    const opt = mars([p], { lr, lr1d, betas1d: [b1, b2], weightDecay1d: wd1d, weightDecay: 5, gamma: 3, eps });
    const g1 = [4, -0.5];
    const g2 = [1, 0.5];
    const denom = (v: number, t: number) => (Math.sqrt(v) / Math.sqrt(1 - b2 ** t) + eps) * (1 - b1 ** t);
    const m1 = g1.map((g) => (1 - b1) * g);
    const v1 = g1.map((g) => (1 - b2) * g * g);
    const p1 = p0.map((x, j) => x - lr1d * (wd1d * x + m1[j] / denom(v1[j], 1)));
    setGrad(p, g1);
    opt.step();
    expectClose(p.data, p1);
    const m2 = m1.map((m, j) => b1 * m + (1 - b1) * g2[j]);
    const v2 = v1.map((v, j) => b2 * v + (1 - b2) * g2[j] ** 2);
    const p2 = p1.map((x, j) => x - lr1d * (wd1d * x + m2[j] / denom(v2[j], 2)));
    setGrad(p, g2);
    opt.step();
    expectClose(p.data, p2);
    expectClose(marsState(opt).lastGrad[0], g2);
  });

  it('MARS-Lion: p ← p - lr·(λ·p + sign(m)), with c_t and its clip', () => {
    const [lr, wd, b1] = [0.01, 0.5, 0.9];
    const p = f64([1, 2, 3, 4, 5, 6], [2, 3]);
    const opt = mars([p], { marsType: 'mars-lion', lr, weightDecay: wd, betas: [b1, 0.99] });
    const g1 = [1, -1, 0, 2, -3, 0.5];
    const g2 = [-4, 1, 1, 2, -2, -0.6];
    setGrad(p, g1);
    opt.step();
    const p1 = [1, 2, 3, 4, 5, 6].map((x, j) => x - lr * (wd * x + Math.sign(g1[j])));
    expectClose(p.data, p1);
    setGrad(p, g2);
    opt.step();
    const k = 0.025 * (b1 / (1 - b1));
    const c1 = g1.map((g) => g * (1 + k));
    const c2 = g2.map((g, j) => g + k * (g - g1[j]));
    const m2 = c2.map((c, j) => b1 * (1 - b1) * (c1[j] / norm(c1)) + (1 - b1) * (c / norm(c2)));
    expectClose(
      p.data,
      p1.map((x, j) => x - lr * (wd * x + Math.sign(m2[j]))),
    );
  });

  it('MARS-Shampoo on a tall matrix: √(rows/cols)·NS(m/(1-β₁)) with the optimizer’s eps, plus decay', () => {
    const [lr, wd, b1, eps] = [0.05, 0.1, 0.9, 1e-6];
    const p0 = [1, 0, -1, 2, 0.5, 0.25];
    const p = f64(p0, [3, 2]);
    const opt = mars([p], { marsType: 'mars-shampoo', lr, weightDecay: wd, betas: [b1, 0.99], eps });
    const g = [0.1, -0.2, 0.05, 0.3, 0.0, -0.1]; // ‖c‖ < 1: no clip
    setGrad(p, g);
    opt.step();
    const c = g.map((x) => x * (1 + 0.025 * (b1 / (1 - b1))));
    expect(norm(c)).toBeLessThan(1);
    const mHat = c.map((x) => ((1 - b1) * x) / (1 - b1)); // m / (1 - β₁) as the reference computes it
    const o = marsNewtonSchulz(tensor(mHat, { dtype: 'float64' }).reshape([3, 2]), eps).toArray() as number[][];
    const scale = Math.sqrt(3 / 2);
    expectClose(
      p.data,
      p0.map((x, j) => x - lr * (scale * o[Math.floor(j / 2)][j % 2] + wd * x)),
      1e-12,
    );
    expect(Array.from(marsState(opt).expAvgSq[0])).toEqual([0, 0, 0, 0, 0, 0]); // not used by the 2-D Shampoo path
  });
});

describe('marsNewtonSchulz', () => {
  /** The authors' iteration written out on plain arrays: X ← a·X + b·(X·Xᵀ)·X + c·(X·Xᵀ)²·X. */
  function reference(m: number[][], eps: number): number[][] {
    const tall = m.length > m[0].length;
    const mm = (x: number[][], y: number[][]) =>
      x.map((r) => y[0].map((_, j) => r.reduce((s, v, k) => s + v * y[k][j], 0)));
    const tr = (x: number[][]) => x[0].map((_, j) => x.map((r) => r[j]));
    const n = norm(m.flat()) + eps;
    let x = m.map((r) => r.map((v) => v / n));
    if (tall) x = tr(x);
    for (let k = 0; k < 5; k++) {
      const a = mm(x, tr(x));
      const b = mm(a, x);
      const ab = mm(a, b);
      x = x.map((r, i) => r.map((v, j) => 3.4445 * v - 4.775 * b[i][j] + 2.0315 * ab[i][j]));
    }
    return tall ? tr(x) : x;
  }

  it('runs the authors’ five quintic steps from M/(‖M‖+eps), transposing tall matrices', () => {
    for (const m of [
      [
        [3, 0.5, -1],
        [0.2, 1, 0.4],
      ],
      [
        [1, 2],
        [-0.5, 0.3],
        [0.7, -1.1],
      ],
    ]) {
      const got = marsNewtonSchulz(tensor(m, { dtype: 'float64' }), 1e-8).toArray() as number[][];
      expectClose(got.flat(), reference(m, 1e-8).flat(), 1e-13);
    }
  });

  it('rejects what is not a float matrix or a bad eps, naming the argument', () => {
    expect(() => marsNewtonSchulz(tensor([1, 2]))).toThrow(
      'marsNewtonSchulz: m must be a matrix (a 2-D tensor), got shape [2]',
    );
    expect(() => marsNewtonSchulz(tensor([[1]], { dtype: 'int32' }))).toThrow(
      'marsNewtonSchulz: m must be float32 or float64, got int32',
    );
    expect(() => marsNewtonSchulz(tensor([[1]]), -1)).toThrow('marsNewtonSchulz: eps must be a number >= 0, got -1');
  });
});
