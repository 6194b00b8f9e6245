import {
  DTypeError,
  Generator,
  gradcheck,
  gradgradcheck,
  gradients,
  interpolate,
  ShapeError,
  Tensor,
  tensor,
  ValueError,
  zeros,
} from '@nablajs/core';
import { describe, expect, it } from 'vitest';
import { expectValues, f64, randomTensor } from '../losses/test-utils';
import {
  AdaptiveMaxPool1d,
  ChannelShuffle,
  LocalResponseNorm,
  LPPool1d,
  LPPool2d,
  UpsamplingBilinear2d,
  UpsamplingNearest2d,
} from './more-pool-layers';
import {
  adaptiveMaxPool1d,
  adaptiveMaxPool1dWithIndices,
  channelShuffle,
  localResponseNorm,
  lpPool1d,
  lpPool2d,
} from './more-pool-ops';

/** A float64 leaf of `shape` with values uniform in [lo, hi), so that no two are equal. */
function uniform(shape: number[], seed: number, lo = 0.5, hi = 2): Tensor {
  const g = new Generator(seed);
  const n = shape.reduce((a, b) => a * b, 1);
  const data = new Float64Array(n);
  for (let i = 0; i < n; i++) data[i] = lo + (hi - lo) * g.uniform();
  const t = new Tensor(data, shape, 'float64');
  t.requiresGrad = true;
  return t;
}

function grad(out: Tensor, x: Tensor, upstream?: Tensor): number[] {
  const [g] = gradients([out], [x], upstream ? [upstream] : undefined);
  return Array.from((g as Tensor).values);
}

