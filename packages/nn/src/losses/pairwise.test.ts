import { Generator, gradcheck, gradients, ShapeError, type Tensor, tensor, ValueError, zeros } from '@nablajs/core';
import { describe, expect, it } from 'vitest';
import { cosineEmbeddingLoss } from './cosine-embedding-loss';
import { hingeEmbeddingLoss } from './hinge-embedding-loss';
import { marginRankingLoss } from './margin-ranking-loss';
import { expectValues, REDUCTIONS, randomTensor, referenceReduce, snapshot } from './test-utils';

const signs = (values: number[]) => tensor(values, { dtype: 'float64' });

describe('cosineEmbeddingLoss', () => {
  const gen = new Generator(51);

  function reference(x1: Tensor, x2: Tensor, y: number[], margin: number): number[] {
    const [n, d] = x1.ndim === 1 ? [1, x1.shape[0]] : x1.shape;
    const out: number[] = [];
    for (let i = 0; i < n; i++) {
      let dot = 0;
      let a = 0;
      let b = 0;
      for (let k = 0; k < d; k++) {
        const u = x1.data[i * d + k];
        const v = x2.data[i * d + k];
        dot += u * v;
        a += u * u;
        b += v * v;
      }
      const cos = dot / Math.sqrt((a + 1e-12) * (b + 1e-12));
      out.push(y[i] === 1 ? 1 - cos : Math.max(0, cos - margin));
    }
    return out;
  }

  it('matches a plain loop for every reduction and margin', () => {
    const x1 = randomTensor([6, 4], gen);
    const x2 = randomTensor([6, 4], gen);
    const y = [1, -1, -1, 1, -1, 1];
    for (const margin of [0, 0.3, -0.5])
      for (const reduction of REDUCTIONS)
        expectValues(
          cosineEmbeddingLoss(x1, x2, signs(y), { margin, reduction }),
          referenceReduce(reference(x1, x2, y, margin), reduction),
        );
  });

  it('gives hand-computed values, accepts int32 labels and unbatched vectors', () => {
    const x1 = tensor(
      [
        [1, 0],
        [1, 1],
      ],
      { dtype: 'float64' },
    );
    const x2 = tensor(
      [
        [1, 0],
        [1, 0],
      ],
      { dtype: 'float64' },
    );
    const y = tensor([1, -1], { dtype: 'int32' });
    expectValues(cosineEmbeddingLoss(x1, x2, y, { reduction: 'none' }), [0, Math.SQRT1_2], 1e-11);
    expectValues(cosineEmbeddingLoss(tensor([3, 4]), tensor([4, -3]), tensor(1)), 1, 1e-6);
  });

  it('gives a cosine of 0 and finite gradients for a zero vector', () => {
    const x1 = zeros([1, 3], { dtype: 'float64', requiresGrad: true });
    const x2 = tensor([[1, 2, 3]], { dtype: 'float64', requiresGrad: true });
    const loss = cosineEmbeddingLoss(x1, x2, signs([1]));
    expectValues(loss, 1);
    const grads = gradients([loss], [x1, x2]);
    for (const g of grads) expect(Array.from((g as Tensor).data).every(Number.isFinite)).toBe(true);
  });

  it('passes gradcheck w.r.t. both inputs', () => {
    for (const reduction of REDUCTIONS) {
      const x1 = randomTensor([4, 3], gen, { requiresGrad: true });
      const x2 = randomTensor([4, 3], gen, { requiresGrad: true });
      const y = signs([1, -1, 1, -1]);
      expect(gradcheck((a, b) => cosineEmbeddingLoss(a, b, y, { margin: -0.9, reduction }), [x1, x2])).toBe(true);
    }
  });

  it('does not mutate its inputs', () => {
    const x1 = randomTensor([2, 3], gen, { requiresGrad: true });
    const x2 = randomTensor([2, 3], gen);
    const y = signs([1, -1]);
    const unchanged = snapshot(x1, x2, y);
    cosineEmbeddingLoss(x1, x2, y, { margin: -1 }).backward();
    unchanged();
  });

  it('rejects bad labels, shapes and margins', () => {
    const x = zeros([2, 3], { dtype: 'float64' });
    expect(() => cosineEmbeddingLoss(x, x, signs([1, 0]))).toThrow(ValueError);
    expect(() => cosineEmbeddingLoss(x, x, signs([1, 0]))).toThrow(
      /cosineEmbeddingLoss: every element of y must be 1 or -1, got 0 at flat index 1/,
    );
    expect(() => cosineEmbeddingLoss(x, x, signs([1, 1, 1]))).toThrow(
      /cosineEmbeddingLoss: y has shape \[3\] but x1 of shape \[2,3\] needs one label per pair, shape \[2\]/,
    );
    expect(() => cosineEmbeddingLoss(x, zeros([2, 4], { dtype: 'float64' }), signs([1, 1]))).toThrow(
      /cosineEmbeddingLoss: x1 has shape \[2,3\] but x2 has shape \[2,4\]/,
    );
    expect(() => cosineEmbeddingLoss(zeros([1, 2, 3]), zeros([1, 2, 3]), zeros([1, 2]))).toThrow(ShapeError);
    expect(() => cosineEmbeddingLoss(x, x, signs([1, 1]), { margin: Number.NaN })).toThrow(
      /cosineEmbeddingLoss: margin must be a finite number, got NaN/,
    );
  });
});

