import { describe, expect, it } from 'vitest';
import {
  circularPad,
  convTranspose2d,
  DTypeError,
  Generator,
  gradcheck,
  gradgradcheck,
  interpolate,
  randn,
  reflectionPad,
  replicationPad,
  ShapeError,
  type Tensor,
  tensor,
  ValueError,
} from '../index';

function rnd(shape: number[], seed: number, requiresGrad = true, dtype: 'float32' | 'float64' = 'float64'): Tensor {
  return randn(shape, { dtype, generator: new Generator(seed), requiresGrad });
}

interface CtCase {
  name: string;
  x: number[];
  w: number[];
  stride?: [number, number];
  padding?: [number, number];
  outputPadding?: [number, number];
  dilation?: [number, number];
  groups?: number;
}

/** A transposed convolution by its definition: every input pixel scatters its weighted kernel, in doubles. */
function naiveConvTranspose(x: Tensor, w: Tensor, b: Tensor | null, c: CtCase): { data: number[]; shape: number[] } {
  const [N, C, H, W] = x.shape;
  const [, og, kH, kW] = w.shape;
  const [sH, sW] = c.stride ?? [1, 1];
  const [pH, pW] = c.padding ?? [0, 0];
  const [oH, oW] = c.outputPadding ?? [0, 0];
  const [dH, dW] = c.dilation ?? [1, 1];
  const G = c.groups ?? 1;
  const Hout = (H - 1) * sH - 2 * pH + dH * (kH - 1) + oH + 1;
  const Wout = (W - 1) * sW - 2 * pW + dW * (kW - 1) + oW + 1;
  const O = og * G;
  const out = new Array<number>(N * O * Hout * Wout).fill(0);
  const xv = x.values;
  const wv = w.values;
  const cg = C / G;
  for (let n = 0; n < N; n++)
    for (let ci = 0; ci < C; ci++) {
      const g = Math.floor(ci / cg);
      for (let i = 0; i < H; i++)
        for (let j = 0; j < W; j++) {
          const v = xv[((n * C + ci) * H + i) * W + j];
          for (let oc = 0; oc < og; oc++)
            for (let ki = 0; ki < kH; ki++)
              for (let kj = 0; kj < kW; kj++) {
                const y = i * sH - pH + ki * dH;
                const z = j * sW - pW + kj * dW;
                if (y < 0 || y >= Hout || z < 0 || z >= Wout) continue;
                const o = g * og + oc;
                out[((n * O + o) * Hout + y) * Wout + z] += v * wv[((ci * og + oc) * kH + ki) * kW + kj];
              }
        }
    }
  if (b !== null)
    for (let n = 0; n < N; n++)
      for (let o = 0; o < O; o++)
        for (let p = 0; p < Hout * Wout; p++) out[(n * O + o) * Hout * Wout + p] += b.values[o];
  return { data: out, shape: [N, O, Hout, Wout] };
}

const CT_CASES: CtCase[] = [
  { name: 'plain', x: [2, 3, 4, 5], w: [3, 2, 3, 3] },
  {
    name: 'stride, padding, output padding',
    x: [1, 2, 3, 4],
    w: [2, 3, 3, 2],
    stride: [2, 3],
    padding: [1, 0],
    outputPadding: [1, 2],
  },
  {
    name: 'groups and dilation',
    x: [1, 4, 3, 3],
    w: [4, 2, 3, 3],
    stride: [2, 2],
    padding: [2, 2],
    groups: 2,
    dilation: [2, 2],
    outputPadding: [1, 1],
  },
  { name: 'output padding from dilation', x: [1, 2, 3, 3], w: [2, 2, 2, 2], dilation: [3, 3], outputPadding: [2, 2] },
  { name: '1x1 kernel with output padding', x: [2, 3, 3, 2], w: [3, 2, 1, 1], dilation: [2, 2], outputPadding: [1, 1] },
];

