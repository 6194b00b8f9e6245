import { describe, expect, it } from 'vitest';
import {
  Generator,
  gradcheck,
  gradgradcheck,
  gradients,
  type InterpolateOptions,
  interpolate,
  randn,
  ShapeError,
  type Tensor,
  tensor,
  ValueError,
} from '../index';
import { type AxisMap, axisResampleAdjointKernel, axisResampleKernel } from '../kernels/cpu/resample';
import { areaMap, cubicMap, gatherMap, linearMap, nearestExactMap } from './interpolate-maps';

function rnd(shape: number[], seed: number, requiresGrad = true, dtype: 'float32' | 'float64' = 'float64'): Tensor {
  return randn(shape, { dtype, generator: new Generator(seed), requiresGrad });
}

const row = (values: number[]) => tensor([[values]], { dtype: 'float64' });

function dot(a: Tensor, b: Tensor): number {
  const x = a.values;
  const y = b.values;
  expect(x.length).toBe(y.length);
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i] * y[i];
  return s;
}

/** The map as a dense [outSize, inSize] matrix, from its taps. */
function dense(map: AxisMap): number[][] {
  const m = Array.from({ length: map.outSize }, () => new Array<number>(map.inSize).fill(0));
  for (let j = 0; j < map.outSize; j++)
    for (let t = map.offsets[j]; t < map.offsets[j + 1]; t++) m[j][map.index[t]] += map.weight[t];
  return m;
}

describe("interpolate: the new modes' sampling rules", () => {
  const x = row([0, 1, 2, 3, 4]);

  it("'nearest-exact' reads pixel min(floor((j + ½) · scale), in - 1), as PyTorch", () => {
    const run = (o: InterpolateOptions) => Array.from(interpolate(x, { mode: 'nearest-exact', ...o }).values);
    expect(run({ size: 3 })).toEqual([0, 2, 4]);
    expect(run({ size: 7 })).toEqual([0, 1, 1, 2, 3, 3, 4]);
    expect(run({ size: 1 })).toEqual([2]);
    // the scale drives the sampling unless it is recomputed from the output size
    expect(run({ scaleFactor: 1.7 })).toEqual([0, 0, 1, 2, 2, 3, 3, 4]);
    expect(run({ scaleFactor: 1.7, recomputeScaleFactor: true })).toEqual([0, 0, 1, 2, 2, 3, 4, 4]);
    expect(run({ scaleFactor: 0.3 })).toEqual([1]);
    expect(run({ scaleFactor: 0.3, recomputeScaleFactor: true })).toEqual([2]);
  });

  it("'area' averages the windows [floor(j·in/out), ceil((j + 1)·in/out)), overlapping when enlarging", () => {
    const run = (o: InterpolateOptions) => Array.from(interpolate(x, { mode: 'area', ...o }).values);
    expect(run({ size: 3 })).toEqual([0.5, 2, 3.5]);
    expect(run({ size: 7 })).toEqual([0, 0.5, 1.5, 2, 2.5, 3.5, 4]);
    expect(run({ size: 1 })).toEqual([2]);
    // a scale factor only sets the output size (floor(5 · 0.7) = 3), recomputed or not
    expect(run({ scaleFactor: 0.7 })).toEqual([0.5, 2, 3.5]);
    expect(run({ scaleFactor: 0.7, recomputeScaleFactor: false })).toEqual([0.5, 2, 3.5]);
    const img = rnd([1, 1, 4, 6], 1, false);
    const pooled = interpolate(img, { size: [2, 3], mode: 'area' }).values;
    const v = img.values;
    expect(pooled[0]).toBeCloseTo((v[0] + v[1] + v[6] + v[7]) / 4, 14);
    expect(pooled[5]).toBeCloseTo((v[16] + v[17] + v[22] + v[23]) / 4, 14);
  });

  it("'bicubic' keeps an unchanged size, constants, and its cubic weights sum to one", () => {
    const img = rnd([1, 2, 3, 4], 2, false);
    expect(Array.from(interpolate(img, { size: [3, 4], mode: 'bicubic' }).values)).toEqual(Array.from(img.values));
    const ones = tensor(
      [
        [
          [
            [1, 1, 1],
            [1, 1, 1],
          ],
        ],
      ],
      { dtype: 'float64' },
    );
    for (const v of interpolate(ones, { size: [5, 7], mode: 'bicubic' }).values) expect(v).toBeCloseTo(1, 14);
    for (const align of [false, true])
      for (const [n, m] of [
        [4, 9],
        [9, 4],
        [1, 3],
        [3, 1],
      ]) {
        const map = cubicMap(n, m, align, undefined);
        expect(map.index.length).toBe(4 * m);
        for (const r of dense(map)) expect(r.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 14);
        for (const i of map.index) expect(i >= 0 && i < n).toBe(true);
      }
    // the kernel of A = -0.75 at t = ½: weights -3/32, 19/32, 19/32, -3/32
    const half = cubicMap(2, 1, false, undefined); // source 2·½ - ½ = ½
    expect(Array.from(half.weight)).toEqual([-3 / 32, 19 / 32, 19 / 32, -3 / 32]);
    expect(Array.from(half.index)).toEqual([0, 0, 1, 1]);
    // aligned corners keep the corner pixels
    const y = interpolate(img, { size: [5, 7], mode: 'bicubic', alignCorners: true }).values;
    expect(y[0]).toBeCloseTo(img.values[0], 14);
    expect(y[34]).toBeCloseTo(img.values[11], 14);
  });

  it("'trilinear' interpolates each of the three axes linearly", () => {
    const cube = tensor(
      [
        [
          [
            [
              [0, 1],
              [2, 3],
            ],
            [
              [4, 5],
              [6, 7],
            ],
          ],
        ],
      ],
      { dtype: 'float64' },
    );
    const y = interpolate(cube, { size: 3, mode: 'trilinear', alignCorners: true });
    expect(y.shape).toEqual([1, 1, 3, 3, 3]);
    // f(d, h, w) = 4d + 2h + w on [0, 1]^3 sampled at 0, ½, 1
    const want: number[] = [];
    for (const d of [0, 0.5, 1]) for (const h of [0, 0.5, 1]) for (const w of [0, 0.5, 1]) want.push(4 * d + 2 * h + w);
    expect(Array.from(y.values)).toEqual(want);
    const z = interpolate(cube, { size: [4, 2, 2], mode: 'trilinear' }).values;
    expect(Array.from(z.slice(0, 4))).toEqual([0, 1, 2, 3]);
    expect(Array.from(z.slice(4, 8))).toEqual([1, 2, 3, 4]);
  });

  it('keeps the dtype and the leading dims', () => {
    for (const [shape, mode] of [
      [[2, 3, 4, 5, 3], 'trilinear'],
      [[2, 3, 4, 5], 'bicubic'],
      [[2, 3, 7], 'area'],
      [[2, 3, 4, 5, 3], 'nearest-exact'],
    ] as const) {
      const y = interpolate(rnd([...shape], 3, false, 'float32'), { scaleFactor: 1.5, mode });
      expect(y.dtype).toBe('float32');
      expect(y.shape).toEqual([2, 3, ...shape.slice(2).map((n) => Math.floor(n * 1.5))]);
    }
  });
});

