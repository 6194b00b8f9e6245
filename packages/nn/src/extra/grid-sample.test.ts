import {
  arange,
  DTypeError,
  Generator,
  gradcheck,
  gradgradcheck,
  gradients,
  rand,
  randn,
  ShapeError,
  type Tensor,
  tensor,
  ValueError,
  zeros,
} from '@nablajs/core';
import { describe, expect, it } from 'vitest';
import { affineGrid, type GridSampleOptions, gridSample } from './grid-sample-ops';

type Padding = 'zeros' | 'border' | 'reflection';
const f64 = { dtype: 'float64' as const };

/** A plain-number reflection of `v` into [lo, hi] (repeated as often as needed), written from the definition. */
function reflectNumber(v: number, lo: number, hi: number): number {
  if (lo === hi) return 0;
  const span = hi - lo;
  let d = Math.abs(v - lo) % (2 * span);
  if (d > span) d = 2 * span - d;
  return lo + d;
}

/** A plain-loop grid sample of one [H, W] plane at one normalized point, independent of the implementation. */
function referenceSample(plane: number[][], gx: number, gy: number, o: Required<GridSampleOptions>): number {
  const [h, w] = [plane.length, plane[0].length];
  const toPixel = (g: number, size: number) => (o.alignCorners ? ((g + 1) / 2) * (size - 1) : ((g + 1) * size - 1) / 2);
  const pad = (c: number, size: number) => {
    if (o.paddingMode === 'zeros') return c;
    const r =
      o.paddingMode === 'border'
        ? c
        : o.alignCorners
          ? reflectNumber(c, 0, size - 1)
          : reflectNumber(c, -0.5, size - 0.5);
    return Math.min(size - 1, Math.max(0, r));
  };
  const x = pad(toPixel(gx, w), w);
  const y = pad(toPixel(gy, h), h);
  const at = (i: number, j: number) => (i >= 0 && i < h && j >= 0 && j < w ? plane[i][j] : 0);
  if (o.mode === 'nearest') return at(Math.round(y), Math.round(x));
  const [x0, y0] = [Math.floor(x), Math.floor(y)];
  const [ex, sy] = [x - x0, y - y0];
  return (
    at(y0, x0) * (1 - ex) * (1 - sy) +
    at(y0, x0 + 1) * ex * (1 - sy) +
    at(y0 + 1, x0) * (1 - ex) * sy +
    at(y0 + 1, x0 + 1) * ex * sy
  );
}

function expectClose(a: Tensor, b: Tensor, tol = 1e-12): void {
  expect(a.shape).toEqual(b.shape);
  const [x, y] = [Array.from(a.data as Float64Array), Array.from(b.data as Float64Array)];
  for (let i = 0; i < x.length; i++)
    expect(Math.abs(x[i] - y[i])).toBeLessThanOrEqual(tol * Math.max(1, Math.abs(y[i])));
}

const COMBOS: Required<GridSampleOptions>[] = [];
for (const mode of ['bilinear', 'nearest'] as const)
  for (const paddingMode of ['zeros', 'border', 'reflection'] as Padding[])
    for (const alignCorners of [false, true]) COMBOS.push({ mode, paddingMode, alignCorners });

