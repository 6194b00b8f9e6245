import type { Tensor } from '@nablajs/core';
import {
  AdaptiveMaxPool1d,
  ChannelShuffle,
  F,
  LocalResponseNorm,
  LPPool1d,
  LPPool2d,
  type Module,
  UpsamplingBilinear2d,
  UpsamplingNearest2d,
} from '@nablajs/nn';
import { describe, expect, it } from 'vitest';
import { checkOutputAndGrad, equalInts, type FixtureTensor, fromFixture, loadFixture } from './helpers/fixtures';

// PyTorch 1.13.1 reference values of AdaptiveMaxPool1d, LPPool1d/2d, LocalResponseNorm, ChannelShuffle,
// UpsamplingNearest2d and UpsamplingBilinear2d (written by scripts/fixtures/make_nn_more_pool_fixture.py):
// every case runs as the nabla module and, where there is one, as the F function, forward and backward with the
// same upstream gradient. LP pooling inputs hold windows of zeros (gradient 0 there) and ceil-mode partial windows.

interface Case {
  id: string;
  dtype: 'float64' | 'float32';
  // biome-ignore lint/suspicious/noExplicitAny: the options differ per module; the fixture says which
  module: { name: string; options: any };
  fn: { name: string; args: unknown[] } | null;
  x: FixtureTensor;
  output: FixtureTensor;
  upstream: FixtureTensor;
  grad: FixtureTensor;
  indices?: FixtureTensor;
}

const fixture = loadFixture<{ format: string; torch_version: string; cases: Case[] }>('nn-more-pool.json');

// biome-ignore lint/suspicious/noExplicitAny: see Case.module.options
const MODULES: Record<string, (o: any) => Module> = {
  AdaptiveMaxPool1d: (o) => new AdaptiveMaxPool1d(o.outputSize),
  LPPool1d: (o) => new LPPool1d(o),
  LPPool2d: (o) => new LPPool2d(o),
  LocalResponseNorm: (o) => new LocalResponseNorm(o),
  ChannelShuffle: (o) => new ChannelShuffle(o.groups),
  UpsamplingNearest2d: (o) => new UpsamplingNearest2d(o),
  UpsamplingBilinear2d: (o) => new UpsamplingBilinear2d(o),
};

// biome-ignore lint/suspicious/noExplicitAny: the F functions have different signatures; the fixture says which
const FUNCTIONS: Record<string, (...args: any[]) => Tensor> = {
  adaptiveMaxPool1d: F.adaptiveMaxPool1d,
  lpPool1d: F.lpPool1d,
  lpPool2d: F.lpPool2d,
  localResponseNorm: F.localResponseNorm,
  channelShuffle: F.channelShuffle,
};

/** Whether some window of an LP pooling case sums to 0 (an output of exactly 0). */
function hasZeroWindow(c: Case): boolean {
  return c.output.data.some((v) => v === 0);
}

describe('golden nn-more-pool fixture', () => {
  it('was written by PyTorch 1.13, covers every module in float64 and float32, zero windows and unbatched input', () => {
    expect(fixture.torch_version).toMatch(/^1\.13\./); // Debian's 1.13.1 reports 1.13.0a0
    expect(fixture.format).toBe('nabla-nn-more-pool/v1');
    for (const dtype of ['float64', 'float32']) {
      const names = fixture.cases.filter((c) => c.dtype === dtype).map((c) => c.module.name);
      expect(new Set(names), dtype).toEqual(new Set(Object.keys(MODULES)));
    }
    expect(new Set(fixture.cases.flatMap((c) => (c.fn ? [c.fn.name] : [])))).toEqual(new Set(Object.keys(FUNCTIONS)));
    const lp = fixture.cases.filter((c) => c.module.name.startsWith('LPPool'));
    for (const c of lp) expect(hasZeroWindow(c), c.id).toBe(true);
    expect(lp.some((c) => c.module.options.ceilMode)).toBe(true);
    for (const name of ['LPPool1d', 'LPPool2d', 'AdaptiveMaxPool1d']) {
      const batched = name === 'LPPool2d' ? 4 : 3;
      const ranks = new Set(fixture.cases.filter((c) => c.module.name === name).map((c) => c.x.shape.length));
      expect(ranks, name).toEqual(new Set([batched - 1, batched]));
    }
  });
});

describe('golden nn-more-pool: modules and F functions vs PyTorch', () => {
  for (const c of fixture.cases) {
    it(c.id, () => {
      const x = fromFixture(c.x, { requiresGrad: true });
      const module = MODULES[c.module.name](c.module.options);
      expect([...module.namedParameters()]).toEqual([]);
      checkOutputAndGrad(c, x, module.forward(x) as Tensor, 'module');

      if (c.fn !== null) {
        const y = fromFixture(c.x, { requiresGrad: true });
        checkOutputAndGrad(c, y, FUNCTIONS[c.fn.name](y, ...c.fn.args), 'F');
      }
      if (c.indices !== undefined) {
        const z = fromFixture(c.x, { requiresGrad: true });
        const [values, indices] = new AdaptiveMaxPool1d(c.module.options.outputSize, { returnIndices: true }).forward(
          z,
        );
        equalInts(indices, c.indices, `${c.id} indices (module)`);
        checkOutputAndGrad(c, z, values, 'module with indices');
        const w = fromFixture(c.x, { requiresGrad: true });
        const both = F.adaptiveMaxPool1dWithIndices(w, c.module.options.outputSize);
        equalInts(both.indices, c.indices, `${c.id} indices (F)`);
        checkOutputAndGrad(c, w, both.values, 'F with indices');
      }
    });
  }
});
