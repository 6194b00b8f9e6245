import { gradients, isnan, type Tensor, where } from '@nablajs/core';
import { F, type GridSampleOptions } from '@nablajs/nn';
import { describe, expect, it } from 'vitest';
import {
  closeTo,
  type FixtureTensor,
  fixtureValues,
  fromFixture,
  loadFixture,
  type Tolerance,
} from './helpers/fixtures';

// PyTorch 1.13 reference values of F.grid_sample (4-D input) and F.affine_grid (4-D size), alone and chained
// (scripts/fixtures/make_nn_grid_sample_fixture.py).

interface Base {
  id: string;
  options: GridSampleOptions;
  dtype: 'float64' | 'float32';
  output: FixtureTensor;
  upstream: FixtureTensor;
}
interface GridCase extends Base {
  name: 'gridSample';
  input: FixtureTensor;
  grid: FixtureTensor;
  grads: { input: FixtureTensor; grid: FixtureTensor } | null;
}
interface AffineCase extends Base {
  name: 'affineGrid';
  size: number[];
  theta: FixtureTensor;
  grads: { theta: FixtureTensor };
}
interface ChainCase extends Base {
  name: 'affineGridSample';
  size: number[];
  input: FixtureTensor;
  theta: FixtureTensor;
  grads: { input: FixtureTensor; theta: FixtureTensor };
}
type Case = GridCase | AffineCase | ChainCase;

const fixture = loadFixture<{ format: string; torch_version: string; cases: Case[] }>('nn-grid-sample.json');
const tolerance = (dtype: string): Tolerance => ({ rel: dtype === 'float32' ? 1e-5 : 1e-10 });
const ofName = <N extends Case['name']>(name: N) =>
  fixture.cases.filter((c): c is Extract<Case, { name: N }> => c.name === name);

/** `closeTo`, where NaN must be expected exactly where it is found (PyTorch gives NaN for some NaN grids). */
function closeToNaN(actual: Tensor, expected: FixtureTensor, tol: Tolerance, label: string): void {
  const want = fixtureValues(expected);
  const found = Array.from(actual.data as Float64Array | Float32Array, Number.isNaN);
  expect(found, `${label}: NaN positions`).toEqual(want.map(Number.isNaN));
  const finite = { ...expected, data: want.map((v) => (Number.isNaN(v) ? 0 : v)) };
  closeTo(where(isnan(actual), 0, actual), finite, tol, label);
}

/** Compare the gradients of `leaves` for the case's upstream gradient with the expected ones, in order. */
function checkGrads(c: Base, out: Tensor, leaves: Tensor[], expected: [string, FixtureTensor][]): void {
  const grads = gradients([out], leaves, [fromFixture(c.upstream)]);
  grads.forEach((g, i) => {
    const [label, want] = expected[i];
    if (g === null) throw new Error(`${c.id}: no gradient for ${label}`);
    expect(g.dtype).toBe(c.dtype);
    closeToNaN(g, want, tolerance(c.dtype), `${c.id} grad ${label}`);
  });
}

describe('golden nn-grid-sample fixture', () => {
  it('was made by PyTorch 1.13 and covers every mode, padding mode and alignCorners in both dtypes', () => {
    expect(fixture.format).toBe('nabla-nn-grid-sample/v1');
    expect(fixture.torch_version).toMatch(/^1\.13/);
    const combos = new Set(
      ofName('gridSample').map(
        (c) => `${c.options.mode}/${c.options.paddingMode}/${c.options.alignCorners}/${c.dtype}`,
      ),
    );
    for (const mode of ['bilinear', 'nearest'])
      for (const padding of ['zeros', 'border', 'reflection'])
        for (const align of [false, true])
          for (const dtype of ['float64', 'float32'])
            expect(combos.has(`${mode}/${padding}/${align}/${dtype}`)).toBe(true);
    // Grids reach outside [-1, 1], and some hold NaN.
    const values = ofName('gridSample').flatMap((c) => fixtureValues(c.grid));
    expect(values.some((v) => v > 1.2)).toBe(true);
    expect(values.some((v) => v < -1.2)).toBe(true);
    expect(values.some(Number.isNaN)).toBe(true);
    expect(ofName('affineGrid').map((c) => c.dtype)).toContain('float32');
    expect(ofName('affineGridSample').length).toBeGreaterThanOrEqual(3);
  });
});

describe('golden nn-grid-sample: F.gridSample vs PyTorch (output, input and grid gradients)', () => {
  for (const c of ofName('gridSample')) {
    it(c.id, () => {
      const x = fromFixture(c.input, { requiresGrad: true });
      const grid = fromFixture(c.grid, { requiresGrad: true });
      const out = F.gridSample(x, grid, c.options);
      expect(out.dtype).toBe(c.dtype);
      closeToNaN(out, c.output, tolerance(c.dtype), `${c.id} output`);
      if (c.grads === null) {
        // PyTorch's backward crashes on these NaN grids; nabla's gradients are finite where the input is read.
        expect(c.id.startsWith('nan_')).toBe(true);
        const [gx] = gradients([out], [x], [fromFixture(c.upstream)]);
        expect(Array.from(gx?.data as Float64Array).every(Number.isFinite)).toBe(true);
        return;
      }
      checkGrads(
        c,
        out,
        [x, grid],
        [
          ['input', c.grads.input],
          ['grid', c.grads.grid],
        ],
      );
    });
  }
});

describe('golden nn-grid-sample: F.affineGrid vs PyTorch (output and theta gradient)', () => {
  for (const c of ofName('affineGrid')) {
    it(c.id, () => {
      const theta = fromFixture(c.theta, { requiresGrad: true });
      const out = F.affineGrid(theta, c.size, c.options);
      expect(out.dtype).toBe(c.dtype);
      closeTo(out, c.output, tolerance(c.dtype), `${c.id} output`);
      checkGrads(c, out, [theta], [['theta', c.grads.theta]]);
    });
  }
});

describe('golden nn-grid-sample: F.affineGrid then F.gridSample vs PyTorch (input and theta gradients)', () => {
  for (const c of ofName('affineGridSample')) {
    it(c.id, () => {
      const x = fromFixture(c.input, { requiresGrad: true });
      const theta = fromFixture(c.theta, { requiresGrad: true });
      const out = F.gridSample(x, F.affineGrid(theta, c.size, { alignCorners: c.options.alignCorners }), c.options);
      closeTo(out, c.output, tolerance(c.dtype), `${c.id} output`);
      checkGrads(
        c,
        out,
        [x, theta],
        [
          ['input', c.grads.input],
          ['theta', c.grads.theta],
        ],
      );
    });
  }
});
