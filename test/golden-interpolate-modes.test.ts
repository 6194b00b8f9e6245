import { gradients, type InterpolateOptions, interpolate, type Tensor } from '@nablajs/core';
import { Upsample } from '@nablajs/nn';
import { describe, expect, it } from 'vitest';
import {
  checkForwardBackward,
  closeTo,
  type FixtureTensor,
  fromFixture,
  loadFixture,
  type Tolerance,
} from './helpers/fixtures';

// PyTorch 1.13 reference values of F.interpolate's 'trilinear', 'nearest-exact', 'bicubic' and 'area' modes
// and of nn.Upsample with them (scripts/fixtures/make_interpolate_modes_fixture.py).

interface Case {
  id: string;
  kind: 'functional' | 'module';
  name: 'interpolate' | 'Upsample';
  options: InterpolateOptions;
  dtype: 'float64' | 'float32';
  input: FixtureTensor;
  output: FixtureTensor;
  upstream: FixtureTensor;
  grads: { input: FixtureTensor };
  /** PyTorch's backward is not the adjoint of its forward here: `grads.input` is the adjoint, `torchGrad` its own. */
  torchBackwardNotAdjoint?: boolean;
  torchGrad?: FixtureTensor;
}

const fixture = loadFixture<{ format: string; torch_version: string; cases: Case[] }>('interpolate-modes.json');
// Weighted sums of a few inputs: float64 agrees to rounding (the sums run in another order), float32 to a few
// ulps (PyTorch computes the weights and source positions in float32).
const tolerance = (dtype: string): Tolerance => ({ rel: dtype === 'float32' ? 1e-5 : 1e-10 });

const NEW_MODES = ['area', 'bicubic', 'nearest-exact', 'trilinear'];

describe('golden interpolate-modes fixture', () => {
  it('was made by PyTorch 1.13 and covers every new mode with size and scale, both dtypes and all options', () => {
    expect(fixture.format).toBe('nabla-interpolate-modes/v1');
    expect(fixture.torch_version).toMatch(/^1\.13/);
    const modes = new Set(fixture.cases.map((c) => c.options.mode));
    for (const mode of NEW_MODES) {
      expect(modes.has(mode as Case['options']['mode'])).toBe(true);
      const mine = fixture.cases.filter((c) => c.options.mode === mode && c.kind === 'functional');
      expect(mine.some((c) => c.options.size !== undefined)).toBe(true);
      expect(mine.some((c) => c.options.scaleFactor !== undefined)).toBe(true);
      expect(mine.some((c) => c.dtype === 'float32')).toBe(true);
      expect(mine.some((c) => c.output.shape.some((n, i) => i >= 2 && n > c.input.shape[i]))).toBe(true);
      expect(mine.some((c) => c.output.shape.some((n, i) => i >= 2 && n < c.input.shape[i]))).toBe(true);
      if (mode !== 'area') expect(mine.some((c) => c.options.recomputeScaleFactor === true)).toBe(true);
      if (mode === 'bicubic' || mode === 'trilinear') {
        expect(mine.some((c) => c.options.alignCorners === true)).toBe(true);
        expect(mine.some((c) => c.options.alignCorners !== true)).toBe(true);
      }
    }
    const spatial = (m: string) =>
      new Set(fixture.cases.filter((c) => c.options.mode === m).map((c) => c.input.shape.length - 2));
    expect([...spatial('nearest-exact')].sort()).toEqual([1, 2, 3]);
    expect([...spatial('area')].sort()).toEqual([1, 2, 3]);
    expect(fixture.cases.filter((c) => c.kind === 'module').length).toBeGreaterThanOrEqual(4);
  });

  it("records the adjoint where PyTorch's backward is not its forward's (an unchanged or doubled axis)", () => {
    const odd = fixture.cases.filter((c) => c.torchBackwardNotAdjoint === true);
    expect(odd.map((c) => c.id).sort()).toEqual([
      'bc_scale_same_size',
      'nearest1d_scale_double_size',
      'nearest1d_scale_same_size',
    ]);
    for (const c of odd) {
      // PyTorch's gradient copies the upstream gradient onto the input's (its backward's shortcut), nabla's is
      // the true adjoint of the forward both agree on, which differs.
      const torchGrad = c.torchGrad as FixtureTensor;
      expect(() => closeTo(fromFixture(torchGrad), c.grads.input, { rel: 1e-3 })).toThrow(/element/);
      const x = fromFixture(c.input, { requiresGrad: true });
      const [g] = gradients([interpolate(x, c.options)], [x], [fromFixture(c.upstream)]);
      expect(() => closeTo(g as Tensor, torchGrad, { rel: 1e-3 })).toThrow(/element/);
    }
  });
});

describe('golden interpolate-modes: F.interpolate vs PyTorch (forward and input gradient)', () => {
  for (const c of fixture.cases.filter((k) => k.kind === 'functional')) {
    it(c.id, () => checkForwardBackward(c, (x) => interpolate(x, c.options), tolerance(c.dtype)));
  }
});

describe('golden interpolate-modes: nn.Upsample vs PyTorch', () => {
  for (const c of fixture.cases.filter((k) => k.kind === 'module')) {
    it(c.id, () => {
      const module = new Upsample(c.options);
      checkForwardBackward(c, (x) => module.forward(x) as Tensor, tolerance(c.dtype));
    });
  }
});