describe('convTranspose2d', () => {
  for (const c of CT_CASES) {
    // The case's name and shapes are not options of convTranspose2d.
    const { name: _name, x: _x, w: _w, ...options } = c;
    it(`matches its definition: ${c.name}`, () => {
      const x = rnd(c.x, 1, false);
      const w = rnd(c.w, 2, false);
      const b = rnd([c.w[1] * (c.groups ?? 1)], 3, false);
      const y = convTranspose2d(x, w, b, options);
      const want = naiveConvTranspose(x, w, b, c);
      expect(y.shape).toEqual(want.shape);
      const got = Array.from(y.values);
      for (let i = 0; i < got.length; i++) expect(got[i]).toBeCloseTo(want.data[i], 12);
    });

    it(`passes gradcheck and gradgradcheck: ${c.name}`, () => {
      const x = rnd(c.x, 4);
      const w = rnd(c.w, 5);
      const b = rnd([c.w[1] * (c.groups ?? 1)], 6);
      const f = (a: Tensor, k: Tensor, bb: Tensor) => convTranspose2d(a, k, bb, options);
      expect(gradcheck(f, [x, w, b])).toBe(true);
      expect(gradgradcheck(f, [x, w, b])).toBe(true);
    });
  }

  it('takes unbatched inputs and float32', () => {
    const x = rnd([2, 3, 3], 7, false, 'float32');
    const w = rnd([2, 3, 2, 2], 8, false, 'float32');
    const y = convTranspose2d(x, w, null, { stride: 2 });
    expect(y.shape).toEqual([3, 6, 6]);
    expect(y.dtype).toBe('float32');
  });

  it('names the argument and shapes on bad input, before computing', () => {
    const x = rnd([1, 2, 3, 3], 9, false);
    expect(() => convTranspose2d(x, rnd([3, 2, 2, 2], 1, false))).toThrow(ShapeError);
    expect(() => convTranspose2d(x, rnd([3, 2, 2, 2], 1, false))).toThrow(/input has 2 channels but weight expects 3/);
    expect(() => convTranspose2d(x, rnd([2, 2, 2, 2], 1, false), null, { outputPadding: 1 })).toThrow(
      /outputPadding \[1,1\] must be smaller than either stride/,
    );
    expect(() => convTranspose2d(x, rnd([2, 2, 2, 2], 1, false), null, { groups: 3 })).toThrow(ValueError);
    expect(() => convTranspose2d(x, rnd([2, 2, 2, 2], 1, false), rnd([3], 1, false))).toThrow(
      /bias must have shape \[2\]/,
    );
    expect(() => convTranspose2d(x, rnd([2, 2, 2, 2], 1, false), null, { padding: 3 })).toThrow(/not positive/);
    expect(() => convTranspose2d(tensor([[[[1]]]], { dtype: 'int32' }), rnd([1, 1, 1, 1], 1, false))).toThrow(
      DTypeError,
    );
  });
});

describe('interpolate', () => {
  it("'nearest' copies pixel floor(j · in / out), as PyTorch", () => {
    const x = tensor([[[1, 2, 3]]], { dtype: 'float64' });
    expect(Array.from(interpolate(x, { size: 5 }).values)).toEqual([1, 1, 2, 2, 3]);
    expect(Array.from(interpolate(x, { size: 6 }).values)).toEqual([1, 1, 2, 2, 3, 3]);
    expect(Array.from(interpolate(x, { size: 2 }).values)).toEqual([1, 2]);
    // a scale factor drives the sampling: floor(j / 1.5) for j < floor(3 · 1.5) = 4
    expect(Array.from(interpolate(x, { scaleFactor: 1.5 }).values)).toEqual([1, 1, 2, 3]);
  });

  it("'linear' and 'bilinear' use half-pixel centres, or the corners with alignCorners", () => {
    const x = tensor([[[0, 1]]], { dtype: 'float64' });
    expect(Array.from(interpolate(x, { size: 4, mode: 'linear' }).values)).toEqual([0, 0.25, 0.75, 1]);
    expect(Array.from(interpolate(x, { size: 3, mode: 'linear', alignCorners: true }).values)).toEqual([0, 0.5, 1]);
    const img = tensor(
      [
        [
          [
            [0, 1],
            [2, 3],
          ],
        ],
      ],
      { dtype: 'float64' },
    );
    const y = interpolate(img, { size: [3, 3], mode: 'bilinear', alignCorners: true });
    expect(Array.from(y.values)).toEqual([0, 0.5, 1, 1, 1.5, 2, 2, 2.5, 3]);
  });

  it('passes gradcheck in every mode, and gradgradcheck', () => {
    const x1 = rnd([2, 2, 4], 11);
    const x2 = rnd([1, 2, 3, 4], 12);
    expect(gradcheck((a) => interpolate(a, { size: 7 }), [x1])).toBe(true);
    expect(gradcheck((a) => interpolate(a, { scaleFactor: 1.7, mode: 'linear' }), [x1])).toBe(true);
    expect(gradcheck((a) => interpolate(a, { size: 3, mode: 'linear', alignCorners: true }), [x1])).toBe(true);
    expect(gradcheck((a) => interpolate(a, { scaleFactor: [0.7, 2.3] }), [x2])).toBe(true);
    expect(gradcheck((a) => interpolate(a, { size: [5, 3], mode: 'bilinear' }), [x2])).toBe(true);
    expect(gradcheck((a) => interpolate(a, { size: [5, 7], mode: 'bilinear', alignCorners: true }), [x2])).toBe(true);
    expect(gradgradcheck((a) => interpolate(a, { size: [5, 3], mode: 'bilinear' }).square(), [x2])).toBe(true);
  });

  it('rejects bad options with named errors', () => {
    const x = rnd([1, 1, 3, 3], 13, false);
    expect(() => interpolate(x, {})).toThrow(/either size or scaleFactor/);
    expect(() => interpolate(x, { size: 4, scaleFactor: 2 })).toThrow(/only one of size and scaleFactor/);
    expect(() => interpolate(x, { size: 4, mode: 'linear' })).toThrow(ShapeError);
    expect(() => interpolate(rnd([1, 1, 3], 1, false), { size: 4, mode: 'bilinear' })).toThrow(ShapeError);
    expect(() => interpolate(x, { size: 4, alignCorners: true })).toThrow(/alignCorners can only be set/);
    // biome-ignore lint/suspicious/noExplicitAny: an unsupported mode on purpose
    expect(() => interpolate(x, { size: 4, mode: 'lanczos' as any })).toThrow(ValueError);
    expect(() => interpolate(x, { size: [4, 4, 4] })).toThrow(/one per spatial dim/);
    expect(() => interpolate(x, { scaleFactor: 0.2 })).toThrow(/greater than 0/);
  });
});

