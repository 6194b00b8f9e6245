import {
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
import { pairwiseDistance } from './pairwise-distance';

const f64 = { dtype: 'float64' } as const;

/** The plain-loop `‖a - b + eps‖_p`. */
function referenceDistance(a: readonly number[], b: readonly number[], p: number, eps: number): number {
  const d = a.map((v, i) => Math.abs(v - b[i] + eps));
  if (p === Number.POSITIVE_INFINITY) return Math.max(...d);
  if (p === Number.NEGATIVE_INFINITY) return Math.min(...d);
  if (p === 0) return d.filter((v) => v !== 0).length;
  return d.reduce((s, v) => s + v ** p, 0) ** (1 / p);
}

describe('pairwiseDistance', () => {
  it('gives the values of its examples', () => {
    expectValues(
      pairwiseDistance(
        tensor([
          [0, 0],
          [1, 1],
        ]),
        tensor([
          [3, 4],
          [1, 1],
        ]),
        { eps: 0 },
      ),
      [5, 0],
      1e-7,
    );
    expectValues(pairwiseDistance(tensor([1, 5]), tensor([0, 3]), { p: 1, eps: 0, keepdim: true }), [3], 0, [1]);
  });

  it('matches the plain-loop distance for each order, eps added to every difference', () => {
    const a = randomTensor([4, 5], new Generator(1));
    const b = randomTensor([4, 5], new Generator(2));
    const row = (t: Tensor, i: number) => Array.from(t.values.subarray(i * 5, i * 5 + 5));
    for (const p of [2, 1, 3, 0.5, 0, Infinity, -Infinity])
      for (const eps of [1e-6, 0, 0.3]) {
        const want = [0, 1, 2, 3].map((i) => referenceDistance(row(a, i), row(b, i), p, eps));
        expectValues(pairwiseDistance(a, b, { p, eps }), want, 1e-13, [4]);
        expectValues(pairwiseDistance(a, b, { p, eps, keepdim: true }), want, 1e-13, [4, 1]);
      }
    // equal vectors are eps · D^(1/p) apart
    expectValues(
      pairwiseDistance(a, a),
      [0, 1, 2, 3].map(() => 1e-6 * Math.sqrt(5)),
      1e-15,
    );
  });

  it('reduces the last dimension of the broadcast shape', () => {
    const a = randomTensor([3, 4], new Generator(3));
    const b = randomTensor([4], new Generator(4));
    const y = pairwiseDistance(a, b);
    expect(y.shape).toEqual([3]);
    for (let i = 0; i < 3; i++)
      expect(y.values[i]).toBeCloseTo(
        referenceDistance(Array.from(a.values.subarray(i * 4, i * 4 + 4)), Array.from(b.values), 2, 1e-6),
        14,
      );
    expect(pairwiseDistance(b, randomTensor([2, 3, 4], new Generator(5))).shape).toEqual([2, 3]);
    expect(pairwiseDistance(zeros([2, 1]), zeros([1, 3]), { keepdim: true }).shape).toEqual([2, 1]);
  });

  it('handles 1-D, 0-d and empty vectors as PyTorch does', () => {
    expectValues(pairwiseDistance(tensor([1, 2], f64), tensor([3, 0], f64), { eps: 0 }), Math.sqrt(8), 1e-15);
    expectValues(pairwiseDistance(tensor(1, f64), tensor(3, f64)), 2 - 1e-6, 1e-15);
    expectValues(pairwiseDistance(tensor(1, f64), tensor(3, f64), { keepdim: true }), 2 - 1e-6, 1e-15);
    expectValues(pairwiseDistance(tensor(1, f64), tensor([3, 4], f64), { eps: 0 }), Math.sqrt(13), 1e-15);
    for (const p of [2, 1, Infinity]) expectValues(pairwiseDistance(zeros([2, 0]), zeros([2, 0]), { p }), [0, 0]);
  });

  it('gives a zero gradient where the distance is 0, as PyTorch does', () => {
    const a = tensor([[1, 2, 3]], { dtype: 'float64', requiresGrad: true });
    const b = tensor([[1, 2, 3]], { dtype: 'float64', requiresGrad: true });
    for (const p of [2, 1, 3, Infinity]) {
      const y = pairwiseDistance(a, b, { p, eps: 0 });
      expectValues(y, [0]);
      const [ga, gb] = gradients([y.sum()], [a, b]);
      expectValues(ga as Tensor, [0, 0, 0]);
      expectValues(gb as Tensor, [0, 0, 0]);
    }
  });

  it('keeps the dtype, promotes mixed dtypes and does not mutate its inputs', () => {
    const a = randomTensor([3, 4], new Generator(6), { dtype: 'float32' });
    const b = randomTensor([3, 4], new Generator(7), { dtype: 'float32' });
    const unchanged = snapshot(a, b);
    expect(pairwiseDistance(a, b).dtype).toBe('float32');
    expect(pairwiseDistance(a, randomTensor([3, 4], new Generator(8))).dtype).toBe('float64');
    unchanged();
  });

  it('passes gradcheck and gradgradcheck in float64 for each order and with broadcasting', () => {
    const gen = new Generator(9);
    for (const p of [2, 1, 3, 0.5, Infinity, -Infinity]) {
      const a = randomTensor([3, 4], gen, { requiresGrad: true });
      const b = randomTensor([3, 4], gen, { requiresGrad: true });
      const f = (x: Tensor, y: Tensor) => pairwiseDistance(x, y, { p });
      expect(gradcheck(f, [a, b])).toBe(true);
      expect(gradgradcheck(f, [a, b])).toBe(true);
    }
    const a = randomTensor([2, 3, 4], gen, { requiresGrad: true });
    const b = randomTensor([4], gen, { requiresGrad: true });
    const f = (x: Tensor, y: Tensor) => pairwiseDistance(x, y, { keepdim: true, eps: 0.1 });
    expect(gradcheck(f, [a, b])).toBe(true);
    expect(gradgradcheck(f, [a, b])).toBe(true);
  });

  it('rejects bad arguments with errors naming pairwiseDistance and the argument', () => {
    const x = zeros([2, 3]);
    // biome-ignore lint/suspicious/noExplicitAny: a misspelled key, as a JavaScript caller passes it
    const bad: any = { keepDim: true };
    expect(() => pairwiseDistance(x, x, bad)).toThrow(ValueError);
    expect(() => pairwiseDistance(x, x, bad)).toThrow(
      'pairwiseDistance: unknown option "keepDim" (did you mean "keepdim"?)',
    );
    expect(() => pairwiseDistance(x, x, { p: -2 })).toThrow(
      'pairwiseDistance: p must be 0, a positive number, Infinity or -Infinity, got -2',
    );
    expect(() => pairwiseDistance(x, x, { eps: Number.NaN })).toThrow('pairwiseDistance: eps must be a finite number');
    // biome-ignore lint/suspicious/noExplicitAny: not a boolean
    expect(() => pairwiseDistance(x, x, { keepdim: 1 as any })).toThrow('pairwiseDistance: keepdim must be a boolean');
    expect(() => pairwiseDistance(x, zeros([3, 3]))).toThrow(ShapeError);
    expect(() => pairwiseDistance(x, zeros([3, 3]))).toThrow(
      'pairwiseDistance: x1 of shape [2,3] and x2 of shape [3,3] cannot be broadcast together',
    );
    expect(() => pairwiseDistance(tensor([[1, 2]], { dtype: 'int32' }), zeros([1, 2]))).toThrow(DTypeError);
    expect(() => pairwiseDistance(tensor([[1, 2]], { dtype: 'int32' }), zeros([1, 2]))).toThrow(
      /pairwiseDistance: x1 must be a float32 or float64/,
    );
  });
});