describe('lpPool1d / lpPool2d', () => {
  it('is (Σ x^p)^(1/p) per window, with gradient 0 where a window sums to 0', () => {
    const x = f64([3, 4, 0, 0, 1, 2]).reshape([1, 1, 6]);
    const y = lpPool1d(x, { normType: 2, kernelSize: 2 });
    expectValues(y, [5, 0, Math.sqrt(5)], 1e-15, [1, 1, 3]);
    const g = grad(y.sum(), x);
    expect(g.slice(2, 4)).toEqual([0, 0]);
    expectValues(tensor(g, { dtype: 'float64' }), [0.6, 0.8, 0, 0, 1 / Math.sqrt(5), 2 / Math.sqrt(5)], 1e-15);
  });

  it('scales a partial ceilMode window up to the kernel size, as PyTorch does', () => {
    const x = f64([1, 2, 3]).reshape([1, 3]);
    expectValues(lpPool1d(x, { normType: 2, kernelSize: 2, ceilMode: true }), [Math.sqrt(5), Math.sqrt(18)], 1e-15);
    expectValues(lpPool1d(x, { normType: 2, kernelSize: 2 }), [Math.sqrt(5)], 1e-15, [1, 1]);
    expectValues(lpPool1d(x, { normType: 1, kernelSize: 2, stride: 1 }), [3, 5], 1e-15);
  });

  it('keeps the sign of a negative sum for p = 1 and gives NaN for a fractional root of one', () => {
    const x = f64([-1, 0.5, 1, -2]).reshape([1, 4]);
    expectValues(lpPool1d(x, { normType: 1, kernelSize: 2 }), [-0.5, -1], 1e-15);
    const y = lpPool1d(x, { normType: 3, kernelSize: 2 });
    expect(Array.from(y.values).every(Number.isNaN)).toBe(true);
  });

  it('lpPool2d sums over kH x kW windows', () => {
    const x = uniform([2, 3, 4, 6], 1);
    const y = lpPool2d(x, { normType: 3, kernelSize: [2, 3] });
    expect(y.shape).toEqual([2, 3, 2, 2]);
    const v = x.values;
    let s = 0;
    for (let r = 0; r < 2; r++) for (let c = 3; c < 6; c++) s += v[r * 6 + c] ** 3;
    expect(y.values[1]).toBeCloseTo(s ** (1 / 3), 12);
    expect(lpPool2d(uniform([3, 5, 5], 2), { normType: 2, kernelSize: 2, ceilMode: true }).shape).toEqual([3, 3, 3]);
  });

  it('passes gradcheck and gradgradcheck in float64 away from zero sums', () => {
    for (const p of [1, 2, 1.5, 3]) {
      const x = uniform([2, 2, 7], 10 + p);
      const f = (t: Tensor) => lpPool1d(t, { normType: p, kernelSize: 3, stride: 2, ceilMode: true });
      expect(gradcheck(f, [x])).toBe(true);
      expect(gradgradcheck(f, [x])).toBe(true);
      const x2 = uniform([1, 2, 5, 4], 20 + p);
      expect(gradcheck((t) => lpPool2d(t, { normType: p, kernelSize: [2, 3], stride: [2, 1] }), [x2])).toBe(true);
    }
  });

  it('checks its arguments, naming the function', () => {
    const x = zeros([1, 2, 4], { dtype: 'float64' });
    expect(() => lpPool1d(x, { normType: 0, kernelSize: 2 })).toThrow(/lpPool1d: normType must be a finite number > 0/);
    expect(() => lpPool1d(x, { normType: Infinity, kernelSize: 2 })).toThrow(ValueError);
    expect(() => lpPool1d(x, { normType: 2, kernelSize: 0 })).toThrow(/lpPool1d: kernelSize must be an integer >= 1/);
    expect(() => lpPool1d(x, { normType: 2, kernelSize: 2, stride: 0 })).toThrow(/lpPool1d: stride/);
    // @ts-expect-error: an unknown option
    expect(() => lpPool1d(x, { normType: 2, kernelSize: 2, padding: 1 })).toThrow(/lpPool1d: unknown option "padding"/);
    expect(() => lpPool1d(zeros([4], { dtype: 'float64' }), { normType: 2, kernelSize: 2 })).toThrow(ShapeError);
    expect(() => lpPool1d(tensor([[1, 2]], { dtype: 'int32' }), { normType: 2, kernelSize: 2 })).toThrow(DTypeError);
    expect(() => lpPool2d(x, { normType: 2, kernelSize: [2, 2, 2] as never })).toThrow(/lpPool2d: kernelSize/);
    expect(() => lpPool2d(zeros([2, 4]), { normType: 2, kernelSize: 2 })).toThrow(/lpPool2d: expected a 3-D/);
  });

  it('LPPool1d and LPPool2d modules call the functions with their options', () => {
    const x = uniform([2, 3, 9], 3);
    const m = new LPPool1d({ normType: 2, kernelSize: 3, stride: 2, ceilMode: true });
    expect(Array.from(m.forward(x).values)).toEqual(
      Array.from(lpPool1d(x, { normType: 2, kernelSize: 3, stride: 2, ceilMode: true }).values),
    );
    expect(m.extraRepr()).toBe('normType=2, kernelSize=3, stride=2, ceilMode=true');
    expect([...m.namedParameters()]).toEqual([]);
    const m2 = new LPPool2d({ normType: 1.5, kernelSize: [2, 3] });
    expect(m2.stride).toEqual([2, 3]);
    expect(m2.extraRepr()).toBe('normType=1.5, kernelSize=[2,3], stride=[2,3], ceilMode=false');
    expect(m2.forward(uniform([1, 4, 6], 4)).shape).toEqual([1, 2, 2]);
    expect(() => new LPPool1d({ normType: -1, kernelSize: 2 })).toThrow(/LPPool1d: normType/);
    // @ts-expect-error: a misspelled option
    expect(() => new LPPool2d({ normType: 2, kernelSize: 2, ceil_mode: true })).toThrow(/LPPool2d: unknown option/);
  });
});

