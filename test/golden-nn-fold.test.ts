import type { Tensor } from '@nablajs/core';
import { F, Fold, type Module, Unfold } from '@nablajs/nn';
import { describe, expect, it } from 'vitest';
import { checkForwardBackward, type FixtureTensor, loadFixture, type Tolerance } from './helpers/fixtures';

// PyTorch 1.13 reference values of F.unfold / F.fold (im2col / col2im) and the Unfold and Fold modules
// (scripts/fixtures/make_nn_fold_fixture.py).

type Size = number | [number, number];

interface Case {
  id: string;
  kind: 'functional' | 'module';
  name: 'unfold' | 'fold' | 'Unfold' | 'Fold';
  args: Size[];
  options: { kernelSize?: Size; outputSize?: Size; dilation?: Size; padding?: Size; stride?: Size };
  dtype: 'float64' | 'float32';
  input: FixtureTensor;
  output: FixtureTensor;
  upstream: FixtureTensor;
  grads: { input: FixtureTensor };
}

const fixture = loadFixture<{ format: string; torch_version: string; cases: Case[] }>('nn-fold.json');
// Both ops only copy and add values: float64 agrees to rounding, float32 to a few ulps of the sums.
const tolerance = (dtype: string): Tolerance => ({ rel: dtype === 'float32' ? 1e-6 : 1e-12 });

function runFunctional(c: Case, x: Tensor): Tensor {
  // biome-ignore lint/suspicious/noExplicitAny: the fixture's options, in nabla's names
  const o = c.options as any;
  if (c.name === 'unfold') return F.unfold(x, o);
  if (c.name === 'fold') return F.fold(x, o);
  throw new Error(`no nabla function for ${c.name}`);
}

function buildModule(c: Case): Module {
  if (c.name === 'Unfold') return new Unfold(c.args[0], c.options);
  if (c.name === 'Fold') return new Fold(c.args[0], c.args[1], c.options);
  throw new Error(`no nabla module for ${c.name}`);
}

function check(c: Case, run: (x: Tensor) => Tensor): void {
  checkForwardBackward(c, run, tolerance(c.dtype));
}

describe('golden nn-fold fixture', () => {
  it('was made by PyTorch 1.13 and covers both functions and modules, unbatched input and both dtypes', () => {
    expect(fixture.format).toBe('nabla-nn-fold/v1');
    expect(fixture.torch_version).toMatch(/^1\.13/);
    const names = new Set(fixture.cases.map((c) => `${c.kind}:${c.name}`));
    expect([...names].sort()).toEqual(['functional:fold', 'functional:unfold', 'module:Fold', 'module:Unfold']);
    for (const name of ['unfold', 'fold', 'Unfold', 'Fold']) {
      const mine = fixture.cases.filter((c) => c.name === name);
      expect(mine.some((c) => c.dtype === 'float32')).toBe(true);
      const batchedDims = name.toLowerCase() === 'unfold' ? 4 : 3;
      expect(mine.some((c) => c.input.shape.length === batchedDims - 1)).toBe(true);
    }
    const withAll = fixture.cases.filter(
      (c) => c.options.dilation !== undefined && c.options.padding !== undefined && c.options.stride !== undefined,
    );
    expect(withAll.length).toBeGreaterThanOrEqual(4);
    expect(fixture.cases.some((c) => Array.isArray(c.options.kernelSize) || Array.isArray(c.args[0]))).toBe(true);
  });
});

describe('golden nn-fold: F.unfold and F.fold vs PyTorch (forward and input gradient)', () => {
  for (const c of fixture.cases.filter((k) => k.kind === 'functional')) {
    it(c.id, () => check(c, (x) => runFunctional(c, x)));
  }
});

describe('golden nn-fold: Unfold and Fold modules vs PyTorch', () => {
  for (const c of fixture.cases.filter((k) => k.kind === 'module')) {
    it(c.id, () => {
      const module = buildModule(c);
      check(c, (x) => module.forward(x) as Tensor);
    });
  }
});
