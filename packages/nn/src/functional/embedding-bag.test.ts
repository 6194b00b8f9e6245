import { DTypeError, gradcheck, IndexError, randn, ShapeError, type Tensor, tensor, ValueError } from '@nablajs/core';
import { describe, expect, it } from 'vitest';
import { EmbeddingBag } from '../layers/embedding-bag';
import { embeddingBag } from './embedding-bag';

const int = (v: number[] | number[][]) => tensor(v, { dtype: 'int32' });

describe('embeddingBag', () => {
  for (const mode of ['sum', 'mean', 'max'] as const)
    it(`${mode}: the gradients of the weight (and of the per-sample weights) match finite differences`, () => {
      const weight = randn([5, 3], { dtype: 'float64', requiresGrad: true });
      const input = int([0, 3, 3, 1, 4, 2, 4]);
      const offsets = int([0, 3, 3, 5]);
      expect(gradcheck((w: Tensor) => embeddingBag(input, w, offsets, { mode }), [weight])).toBe(true);
      if (mode !== 'sum') return;
      const psw = randn([7], { dtype: 'float64', requiresGrad: true });
      expect(
        gradcheck(
          (w: Tensor, p: Tensor) => embeddingBag(input, w, offsets, { mode, perSampleWeights: p }),
          [weight, psw],
        ),
      ).toBe(true);
    });

  it('gives zeros for empty bags and for bags of padding only', () => {
    const weight = tensor([
      [1, 2],
      [3, 4],
    ]);
    expect(embeddingBag(int([1, 1]), weight, int([0, 0, 2]), { mode: 'max' }).toArray()).toEqual([
      [0, 0],
      [3, 4],
      [0, 0],
    ]);
    expect(embeddingBag(int([[0, 0]]), weight, null, { mode: 'mean', paddingIdx: 0 }).toArray()).toEqual([[0, 0]]);
  });

  it('refuses bad arguments with errors that name them', () => {
    const weight = randn([4, 2]);
    expect(() => embeddingBag(int([1, 2]), weight, int([1]))).toThrow(/embeddingBag: offsets\[0\] must be 0, got 1/);
    expect(() => embeddingBag(int([1, 2]), weight, int([0, 2, 1]))).toThrow(/offsets must be non-decreasing/);
    expect(() => embeddingBag(int([1, 2]), weight)).toThrow(/embeddingBag: offsets is required when input is 1-D/);
    expect(() => embeddingBag(int([[1, 2]]), weight, int([0]))).toThrow(/offsets must be null when input is 2-D/);
    expect(() => embeddingBag(int([1, 4]), weight, int([0]))).toThrow(IndexError);
    expect(() => embeddingBag(tensor([1, 2]), weight, int([0]))).toThrow(DTypeError);
    expect(() => embeddingBag(int([1, 2]), weight, int([0]), { mode: 'mean', perSampleWeights: randn([2]) })).toThrow(
      /perSampleWeights is only supported with mode 'sum'/,
    );
    expect(() => embeddingBag(int([1, 2]), weight, int([0]), { mode: 'sum', perSampleWeights: randn([3]) })).toThrow(
      ShapeError,
    );
    expect(() => embeddingBag(int([1, 2]), weight, int([0]), { mode: 'min' as never })).toThrow(ValueError);
    expect(() => embeddingBag(int([1, 2]), weight, int([0]), { mode: 'max', scaleGradByFreq: true })).toThrow(
      /scaleGradByFreq is not supported with mode 'max'/,
    );
    expect(() => embeddingBag(int([1, 2]), weight, int([0]), { scaleGradByFrequency: true } as never)).toThrow(
      ValueError,
    );
    const bag = new EmbeddingBag(4, 2);
    expect(() => bag.forward(tensor([1, 2]), int([0]))).toThrow(/EmbeddingBag\(4, 2\): input must be an int32 tensor/);
    expect(() => new EmbeddingBag(4, 2, { paddingIdx: 4 })).toThrow(/paddingIdx must be an integer in \[-4, 4\)/);
    expect(bag.toString()).toContain("4, 2, mode='mean'");
  });
});
