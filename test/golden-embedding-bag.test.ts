import { gradients, type Tensor } from '@nablajs/core';
import { Embedding, EmbeddingBag, F } from '@nablajs/nn';
import { describe, expect, it } from 'vitest';
import { closeTo, type FixtureTensor, fromFixture, loadFixture } from './helpers/fixtures';

// PyTorch 1.13.1 reference values of F.embedding_bag (see test/fixtures/README.md, section embedding-bag.json).

interface EmbeddingBagCase {
  id: string;
  dtype: 'float64' | 'float32';
  mode: 'sum' | 'mean' | 'max';
  input: FixtureTensor;
  offsets: FixtureTensor | null;
  per_sample_weights: FixtureTensor | null;
  padding_idx: number | null;
  max_norm: number | null;
  include_last_offset: boolean;
  weight: FixtureTensor;
  out: FixtureTensor;
  weight_after: FixtureTensor;
  upstream: FixtureTensor;
  grad_weight: FixtureTensor;
  grad_per_sample_weights: FixtureTensor | null;
  /** Only in the cases added with scaleGradByFreq (absent: false). */
  scale_grad_by_freq?: boolean;
  /**
   * With scaleGradByFreq: the documented gradient (PyTorch issue 190063: 1.13's CPU kernel divides some rows by
   * another index's count, fixed by pull request 190264), which nabla gives; grad_weight is 1.13's.
   */
  grad_weight_documented?: FixtureTensor;
}

interface EmbeddingScaleCase {
  id: string;
  input: FixtureTensor;
  padding_idx: number | null;
  weight: FixtureTensor;
  out: FixtureTensor;
  upstream: FixtureTensor;
  grad_weight: FixtureTensor;
}

const fixture = loadFixture<{
  torch_version: string;
  cases: EmbeddingBagCase[];
  embedding_scale_grad_by_freq: EmbeddingScaleCase[];
}>('embedding-bag.json');

describe('embeddingBag against PyTorch 1.13.1', () => {
  it('covers the fixture', () => {
    expect(fixture.torch_version).toMatch(/^1\.13/);
    expect(fixture.cases.length).toBe(26);
    expect(fixture.embedding_scale_grad_by_freq.length).toBe(3);
  });

  for (const c of fixture.cases) {
    it(`${c.id}: values, the weight after the call, and the gradients`, () => {
      const tol = { rel: c.dtype === 'float64' ? 1e-12 : 1e-5 };
      const weight = fromFixture(c.weight, { requiresGrad: true });
      const psw = c.per_sample_weights === null ? null : fromFixture(c.per_sample_weights, { requiresGrad: true });
      const out = F.embeddingBag(fromFixture(c.input), weight, c.offsets === null ? null : fromFixture(c.offsets), {
        mode: c.mode,
        perSampleWeights: psw,
        paddingIdx: c.padding_idx,
        maxNorm: c.max_norm,
        includeLastOffset: c.include_last_offset,
        scaleGradByFreq: c.scale_grad_by_freq ?? false,
      });
      expect(out.dtype).toBe(c.dtype);
      closeTo(out, c.out, tol, 'out');
      closeTo(weight, c.weight_after, tol, 'weight after');
      const wrt = psw === null ? [weight] : [weight, psw];
      const grads = gradients([out], wrt, [fromFixture(c.upstream)], { allowUnused: true });
      closeTo(grads[0] as Tensor, c.grad_weight_documented ?? c.grad_weight, tol, 'grad weight');
      if (psw !== null) closeTo(grads[1] as Tensor, c.grad_per_sample_weights as FixtureTensor, tol, 'grad psw');
    });
  }

  for (const c of fixture.embedding_scale_grad_by_freq) {
    it(`F.embedding and Embedding with scaleGradByFreq (${c.id}): the rows and the weight's gradient`, () => {
      const tol = { rel: c.weight.dtype === 'float64' ? 1e-12 : 1e-5 };
      const weight = fromFixture(c.weight, { requiresGrad: true });
      const out = F.embedding(fromFixture(c.input), weight, { paddingIdx: c.padding_idx, scaleGradByFreq: true });
      closeTo(out, c.out, tol, 'out');
      const [g] = gradients([out], [weight], [fromFixture(c.upstream)]);
      closeTo(g as Tensor, c.grad_weight, tol, 'grad weight');
      const [num, dim] = c.weight.shape;
      const layer = new Embedding(num, dim, {
        paddingIdx: c.padding_idx,
        scaleGradByFreq: true,
        dtype: c.weight.dtype === 'float64' ? 'float64' : 'float32',
      });
      layer.loadStateDict({ weight: fromFixture(c.weight) });
      const [gl] = gradients([layer.forward(fromFixture(c.input))], [layer.weight], [fromFixture(c.upstream)]);
      closeTo(gl as Tensor, c.grad_weight, tol, 'layer grad weight');
    });
  }

  it('scaleGradByFreq with mode max is refused, as PyTorch refuses it', () => {
    const w = fromFixture(fixture.cases[0].weight);
    expect(() =>
      F.embeddingBag(fromFixture(fixture.cases[0].input), w, null, { mode: 'max', scaleGradByFreq: true }),
    ).toThrow(/embeddingBag: scaleGradByFreq is not supported with mode 'max'/);
    expect(() => new EmbeddingBag(4, 2, { mode: 'max', scaleGradByFreq: true })).toThrow(
      /not supported with mode 'max'/,
    );
    expect(() =>
      F.embedding(fromFixture(fixture.cases[0].input), w, { scaleGradByFreq: 1 as unknown as boolean }),
    ).toThrow(/embedding: scaleGradByFreq must be a boolean/);
  });

  it('the module: the same values with its weight, and its padding row starts at zeros', () => {
    const c = fixture.cases.find((x) => x.id === 'mean-padding') as EmbeddingBagCase;
    const [num, dim] = c.weight.shape;
    const bag = new EmbeddingBag(num, dim, { mode: 'mean', paddingIdx: 2, dtype: 'float64' });
    expect(Array.from(bag.weight.values.slice(2 * dim, 3 * dim))).toEqual([0, 0, 0, 0]);
    bag.loadStateDict({ weight: fromFixture(c.weight) });
    closeTo(bag.forward(fromFixture(c.input)), c.out, { rel: 1e-12 }, 'out');
  });
});