describe('interpolate: gradients of the new modes', () => {
  const cases: [string, number[], InterpolateOptions][] = [
    ['trilinear up', [1, 2, 2, 3, 2], { scaleFactor: [1.5, 0.7, 2], mode: 'trilinear' }],
    ['trilinear aligned', [1, 1, 3, 2, 2], { size: [2, 3, 3], mode: 'trilinear', alignCorners: true }],
    ['nearest-exact 1-D', [2, 1, 5], { scaleFactor: 1.7, mode: 'nearest-exact' }],
    ['nearest-exact 3-D', [1, 1, 3, 2, 3], { size: [2, 4, 2], mode: 'nearest-exact' }],
    ['bicubic up', [1, 2, 3, 4], { size: [5, 6], mode: 'bicubic' }],
    ['bicubic down aligned', [1, 1, 5, 6], { scaleFactor: [0.6, 0.7], mode: 'bicubic', alignCorners: true }],
    ['area 1-D', [1, 2, 7], { size: 3, mode: 'area' }],
    ['area 2-D overlapping', [1, 1, 3, 5], { size: [5, 3], mode: 'area' }],
    ['area 3-D', [1, 1, 4, 3, 2], { scaleFactor: [0.5, 1.4, 1], mode: 'area' }],
  ];
  cases.forEach(([name, shape, options], k) => {
    it(`${name}: gradcheck, gradgradcheck and <A x, y> = <x, Aᵀ y>`, () => {
      const x = rnd(shape, 20 + k);
      expect(gradcheck((a) => interpolate(a, options), [x])).toBe(true);
      expect(gradgradcheck((a) => interpolate(a, options).square(), [x])).toBe(true);
      const ax = interpolate(x, options);
      const y = rnd([...ax.shape], 40 + k, false);
      const [aty] = gradients([ax], [x], [y]);
      expect(aty?.shape).toEqual(x.shape);
      const lhs = dot(ax, y);
      expect(Math.abs(lhs - dot(x, aty as Tensor))).toBeLessThan(1e-12 * Math.max(1, Math.abs(lhs)));
    });
  });

  it('the kernels: the adjoint kernel applies the transpose of the dense matrix of every kind of map', () => {
    const maps = [
      gatherMap(4, Int32Array.from([3, 0, 0, 2, 1])),
      linearMap(4, 7, false, undefined),
      nearestExactMap(5, 3, undefined),
      cubicMap(3, 5, false, 1.9),
      areaMap(7, 3),
      areaMap(3, 7),
    ];
    const [outer, inner] = [2, 3];
    for (const map of maps) {
      const m = dense(map);
      const x = rnd([outer, map.inSize, inner], 5, false).values as Float64Array;
      const g = rnd([outer, map.outSize, inner], 6, false).values as Float64Array;
      const out = new Float64Array(outer * map.outSize * inner);
      axisResampleKernel(x, out, outer, map, inner);
      const back = new Float64Array(outer * map.inSize * inner);
      axisResampleAdjointKernel(g, back, outer, map, inner);
      for (let o = 0; o < outer; o++)
        for (let k = 0; k < inner; k++) {
          for (let j = 0; j < map.outSize; j++) {
            let s = 0;
            for (let i = 0; i < map.inSize; i++) s += m[j][i] * x[(o * map.inSize + i) * inner + k];
            expect(out[(o * map.outSize + j) * inner + k]).toBeCloseTo(s, 13);
          }
          for (let i = 0; i < map.inSize; i++) {
            let s = 0;
            for (let j = 0; j < map.outSize; j++) s += m[j][i] * g[(o * map.outSize + j) * inner + k];
            expect(back[(o * map.inSize + i) * inner + k]).toBeCloseTo(s, 13);
          }
        }
    }
  });
});

