import type { Tensor } from '@nablajs/core';
import {
  F,
  Hardshrink,
  LogSigmoid,
  type Module,
  RReLU,
  Softmin,
  Softshrink,
  Softsign,
  Tanhshrink,
  Threshold,
} from '@nablajs/nn';
import { describe, expect, it } from 'vitest';
import { checkOutputAndGrad, type FixtureTensor, fromFixture, loadFixture } from './helpers/fixtures';

// PyTorch 1.13.1 reference values of softmin, softsign, threshold, hardshrink, softshrink, tanhshrink,
// rrelu (eval mode) and LogSigmoid (written by scripts/fixtures/make_nn_more_act_fixture.py): every case
// runs twice, as the nabla module and as the F function, forward and backward with the same upstream
// gradient. The inputs hold the exact kinks (±lambd, the threshold, 0), where the gradient conventions show.

interface Case {
  id: string;
  dtype: 'float64' | 'float32';
  module: { name: string; options: Record<string, number> };
  fn: { name: string; args: unknown[] };
  x: FixtureTensor;
  output: FixtureTensor;
  upstream: FixtureTensor;
  grad: FixtureTensor;
}

const fixture = loadFixture<{ format: string; torch_version: string; cases: Case[] }>('nn-more-act.json');

type Options = Record<string, number>;
const MODULES: Record<string, (o: Options) => Module> = {
  Softmin: (o) => new Softmin({ dim: o.dim }),
  Softsign: () => new Softsign(),
  Threshold: (o) => new Threshold({ threshold: o.threshold, value: o.value }),
  Hardshrink: (o) => new Hardshrink(o),
  Softshrink: (o) => new Softshrink(o),
  Tanhshrink: () => new Tanhshrink(),
  RReLU: (o) => new RReLU(o).eval(),
  LogSigmoid: () => new LogSigmoid(),
};

// biome-ignore lint/suspicious/noExplicitAny: the F functions have different signatures; the fixture says which
const FUNCTIONS: Record<string, (...args: any[]) => Tensor> = {
  softmin: F.softmin,
  softsign: F.softsign,
  threshold: F.threshold,
  hardshrink: F.hardshrink,
  softshrink: F.softshrink,
  tanhshrink: F.tanhshrink,
  rrelu: F.rrelu,
  logSigmoid: F.logSigmoid,
};

/** Whether some element of the fixture input equals `v` exactly (after rounding to the case's dtype). */
function hasValue(c: Case, v: number): boolean {
  const want = c.dtype === 'float32' ? Math.fround(v) : v;
  return Array.from(fromFixture(c.x).values).includes(want);
}

describe('golden nn-more-act fixture', () => {
  it('was written by PyTorch 1.13, covers every module in float64 and float32, with the kinks', () => {
    expect(fixture.torch_version).toMatch(/^1\.13\./); // Debian's 1.13.1 reports 1.13.0a0
    expect(fixture.format).toBe('nabla-nn-more-act/v1');
    for (const dtype of ['float64', 'float32']) {
      const names = fixture.cases.filter((c) => c.dtype === dtype).map((c) => c.module.name);
      expect(new Set(names), dtype).toEqual(new Set(Object.keys(MODULES)));
    }
    expect(new Set(fixture.cases.map((c) => c.fn.name))).toEqual(new Set(Object.keys(FUNCTIONS)));
    for (const c of fixture.cases) {
      const o = c.module.options;
      if (c.module.name === 'Threshold') expect(hasValue(c, o.threshold), c.id).toBe(true);
      if (c.module.name === 'Hardshrink' || c.module.name === 'Softshrink') {
        const lambd = o.lambd ?? 0.5;
        expect(hasValue(c, lambd) && hasValue(c, -lambd), c.id).toBe(true);
      }
      if (['Softsign', 'Tanhshrink', 'RReLU', 'LogSigmoid'].includes(c.module.name))
        expect(hasValue(c, 0), c.id).toBe(true);
    }
  });
});

describe('golden nn-more-act: modules and F functions vs PyTorch', () => {
  for (const c of fixture.cases) {
    it(c.id, () => {
      const x = fromFixture(c.x, { requiresGrad: true });
      const module = MODULES[c.module.name](c.module.options);
      expect([...module.namedParameters()]).toEqual([]);
      checkOutputAndGrad(c, x, module.forward(x) as Tensor, 'module');

      const y = fromFixture(c.x, { requiresGrad: true });
      checkOutputAndGrad(c, y, FUNCTIONS[c.fn.name](y, ...c.fn.args), 'F');
    });
  }
});
