import {
  DTypeError,
  Generator,
  gradients,
  ones,
  randn,
  ShapeError,
  type Tensor,
  tensor,
  ValueError,
  zeros,
} from '@nablajs/core';
import { describe, expect, it } from 'vitest';
import { Softmax2d } from './more-act-layers';
import {
  AlphaDropout,
  CircularPad1d,
  CircularPad2d,
  CircularPad3d,
  ConstantPad1d,
  ConstantPad3d,
  Dropout1d,
  Dropout3d,
  FeatureAlphaDropout,
  ReflectionPad3d,
  ReplicationPad3d,
  ZeroPad1d,
  ZeroPad3d,
} from './more-layers';
import { alphaDropout, dropout1d, dropout3d, featureAlphaDropout } from './more-layers-functional';
import { pad } from './pad-layers';

const ALPHA = 1.7580993408473766;
const f64 = { dtype: 'float64' as const };
const gen = (seed: number) => new Generator(seed);
/** PyTorch's affine map of alpha dropout: `a`, and `b` (the kept values' shift). */
const affine = (p: number) => {
  const a = 1 / Math.sqrt((ALPHA * ALPHA * p + 1) * (1 - p));
  return { a, b: a * ALPHA * p, dropped: a * -ALPHA + a * ALPHA * p };
};

/** The values of each `[..., rest]` block of `t` (blocks of `inner` consecutive elements). */
function blocks(t: Tensor, inner: number): number[][] {
  const out: number[][] = [];
  for (let i = 0; i < t.size; i += inner) out.push(Array.from(t.data.subarray(i, i + inner)));
  return out;
}

function meanVar(t: Tensor): { mean: number; variance: number } {
  const d = t.data;
  let s = 0;
  for (let i = 0; i < d.length; i++) s += d[i];
  const mean = s / d.length;
  let v = 0;
  for (let i = 0; i < d.length; i++) v += (d[i] - mean) ** 2;
  return { mean, variance: v / d.length };
}

describe('F.dropout1d and F.dropout3d', () => {
  it('zero whole channels and scale the others by 1 / (1 - p), batched and unbatched', () => {
    const cases: [(x: Tensor, p: number, training: boolean, g: Generator) => Tensor, number[], number][] = [
      [dropout1d, [8, 16, 10], 10],
      [dropout1d, [32, 10], 10],
      [dropout3d, [4, 8, 2, 3, 3], 18],
      [dropout3d, [32, 2, 3, 3], 18],
    ];
    for (const [fn, shape, inner] of cases) {
      const y = fn(ones(shape, f64), 0.25, true, gen(1));
      const chans = blocks(y, inner);
      let dropped = 0;
      for (const c of chans) {
        expect(new Set(c).size).toBe(1);
        expect([0, 4 / 3]).toContain(c[0]);
        if (c[0] === 0) dropped++;
      }
      expect(dropped).toBeGreaterThan(0);
      expect(dropped).toBeLessThan(chans.length);
    }
  });

  it('are the identity outside training or with p = 0, and return zeros for p = 1', () => {
    const x = randn([2, 3, 4], f64);
    expect(dropout1d(x, 0.5, false)).toBe(x);
    expect(dropout1d(x, 0)).toBe(x);
    expect(dropout3d(randn([1, 2, 2, 2, 2]), 0.5, false).shape).toEqual([1, 2, 2, 2, 2]);
    expect(Array.from(dropout1d(x, 1, true, gen(0)).data).every((v) => v === 0)).toBe(true);
    expect(dropout1d(x, 0.5, true, gen(0))).not.toBe(x);
  });

  it('draw one uniform per channel in (n, c) order, so a seeded generator reproduces the mask', () => {
    const x = randn([3, 5, 7], f64);
    const y1 = dropout1d(x, 0.5, true, gen(42));
    const y2 = dropout1d(x, 0.5, true, gen(42));
    expect(Array.from(y1.data)).toEqual(Array.from(y2.data));
    const g = gen(42);
    const keeps = Array.from({ length: 15 }, () => g.uniform() < 0.5);
    blocks(y1, 7).forEach((row, i) => {
      expect(row.every((v) => v === 0)).toBe(!keeps[i]);
    });
    const used = gen(7);
    dropout3d(randn([2, 3, 1, 1, 4]), 0.5, true, used);
    const fresh = gen(7);
    for (let i = 0; i < 6; i++) fresh.uniform();
    expect(used.uniform()).toBe(fresh.uniform());
  });

  it('backpropagate 1 / (1 - p) to kept channels and 0 to dropped ones', () => {
    const x = randn([2, 6, 5], { ...f64, requiresGrad: true });
    const y = dropout1d(x, 0.2, true, gen(3));
    const [g] = gradients([y.sum()], [x]);
    blocks(g as Tensor, 5).forEach((row, i) => {
      const kept = y.data[i * 5] !== 0 || x.data[i * 5] === 0;
      for (const v of row) expect(v).toBeCloseTo(kept ? 1.25 : 0, 14);
    });
  });

  it('check their arguments, naming the function', () => {
    const x = randn([2, 3, 4]);
    expect(() => dropout1d(randn([1, 2, 3, 4]))).toThrow(ShapeError);
    expect(() => dropout1d(randn([1, 2, 3, 4]), 0.5, false)).toThrow(/dropout1d: expected a 3-D/);
    expect(() => dropout3d(x)).toThrow(/dropout3d: expected a 5-D .* got shape \[2,3,4\]/);
    expect(() => dropout1d(x, 1.5)).toThrow(/dropout1d: p must be in \[0, 1\], got 1.5/);
    // p, training and generator are positional, as F.dropout's (and PyTorch's)
    expect(() => dropout1d(x, { p: 0.5 } as never)).toThrow(/dropout1d: p must be/);
    expect(() => dropout1d(x, 0.5, 1 as never)).toThrow(/dropout1d: training must be a boolean/);
    expect(() => dropout1d(zeros([2, 3], { dtype: 'int32' }))).toThrow(DTypeError);
    expect(() => dropout1d(x, '0.5' as never)).toThrow(ValueError);
  });
});