describe('adaptiveMaxPool1d', () => {
  it('takes the maximum of each adaptive window, with positions along L', () => {
    const x = f64([1, 3, 2, 5, 4]).reshape([1, 1, 5]);
    expectValues(adaptiveMaxPool1d(x, 2), [3, 5], 0, [1, 1, 2]);
    const { values, indices } = adaptiveMaxPool1dWithIndices(f64([1, 3, 2, 5, 4]).reshape([1, 5]), 3);
    expect(values.toArray()).toEqual([[3, 5, 5]]);
    expect(indices.dtype).toBe('int32');
    expect(indices.toArray()).toEqual([[1, 3, 3]]);
    expect(grad(adaptiveMaxPool1d(x, 3).sum(), x)).toEqual([0, 1, 0, 2, 0]);
  });

  it('passes gradcheck in float64', () => {
    const x = uniform([2, 3, 7], 5);
    expect(gradcheck((t) => adaptiveMaxPool1d(t, 3), [x])).toBe(true);
  });

  it('AdaptiveMaxPool1d returns [values, indices] with returnIndices, and checks its arguments', () => {
    const x = uniform([2, 3, 10], 6);
    const [values, indices] = new AdaptiveMaxPool1d(4, { returnIndices: true }).forward(x);
    expect(values.shape).toEqual([2, 3, 4]);
    expect(indices.shape).toEqual([2, 3, 4]);
    expect(Array.from(new AdaptiveMaxPool1d(4).forward(x).values)).toEqual(Array.from(values.values));
    expect(new AdaptiveMaxPool1d(4).extraRepr()).toBe('outputSize=4');
    expect(() => new AdaptiveMaxPool1d(0)).toThrow(/AdaptiveMaxPool1d: outputSize must be an integer >= 1/);
    // @ts-expect-error: a misspelled option
    expect(() => new AdaptiveMaxPool1d(2, { return_indices: true })).toThrow(/unknown option/);
    expect(() => adaptiveMaxPool1d(zeros([1, 1, 2, 3]), 2)).toThrow(/adaptiveMaxPool1d: expected a 2-D/);
    expect(() => adaptiveMaxPool1d(zeros([1, 0]), 2)).toThrow(ShapeError);
  });
});

/** localResponseNorm by plain loops over [N, C, rest]. */
function lrnReference(x: Tensor, size: number, alpha: number, beta: number, k: number): number[] {
  const [n, c] = x.shape;
  const rest = x.size / (n * c);
  const v = x.values;
  const out: number[] = [];
  for (let b = 0; b < n; b++)
    for (let ch = 0; ch < c; ch++)
      for (let r = 0; r < rest; r++) {
        let s = 0;
        for (let j = ch - Math.floor(size / 2); j <= ch + Math.floor((size - 1) / 2); j++)
          if (j >= 0 && j < c) s += v[(b * c + j) * rest + r] ** 2;
        out.push(v[(b * c + ch) * rest + r] / (k + (alpha * s) / size) ** beta);
      }
  return out;
}

describe('localResponseNorm', () => {
  it('divides by (k + alpha·mean of squares over size channels)^beta, zero-padded', () => {
    for (const [shape, size] of [
      [[2, 5, 3], 3],
      [[2, 5, 3], 2],
      [[1, 4, 2, 3], 4],
      [[2, 3, 2, 1, 2], 5],
    ] as [number[], number][]) {
      const x = randomTensor(shape, new Generator(size), { scale: 3 });
      const opts = { size, alpha: 0.5, beta: 0.75, k: 2 };
      expectValues(localResponseNorm(x, opts), lrnReference(x, size, 0.5, 0.75, 2), 1e-13, shape);
    }
    const x = randomTensor([2, 4, 3], new Generator(9));
    expectValues(localResponseNorm(x, { size: 2 }), lrnReference(x, 2, 1e-4, 0.75, 1), 1e-14);
  });

  it('passes gradcheck and gradgradcheck in float64', () => {
    const x = randomTensor([2, 4, 3], new Generator(1), { requiresGrad: true });
    const f = (t: Tensor) => localResponseNorm(t, { size: 3, alpha: 0.3, beta: 0.6, k: 1.5 });
    expect(gradcheck(f, [x])).toBe(true);
    expect(gradgradcheck(f, [x])).toBe(true);
  });

  it('gives an empty output for an empty input and checks its arguments', () => {
    expect(localResponseNorm(zeros([0, 3, 4]), { size: 2 }).shape).toEqual([0, 3, 4]);
    expect(() => localResponseNorm(zeros([3, 4]), { size: 2 })).toThrow(/localResponseNorm: expected an input of 3/);
    expect(() => localResponseNorm(zeros([1, 3, 4]), { size: 0 })).toThrow(/localResponseNorm: size/);
    expect(() => localResponseNorm(zeros([1, 3, 4]), { size: 2, beta: Number.NaN })).toThrow(/beta/);
    // @ts-expect-error: a misspelled option
    expect(() => localResponseNorm(zeros([1, 3, 4]), { size: 2, Alpha: 1 })).toThrow(/unknown option/);
  });

  it('LocalResponseNorm has PyTorch defaults and a repr', () => {
    const m = new LocalResponseNorm({ size: 2 });
    expect(m.extraRepr()).toBe('size=2, alpha=0.0001, beta=0.75, k=1');
    const x = randomTensor([2, 4, 3, 3], new Generator(2));
    expect(Array.from(m.forward(x).values)).toEqual(Array.from(localResponseNorm(x, { size: 2 }).values));
    expect(() => new LocalResponseNorm({} as never)).toThrow(/LocalResponseNorm: size must be an integer >= 1/);
  });
});

