// pow's special cases where JavaScript's Math.pow differs from C's pow (IEEE 754) and PyTorch: 1^y = 1
// for every y and (-1)^±Infinity = 1, with their gradients; and PyTorch's sqrt / rsqrt for the number
// exponents ±0.5, signed zeros included. Runs on both backends (projects core and core-wasm).
import { describe, expect, it } from 'vitest';
import { gradcheck, gradients, pow, type Tensor, tensor } from '../index';
import { powIeee, powKernel, powScalarKernel } from '../kernels/cpu/elementwise';

const f64 = { dtype: 'float64' } as const;
const { NaN: nan, POSITIVE_INFINITY: inf, NEGATIVE_INFINITY: ninf } = Number;

function same(actual: ArrayLike<number>, expected: readonly number[]): void {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < expected.length; i++)
    expect(Object.is(actual[i], expected[i]), `[${i}]: ${actual[i]} vs ${expected[i]}`).toBe(true);
}

function grads(out: Tensor, inputs: Tensor[]): number[][] {
  return gradients([out.sum()], inputs).map((g) => Array.from(g!.values));
}

describe('powIeee', () => {
  it("follows C's pow where Math.pow gives NaN, and Math.pow everywhere else", () => {
    same([powIeee(1, nan), powIeee(1, inf), powIeee(1, ninf), powIeee(-1, inf), powIeee(-1, ninf)], [1, 1, 1, 1, 1]);
    same(
      [powIeee(nan, 0), powIeee(nan, 1), powIeee(-1, nan), powIeee(-2, 0.5), powIeee(2, inf)],
      [1, nan, nan, nan, inf],
    );
    for (const [a, b] of [
      [2, 10],
      [-2, 3],
      [0.5, -1.5],
      [-0, -1],
      [0, 0],
      [1e300, 2],
      [-1, 7],
    ])
      expect(Object.is(powIeee(a, b), a ** b), `${a} ** ${b}`).toBe(true);
  });
});

describe('pow special cases (PyTorch and C: 1^y = 1, (-1)^±inf = 1)', () => {
  it('with a tensor exponent, float32 and float64, broadcasting', () => {
    for (const dtype of ['float32', 'float64'] as const) {
      same(
        pow(tensor([1, 1, -1, -1, 1], { dtype }), tensor([nan, inf, inf, ninf, ninf], { dtype })).values,
        [1, 1, 1, 1, 1],
      );
      same(pow(tensor([[1], [-1]], { dtype }), tensor([nan, inf, 2], { dtype })).values, [1, 1, 1, nan, 1, 1]);
    }
    same(pow(1, tensor([nan, inf, ninf], f64)).values, [1, 1, 1]);
    same(pow(tensor([-1, 2], f64), nan).values, [nan, nan]);
  });

  it('with a number exponent', () => {
    for (const dtype of ['float32', 'float64'] as const) {
      same(pow(tensor([1, -1, 2, 0.5], { dtype }), inf).values, [1, 1, inf, 0]);
      same(pow(tensor([1, -1, 2, 0.5], { dtype }), ninf).values, [1, 1, 0, inf]);
      same(pow(tensor([1, -1, 2], { dtype }), nan).values, [1, nan, nan]);
    }
    const out = new Float32Array(3);
    powScalarKernel(new Float32Array([1, -1, 3]), out, inf);
    same(out, [1, 1, inf]);
    const out2 = new Float64Array(2);
    powKernel(new Float64Array([1, -1]), [2], new Float64Array([nan]), [1], out2, [2]);
    same(out2, [1, nan]);
  });

  it('in a tensor large enough for the wasm kernels', () => {
    const n = 1024;
    const base = new Float32Array(n).map((_, i) => (i % 2 === 0 ? 1 : -1));
    const exps = new Float32Array(n).map((_, i) => [nan, inf, ninf, 3][i % 4]);
    const y = pow(tensor(base, { shape: [n] }), tensor(exps, { shape: [n] }));
    // Odd indices have base -1 and the exponents Infinity or 3; only (-1)^3 is not 1.
    for (let i = 0; i < n; i++) expect(y.values[i], `${base[i]} ** ${exps[i]}`).toBe(i % 4 === 3 ? -1 : 1);
    same(pow(tensor(base, { shape: [n] }), inf).values.subarray(0, 4), [1, 1, 1, 1]);
  });

  it('gradients: d/dy 1^y = 1^y log 1 = 0 and d/dx x^y = y x^(y-1), as torch.pow', () => {
    const x = tensor([1, 1, 1, -1, 1], { ...f64, requiresGrad: true });
    const y = tensor([nan, inf, ninf, inf, 2], { ...f64, requiresGrad: true });
    const [gx, gy] = grads(pow(x, y), [x, y]);
    same(gy, [0, 0, 0, nan, 0]); // log(-1) is NaN, as in torch
    same(gx, [nan, inf, ninf, inf, 2]);
    const e = tensor([nan, inf], { ...f64, requiresGrad: true });
    same(grads(pow(1, e), [e])[0], [0, 0]);
    const z = tensor([1, -1], { ...f64, requiresGrad: true });
    same(grads(pow(z, inf), [z])[0], [inf, inf]);
  });

  it('gradients at regular points still match finite differences (float64)', () => {
    const x = tensor([1, 1.5, 0.7], { ...f64, requiresGrad: true });
    const y = tensor([2.5, -1, 0.3], { ...f64, requiresGrad: true });
    expect(gradcheck((a, b) => pow(a, b), [x, y])).toBe(true);
    expect(gradcheck((a) => pow(a, 0.5), [tensor([0.3, 1, 2.5], { ...f64, requiresGrad: true })])).toBe(true);
    expect(gradcheck((a) => pow(a, -0.5), [tensor([0.3, 1, 2.5], { ...f64, requiresGrad: true })])).toBe(true);
  });
});

describe('pow with the number exponents ±0.5 (PyTorch: sqrt and rsqrt)', () => {
  it('gives the square root and its reciprocal, with their signed zeros', () => {
    for (const dtype of ['float32', 'float64'] as const) {
      same(pow(tensor([-0, 0, 4, -1, inf, ninf], { dtype }), 0.5).values, [-0, 0, 2, nan, inf, nan]);
      same(pow(tensor([-0, 0, 4, -1, inf], { dtype }), -0.5).values, [ninf, inf, 0.5, nan, 0]);
    }
    const values = [0.3, 2, 1e-300, 7.25, 1e300];
    same(pow(tensor(values, f64), 0.5).values, values.map(Math.sqrt));
  });

  it('d/dx x^0.5 at -0 is -Infinity, as torch', () => {
    const x = tensor([-0, 0, 4], { ...f64, requiresGrad: true });
    same(grads(pow(x, 0.5), [x])[0], [ninf, inf, 0.25]);
  });
});