describe('F.alphaDropout and F.featureAlphaDropout', () => {
  it('default to training = false as PyTorch, returning the input itself', () => {
    const x = randn([4, 5], f64);
    expect(alphaDropout(x)).toBe(x);
    expect(featureAlphaDropout(x, 0.3)).toBe(x);
    expect(alphaDropout(x, 0, true)).toBe(x);
    // as PyTorch, the 2-dim requirement of the feature variant holds only when it drops
    const v = randn([5]);
    expect(featureAlphaDropout(v)).toBe(v);
    expect(() => featureAlphaDropout(v, 0.5, true)).toThrow(/featureAlphaDropout: expected .* \[5\]/);
  });

  it('set dropped values to a·α′ + b and map kept ones to a·x + b, with PyTorch’s a and b', () => {
    for (const p of [0.1, 0.5, 0.8]) {
      const { a, b, dropped } = affine(p);
      const x = randn([2000], f64);
      const y = alphaDropout(x, p, true, gen(5));
      let nDropped = 0;
      for (let i = 0; i < x.size; i++) {
        const kept = Math.abs(y.data[i] - (a * x.data[i] + b)) < 1e-12;
        if (!kept) {
          expect(y.data[i]).toBeCloseTo(dropped, 14);
          nDropped++;
        }
      }
      // 2000 draws: the count is within 6 standard deviations of 2000·p (a fixed seed, so this is stable)
      expect(Math.abs(nDropped - 2000 * p)).toBeLessThan(6 * Math.sqrt(2000 * p * (1 - p)));
    }
    expect(affine(0.5).dropped).toBeCloseTo(-0.7791939305180315, 14);
  });

  it('drop whole channels together in the feature variant', () => {
    const { a, b, dropped } = affine(0.3);
    const x = randn([6, 8, 3, 3], f64);
    const y = featureAlphaDropout(x, 0.3, true, gen(2));
    let nDropped = 0;
    blocks(y, 9).forEach((chan, c) => {
      const isDropped = chan.every((v) => Math.abs(v - dropped) < 1e-12);
      if (isDropped) nDropped++;
      else
        chan.forEach((v, j) => {
          expect(v).toBeCloseTo(a * x.data[c * 9 + j] + b, 12);
        });
    });
    expect(nDropped).toBeGreaterThan(0);
    expect(nDropped).toBeLessThan(48);
  });

  it('keep mean 0 and variance 1 of a large standard normal input', () => {
    const x = randn([200000], { ...f64, generator: gen(11) });
    for (const p of [0.1, 0.5]) {
      const { mean, variance } = meanVar(alphaDropout(x, p, true, gen(12)));
      // standard errors are about 0.002 (mean) and 0.004 (variance): 10 of them, on a seeded draw
      expect(Math.abs(mean)).toBeLessThan(0.02);
      expect(Math.abs(variance - 1)).toBeLessThan(0.04);
    }
    const xf = randn([20000, 10, 2], { ...f64, generator: gen(13) });
    const { mean, variance } = meanVar(featureAlphaDropout(xf, 0.2, true, gen(14)));
    expect(Math.abs(mean)).toBeLessThan(0.03);
    expect(Math.abs(variance - 1)).toBeLessThan(0.05);
    // without the affine map, zeroing alone would not: variance 0.8 for p = 0.2
    expect(meanVar(dropout1d(xf, 0.2, true, gen(14)).mul(0.8)).variance).toBeLessThan(0.85);
  });

  it('backpropagate a to kept elements and 0 to dropped ones; p = 1 gives zeros', () => {
    const { a, dropped } = affine(0.4);
    const x = randn([300], { ...f64, requiresGrad: true });
    const y = alphaDropout(x, 0.4, true, gen(8));
    const [g] = gradients([y.sum()], [x]);
    for (let i = 0; i < 300; i++) expect((g as Tensor).data[i]).toBe(Math.abs(y.data[i] - dropped) < 1e-12 ? 0 : a);
    const z = alphaDropout(x, 1, true, gen(8));
    expect(Array.from(z.data).every((v) => v === 0)).toBe(true);
  });

  it('reproduce with a seeded generator and keep the dtype', () => {
    const x = randn([4, 6, 5]);
    const y1 = featureAlphaDropout(x, 0.5, true, gen(9));
    const y2 = featureAlphaDropout(x, 0.5, true, gen(9));
    const y3 = featureAlphaDropout(x, 0.5, true, gen(10));
    expect(y1.dtype).toBe('float32');
    expect(Array.from(y1.data)).toEqual(Array.from(y2.data));
    expect(Array.from(y1.data)).not.toEqual(Array.from(y3.data));
  });

  it('check p and training', () => {
    expect(() => alphaDropout(randn([3]), -0.1)).toThrow(/alphaDropout: p must be in \[0, 1\]/);
    expect(() => featureAlphaDropout(randn([3, 3]), 0.5, 'yes' as never)).toThrow(
      /featureAlphaDropout: training must be a boolean, got "yes"/,
    );
  });
});

