// normalize, cosineSimilarity, pairwiseDistance and the pixel shuffles against PyTorch 1.13.1:
// test/fixtures/nn-porting.json, written by scripts/fixtures/make_nn_porting_fixture.py.
import { readFileSync } from 'node:fs';
import { gradients, type Tensor } from '@nablajs/core';
import { describe, expect, it } from 'vitest';
import { expectParity, fromParity, type ParityTensor } from '../parity-fixture';
import { bilinear } from './bilinear';
import { cosineSimilarity } from './cosine-similarity';
import { normalize } from './normalize';
import { pairwiseDistance } from './pairwise-distance';
import { pixelShuffle, pixelUnshuffle } from './pixel-shuffle';

interface PortingCase {
  id: string;
  fn: 'normalize' | 'cosineSimilarity' | 'pairwiseDistance' | 'pixelShuffle' | 'pixelUnshuffle' | 'bilinear';
  dtype: 'float64' | 'float32';
  options: Record<string, number | string | boolean | number[]> | null;
  factor: number | null;
  inputs: ParityTensor[];
  output: ParityTensor;
  upstream: ParityTensor;
  grads: ParityTensor[];
}

interface PortingFixture {
  format: string;
  torch: string;
  cases: PortingCase[];
}

const fixture = JSON.parse(
  readFileSync(new URL('../../../../test/fixtures/nn-porting.json', import.meta.url), 'utf8'),
) as PortingFixture;

/** The fixture's options with the orders "inf" / "-inf" as numbers. */
function options(c: PortingCase): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(c.options ?? {}))
    out[key] = value === 'inf' ? Number.POSITIVE_INFINITY : value === '-inf' ? Number.NEGATIVE_INFINITY : value;
  return out;
}

function run(c: PortingCase, xs: Tensor[]): Tensor {
  const o = options(c);
  switch (c.fn) {
    case 'normalize':
      return normalize(xs[0], o);
    case 'cosineSimilarity':
      return cosineSimilarity(xs[0], xs[1], o);
    case 'pairwiseDistance':
      return pairwiseDistance(xs[0], xs[1], o);
    case 'pixelShuffle':
      return pixelShuffle(xs[0], c.factor as number);
    case 'pixelUnshuffle':
      return pixelUnshuffle(xs[0], c.factor as number);
    case 'bilinear':
      return bilinear(xs[0], xs[1], xs[2], xs[3] ?? null);
  }
}

describe('PyTorch 1.13 parity (test/fixtures/nn-porting.json)', () => {
  it('is the fixture this test expects', () => {
    expect(fixture.format).toBe('nabla-nn-porting/v1');
    const fns = new Set(fixture.cases.map((c) => c.fn));
    expect([...fns].sort()).toEqual(
      ['bilinear', 'cosineSimilarity', 'normalize', 'pairwiseDistance', 'pixelShuffle', 'pixelUnshuffle'].sort(),
    );
    expect(fixture.cases.some((c) => c.dtype === 'float32')).toBe(true);
  });

  for (const c of fixture.cases)
    it(`${c.id}: the value and the gradient of every input`, () => {
      const xs = c.inputs.map((t) => {
        const x = fromParity(t);
        x.requiresGrad = true;
        return x;
      });
      const y = run(c, xs);
      const rel = c.dtype === 'float32' ? 1e-5 : 1e-10;
      expect(y.dtype).toBe(c.dtype);
      expectParity(y, c.output, `${c.id} output`, rel);
      const grads = gradients([y], xs, [fromParity(c.upstream)], { allowUnused: true });
      grads.forEach((g, i) => {
        expect(g, `${c.id} grad ${i}`).not.toBeNull();
        expectParity(g as Tensor, c.grads[i], `${c.id} grad ${i}`, rel);
      });
    });
});
