// Activation gradients at NaN inputs, as PyTorch 1.13 computes them: relu's threshold_backward zeroes the
// gradient only where the input is <= 0 and elu_backward takes its exponential branch only where it is
// <= 0, so a NaN input passes the upstream gradient on. The fused linear + ReLU backward (its one-pass
// kernel with the bias gradient, and its createGraph form) agrees. Runs on both backends.
import { describe, expect, it } from 'vitest';
import { elu, fusedLinear, gradients, matmulTransposed, relu, type Tensor, tensor } from '../index';

const { NaN: nan } = Number;

function same(actual: ArrayLike<number>, expected: readonly number[]): void {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < expected.length; i++)
    expect(Object.is(actual[i], expected[i]), `[${i}]: ${actual[i]} vs ${expected[i]}`).toBe(true);
}

/** The gradient of `sum(f(x) * up)`, and with createGraph, the gradient of `sum(that * w)`. */
function firstAndSecond(f: (x: Tensor) => Tensor, x: Tensor, up: Tensor, w: Tensor): [number[], number[]] {
  const [g] = gradients([f(x).mul(up).sum()], [x], null, { createGraph: true });
  const [h] = gradients([g!.mul(w).sum()], [x], null, { allowUnused: true });
  return [Array.from(g!.values), h === null ? [] : Array.from(h.values)];
}

describe('relu and elu gradients at NaN (PyTorch: the upstream gradient passes)', () => {
  for (const dtype of ['float32', 'float64'] as const) {
    const x = () => tensor([nan, -1, 0, 2], { dtype, requiresGrad: true });
    const up = tensor([3, 5, 7, 11], { dtype });
    const w = tensor([1, 1, 1, 1], { dtype });

    it(`relu (${dtype})`, () => {
      const [g] = firstAndSecond(relu, x(), up, w);
      same(g, [3, 0, 0, 11]);
    });

    it(`elu (${dtype}), alpha 1 and 2, with a zero second derivative at NaN and at 0`, () => {
      for (const alpha of [1, 2]) {
        const [g, h] = firstAndSecond((a) => elu(a, alpha), x(), up, w);
        expect(g[0]).toBe(3);
        expect(g[3]).toBe(11);
        expect(g[2]).toBe(7 * alpha);
        expect(g[1]).toBeCloseTo(5 * alpha * Math.exp(-1), dtype === 'float64' ? 14 : 6);
        // The second derivative is 0 at NaN, at 0 and above (PyTorch's elu_double_backward masks x < 0).
        expect(h[0]).toBe(0);
        expect(h[2]).toBe(0);
        expect(h[3]).toBe(0);
        expect(h[1]).toBeCloseTo(5 * alpha * Math.exp(-1), dtype === 'float64' ? 14 : 6);
      }
    });
  }

  it('relu in a float32 tensor large enough for the wasm kernels', () => {
    const n = 1024;
    const data = new Float32Array(n).map((_, i) => [nan, -1, 0, 2][i % 4]);
    const up = tensor(
      new Float32Array(n).map((_, i) => i + 1),
      { shape: [n] },
    );
    const [g] = firstAndSecond(relu, tensor(data, { shape: [n], requiresGrad: true }), up, up);
    for (let i = 0; i < n; i++) expect(g[i]).toBe(i % 4 === 0 || i % 4 === 3 ? i + 1 : 0);
    const x = tensor(data, { shape: [n], requiresGrad: true });
    relu(x).mul(up).sum().backward();
    same(x.grad!.values, g);
  });
});

describe('fusedLinear with ReLU at a NaN output', () => {
  it('passes the gradient where the output is NaN, like relu, in its fused and createGraph backwards', () => {
    const rows = 64;
    const k = 8;
    const n = 64;
    const fill = (size: number, f: (i: number) => number) => new Float32Array(size).map((_, i) => f(i));
    const x = tensor(
      fill(rows * k, (i) => Math.sin(i * 0.37)),
      { shape: [rows, k], requiresGrad: true },
    );
    const wt = tensor(
      fill(n * k, (i) => Math.cos(i * 0.11)),
      { shape: [n, k], requiresGrad: true },
    );
    // A NaN bias makes column 5 of the output NaN in every row.
    const b = tensor(
      fill(n, (i) => (i === 5 ? nan : 0.1 * (i % 3) - 0.1)),
      { shape: [n], requiresGrad: true },
    );
    const up = tensor(
      fill(rows * n, (i) => 1 + (i % 7)),
      { shape: [rows, n] },
    );
    const run = (f: () => Tensor, createGraph: boolean) =>
      gradients([f().mul(up).sum()], [x, wt, b], null, { createGraph }).map((g) => Array.from(g!.values));
    const fused = () => fusedLinear(x, wt, b, { activation: 'relu' });
    const plain = () => relu(matmulTransposed(x, wt, { transB: true }).add(b));
    const [gx, , gb] = run(fused, false);
    const [gxGraph, , gbGraph] = run(fused, true);
    const [gxPlain, , gbPlain] = run(plain, false);
    let column = 0;
    for (let r = 0; r < rows; r++) column += 1 + ((r * n + 5) % 7);
    expect(gb[5]).toBe(column);
    same(gb, gbPlain);
    same(gbGraph, gbPlain);
    expect(gx.every(Number.isFinite)).toBe(true);
    same(gx, gxPlain);
    gxGraph.forEach((v, i) => {
      expect(v).toBeCloseTo(gxPlain[i], 4);
    });
  });
});