describe('Dropout1d, Dropout3d, AlphaDropout, FeatureAlphaDropout', () => {
  it('drop in training mode, with their generator, and are the identity in eval mode', () => {
    const d1 = new Dropout1d(0.5, { generator: gen(0) });
    const y = d1.forward(ones([4, 6, 3]));
    for (const row of blocks(y, 3)) expect(new Set(row).size).toBe(1);
    expect(Array.from(y.data)).toEqual(Array.from(dropout1d(ones([4, 6, 3]), 0.5, true, gen(0)).data));
    const d3 = new Dropout3d(0.5, { generator: gen(0) });
    for (const vol of blocks(d3.forward(ones([3, 2, 2, 2])), 8)) expect([0, 2]).toContain(vol[0]);
    const x = randn([2, 3, 4, 5, 6]);
    for (const m of [d1, d3, new AlphaDropout(0.3), new FeatureAlphaDropout(0.3)]) {
      const input = m instanceof Dropout1d ? randn([2, 3, 4]) : x;
      expect(m.eval().forward(input)).toBe(input);
      expect(m.train().forward(input)).not.toBe(input);
      expect(m.parameters()).toHaveLength(0);
    }
  });

  it('apply alpha dropout in training mode (the module default), unlike the functional default', () => {
    const { a, b, dropped } = affine(0.2);
    const x = randn([2, 4, 3, 3], f64);
    const y = new FeatureAlphaDropout(0.2, { generator: gen(4) }).forward(x);
    blocks(y, 9).forEach((chan, c) => {
      if (!chan.every((v) => Math.abs(v - dropped) < 1e-12))
        chan.forEach((v, j) => {
          expect(v).toBeCloseTo(a * x.data[c * 9 + j] + b, 12);
        });
    });
    const z = new AlphaDropout(0.2, { generator: gen(4) }).forward(x);
    expect(Array.from(z.data)).toEqual(Array.from(alphaDropout(x, 0.2, true, gen(4)).data));
  });

  it('check p, options and input ranks, naming the layer', () => {
    expect(() => new Dropout1d(2)).toThrow(/Dropout1d: p must be in \[0, 1\], got 2/);
    expect(() => new AlphaDropout(0.5, { seed: 1 } as object)).toThrow(/AlphaDropout: unknown option "seed"/);
    expect(() => new Dropout1d().forward(randn([2, 3, 4, 5]))).toThrow(/Dropout1d\(p=0.5\): expected 3-D/);
    expect(() => new Dropout3d(0.1).forward(randn([2, 3, 4]))).toThrow(ShapeError);
    expect(() => new Dropout3d(0.1).forward([1] as unknown as Tensor)).toThrow(/Dropout3d\(p=0.1\): input must/);
    expect(new FeatureAlphaDropout(0.25).extraRepr()).toBe('p=0.25');
  });
});

