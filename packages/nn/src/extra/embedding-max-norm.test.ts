import {
  Generator,
  gradcheck,
  gradients,
  mul,
  SavedTensorModifiedError,
  type Tensor,
  tensor,
  ValueError,
} from '@nablajs/core';
import { describe, expect, it } from 'vitest';
import { embedding } from '../functional/embedding';
import { Embedding } from '../layers/embedding';
import { expectValues, intTensor, randomTensor } from '../losses/test-utils';

const table = () =>
  tensor(
    [
      [3, 4],
      [0.3, 0.4],
      [-6, 8],
    ],
    { dtype: 'float64', requiresGrad: true },
  );

describe('embedding with maxNorm (PyTorch embedding_renorm_)', () => {
  it('rescales, in place, only the looked-up rows whose norm exceeds maxNorm, by maxNorm / (norm + 1e-7)', () => {
    const w = table();
    const out = embedding(intTensor([3], [0, 1, 0]), w, { maxNorm: 1 });
    const s = 1 / (5 + 1e-7);
    expectValues(w, [3 * s, 4 * s, 0.3, 0.4, -6, 8], 1e-15);
    expectValues(out, [3 * s, 4 * s, 0.3, 0.4, 3 * s, 4 * s], 1e-15);
  });

  it('uses normType (1, Infinity) and the row norm of that order', () => {
    const w = table();
    embedding(intTensor([2], [0, 2]), w, { maxNorm: 2, normType: 1 });
    expectValues(w, [
      (3 * 2) / (7 + 1e-7),
      (4 * 2) / (7 + 1e-7),
      0.3,
      0.4,
      (-6 * 2) / (14 + 1e-7),
      (8 * 2) / (14 + 1e-7),
    ]);
    const v = table();
    embedding(intTensor([1], [2]), v, { maxNorm: 4, normType: Number.POSITIVE_INFINITY });
    expectValues(v, [3, 4, 0.3, 0.4, (-6 * 4) / (8 + 1e-7), (8 * 4) / (8 + 1e-7)]);
  });

  it('the gradient is the plain lookup gradient (the renorm has none)', () => {
    const w = table();
    const out = embedding(intTensor([2], [2, 2]), w, { maxNorm: 1 });
    const [g] = gradients(
      [out],
      [w],
      [
        tensor(
          [
            [1, 2],
            [3, 4],
          ],
          { dtype: 'float64' },
        ),
      ],
    );
    expectValues(g as Tensor, [0, 0, 0, 0, 4, 6]);
  });

  it('passes gradcheck in float64 when no row needs renormalising', () => {
    const w = randomTensor([5, 3], new Generator(7), { requiresGrad: true, scale: 0.1 });
    const idx = intTensor([4], [4, 0, 4, 2]);
    expect(gradcheck((a) => embedding(idx, a, { maxNorm: 10 }).square(), [w])).toBe(true);
  });

  it('a graph that saved the weight before the renorm throws on backward, as in PyTorch', () => {
    const w = table();
    const y = mul(w, w).sum(); // mul saves w
    embedding(intTensor([1], [0]), w, { maxNorm: 1 });
    expect(() => y.backward()).toThrow(SavedTensorModifiedError);
  });

  it('an earlier lookup stays differentiable after a later renorm (the lookup does not save the weight)', () => {
    const w = table();
    const first = embedding(intTensor([1], [2]), w, { maxNorm: 20 });
    const second = embedding(intTensor([1], [2]), w, { maxNorm: 1 });
    const [g] = gradients([first.sum().add(second.sum())], [w]);
    expectValues(g as Tensor, [0, 0, 0, 0, 2, 2]);
  });

  it('rejects bad options before changing anything', () => {
    const w = table();
    const before = Array.from(w.values);
    expect(() => embedding(intTensor([1], [0]), w, { maxNorm: -1 })).toThrow(
      /embedding: maxNorm must be a number >= 0 or null, got -1/,
    );
    expect(() => embedding(intTensor([1], [0]), w, { maxNorm: 1, normType: 0 })).toThrow(
      /embedding: normType must be a positive number or Infinity, got 0/,
    );
    expect(() => embedding(intTensor([2], [0, 3]), w, { maxNorm: 1 })).toThrow(/index 3 is out of range/);
    expect(Array.from(w.values)).toEqual(before);
    expect(() => new Embedding(3, 2, { maxNorm: Number.NaN })).toThrow(ValueError);
    expect(() => new Embedding(3, 2, { maxNorm: 1, normType: -2 })).toThrow(/Embedding\(3, 2\): normType must be/);
  });
});

describe('Embedding layer with maxNorm', () => {
  it('renormalises the looked-up rows of its weight on every forward, defaults normType 2', () => {
    const emb = new Embedding(4, 2, { maxNorm: 1, dtype: 'float64', generator: new Generator(3) });
    expect(emb.normType).toBe(2);
    expect(emb.maxNorm).toBe(1);
    emb.loadStateDict({
      weight: tensor(
        [
          [3, 4],
          [0.6, 0.8],
          [0, 0],
          [1, 1],
        ],
        { dtype: 'float64' },
      ),
    });
    const out = emb.forward(intTensor([2], [0, 3]));
    const s0 = 1 / (5 + 1e-7);
    const s3 = 1 / (Math.SQRT2 + 1e-7);
    expectValues(emb.weight, [3 * s0, 4 * s0, 0.6, 0.8, 0, 0, s3, s3], 1e-15);
    expectValues(out, [3 * s0, 4 * s0, s3, s3], 1e-15);
    expect(String(emb)).toContain('maxNorm=1');
  });

  it('without maxNorm leaves the weight alone, and fromPretrained takes maxNorm too', () => {
    const emb = Embedding.fromPretrained(tensor([[3, 4]], { dtype: 'float64' }));
    emb.forward(intTensor([1], [0]));
    expectValues(emb.weight, [3, 4]);
    const capped = Embedding.fromPretrained(tensor([[3, 4]], { dtype: 'float64' }), { maxNorm: 2, normType: 1 });
    capped.forward(intTensor([1], [0]));
    expectValues(capped.weight, [6 / (7 + 1e-7), 8 / (7 + 1e-7)]);
  });

  it('float32: the scale is applied in float32', () => {
    const emb = new Embedding(1, 2, { maxNorm: 1 });
    emb.loadStateDict({ weight: tensor([[3, 4]]) });
    emb.forward(intTensor([1], [0]));
    const s = Math.fround(1 / (5 + 1e-7));
    expect(Array.from(emb.weight.values)).toEqual([Math.fround(3 * s), Math.fround(4 * s)]);
  });
});