describe('gridSample', () => {
  it('blends the four neighbours, reads nearest pixels and pads as documented on a 2x2 image', () => {
    const x = arange(4, undefined, 1, f64).reshape([1, 1, 2, 2]);
    const grid = tensor(
      [
        [
          [
            [0, 0],
            [-1, -1],
            [1, 1],
            [0.5, -1],
          ],
        ],
      ],
      f64,
    );
    expect(gridSample(x, grid, { alignCorners: true }).toArray()).toEqual([[[[1.5, 0, 3, 0.75]]]]);
    // Without alignCorners, ±1 are the outer edges: half of an edge sample's weight falls outside (zeros).
    expect(gridSample(x, grid).toArray()).toEqual([[[[1.5, 0, 0.75, 0.5]]]]);
    expect(gridSample(x, grid, { paddingMode: 'border' }).toArray()).toEqual([[[[1.5, 0, 3, 1]]]]);
    expect(gridSample(x, tensor([[[[2, 0]]]], f64), { paddingMode: 'border', alignCorners: true }).toArray()).toEqual([
      [[[2]]],
    ]);
    // Nearest rounds ties to even: the centre (0.5, 0.5) reads pixel (0, 0).
    expect(gridSample(x, grid, { mode: 'nearest', alignCorners: true }).toArray()).toEqual([[[[0, 0, 3, 1]]]]);
  });

  it('matches a plain-loop reference for every mode, padding mode and alignCorners, grids reaching past ±1', () => {
    const x = randn([2, 3, 4, 5], { ...f64, generator: new Generator(1) });
    const grid = rand([2, 3, 4, 2], { ...f64, generator: new Generator(2) })
      .mul(7)
      .sub(3.5);
    const planes = x.toArray() as number[][][][];
    const points = grid.toArray() as number[][][][];
    for (const o of COMBOS) {
      const out = gridSample(x, grid, o).toArray() as number[][][][];
      for (let n = 0; n < 2; n++)
        for (let c = 0; c < 3; c++)
          for (let i = 0; i < 3; i++)
            for (let j = 0; j < 4; j++) {
              const [gx, gy] = points[n][i][j];
              expect(out[n][c][i][j]).toBeCloseTo(referenceSample(planes[n][c], gx, gy, o), 12);
            }
    }
  });

  it('reproduces the input through an identity affineGrid (alignCorners true, and false for bilinear)', () => {
    const x = randn([2, 3, 4, 5], { ...f64, generator: new Generator(3) });
    const theta = tensor(
      [
        [
          [1, 0, 0],
          [0, 1, 0],
        ],
        [
          [1, 0, 0],
          [0, 1, 0],
        ],
      ],
      f64,
    );
    for (const mode of ['bilinear', 'nearest'] as const)
      for (const paddingMode of ['zeros', 'border', 'reflection'] as Padding[]) {
        const grid = affineGrid(theta, [2, 3, 4, 5], { alignCorners: true });
        expectClose(gridSample(x, grid, { mode, paddingMode, alignCorners: true }), x);
      }
    expectClose(gridSample(x, affineGrid(theta, [2, 3, 4, 5])), x);
  });

  it('has the defaults bilinear, zeros and alignCorners false, keeps float32 and allows an empty batch', () => {
    const x = randn([1, 2, 3, 4], { generator: new Generator(4) });
    const grid = rand([1, 2, 2, 2], { generator: new Generator(5) })
      .mul(3)
      .sub(1.5);
    const explicit = gridSample(x, grid, { mode: 'bilinear', paddingMode: 'zeros', alignCorners: false });
    expect(gridSample(x, grid).toArray()).toEqual(explicit.toArray());
    expect(gridSample(x, grid, {}).dtype).toBe('float32');
    expect(gridSample(zeros([0, 2, 3, 4]), zeros([0, 5, 6, 2])).shape).toEqual([0, 2, 5, 6]);
  });

  it('refuses bad arguments and options, naming gridSample and the argument', () => {
    const x = zeros([1, 2, 3, 4]);
    const grid = zeros([1, 2, 2, 2]);
    expect(() => gridSample('x' as unknown as Tensor, grid)).toThrow(/gridSample: input must be a Tensor/);
    expect(() => gridSample(x, null as unknown as Tensor)).toThrow(/gridSample: grid must be a Tensor/);
    expect(() => gridSample(zeros([2, 3, 4]), grid)).toThrow(ShapeError);
    expect(() => gridSample(zeros([1, 1, 2, 3, 4]), zeros([1, 1, 2, 2, 3]))).toThrow(/5-D input is not supported/);
    expect(() => gridSample(x, zeros([1, 2, 2, 3]))).toThrow(/gridSample: grid must be a 4-D \[N, H_out, W_out, 2\]/);
    expect(() => gridSample(x, zeros([2, 2, 2, 2]))).toThrow(/same batch size/);
    expect(() => gridSample(zeros([1, 2, 0, 4]), grid)).toThrow(/spatial dims must be non-zero/);
    expect(() => gridSample(zeros([1, 2, 3, 4], { dtype: 'int32' }), grid)).toThrow(DTypeError);
    expect(() => gridSample(x, zeros([1, 2, 2, 2], f64))).toThrow(/gridSample: grid must have the dtype of input/);
    const bad = (o: unknown) => () => gridSample(x, grid, o as GridSampleOptions);
    expect(bad({ mode: 'bicubic' })).toThrow(/gridSample: mode 'bicubic' is not supported/);
    expect(bad({ mode: 'linear' })).toThrow(/gridSample: mode must be 'bilinear' or 'nearest', got 'linear'/);
    expect(bad({ paddingMode: 'circular' })).toThrow(/gridSample: paddingMode must be .*got 'circular'/);
    expect(bad({ alignCorners: 1 })).toThrow(/gridSample: alignCorners must be a boolean, got 1/);
    expect(bad({ padding_mode: 'border' })).toThrow(/gridSample/);
    expect(bad({ mode: 'linear' })).toThrow(ValueError);
  });

  it('passes gradcheck for input and grid in float64 in every mode (away from the kinks)', () => {
    const x = randn([1, 2, 3, 4], { ...f64, generator: new Generator(6), requiresGrad: true });
    // Random points avoid integer pixel coordinates and the clipping bounds.
    const grid = rand([1, 2, 3, 2], { ...f64, generator: new Generator(7) })
      .mul(5)
      .sub(2.5);
    grid.requiresGrad = true;
    for (const o of COMBOS) expect(gradcheck((a, g) => gridSample(a, g, o), [x, grid])).toBe(true);
  });

  it('passes gradgradcheck (double backward) for bilinear sampling in both the input and the grid', () => {
    const x = randn([1, 1, 3, 3], { ...f64, generator: new Generator(8), requiresGrad: true });
    const grid = rand([1, 2, 2, 2], { ...f64, generator: new Generator(9) })
      .mul(2.6)
      .sub(1.3);
    grid.requiresGrad = true;
    for (const paddingMode of ['zeros', 'reflection'] as Padding[])
      expect(gradgradcheck((a, g) => gridSample(a, g, { paddingMode }).square(), [x, grid])).toBe(true);
  });

  it('gives the grid a zero gradient in nearest mode and a zero one on the clipping bounds', () => {
    const x = randn([1, 2, 3, 4], { ...f64, generator: new Generator(10), requiresGrad: true });
    const grid = tensor(
      [
        [
          [
            [0.3, -0.2],
            [1, 0.1],
            [-1, 0.4],
          ],
        ],
      ],
      { ...f64, requiresGrad: true },
    );
    const [, gNearest] = gradients([gridSample(x, grid, { mode: 'nearest' }).sum()], [x, grid]);
    expect(gNearest?.toArray()).toEqual([
      [
        [
          [0, 0],
          [0, 0],
          [0, 0],
        ],
      ],
    ]);
    const [gBorder] = gradients([gridSample(x, grid, { paddingMode: 'border', alignCorners: true }).sum()], [grid]);
    const g = gBorder?.toArray() as number[][][][];
    expect([g[0][0][1][0], g[0][0][2][0]]).toEqual([0, 0]);
    expect(g[0][0][0][0]).not.toBe(0);
  });

  it('treats NaN in the grid as PyTorch does: NaN (bilinear) or 0 (nearest) with zeros, pixel 0 otherwise', () => {
    const x = arange(12, undefined, 1, f64).add(1).reshape([1, 1, 3, 4]);
    const grid = tensor([[[[Number.NaN, -1]]]], f64);
    expect(Number.isNaN(gridSample(x, grid, { alignCorners: true }).item())).toBe(true);
    expect(gridSample(x, grid, { mode: 'nearest', alignCorners: true }).item()).toBe(0);
    expect(gridSample(x, grid, { paddingMode: 'border', alignCorners: true }).item()).toBe(1);
    expect(gridSample(x, grid, { paddingMode: 'reflection', mode: 'nearest' }).item()).toBe(1);
  });
});