describe('channelShuffle', () => {
  it('interleaves the groups of channels, for any dtype, with the inverse shuffle as gradient', () => {
    const x = tensor([0, 1, 2, 3, 4, 5], { dtype: 'int32' }).reshape([1, 6, 1]);
    expect(channelShuffle(x, 2).toArray()).toEqual([[[0], [3], [1], [4], [2], [5]]]);
    expect(channelShuffle(x, 3).toArray()).toEqual([[[0], [2], [4], [1], [3], [5]]]);
    const y = f64([0, 1, 2, 3, 4, 5]).reshape([1, 6, 1]);
    const up = f64([10, 11, 12, 13, 14, 15], false).reshape([1, 6, 1]);
    expect(grad(channelShuffle(y, 2), y, up)).toEqual([10, 12, 14, 11, 13, 15]);
    const z = randomTensor([2, 6, 2, 3], new Generator(3), { requiresGrad: true });
    expect(gradcheck((t) => channelShuffle(t, 3), [z])).toBe(true);
  });

  it('checks its arguments; ChannelShuffle calls it', () => {
    expect(() => channelShuffle(zeros([2, 6]), 2)).toThrow(/channelShuffle: expected an input of 3 or more dims/);
    expect(() => channelShuffle(zeros([1, 6, 2]), 4)).toThrow(/channelShuffle: the 6 channels .* groups = 4/);
    expect(() => channelShuffle(zeros([1, 6, 2]), 0)).toThrow(/channelShuffle: groups must be an integer >= 1/);
    const m = new ChannelShuffle(3);
    expect(m.extraRepr()).toBe('groups=3');
    const x = randomTensor([1, 6, 2], new Generator(4));
    expect(Array.from(m.forward(x).values)).toEqual(Array.from(channelShuffle(x, 3).values));
    expect(() => new ChannelShuffle(1.5)).toThrow(/ChannelShuffle: groups/);
  });
});

describe('UpsamplingNearest2d / UpsamplingBilinear2d', () => {
  it('call interpolate in their fixed mode (bilinear with aligned corners)', () => {
    const x = randomTensor([1, 2, 3, 4], new Generator(5), { requiresGrad: true });
    const near = new UpsamplingNearest2d({ scaleFactor: 2 }).forward(x);
    expect(Array.from(near.values)).toEqual(Array.from(interpolate(x, { scaleFactor: 2 }).values));
    const bil = new UpsamplingBilinear2d({ size: [5, 7] }).forward(x);
    expect(bil.shape).toEqual([1, 2, 5, 7]);
    const want = interpolate(x, { size: [5, 7], mode: 'bilinear', alignCorners: true });
    expect(Array.from(bil.values)).toEqual(Array.from(want.values));
    // the corners are kept
    expect(bil.values[6]).toBe(x.values[3]);
    expect(gradcheck((t) => new UpsamplingBilinear2d({ scaleFactor: [2, 1.5] }).forward(t), [x])).toBe(true);
  });

  it('check their options and input, and print them', () => {
    expect(() => new UpsamplingNearest2d({})).toThrow(/UpsamplingNearest2d: either size or scaleFactor/);
    expect(() => new UpsamplingBilinear2d({ size: 4, scaleFactor: 2 })).toThrow(/only one of size and scaleFactor/);
    expect(() => new UpsamplingBilinear2d({ scaleFactor: -1 })).toThrow(/UpsamplingBilinear2d: scaleFactor/);
    expect(() => new UpsamplingNearest2d({ size: 0 })).toThrow(/UpsamplingNearest2d: size/);
    // @ts-expect-error: not an option of these layers
    expect(() => new UpsamplingNearest2d({ size: 4, mode: 'bilinear' })).toThrow(/unknown option "mode"/);
    expect(() => new UpsamplingNearest2d({ size: 4 }).forward(zeros([1, 2, 3]))).toThrow(/expected a 4-D/);
    expect(new UpsamplingNearest2d({ size: [4, 5] }).extraRepr()).toBe("size=[4,5], mode='nearest'");
    expect(new UpsamplingBilinear2d({ scaleFactor: 2 }).extraRepr()).toBe("scaleFactor=2, mode='bilinear'");
  });
});
