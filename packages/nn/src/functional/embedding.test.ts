import {
  DTypeError,
  Generator,
  gradcheck,
  gradients,
  IndexError,
  ShapeError,
  type Tensor,
  tensor,
  ValueError,
  zeros,
} from '@nablajs/core';
import { describe, expect, it } from 'vitest';
import { expectValues, intTensor, randomTensor, snapshot } from '../losses/test-utils';
import { embedding } from './embedding';

describe('embedding', () => {
  const gen = new Generator(81);

  it('looks up rows for indices of any shape', () => {
    const w = tensor(
      [
        [0, 0],
        [1, 2],
        [3, 4],
      ],
      { dtype: 'float64' },
    );
    expectValues(embedding(intTensor([1, 3], [1, 2, 1]), w), [1, 2, 3, 4, 1, 2], 0, [1, 3, 2]);
    expectValues(embedding(intTensor([], [2]), w), [3, 4], 0, [2]);
    expectValues(embedding(intTensor([2, 2], [0, 1, 2, 0]), w, 0), [0, 0, 1, 2, 3, 4, 0, 0], 0, [2, 2, 2]);
    expect(embedding(intTensor([0], []), w).shape).toEqual([0, 2]);
  });

  it('accumulates the gradient of repeated indices', () => {
    const w = randomTensor([4, 3], gen, { requiresGrad: true });
    const out = embedding(intTensor([2, 3], [1, 3, 1, 1, 0, 3]), w);
    const up = randomTensor([2, 3, 3], gen);
    const [g] = gradients([out], [w], [up]);
    const expected = new Array(12).fill(0);
    [1, 3, 1, 1, 0, 3].forEach((row, i) => {
      for (let k = 0; k < 3; k++) expected[row * 3 + k] += up.data[i * 3 + k];
    });
    expectValues(g as Tensor, expected);
  });

  it('returns the padding row but gives it a zero gradient (also with a negative paddingIdx)', () => {
    const w = randomTensor([4, 2], gen, { requiresGrad: true });
    for (const paddingIdx of [2, -2]) {
      const out = embedding(intTensor([4], [2, 0, 2, 1]), w, paddingIdx);
      expectValues(out, [w.data[4], w.data[5], w.data[0], w.data[1], w.data[4], w.data[5], w.data[2], w.data[3]]);
      const [g] = gradients([out.sum()], [w]);
      expectValues(g as Tensor, [1, 1, 1, 1, 0, 0, 0, 0]);
    }
  });

  it('passes gradcheck w.r.t. the weight, and its gradient can be differentiated again', () => {
    const w = randomTensor([5, 3], gen, { requiresGrad: true });
    const idx = intTensor([2, 3], [4, 0, 4, 2, 2, 1]);
    expect(gradcheck((a) => embedding(idx, a), [w])).toBe(true);
    expect(gradcheck((a) => embedding(idx, a).square(), [w])).toBe(true);
    // paddingIdx breaks agreement with finite differences on purpose: row 4 gets no gradient
    expect(gradcheck((a) => embedding(idx, a, 4), [w], { raiseException: false })).toBe(false);
    const up = randomTensor([2, 3, 3], gen, { requiresGrad: true });
    const [g] = gradients([embedding(idx, w, 2)], [w], [up], { createGraph: true });
    const [gUp] = gradients([(g as Tensor).sum()], [up]);
    // d(sum of grad)/d(upstream) is 1 for every non-padding lookup and 0 for the padding one
    expectValues(
      gUp as Tensor,
      [4, 0, 4, 2, 2, 1].flatMap((r) => (r === 2 ? [0, 0, 0] : [1, 1, 1])),
    );
  });

  it('takes its options as an object: { paddingIdx } like the positional form, and leaves the weight alone without maxNorm', () => {
    const w = randomTensor([4, 2], gen, { requiresGrad: true, scale: 5 });
    const unchanged = snapshot(w);
    const idx = intTensor([3], [3, 1, 3]);
    const [a] = gradients([embedding(idx, w, { paddingIdx: 3 }).sum()], [w]);
    const [b] = gradients([embedding(idx, w, 3).sum()], [w]);
    expect(Array.from((a as Tensor).values)).toEqual(Array.from((b as Tensor).values));
    expectValues(a as Tensor, [0, 0, 1, 1, 0, 0, 0, 0]);
    embedding(idx, w, { maxNorm: null });
    unchanged();
  });

  it('does not mutate its inputs', () => {
    const w = randomTensor([3, 2], gen, { requiresGrad: true });
    const idx = intTensor([3], [0, 2, 0]);
    const unchanged = snapshot(w, idx);
    embedding(idx, w, 0).sum().backward();
    unchanged();
  });

  it('rejects indices out of range, non-int32 indices, a bad weight and a bad paddingIdx', () => {
    const w = zeros([10, 4]);
    expect(() => embedding(intTensor([2], [3, 12]), w)).toThrow(IndexError);
    expect(() => embedding(intTensor([2], [3, 12]), w)).toThrow(
      'embedding: index 12 is out of range for 10 embeddings',
    );
    expect(() => embedding(intTensor([1], [-1]), w)).toThrow(/index -1 is out of range/);
    expect(() => embedding(tensor([1, 2]), w)).toThrow(DTypeError);
    expect(() => embedding(tensor([1, 2]), w)).toThrow('embedding: indices must be an int32 tensor, got float32');
    expect(() => embedding(intTensor([1], [0]), zeros([10]))).toThrow(ShapeError);
    expect(() => embedding(intTensor([1], [0]), w, 10)).toThrow(ValueError);
    expect(() => embedding(intTensor([1], [0]), w, -11)).toThrow(
      'embedding: paddingIdx must be an integer in [-10, 10), got -11',
    );
  });
});