describe('ConstantPad1d, ConstantPad3d, ReflectionPad3d, ReplicationPad3d', () => {
  it('ConstantPad1d pads or crops the last dim with the value', () => {
    const x = tensor([[1, 2, 3]], f64);
    expect(new ConstantPad1d([2, 1], 0.5).forward(x).toArray()).toEqual([[0.5, 0.5, 1, 2, 3, 0.5]]);
    expect(new ConstantPad1d(1, -2).forward(x.reshape([1, 1, 3])).toArray()).toEqual([[[-2, 1, 2, 3, -2]]]);
    expect(new ConstantPad1d([-1, 2], 9).forward(x).toArray()).toEqual([[2, 3, 9, 9]]);
    expect(new ConstantPad1d(2, 1.5).extraRepr()).toBe('padding=[2,2], value=1.5');
  });

  it('ConstantPad3d pads the last three dims, keeping the input inside', () => {
    const x = randn([2, 2, 3, 4], f64);
    const y = new ConstantPad3d([1, 0, 2, 1, 0, 3], 7).forward(x);
    expect(y.shape).toEqual([2, 5, 6, 5]);
    const ya = y.toArray() as number[][][][];
    const xa = x.toArray() as number[][][][];
    expect(ya[1][1][2][1]).toBe(xa[1][1][0][0]);
    expect(ya[0][4][5][4]).toBe(7);
    expect(ya[1][2][3][0]).toBe(7);
    let sevens = 0;
    for (const v of y.data) if (v === 7) sevens++;
    expect(sevens).toBe(y.size - x.size);
  });

  it('ReflectionPad3d mirrors each of the last three dims without repeating the edge', () => {
    const w = tensor([1, 2, 3], f64);
    expect(new ReflectionPad3d([2, 1, 0, 0, 0, 0]).forward(w.reshape([1, 1, 1, 3])).data).toEqual(
      new Float64Array([3, 2, 1, 2, 3, 2]),
    );
    expect(new ReflectionPad3d([0, 0, 0, 0, 1, 2]).forward(w.reshape([1, 1, 3, 1, 1])).data).toEqual(
      new Float64Array([2, 1, 2, 3, 2, 1]),
    );
    const x = randn([1, 2, 3, 4, 5], f64);
    const y = new ReflectionPad3d(2).forward(x);
    expect(y.shape).toEqual([1, 2, 7, 8, 9]);
    expect(Array.from(y.data)).toEqual(Array.from(pad(x, [2, 2, 2, 2, 2, 2], { mode: 'reflect' }).data));
  });

  it('ReplicationPad3d repeats the edges, and its gradient sums what each element fed', () => {
    const w = tensor([1, 2, 3], { ...f64, requiresGrad: true });
    const y = new ReplicationPad3d([2, 1, 1, 0, 0, 1]).forward(w.reshape([1, 1, 1, 3]));
    expect(y.shape).toEqual([1, 2, 2, 6]);
    expect(Array.from(y.data)).toEqual(new Array(4).fill([1, 1, 1, 2, 3, 3]).flat());
    const [g] = gradients([y.sum()], [w]);
    expect(Array.from((g as Tensor).data)).toEqual([12, 4, 8]);
  });

  it('check padding, value and the input rank, naming the layer', () => {
    expect(() => new ConstantPad1d([1, 2, 3] as unknown as number, 0)).toThrow(
      /ConstantPad1d: padding must be an integer or a list of 2 integers/,
    );
    expect(() => new ConstantPad3d(1.5, 0)).toThrow(ValueError);
    expect(() => new ConstantPad1d(1, 'x' as unknown as number)).toThrow(/ConstantPad1d: value must be a number/);
    expect(() => new ReflectionPad3d(1).forward(randn([3, 4, 5]))).toThrow(
      /ReflectionPad3d: expected a 4-D or 5-D input, got shape \[3,4,5\]/,
    );
    expect(() => new ConstantPad1d(1, 0).forward(randn([5]))).toThrow(ShapeError);
    expect(() => new ReflectionPad3d(3).forward(randn([1, 3, 3, 3]))).toThrow(/reflect padding \[3, 3\]/);
    expect(new ReplicationPad3d(1).extraRepr()).toBe('padding=[1,1,1,1,1,1]');
  });
});

