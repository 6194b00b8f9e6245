import {
  AxisError,
  DTypeError,
  Generator,
  gradcheck,
  gradgradcheck,
  gradients,
  ShapeError,
  type Tensor,
  tensor,
  ValueError,
  zeros,
} from '@nablajs/core';
import { describe, expect, it } from 'vitest';
import { expectValues, randomTensor, snapshot } from '../losses/test-utils';
import { cosineSimilarity } from './cosine-similarity';

const f64 = { dtype: 'float64' } as const;

/** The plain-loop cosine of two rows with each norm raised to eps. */
function referenceCosine(a: readonly number[], b: readonly number[], eps: number): number {
  let na = 0;
  let nb = 0;
  let dot = 0;
  for (let i = 0; i < a.length; i++) {
    na += a[i] * a[i];
    nb += b[i] * b[i];
    dot += a[i] * b[i];
  }
  return dot / (Math.max(Math.sqrt(na), eps) * Math.max(Math.sqrt(nb), eps));
}

describe('cosineSimilarity', () => {
  it('gives the values of its examples', () => {
    expectValues(
      cosineSimilarity(
        tensor([
          [1, 0],
          [1, 1],
        ]),
        tensor([
          [0, 2],
          [2, 2],
        ]),
      ),
      [0, 1],
      1e-7,
    );
    expectValues(cosineSimilarity(tensor([3, 4]), tensor([4, 3]), { axis: 0 }), 0.96, 1e-7);
    expectValues(cosineSimilarity(tensor([[0, 0]]), tensor([[1, 2]])), [0]);
  });

  it('matches the plain-loop cosine of random rows', () => {
    const a = randomTensor([5, 7], new Generator(1));
    const b = randomTensor([5, 7], new Generator(2));
    const rows = (t: Tensor, i: number) => Array.from(t.values.subarray(i * 7, i * 7 + 7));
    expectValues(
      cosineSimilarity(a, b),
      [0, 1, 2, 3, 4].map((i) => referenceCosine(rows(a, i), rows(b, i), 1e-8)),
      1e-14,
      [5],
    );
  });

  it('raises each norm to eps on its own (PyTorch 1.13), not the product of the norms', () => {
    // ‖x1‖ = 1e-9 < eps = 1e-8 while ‖x1‖·‖x2‖ = 1e-6 > eps: 1.13 gives 0.1, a clamped product would give 1.
    const x1 = tensor([[1e-9, 0]], { dtype: 'float64', requiresGrad: true });
    const x2 = tensor([[1e3, 0]], { dtype: 'float64', requiresGrad: true });
    const y = cosineSimilarity(x1, x2);
    expectValues(y, [0.1], 1e-14);
    // The gradient of the clamped norm is that of the unclamped one: 1/n1 - a²/n1³ = 1e8 - 1e6.
    const [g1, g2] = gradients([y], [x1, x2]);
    expectValues(g1 as Tensor, [9.9e7, 0], 1e-12);
    expectValues(g2 as Tensor, [0, 0]);
    // eps = 0.5 with ‖x1‖ = √0.1: the example worked out by hand
    const a = tensor([[0.3, 0.1]], { dtype: 'float64', requiresGrad: true });
    const b = tensor([[1, 0]], { dtype: 'float64', requiresGrad: true });
    const c = cosineSimilarity(a, b, { eps: 0.5 });
    expectValues(c, [0.6], 1e-15);
    const [ga, gb] = gradients([c], [a, b]);
    expectValues(ga as Tensor, [1.28, -0.24], 1e-14);
    expectValues(gb as Tensor, [0, 0.2], 1e-14);
  });

  it('gives 0 for zero vectors (NaN with eps = 0) and for norms that overflow, as PyTorch does', () => {
    const x1 = tensor(
      [
        [0, 0],
        [1, 2],
        [0, 0],
      ],
      { dtype: 'float64', requiresGrad: true },
    );
    const x2 = tensor(
      [
        [1, 2],
        [0, 0],
        [0, 0],
      ],
      f64,
    );
    const y = cosineSimilarity(x1, x2);
    expectValues(y, [0, 0, 0]);
    const [g] = gradients([y.sum()], [x1]);
    // the zero row of x1 sees x2's unit vector divided by eps
    expectValues(g as Tensor, [1e8 / Math.sqrt(5), 2e8 / Math.sqrt(5), 0, 0, 0, 0], 1e-12);
    expect(cosineSimilarity(zeros([1, 2], f64), tensor([[1, 1]], f64), { eps: 0 }).values[0]).toBeNaN();
    const big = tensor(
      [
        [1e200, 1e200],
        [1, 1],
      ],
      { dtype: 'float64', requiresGrad: true },
    );
    const other = tensor(
      [
        [1, 2],
        [1e200, 1],
      ],
      f64,
    );
    const z = cosineSimilarity(big, other);
    expectValues(z, [0, 0]);
    const [gb] = gradients([z.sum()], [big]);
    expectValues(gb as Tensor, [0, 0, 0, 0]);
  });

  it('broadcasts its inputs, counts axis in the broadcast shape and promotes the dtypes', () => {
    const a = randomTensor([2, 3, 4], new Generator(3));
    const b = randomTensor([4], new Generator(4));
    const y = cosineSimilarity(a, b, { axis: -1 });
    expect(y.shape).toEqual([2, 3]);
    const row = Array.from(b.values);
    for (let i = 0; i < 6; i++)
      expect(y.values[i]).toBeCloseTo(referenceCosine(Array.from(a.values.subarray(i * 4, i * 4 + 4)), row, 1e-8), 14);
    expect(cosineSimilarity(randomTensor([3, 4], new Generator(5)), b, { axis: 0 }).shape).toEqual([4]);
    expect(
      cosineSimilarity(randomTensor([3, 1], new Generator(6)), randomTensor([1, 5], new Generator(7))).shape,
    ).toEqual([3]);
    const mixed = cosineSimilarity(
      randomTensor([2, 3], new Generator(8), { dtype: 'float32' }),
      randomTensor([2, 3], new Generator(9)),
    );
    expect(mixed.dtype).toBe('float64');
    expect(cosineSimilarity(zeros([2, 3]), zeros([2, 3])).dtype).toBe('float32');
  });

  it('handles 1-D, 0-d and empty vectors as PyTorch does', () => {
    expectValues(cosineSimilarity(tensor([1, 2], f64), tensor([3, 0], f64), { axis: -1 }), 1 / Math.sqrt(5), 1e-15);
    expectValues(cosineSimilarity(tensor(-2, f64), tensor(3, f64), { axis: 0 }), -1);
    // the 0-d x1 broadcasts to [2, 2]
    expectValues(cosineSimilarity(tensor(2, f64), tensor([3, -1], f64), { axis: 0 }), 2 / Math.sqrt(20), 1e-15);
    expectValues(cosineSimilarity(zeros([2, 0]), zeros([2, 0])), [0, 0]);
  });

  it('does not mutate its inputs', () => {
    const a = randomTensor([3, 4], new Generator(10));
    const b = randomTensor([3, 4], new Generator(11));
    const unchanged = snapshot(a, b);
    cosineSimilarity(a, b);
    unchanged();
  });

  it('passes gradcheck and gradgradcheck in float64, with broadcasting', () => {
    const gen = new Generator(12);
    const a = randomTensor([3, 4], gen, { requiresGrad: true });
    const b = randomTensor([3, 4], gen, { requiresGrad: true });
    const plain = (x: Tensor, y: Tensor) => cosineSimilarity(x, y);
    expect(gradcheck(plain, [a, b])).toBe(true);
    expect(gradgradcheck(plain, [a, b])).toBe(true);
    const c = randomTensor([2, 3, 4], gen, { requiresGrad: true });
    const d = randomTensor([3, 1], gen, { requiresGrad: true });
    const f = (x: Tensor, y: Tensor) => cosineSimilarity(x, y, { axis: -2 });
    expect(gradcheck(f, [c, d])).toBe(true);
    expect(gradgradcheck(f, [c, d])).toBe(true);
  });

  it("passes gradients like PyTorch 1.13 where a norm is clamped, which are not the forward's derivative", () => {
    // Rows 0 and 2 of x have norms well below eps = 0.5, rows 1 and 3 well above. Where a norm is clamped
    // the forward does not depend on it, but 1.13 (clamping outside the graph) still passes the norm's
    // gradient: finite differences disagree there, in torch.autograd.gradcheck as here.
    const x = tensor(
      [
        [0.1, -0.2, 0.05],
        [1, 2, -0.5],
        [-0.15, 0.1, 0.2],
        [0.7, -0.9, 1.1],
      ],
      { dtype: 'float64', requiresGrad: true },
    );
    const y = randomTensor([4, 3], new Generator(13), { requiresGrad: true });
    const clamped = (s: Tensor, t: Tensor) => cosineSimilarity(s, t, { eps: 0.5 });
    expect(gradcheck(clamped, [x, y], { raiseException: false })).toBe(false);
    const unclampedRows = [1, 3];
    const xs = tensor(
      unclampedRows.map((r) => Array.from(x.values.subarray(r * 3, r * 3 + 3))),
      { dtype: 'float64', requiresGrad: true },
    );
    const ys = tensor(
      unclampedRows.map((r) => Array.from(y.values.subarray(r * 3, r * 3 + 3))),
      { dtype: 'float64', requiresGrad: true },
    );
    expect(gradcheck(clamped, [xs, ys])).toBe(true);
    expect(gradgradcheck(clamped, [xs, ys])).toBe(true);
    // the clamped rows' gradient in closed form: b̂ / eps - (x·b̂ / eps) x / eps²
    const [gx] = gradients([clamped(x, y).sum()], [x]);
    for (const r of [0, 2]) {
      const a = Array.from(x.values.subarray(r * 3, r * 3 + 3));
      const b = Array.from(y.values.subarray(r * 3, r * 3 + 3));
      const nb = Math.hypot(...b);
      const cos = a.reduce((s, v, i) => s + (v * b[i]) / nb, 0) / 0.5;
      for (let i = 0; i < 3; i++)
        expect((gx as Tensor).values[r * 3 + i]).toBeCloseTo(b[i] / nb / 0.5 - (cos * a[i]) / 0.25, 12);
    }
  });

  it('rejects bad arguments with errors naming cosineSimilarity and the argument', () => {
    const x = zeros([2, 3]);
    // biome-ignore lint/suspicious/noExplicitAny: a misspelled key, as a JavaScript caller passes it
    const bad: any = { dim: 0 };
    expect(() => cosineSimilarity(x, x, bad)).toThrow(ValueError);
    expect(() => cosineSimilarity(x, x, bad)).toThrow('cosineSimilarity: unknown option "dim"');
    expect(() => cosineSimilarity(x, x, { eps: -1e-8 })).toThrow(
      'cosineSimilarity: eps must be a finite number >= 0, got -1e-8',
    );
    expect(() => cosineSimilarity(x, zeros([2, 4]))).toThrow(ShapeError);
    expect(() => cosineSimilarity(x, zeros([2, 4]))).toThrow(
      'cosineSimilarity: x1 of shape [2,3] and x2 of shape [2,4] cannot be broadcast together',
    );
    expect(() => cosineSimilarity(zeros([3]), zeros([3]))).toThrow(AxisError);
    expect(() => cosineSimilarity(zeros([3]), zeros([3]))).toThrow(/cosineSimilarity: axis 1 is out of range/);
    expect(() => cosineSimilarity(x, x, { axis: 1.5 })).toThrow('cosineSimilarity: axis must be an integer, got 1.5');
    const ints = tensor([[1, 2]], { dtype: 'int32' });
    expect(() => cosineSimilarity(ints, ints)).toThrow(DTypeError);
    expect(() => cosineSimilarity(zeros([1, 2]), ints)).toThrow(/cosineSimilarity: x2 must be a float32 or float64/);
  });
});