describe('affineGrid', () => {
  it('builds the base grid times thetaᵀ, with both alignCorners conventions', () => {
    const identity = tensor(
      [
        [
          [1, 0, 0],
          [0, 1, 0],
        ],
      ],
      f64,
    );
    expect(affineGrid(identity, [1, 1, 2, 2], { alignCorners: true }).toArray()).toEqual([
      [
        [
          [-1, -1],
          [1, -1],
        ],
        [
          [-1, 1],
          [1, 1],
        ],
      ],
    ]);
    expect(affineGrid(identity, [1, 1, 1, 2]).toArray()).toEqual([
      [
        [
          [-0.5, 0],
          [0.5, 0],
        ],
      ],
    ]);
    const shift = tensor(
      [
        [
          [2, 0, 0.5],
          [0, -1, 0.25],
        ],
      ],
      f64,
    );
    expect(affineGrid(shift, [1, 3, 1, 3], { alignCorners: true }).toArray()).toEqual([
      [
        [
          [-1.5, 0.25],
          [0.5, 0.25],
          [2.5, 0.25],
        ],
      ],
    ]);
    expect(
      affineGrid(
        tensor([
          [
            [1, 0, 0],
            [0, 1, 0],
          ],
        ]),
        [1, 1, 2, 3],
      ).dtype,
    ).toBe('float32');
  });

  it('passes gradcheck and gradgradcheck in theta (alone and through gridSample)', () => {
    const theta = randn([2, 2, 3], { ...f64, generator: new Generator(11), requiresGrad: true });
    expect(gradcheck((t) => affineGrid(t, [2, 1, 3, 4]), [theta])).toBe(true);
    expect(gradgradcheck((t) => affineGrid(t, [2, 1, 3, 4], { alignCorners: true }).square(), [theta])).toBe(true);
    const x = randn([2, 2, 4, 4], { ...f64, generator: new Generator(12) });
    expect(gradcheck((t) => gridSample(x, affineGrid(t.mul(0.8), [2, 2, 3, 3])), [theta])).toBe(true);
  });

  it('refuses bad arguments and options, naming affineGrid and the argument', () => {
    const theta = zeros([2, 2, 3]);
    expect(() => affineGrid([1] as unknown as Tensor, [2, 1, 3, 3])).toThrow(/affineGrid: theta must be a Tensor/);
    expect(() => affineGrid(zeros([2, 2, 3], { dtype: 'int32' }), [2, 1, 3, 3])).toThrow(DTypeError);
    expect(() => affineGrid(theta, [2, 1, 3, 3, 3])).toThrow(/affineGrid: size must be \[N, C, H, W\].*not supported/);
    expect(() => affineGrid(theta, [2, 1, 2.5, 3])).toThrow(
      /affineGrid: size must be an array of non-negative integers/,
    );
    expect(() => affineGrid(zeros([2, 3, 3]), [2, 1, 3, 3])).toThrow(/affineGrid: theta must be a \[N, 2, 3\] tensor/);
    expect(() => affineGrid(theta, [3, 1, 3, 3])).toThrow(/affineGrid: theta's batch size 2 must equal size\[0\] = 3/);
    expect(() => affineGrid(theta, [2, 1, 0, 3])).toThrow(ValueError);
    expect(() => affineGrid(theta, [2, 1, 3, 3], { align_corners: true } as object)).toThrow(/affineGrid/);
    expect(() => affineGrid(theta, [2, 1, 3, 3], { alignCorners: 'yes' } as object)).toThrow(
      /affineGrid: alignCorners must be a boolean/,
    );
  });
});