describe("PyTorch 2.1's ZeroPad1d, ZeroPad3d, CircularPad1d/2d/3d, and Softmax2d", () => {
  it('ZeroPad1d and ZeroPad3d pad with zeros or crop', () => {
    const x = tensor([[1, 2, 3]]);
    expect(new ZeroPad1d([1, 2]).forward(x).toArray()).toEqual([[0, 1, 2, 3, 0, 0]]);
    expect(new ZeroPad1d([-1, 1]).forward(x).toArray()).toEqual([[2, 3, 0]]);
    const y = new ZeroPad3d([1, 0, 0, 0, 0, 1]).forward(ones([1, 1, 1, 1]));
    expect(y.shape).toEqual([1, 2, 1, 2]);
    expect(Array.from(y.data)).toEqual([0, 1, 0, 0]);
    expect(new ZeroPad1d(2).extraRepr()).toBe('padding=[2,2]');
  });

  it('CircularPad1d wraps around, and its gradient sums every copy of an element', () => {
    const w = tensor([1, 2, 3], { ...f64, requiresGrad: true });
    const y = new CircularPad1d([2, 1]).forward(w.reshape([1, 3]));
    expect(y.toArray()).toEqual([[2, 3, 1, 2, 3, 1]]);
    const [g] = gradients([y.mul(tensor([1, 10, 100, 1000, 10000, 100000], f64)).sum()], [w]);
    // element 1 feeds positions 2 and 5, element 2 positions 0 and 3, element 3 positions 1 and 4
    expect(Array.from((g as Tensor).data)).toEqual([100100, 1001, 10010]);
  });

  it('CircularPad2d and CircularPad3d wrap each padded dim, batched or not', () => {
    const x = tensor([
      [1, 2],
      [3, 4],
    ]).reshape([1, 2, 2]);
    expect(new CircularPad2d([1, 0, 0, 1]).forward(x).toArray()).toEqual([
      [
        [2, 1, 2],
        [4, 3, 4],
        [2, 1, 2],
      ],
    ]);
    expect(new CircularPad3d(1).forward(randn([2, 1, 2, 3, 2])).shape).toEqual([2, 1, 4, 5, 4]);
    expect(new CircularPad3d([0, 0, 0, 0, 1, 1]).forward(x.reshape([1, 1, 2, 2])).shape).toEqual([1, 3, 2, 2]);
  });

  it('check the padding against the input, naming the layer', () => {
    expect(() => new CircularPad1d(4).forward(randn([1, 3]))).toThrow(/circular padding \[4, 4\]/);
    expect(() => new CircularPad2d(1).forward(randn([4, 4]))).toThrow(
      /CircularPad2d: expected a 3-D or 4-D input, got shape \[4,4\]/,
    );
    expect(() => new ZeroPad3d([1, 2] as unknown as number)).toThrow(/ZeroPad3d: padding must be an integer/);
  });

  it('Softmax2d normalises over the channels at every position, and refuses other ranks', () => {
    const x = randn([2, 3, 2, 2]);
    const y = new Softmax2d().forward(x);
    const sums = y.sum(1);
    for (const v of sums.data) expect(v).toBeCloseTo(1, 6);
    const one = randn([3, 2, 2]);
    expect(Array.from(new Softmax2d().forward(one).data)).toEqual(
      Array.from(new Softmax2d().forward(one.reshape([1, 3, 2, 2])).data),
    );
    expect(() => new Softmax2d().forward(randn([3, 4]))).toThrow(
      /Softmax2d: expected a 3-D \[C, H, W\] or 4-D \[N, C, H, W\] input, got shape \[3,4\]/,
    );
  });
});