describe('padding modes', () => {
  const x = tensor([[[1, 2, 3]]], { dtype: 'float64' });
  it('reflect, replicate and circular follow their definitions', () => {
    expect(Array.from(reflectionPad(x, [2, 1]).values)).toEqual([3, 2, 1, 2, 3, 2]);
    expect(Array.from(replicationPad(x, [2, 1]).values)).toEqual([1, 1, 1, 2, 3, 3]);
    expect(Array.from(circularPad(x, [2, 1]).values)).toEqual([2, 3, 1, 2, 3, 1]);
    const img = tensor(
      [
        [
          [1, 2],
          [3, 4],
        ],
      ],
      { dtype: 'float64' },
    );
    expect(Array.from(replicationPad(img, [0, 1, 1, 0]).values)).toEqual([1, 2, 2, 1, 2, 2, 3, 4, 4]);
  });

  it('passes gradcheck (gradients add up where elements are copied several times) and gradgradcheck', () => {
    const a = rnd([2, 3, 4], 21);
    const b = rnd([1, 2, 3, 4], 22);
    expect(gradcheck((t) => reflectionPad(t, [3, 2]), [a])).toBe(true);
    expect(gradcheck((t) => replicationPad(t, [3, 2, 1, 4]), [b])).toBe(true);
    expect(gradcheck((t) => circularPad(t, [4, 1, 3, 2]), [b])).toBe(true);
    expect(gradgradcheck((t) => reflectionPad(t, [1, 2, 2, 1]).square(), [b])).toBe(true);
  });

  it('crops with negative padding; circular wraps around what is left, as PyTorch', () => {
    expect(Array.from(reflectionPad(x, [-1, 2]).values)).toEqual([2, 3, 2, 1]);
    expect(Array.from(replicationPad(x, [2, -2]).values)).toEqual([1, 1, 1]);
    expect(Array.from(circularPad(x, [-1, 1]).values)).toEqual([2, 3, 2]);
    expect(gradcheck((t) => circularPad(t, [-1, 2, 2, -2]), [rnd([1, 2, 4, 5], 23)])).toBe(true);
  });

  it('rejects too much padding', () => {
    expect(() => reflectionPad(x, [3, 0])).toThrow(/must be smaller than the size 3/);
    expect(() => circularPad(x, [0, 4])).toThrow(/at most the size 3/);
    expect(() => replicationPad(x, [-3, 0])).toThrow(/leaves no element/);
    expect(() => circularPad(x, [-2, 2])).toThrow(/wrap around at most once/);
    expect(() => replicationPad(x, [1])).toThrow(ValueError);
  });
});
