// std and variance where PyTorch 1.13's backward has special cases: a zero standard deviation (a constant
// group) gives a zero gradient, of first and second order, and a correction of N or more divides the
// gradient by the unclamped N - correction. Runs on both backends (projects core and core-wasm).
import { describe, expect, it } from 'vitest';
import { Generator, gradcheck, gradgradcheck, gradients, randn, std, type Tensor, tensor, variance } from '../index';

const f64 = { dtype: 'float64' } as const;

function leaf(t: Tensor): Tensor {
  t.requiresGrad = true;
  return t;
}

function gradOf(f: (x: Tensor) => Tensor, x: Tensor): number[] {
  const [g] = gradients([f(x)], [x]);
  return Array.from(g!.values);
}

/** `[a, b]` with `b` a row of `k` copies of `c`: one varying row, one constant row. */
function mixedRows(varying: number[], c: number, dtype: 'float32' | 'float64' = 'float64'): Tensor {
  const k = varying.length;
  return tensor([...varying, ...new Array<number>(k).fill(c)], { shape: [2, k], dtype, requiresGrad: true });
}

describe('std at a zero standard deviation (PyTorch std_backward: 0 there, not NaN)', () => {
  it('gives a zero gradient over a constant tensor, for every correction', () => {
    for (const options of [{}, { unbiased: false }, { correction: 2 }, { keepdims: true }]) {
      for (const dtype of ['float32', 'float64'] as const) {
        const x = tensor([2.5, 2.5, 2.5], { dtype, requiresGrad: true });
        expect(
          gradOf((a) => std(a, null, options), x),
          JSON.stringify(options),
        ).toEqual([0, 0, 0]);
      }
    }
  });

  it('gives zeros for the constant groups of a per-axis std and the usual gradient elsewhere', () => {
    for (const dtype of ['float32', 'float64'] as const) {
      const x = mixedRows([1, 2], 3, dtype);
      const g = gradOf((a) => std(a, 1).sum(), x);
      // d std / dx = (x - mean) / ((N - 1) std) = ±0.5 / (1 · √0.5) = ±√0.5 for the row [1, 2].
      expect(g.slice(2)).toEqual([0, 0]);
      expect(g[0]).toBeCloseTo(-Math.SQRT1_2, dtype === 'float64' ? 14 : 6);
      expect(g[1]).toBeCloseTo(Math.SQRT1_2, dtype === 'float64' ? 14 : 6);
    }
    // Several axes, keepdims: the constant plane [1] gets zeros.
    const y = tensor([1, 2, 3, 4, 7, 7, 7, 7], { shape: [2, 2, 2], ...f64, requiresGrad: true });
    const gy = gradOf((a) => std(a, [1, 2], { keepdims: true, unbiased: false }).sum(), y);
    expect(gy.slice(4)).toEqual([0, 0, 0, 0]);
    expect(gy.slice(0, 4).every(Number.isFinite)).toBe(true);
  });

  it('matches finite differences in float64, constant groups included (the central difference of |t| at 0 is 0)', () => {
    const x = tensor([0.3, -1.2, 2.2, 4, 4, 4, 0.75, 0.75, 0.75], { shape: [3, 3], ...f64, requiresGrad: true });
    expect(gradcheck((a) => std(a, 1), [x])).toBe(true);
    expect(
      gradcheck(
        (a) => std(a, 0, { unbiased: false }),
        [
          leaf(
            tensor(
              [
                [1, 1],
                [1, 5],
              ],
              f64,
            ),
          ),
        ],
      ),
    ).toBe(true);
    expect(gradcheck((a) => std(a, null, { correction: 0 }), [leaf(tensor([-2, -2, -2, -2], f64))])).toBe(true);
  });

  it('keeps the gradient of the gradient finite: 0 on a constant group, the usual Hessian elsewhere', () => {
    const rng = new Generator(3);
    const row = Array.from(randn([4], { ...f64, generator: rng }).values);
    const v = [0.5, -1, 2, 0.25];
    /** The Hessian-vector product of sum(w * std(x, 1)) at x, with v on every row. */
    const hvp = (x: Tensor, rows: number): number[] => {
      const w = tensor([1.5, -2].slice(0, rows), f64);
      const [g] = gradients([std(x, 1).mul(w).sum()], [x], null, { createGraph: true });
      const [h] = gradients([g!.mul(tensor(v.concat(v).slice(0, 4 * rows), { shape: [rows, 4], ...f64 })).sum()], [x]);
      return Array.from(h!.values);
    };
    const mixed = hvp(mixedRows(row, 0.1), 2);
    expect(mixed.slice(4)).toEqual([0, 0, 0, 0]);
    // The varying row's part is the HVP of that row alone, which gradgradcheck holds to finite differences.
    const single = tensor(row, { shape: [1, 4], ...f64, requiresGrad: true });
    expect(gradgradcheck((a) => std(a, 1), [single])).toBe(true);
    const alone = hvp(single, 1);
    mixed.slice(0, 4).forEach((h, i) => {
      expect(h).toBeCloseTo(alone[i], 12);
    });
  });

  it('stays finite for float32 inputs large enough for the wasm kernels', () => {
    const rows = 300;
    const data = new Float32Array(rows * 4);
    for (let r = 0; r < rows; r++)
      for (let c = 0; c < 4; c++) data[r * 4 + c] = r % 3 === 0 ? r / 7 : Math.sin(r + 1.3 * c) * 2;
    const x = tensor(data, { shape: [rows, 4], requiresGrad: true });
    const g = gradOf((a) => std(a, 1).sum(), x);
    for (let r = 0; r < rows; r++) {
      const part = g.slice(r * 4, r * 4 + 4);
      if (r % 3 === 0) expect(part, `row ${r}`).toEqual([0, 0, 0, 0]);
      else expect(part.every(Number.isFinite), `row ${r}`).toBe(true);
    }
  });

  it('still gives NaN where the standard deviation is NaN', () => {
    const x = tensor([1, Number.NaN, 3], { ...f64, requiresGrad: true });
    expect(gradOf((a) => std(a), x).every(Number.isNaN)).toBe(true);
  });
});