describe('marginRankingLoss', () => {
  const gen = new Generator(52);

  it('matches a plain loop for every reduction and margin', () => {
    const x1 = randomTensor([7], gen);
    const x2 = randomTensor([7], gen);
    const y = [1, -1, 1, 1, -1, -1, 1];
    for (const margin of [0, 0.5])
      for (const reduction of REDUCTIONS) {
        const per = y.map((s, i) => Math.max(0, -s * (x1.data[i] - x2.data[i]) + margin));
        expectValues(marginRankingLoss(x1, x2, signs(y), { margin, reduction }), referenceReduce(per, reduction));
      }
  });

  it('gives hand-computed values', () => {
    const loss = marginRankingLoss(tensor([3, 1]), tensor([1, 2]), tensor([1, 1]), { reduction: 'none', margin: 0.5 });
    expectValues(loss, [0, 1.5], 1e-7);
  });

  it('passes gradcheck w.r.t. both inputs', () => {
    for (const reduction of REDUCTIONS) {
      const x1 = randomTensor([5], gen, { requiresGrad: true });
      const x2 = randomTensor([5], gen, { requiresGrad: true });
      const y = signs([1, -1, 1, -1, 1]);
      expect(gradcheck((a, b) => marginRankingLoss(a, b, y, { margin: 0.2, reduction }), [x1, x2])).toBe(true);
    }
  });

  it('does not mutate its inputs', () => {
    const x1 = randomTensor([3], gen, { requiresGrad: true });
    const x2 = randomTensor([3], gen);
    const unchanged = snapshot(x1, x2);
    marginRankingLoss(x1, x2, signs([1, -1, 1]), { margin: 5 }).backward();
    unchanged();
  });

  it('rejects bad labels and mismatched shapes', () => {
    expect(() => marginRankingLoss(zeros([2]), zeros([2]), signs([1, 2]))).toThrow(
      /marginRankingLoss: every element of y must be 1 or -1, got 2/,
    );
    expect(() => marginRankingLoss(zeros([2]), zeros([3]), signs([1, 1]))).toThrow(
      /marginRankingLoss: x1 has shape \[2\] but x2 has shape \[3\]/,
    );
    expect(() => marginRankingLoss(zeros([2]), zeros([2]), signs([1]))).toThrow(
      /marginRankingLoss: x1 has shape \[2\] but y has shape \[1\]/,
    );
  });
});

describe('hingeEmbeddingLoss', () => {
  const gen = new Generator(53);

  it('matches a plain loop for every reduction and margin', () => {
    const x = randomTensor([3, 4], gen, { offset: 1 });
    const y = [1, -1, -1, 1, -1, 1, 1, -1, -1, -1, 1, 1];
    for (const margin of [1, 2.5])
      for (const reduction of REDUCTIONS) {
        const per = y.map((s, i) => (s === 1 ? x.data[i] : Math.max(0, margin - x.data[i])));
        expectValues(
          hingeEmbeddingLoss(x, tensor(y, { dtype: 'float64', shape: [3, 4] }), { margin, reduction }),
          referenceReduce(per, reduction),
        );
      }
  });

  it('gives hand-computed values', () => {
    const loss = hingeEmbeddingLoss(tensor([0.3, 0.4, 2]), tensor([1, -1, -1]), { reduction: 'none' });
    expectValues(loss, [0.3, 0.6, 0], 1e-7);
  });

  it('passes gradcheck w.r.t. the input', () => {
    for (const reduction of REDUCTIONS) {
      const x = randomTensor([6], gen, { requiresGrad: true, offset: 1 });
      expect(gradcheck((a) => hingeEmbeddingLoss(a, signs([1, -1, -1, 1, -1, 1]), { reduction }), [x])).toBe(true);
    }
  });

  it('rejects bad labels, shapes and margins', () => {
    expect(() => hingeEmbeddingLoss(zeros([2]), signs([0, 1]))).toThrow(
      /hingeEmbeddingLoss: every element of y must be 1 or -1/,
    );
    expect(() => hingeEmbeddingLoss(zeros([2]), signs([1]))).toThrow(
      /hingeEmbeddingLoss: input has shape \[2\] but y has shape \[1\]/,
    );
    expect(() => hingeEmbeddingLoss(zeros([1]), signs([1]), { margin: Number.POSITIVE_INFINITY })).toThrow(ValueError);
  });
});
