import { DTypeError, Generator, gradcheck, ShapeError, tensor, zeros } from '@nablajs/core';
import { describe, expect, it } from 'vitest';
import { expectValues, randomTensor, snapshot } from '../losses/test-utils';
import { linear } from './linear';

describe('linear', () => {
  const gen = new Generator(61);

  it('computes x Wᵀ + b (hand-computed)', () => {
    const w = tensor([
      [1, 0],
      [0, 2],
      [1, 1],
    ]);
    expectValues(linear(tensor([[3, 4]]), w, tensor([0, 0, 1])), [3, 8, 8], 1e-7, [1, 3]);
    expectValues(linear(tensor([3, 4]), w), [3, 8, 7], 1e-7, [3]);
  });

  it('matches a plain loop for leading batch dimensions', () => {
    const x = randomTensor([2, 3, 4], gen);
    const w = randomTensor([5, 4], gen);
    const b = randomTensor([5], gen);
    const expected: number[] = [];
    for (let r = 0; r < 6; r++)
      for (let o = 0; o < 5; o++) {
        let s = b.data[o];
        for (let i = 0; i < 4; i++) s += x.data[r * 4 + i] * w.data[o * 4 + i];
        expected.push(s);
      }
    expectValues(linear(x, w, b), expected, 1e-12, [2, 3, 5]);
    expectValues(
      linear(x, w, null),
      expected.map((v, k) => v - b.data[k % 5]),
      1e-12,
      [2, 3, 5],
    );
  });

  it('passes gradcheck w.r.t. input, weight and bias', () => {
    const x = randomTensor([3, 4], gen, { requiresGrad: true });
    const w = randomTensor([2, 4], gen, { requiresGrad: true });
    const b = randomTensor([2], gen, { requiresGrad: true });
    expect(gradcheck(linear, [x, w, b])).toBe(true);
  });

  // torch 1.13: x = [[1, 2, 3], [4, 5, 6]], w = [0.5, -1, 2]: F.linear(x, w) = [4.5, 9] (shape [2]),
  // w.grad of its sum [5, 7, 9], x.grad rows [0.5, -1, 2]; F.linear(torch.tensor([1., 2, 3]), w) is 0-d.
  it('takes a 1-D weight as PyTorch does: the output loses its last dimension', () => {
    const x = tensor(
      [
        [1, 2, 3],
        [4, 5, 6],
      ],
      { requiresGrad: true },
    );
    const w = tensor([0.5, -1, 2], { requiresGrad: true });
    const y = linear(x, w);
    expect(y.shape).toEqual([2]);
    expect(y.toArray()).toEqual([4.5, 9]);
    y.sum().backward();
    expect(w.grad?.toArray()).toEqual([5, 7, 9]);
    expect(x.grad?.toArray()).toEqual([
      [0.5, -1, 2],
      [0.5, -1, 2],
    ]);
    expect(linear(tensor([1, 2, 3]), w).shape).toEqual([]);
    const b = tensor(0.25, { requiresGrad: true });
    expect(linear(x, w, b).toArray()).toEqual([4.75, 9.25]);
    linear(x, w, b).sum().backward();
    expect(b.grad?.item()).toBe(2);
    expect(
      gradcheck(
        (a, v, c) => linear(a, v, c),
        [
          randomTensor([3, 4], gen, { requiresGrad: true }),
          randomTensor([4], gen, { requiresGrad: true }),
          randomTensor([], gen, { requiresGrad: true }),
        ],
      ),
    ).toBe(true);
  });

  // torch 1.13: F.linear(x, [[1, 2, 3], [0, 1, 0]], b) with b = 0.5 (0-d) or [0.5] gives [[14.5, 2.5], [32.5, 5.5]].
  it('broadcasts a 0-d or one-element bias as PyTorch does', () => {
    const x = tensor([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    const w = tensor([
      [1, 2, 3],
      [0, 1, 0],
    ]);
    for (const b of [tensor(0.5), tensor([0.5])])
      expect(linear(x, w, b).toArray()).toEqual([
        [14.5, 2.5],
        [32.5, 5.5],
      ]);
    const b = randomTensor([1], gen, { requiresGrad: true });
    expect(
      gradcheck(
        (a, v, c) => linear(a, v, c),
        [randomTensor([3, 4], gen, { requiresGrad: true }), randomTensor([2, 4], gen, { requiresGrad: true }), b],
      ),
    ).toBe(true);
  });

  it('does not mutate its inputs', () => {
    const x = randomTensor([2, 3], gen, { requiresGrad: true });
    const w = randomTensor([4, 3], gen, { requiresGrad: true });
    const unchanged = snapshot(x, w);
    linear(x, w).sum().backward();
    unchanged();
  });

  it('throws clear shape errors', () => {
    expect(() => linear(zeros([2, 5]), zeros([8, 4]))).toThrow(ShapeError);
    expect(() => linear(zeros([2, 5]), zeros([8, 4]))).toThrow(
      'linear: input has 5 features in its last dimension, expected 4 (input shape [2,5], weight shape [8,4])',
    );
    expect(() => linear(zeros([4]), zeros([2, 2, 4]))).toThrow(
      /linear: weight must be 2-D \[outFeatures, inFeatures\] or 1-D \[inFeatures\], got shape \[2,2,4\]/,
    );
    expect(() => linear(zeros([2, 4]), zeros([8, 4]), zeros([4]))).toThrow(
      /linear: bias must have shape \[8\], \[1\] or \[\] to match weight shape \[8,4\], got \[4\]/,
    );
    expect(() => linear(zeros([2, 4]), zeros([4]), zeros([1]))).toThrow(
      /linear: bias must have shape \[\] \(0-d\) with a 1-D weight, got \[1\]/,
    );
    expect(() => linear(zeros([]), zeros([8, 4]))).toThrow(/linear: input has no features/);
    expect(() => linear(zeros([2, 4], { dtype: 'int32' }), zeros([8, 4]))).toThrow(DTypeError);
  });
});