describe('variance and std with a correction of N or more (PyTorch: the gradient divides by N - correction)', () => {
  it('var: an infinite forward and the gradient 2 (x - mean) / (N - correction)', () => {
    const x = tensor([1, 2, 3], { ...f64, requiresGrad: true });
    const v = variance(x, null, { correction: 5 });
    expect(v.item()).toBe(Number.POSITIVE_INFINITY);
    v.backward();
    // N - correction = -2: 2 (x - 2) / -2 = 2 - x.
    expect(Array.from(x.grad!.values)).toEqual([1, -0, -1]);
    const y = tensor([[1, 2, 4]], { ...f64, requiresGrad: true });
    // N - correction = -1, mean 7/3: -2 (x - 7/3).
    const gy = gradOf((a) => variance(a, 1, { correction: 4 }).sum(), y);
    [8 / 3, 2 / 3, -10 / 3].forEach((want, i) => {
      expect(gy[i]).toBeCloseTo(want, 14);
    });
  });

  it('var: a correction of exactly N divides by 0, as PyTorch does', () => {
    const x = tensor([1, 2, 3], { ...f64, requiresGrad: true });
    const g = gradOf((a) => variance(a, null, { correction: 3 }), x);
    expect(g[0]).toBe(Number.NEGATIVE_INFINITY);
    expect(g[1]).toBeNaN();
    expect(g[2]).toBe(Number.POSITIVE_INFINITY);
  });

  it('std: an infinite standard deviation gives a zero gradient (grad / (2 std) = 0), not NaN', () => {
    const x = tensor([1, 2, 3], { ...f64, requiresGrad: true });
    const s = std(x, null, { correction: 5 });
    expect(s.item()).toBe(Number.POSITIVE_INFINITY);
    expect(gradOf((a) => std(a, null, { correction: 5 }), x).map(Math.abs)).toEqual([0, 0, 0]);
  });
});