describe('interpolate: options of the new modes', () => {
  const img = rnd([1, 1, 3, 3], 7, false);
  const vol = rnd([1, 1, 2, 2, 2], 8, false);
  const line = rnd([1, 1, 4], 9, false);

  it('needs the right rank for the fixed-rank modes', () => {
    expect(() => interpolate(line, { size: 4, mode: 'bicubic' })).toThrow(ShapeError);
    expect(() => interpolate(vol, { size: 4, mode: 'bicubic' })).toThrow(/'bicubic' needs a 4-D/);
    expect(() => interpolate(img, { size: 4, mode: 'trilinear' })).toThrow(/'trilinear' needs a 5-D/);
    expect(() => interpolate(line, { size: 4, mode: 'trilinear' })).toThrow(ShapeError);
    for (const mode of ['area', 'nearest-exact'] as const)
      for (const t of [line, img, vol]) expect(interpolate(t, { size: 3, mode }).ndim).toBe(t.ndim);
    expect(() => interpolate(rnd([1, 4], 1, false), { size: 3, mode: 'area' })).toThrow(ShapeError);
  });

  it('takes alignCorners only with the linear and cubic modes', () => {
    expect(interpolate(img, { size: 4, mode: 'bicubic', alignCorners: true }).shape).toEqual([1, 1, 4, 4]);
    expect(interpolate(vol, { size: 3, mode: 'trilinear', alignCorners: false }).shape).toEqual([1, 1, 3, 3, 3]);
    for (const mode of ['area', 'nearest-exact', 'nearest'] as const)
      expect(() => interpolate(img, { size: 4, mode, alignCorners: false })).toThrow(
        /alignCorners can only be set with the interpolating modes 'linear', 'bilinear', 'bicubic' and 'trilinear'/,
      );
  });

  it('refuses antialias, recomputeScaleFactor with a size, and unknown modes', () => {
    expect(() => interpolate(img, { size: 2, mode: 'bicubic', antialias: true })).toThrow(/antialias is not supported/);
    expect(() => interpolate(img, { size: 2, mode: 'bilinear', antialias: true })).toThrow(ValueError);
    // biome-ignore lint/suspicious/noExplicitAny: a wrong type on purpose
    expect(() => interpolate(img, { size: 2, antialias: 1 as any })).toThrow(/antialias must be a boolean/);
    expect(interpolate(img, { size: 2, mode: 'bicubic', antialias: false }).shape).toEqual([1, 1, 2, 2]);
    expect(() => interpolate(img, { size: 2, recomputeScaleFactor: true })).toThrow(
      /recomputeScaleFactor is only meaningful with scaleFactor/,
    );
    // biome-ignore lint/suspicious/noExplicitAny: an unknown mode on purpose
    expect(() => interpolate(img, { size: 2, mode: 'lanczos' as any })).toThrow(
      /mode must be one of .*'nearest-exact'/,
    );
  });
});
