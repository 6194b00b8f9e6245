import {
  arange,
  DTypeError,
  Generator,
  gradcheck,
  IndexError,
  manualSeed,
  randn,
  ShapeError,
  type Tensor,
  tensor,
  ValueError,
  zeros,
} from '@nablajs/core';
import { describe, expect, it } from 'vitest';
import { ELU, GELU, LeakyReLU, LogSoftmax, ReLU, Sigmoid, SiLU, Softmax, Softplus, Tanh } from './layers/activations';
import { Conv1d, Conv2d } from './layers/conv';
import { Dropout } from './layers/dropout';
import { Embedding } from './layers/embedding';
import { Flatten, Unflatten } from './layers/flatten';
import { Identity } from './layers/identity';
import { Linear } from './layers/linear';
import { AdaptiveAvgPool2d, AvgPool2d, MaxPool2d } from './layers/pooling';

const f64 = (shape: number[], seed: number, requiresGrad = false): Tensor =>
  randn(shape, { dtype: 'float64', generator: new Generator(seed), requiresGrad });

function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tol = 1e-12): void {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    const err = Math.abs(actual[i] - expected[i]);
    if (!(err <= tol * Math.max(1, Math.abs(expected[i]))))
      throw new Error(`element ${i}: got ${actual[i]}, expected ${expected[i]} (error ${err})`);
  }
}

function stats(data: ArrayLike<number>): { mean: number; std: number; min: number; max: number } {
  let s = 0;
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < data.length; i++) {
    s += data[i];
    min = Math.min(min, data[i]);
    max = Math.max(max, data[i]);
  }
  const mean = s / data.length;
  let v = 0;
  for (let i = 0; i < data.length; i++) v += (data[i] - mean) ** 2;
  return { mean, std: Math.sqrt(v / data.length), min, max };
}

/** Naive NCHW cross-correlation with explicit [top, bottom, left, right] zero padding. */
function conv2dRef(
  x: Tensor,
  w: Tensor,
  b: Tensor | null,
  stride: [number, number],
  pads: [number, number, number, number],
  dilation: [number, number],
  groups: number,
): { data: number[]; shape: number[] } {
  const [n, c, h, wd] = x.shape;
  const [o, cg, kh, kw] = w.shape;
  const [top, bottom, left, right] = pads;
  const oh = Math.floor((h + top + bottom - dilation[0] * (kh - 1) - 1) / stride[0]) + 1;
  const ow = Math.floor((wd + left + right - dilation[1] * (kw - 1) - 1) / stride[1]) + 1;
  const og = o / groups;
  const out: number[] = [];
  for (let ni = 0; ni < n; ni++)
    for (let oi = 0; oi < o; oi++)
      for (let y = 0; y < oh; y++)
        for (let xx = 0; xx < ow; xx++) {
          let s = b === null ? 0 : b.data[oi];
          const g = Math.floor(oi / og);
          for (let ci = 0; ci < cg; ci++)
            for (let i = 0; i < kh; i++)
              for (let j = 0; j < kw; j++) {
                const r = y * stride[0] + i * dilation[0] - top;
                const col = xx * stride[1] + j * dilation[1] - left;
                if (r < 0 || r >= h || col < 0 || col >= wd) continue;
                const cin = g * cg + ci;
                s += x.data[((ni * c + cin) * h + r) * wd + col] * w.data[((oi * cg + ci) * kh + i) * kw + j];
              }
          out.push(s);
        }
  return { data: out, shape: [n, o, oh, ow] };
}

describe('Linear', () => {
  it('computes x Wᵀ + b (checked with plain loops)', () => {
    const fc = new Linear(3, 4, { dtype: 'float64', generator: new Generator(1) });
    const x = f64([2, 5, 3], 2);
    const y = fc.forward(x);
    expect(y.shape).toEqual([2, 5, 4]);
    const expected: number[] = [];
    for (let r = 0; r < 10; r++)
      for (let o = 0; o < 4; o++) {
        let s = fc.bias?.data[o] ?? 0;
        for (let i = 0; i < 3; i++) s += x.data[r * 3 + i] * fc.weight.data[o * 3 + i];
        expected.push(s);
      }
    expectClose(y.data, expected);
    const noBias = new Linear(3, 4, { bias: false, dtype: 'float64', generator: new Generator(1) });
    expect(noBias.bias).toBeNull();
    expect(noBias.namedParameters().map(([n]) => n)).toEqual(['weight']);
    expectClose(
      noBias.forward(x).data,
      expected.map((v, k) => v - (fc.bias?.data[k % 4] ?? 0)),
    );
  });

  it('is initialised in U(-1/√inFeatures, 1/√inFeatures) for weight and bias, like PyTorch', () => {
    const fc = new Linear(50, 400, { generator: new Generator(3) });
    const bound = 1 / Math.sqrt(50);
    const w = stats(fc.weight.data);
    expect(w.min).toBeGreaterThanOrEqual(-bound);
    expect(w.max).toBeLessThanOrEqual(bound);
    expect(w.max).toBeGreaterThan(0.99 * bound);
    expect(w.min).toBeLessThan(-0.99 * bound);
    expect(Math.abs(w.std - bound / Math.sqrt(3))).toBeLessThan(0.02 * bound);
    const b = stats(fc.bias?.data ?? []);
    expect(b.min).toBeGreaterThanOrEqual(-bound);
    expect(b.max).toBeLessThanOrEqual(bound);
    expect(b.max - b.min).toBeGreaterThan(1.8 * bound);
  });

  it('is reproducible from a seed: same generator seed or manualSeed -> same weights', () => {
    const a = new Linear(6, 5, { generator: new Generator(7) });
    const b = new Linear(6, 5, { generator: new Generator(7) });
    const c = new Linear(6, 5, { generator: new Generator(8) });
    expect(Array.from(a.weight.data)).toEqual(Array.from(b.weight.data));
    expect(Array.from(a.bias?.data ?? [])).toEqual(Array.from(b.bias?.data ?? []));
    expect(Array.from(a.weight.data)).not.toEqual(Array.from(c.weight.data));
    manualSeed(11);
    const d = new Linear(6, 5);
    manualSeed(11);
    const e = new Linear(6, 5);
    const f = new Linear(6, 5);
    expect(Array.from(d.weight.data)).toEqual(Array.from(e.weight.data));
    expect(Array.from(e.weight.data)).not.toEqual(Array.from(f.weight.data));
  });

  it('passes gradcheck with respect to input, weight and bias (float64)', () => {
    const fc = new Linear(3, 2, { dtype: 'float64', generator: new Generator(4) });
    const x = f64([4, 3], 5, true);
    expect(gradcheck((xi: Tensor) => fc.forward(xi), [x, fc.weight, fc.bias as Tensor])).toBe(true);
  });

  it('names itself and the shapes when the input does not fit', () => {
    const fc = new Linear(4, 8);
    expect(() => fc.forward(zeros([2, 5]))).toThrow(ShapeError);
    expect(() => fc.forward(zeros([2, 5]))).toThrow(
      'Linear(4, 8): input has 5 features in its last dimension, expected 4 (input shape [2,5])',
    );
    expect(() => new Linear(0, 3)).toThrow(/Linear\(0, 3\): inFeatures must be an integer >= 1, got 0/);
    expect(() => new Linear(2, 3, { dtype: 'int32' as 'float32' })).toThrow(ValueError);
  });

  it('does not mutate its input', () => {
    const fc = new Linear(2, 2);
    const x = tensor([[1, 2]]);
    fc.forward(x).sum().backward();
    expect(Array.from(x.data)).toEqual([1, 2]);
  });
});

describe('Conv2d', () => {
  it('matches a naive cross-correlation with stride, padding, dilation and groups', () => {
    const conv = new Conv2d(4, 6, [3, 2], {
      stride: [2, 1],
      padding: [1, 2],
      dilation: [1, 2],
      groups: 2,
      dtype: 'float64',
      generator: new Generator(1),
    });
    expect(conv.weight.shape).toEqual([6, 2, 3, 2]);
    const x = f64([2, 4, 7, 6], 2);
    const y = conv.forward(x);
    const ref = conv2dRef(x, conv.weight, conv.bias, [2, 1], [1, 1, 2, 2], [1, 2], 2);
    expect(y.shape).toEqual(ref.shape);
    expectClose(y.data, ref.data);
    const single = conv.forward(f64([4, 7, 6], 2));
    expect(single.shape).toEqual(ref.shape.slice(1));
    expectClose(single.data, ref.data.slice(0, single.size));
  });

  it("keeps the spatial size with padding 'same', also for even kernels (extra zeros at the end)", () => {
    const conv = new Conv2d(2, 3, 4, { padding: 'same', dtype: 'float64', generator: new Generator(3) });
    const x = f64([1, 2, 5, 6], 4);
    const y = conv.forward(x);
    expect(y.shape).toEqual([1, 3, 5, 6]);
    expectClose(y.data, conv2dRef(x, conv.weight, conv.bias, [1, 1], [1, 2, 1, 2], [1, 1], 1).data);
    const odd = new Conv2d(2, 3, 3, { padding: 'same', dilation: 2, dtype: 'float64', generator: new Generator(3) });
    expectClose(odd.forward(x).data, conv2dRef(x, odd.weight, odd.bias, [1, 1], [2, 2, 2, 2], [2, 2], 1).data);
    expect(() => new Conv2d(2, 3, 3, { padding: 'same', stride: 2 })).toThrow(/'same' is not supported for strided/);
    expect(new Conv2d(2, 3, 3, { padding: 'valid' }).forward(randn([1, 2, 5, 6])).shape).toEqual([1, 3, 3, 4]);
  });

  it('is initialised in U(±1/√fanIn) with fanIn = inChannels/groups · kH · kW', () => {
    const conv = new Conv2d(8, 64, 3, { groups: 2, generator: new Generator(5) });
    const bound = 1 / Math.sqrt(4 * 9);
    const w = stats(conv.weight.data);
    expect(w.min).toBeGreaterThanOrEqual(-bound);
    expect(w.max).toBeLessThanOrEqual(bound);
    expect(w.max).toBeGreaterThan(0.98 * bound);
    expect(Math.abs(w.std - bound / Math.sqrt(3))).toBeLessThan(0.03 * bound);
    const b = stats(conv.bias?.data ?? []);
    expect(b.max).toBeLessThanOrEqual(bound);
    expect(b.min).toBeGreaterThanOrEqual(-bound);
    const again = new Conv2d(8, 64, 3, { groups: 2, generator: new Generator(5) });
    expect(Array.from(again.weight.data)).toEqual(Array.from(conv.weight.data));
  });

  it('passes gradcheck with respect to input, weight and bias (float64)', () => {
    const conv = new Conv2d(2, 4, 3, {
      stride: 2,
      padding: 1,
      groups: 2,
      dtype: 'float64',
      generator: new Generator(6),
    });
    const x = f64([2, 2, 5, 5], 7, true);
    expect(gradcheck((xi: Tensor) => conv.forward(xi), [x, conv.weight, conv.bias as Tensor])).toBe(true);
  });

  it('rejects inputs of the wrong rank or channel count, naming the layer and the shape', () => {
    const conv = new Conv2d(3, 8, 3);
    expect(() => conv.forward(zeros([4, 8, 8]))).toThrow(
      'Conv2d(3, 8, kernelSize=[3,3]): input has 4 channels, expected 3 (input shape [4,8,8])',
    );
    expect(() => conv.forward(zeros([1, 4, 8, 8]))).toThrow(/input has 4 channels, expected 3/);
    expect(() => conv.forward(zeros([8, 8]))).toThrow(
      'Conv2d(3, 8, kernelSize=[3,3]): expected a 3-D [C, H, W] or 4-D [N, C, H, W] input, got shape [8,8]',
    );
    expect(() => new Conv2d(3, 8, 3, { groups: 2 })).toThrow(/inChannels \(3\) must be divisible by groups \(2\)/);
    expect(() => new Conv2d(3, 8, 0)).toThrow(/kernelSize must be an integer >= 1/);
  });
});

describe('Conv1d', () => {
  it('matches a naive 1-D cross-correlation', () => {
    const conv = new Conv1d(4, 6, 3, {
      stride: 2,
      padding: 2,
      dilation: 2,
      groups: 2,
      dtype: 'float64',
      generator: new Generator(1),
    });
    expect(conv.weight.shape).toEqual([6, 2, 3]);
    const x = f64([2, 4, 11], 2);
    const y = conv.forward(x);
    const L = Math.floor((11 + 4 - 2 * 2 - 1) / 2) + 1;
    expect(y.shape).toEqual([2, 6, L]);
    const expected: number[] = [];
    for (let n = 0; n < 2; n++)
      for (let o = 0; o < 6; o++)
        for (let t = 0; t < L; t++) {
          let s = conv.bias?.data[o] ?? 0;
          const g = Math.floor(o / 3);
          for (let ci = 0; ci < 2; ci++)
            for (let k = 0; k < 3; k++) {
              const pos = t * 2 + k * 2 - 2;
              if (pos < 0 || pos >= 11) continue;
              s += x.data[(n * 4 + g * 2 + ci) * 11 + pos] * conv.weight.data[(o * 2 + ci) * 3 + k];
            }
          expected.push(s);
        }
    expectClose(y.data, expected);
    expect(conv.forward(f64([4, 11], 2)).shape).toEqual([6, L]);
  });

  it("supports padding 'same' and is initialised in U(±1/√fanIn)", () => {
    const conv = new Conv1d(3, 2, 4, { padding: 'same', dtype: 'float64', generator: new Generator(3) });
    expect(conv.forward(f64([1, 3, 9], 1)).shape).toEqual([1, 2, 9]);
    const big = new Conv1d(10, 200, 5, { generator: new Generator(4) });
    const bound = 1 / Math.sqrt(50);
    const w = stats(big.weight.data);
    expect(w.max).toBeLessThanOrEqual(bound);
    expect(w.min).toBeGreaterThanOrEqual(-bound);
    expect(w.max).toBeGreaterThan(0.99 * bound);
  });

  it('passes gradcheck and rejects mismatched channels', () => {
    const conv = new Conv1d(2, 3, 3, { padding: 1, dtype: 'float64', generator: new Generator(8) });
    const x = f64([2, 2, 6], 9, true);
    expect(gradcheck((xi: Tensor) => conv.forward(xi), [x, conv.weight, conv.bias as Tensor])).toBe(true);
    expect(() => conv.forward(zeros([2, 3, 6]))).toThrow(
      'Conv1d(2, 3, kernelSize=3): input has 3 channels, expected 2 (input shape [2,3,6])',
    );
  });
});

describe('pooling layers', () => {
  it('MaxPool2d and AvgPool2d pool 2x2 windows by default stride = kernel size', () => {
    const x = arange(0, 16, 1, { dtype: 'float64' }).reshape([1, 1, 4, 4]);
    expect(new MaxPool2d(2).forward(x).toArray()).toEqual([
      [
        [
          [5, 7],
          [13, 15],
        ],
      ],
    ]);
    expect(new AvgPool2d(2).forward(x).toArray()).toEqual([
      [
        [
          [2.5, 4.5],
          [10.5, 12.5],
        ],
      ],
    ]);
    expect(new MaxPool2d(3, { stride: 1 }).forward(x).toArray()).toEqual([
      [
        [
          [10, 11],
          [14, 15],
        ],
      ],
    ]);
  });

  it('AvgPool2d with padding counts the padded zeros unless countIncludePad is false', () => {
    const x = arange(0, 16, 1, { dtype: 'float64' }).reshape([1, 4, 4]).add(1);
    const incl = new AvgPool2d(3, { stride: 2, padding: 1 }).forward(x);
    const excl = new AvgPool2d(3, { stride: 2, padding: 1, countIncludePad: false }).forward(x);
    // top-left window covers rows 0-1, cols 0-1 of x: 1 + 2 + 5 + 6 = 14
    expect(incl.shape).toEqual([1, 2, 2]);
    expect(incl.data[0]).toBeCloseTo(14 / 9, 12);
    expect(excl.data[0]).toBeCloseTo(14 / 4, 12);
    // bottom-right window covers rows 1-3, cols 1-3: 6+7+8+10+11+12+14+15+16 = 99
    expect(incl.data[3]).toBeCloseTo(99 / 9, 12);
  });

  it('MaxPool2d passes gradcheck; pooling layers reject 2-D inputs', () => {
    const x = f64([1, 2, 5, 5], 3, true);
    expect(gradcheck((xi: Tensor) => new MaxPool2d(3, { stride: 2, padding: 1 }).forward(xi), [x])).toBe(true);
    expect(gradcheck((xi: Tensor) => new AvgPool2d(2, { stride: 1 }).forward(xi), [x])).toBe(true);
    expect(() => new MaxPool2d(2).forward(zeros([4, 4]))).toThrow(
      'MaxPool2d(2): expected a 3-D [C, H, W] or 4-D [N, C, H, W] input, got shape [4,4]',
    );
    expect(() => new AvgPool2d([2, 0])).toThrow(/kernelSize must be an integer >= 1 or a pair/);
  });

  function adaptiveRef(x: Tensor, oh: number, ow: number): number[] {
    const [n, c, h, w] = x.shape;
    const out: number[] = [];
    for (let p = 0; p < n * c; p++)
      for (let i = 0; i < oh; i++)
        for (let j = 0; j < ow; j++) {
          const r0 = Math.floor((i * h) / oh);
          const r1 = Math.ceil(((i + 1) * h) / oh);
          const c0 = Math.floor((j * w) / ow);
          const c1 = Math.ceil(((j + 1) * w) / ow);
          let s = 0;
          for (let r = r0; r < r1; r++) for (let col = c0; col < c1; col++) s += x.data[p * h * w + r * w + col];
          out.push(s / ((r1 - r0) * (c1 - c0)));
        }
    return out;
  }

  it('AdaptiveAvgPool2d averages PyTorch windows [floor(i·H/out), ceil((i+1)·H/out))', () => {
    const x = f64([2, 3, 5, 7], 1);
    const y = new AdaptiveAvgPool2d([3, 4]).forward(x);
    expect(y.shape).toEqual([2, 3, 3, 4]);
    expectClose(y.data, adaptiveRef(x, 3, 4));
    // by hand: the first window of a 5-row input pooled to 3 rows covers rows 0-1, the second rows 1-3
    const col = tensor([1, 2, 3, 4, 5], { dtype: 'float64' }).reshape([1, 1, 5, 1]);
    expect(new AdaptiveAvgPool2d([3, 1]).forward(col).toArray()).toEqual([[[[1.5], [3], [4.5]]]]);
    expectClose(new AdaptiveAvgPool2d([7, 9]).forward(x).data, adaptiveRef(x, 7, 9));
    const global = new AdaptiveAvgPool2d(1).forward(x);
    expect(global.shape).toEqual([2, 3, 1, 1]);
    expectClose(global.data, adaptiveRef(x, 1, 1));
    expect(new AdaptiveAvgPool2d([2, null]).forward(x).shape).toEqual([2, 3, 2, 7]);
    expect(new AdaptiveAvgPool2d(2).forward(f64([3, 4, 4], 2)).shape).toEqual([3, 2, 2]);
  });

  it('AdaptiveAvgPool2d passes gradcheck and rejects bad sizes', () => {
    const x = f64([1, 2, 5, 7], 4, true);
    expect(gradcheck((xi: Tensor) => new AdaptiveAvgPool2d([3, 4]).forward(xi), [x])).toBe(true);
    expect(() => new AdaptiveAvgPool2d(0)).toThrow(/outputSize must be a positive integer/);
    expect(() => new AdaptiveAvgPool2d(2).forward(zeros([5]))).toThrow(/AdaptiveAvgPool2d\(\[2,2\]\): expected a 3-D/);
  });
});

describe('Embedding', () => {
  it('looks up rows for int32 indices of any shape', () => {
    const emb = new Embedding(5, 3, { dtype: 'float64', generator: new Generator(1) });
    const idx = tensor(
      [
        [4, 0],
        [2, 4],
      ],
      { dtype: 'int32' },
    );
    const y = emb.forward(idx);
    expect(y.shape).toEqual([2, 2, 3]);
    const rows = [4, 0, 2, 4];
    expectClose(
      y.data,
      rows.flatMap((r) => Array.from(emb.weight.data.slice(r * 3, r * 3 + 3))),
    );
  });

  it('is initialised from N(0, 1) with the padding row zeroed, and seeded', () => {
    const emb = new Embedding(100, 50, { paddingIdx: -1, generator: new Generator(2) });
    expect(emb.paddingIdx).toBe(99);
    expect(Array.from(emb.weight.data.slice(99 * 50))).toEqual(new Array(50).fill(0));
    const s = stats(emb.weight.data.slice(0, 99 * 50));
    expect(Math.abs(s.mean)).toBeLessThan(0.05);
    expect(Math.abs(s.std - 1)).toBeLessThan(0.03);
    const again = new Embedding(100, 50, { paddingIdx: -1, generator: new Generator(2) });
    expect(Array.from(again.weight.data)).toEqual(Array.from(emb.weight.data));
  });

  it('gives the padding row a zero gradient and accumulates repeated indices', () => {
    const emb = new Embedding(4, 2, { paddingIdx: 1, dtype: 'float64', generator: new Generator(3) });
    emb.weight.data[2] = 5; // the padding row still comes back from the forward pass
    const idx = tensor([1, 3, 3, 1, 0], { dtype: 'int32' });
    const y = emb.forward(idx);
    expect(y.data[0]).toBe(5);
    y.mul(
      tensor(
        [
          [1, 2],
          [3, 4],
          [5, 6],
          [7, 8],
          [9, 10],
        ],
        { dtype: 'float64' },
      ),
    )
      .sum()
      .backward();
    expect(emb.weight.grad?.toArray()).toEqual([
      [9, 10],
      [0, 0],
      [0, 0],
      [8, 10],
    ]);
  });

  it('passes gradcheck with respect to the weight', () => {
    const emb = new Embedding(4, 3, { dtype: 'float64', generator: new Generator(4) });
    const idx = tensor(
      [
        [0, 2],
        [2, 3],
      ],
      { dtype: 'int32' },
    );
    expect(gradcheck(() => emb.forward(idx), [emb.weight])).toBe(true);
  });

  it('rejects bad indices and options, naming the layer and the index', () => {
    const emb = new Embedding(10, 3);
    expect(() => emb.forward(tensor([[1, 12, 2]], { dtype: 'int32' }))).toThrow(IndexError);
    expect(() => emb.forward(tensor([[1, 12, 2]], { dtype: 'int32' }))).toThrow(
      'Embedding(10, 3): index 12 is out of range for 10 embeddings (expected [0, 10); input shape [1,3])',
    );
    expect(() => emb.forward(tensor([-1], { dtype: 'int32' }))).toThrow(/index -1 is out of range/);
    expect(() => emb.forward(tensor([1, 2]))).toThrow(DTypeError);
    expect(() => emb.forward(tensor([1, 2]))).toThrow(
      /Embedding\(10, 3\): input must be an int32 tensor of indices, got float32/,
    );
    expect(() => new Embedding(10, 3, { paddingIdx: 10 })).toThrow(
      /paddingIdx must be an integer in \[-10, 10\), got 10/,
    );
  });

  it('fromPretrained copies the table and freezes it by default', () => {
    const table = tensor([
      [1, 2],
      [3, 4],
    ]);
    const emb = Embedding.fromPretrained(table);
    expect(emb.weight.requiresGrad).toBe(false);
    expect(emb.forward(tensor([1], { dtype: 'int32' })).toArray()).toEqual([[3, 4]]);
    emb.weight.data[0] = 7;
    expect(table.data[0]).toBe(1);
    expect(Embedding.fromPretrained(table, { freeze: false }).weight.requiresGrad).toBe(true);
  });
});

describe('Dropout', () => {
  it('zeroes elements with probability p and scales the rest by 1/(1-p) in training', () => {
    const drop = new Dropout(0.25, { generator: new Generator(1) });
    const x = randn([4000], { dtype: 'float64', generator: new Generator(2), requiresGrad: true });
    const y = drop.forward(x);
    let zeros = 0;
    for (let i = 0; i < x.size; i++) {
      if (y.data[i] === 0) zeros++;
      else expect(y.data[i]).toBeCloseTo(x.data[i] / 0.75, 12);
    }
    expect(zeros / x.size).toBeGreaterThan(0.22);
    expect(zeros / x.size).toBeLessThan(0.28);
    y.sum().backward();
    for (let i = 0; i < x.size; i++) expect(x.grad?.data[i]).toBe(y.data[i] === 0 ? 0 : 1 / 0.75);
  });

  it('is the identity in eval mode and for p = 0, and reproducible from a seed', () => {
    const x = randn([50], { generator: new Generator(3) });
    const drop = new Dropout(0.5, { generator: new Generator(4) });
    drop.eval();
    expect(drop.forward(x)).toBe(x);
    expect(new Dropout(0).forward(x)).toBe(x);
    drop.train();
    const a = drop.forward(x);
    const b = new Dropout(0.5, { generator: new Generator(4) }).forward(x);
    const c = drop.forward(x);
    expect(Array.from(a.data)).toEqual(Array.from(b.data));
    expect(Array.from(a.data)).not.toEqual(Array.from(c.data));
    expect(Array.from(new Dropout(1).forward(x).data).every((v) => v === 0)).toBe(true);
  });

  it('rejects p outside [0, 1]', () => {
    expect(() => new Dropout(-0.1)).toThrow(ValueError);
    expect(() => new Dropout(-0.1)).toThrow('Dropout: p must be in [0, 1], got -0.1');
    expect(() => new Dropout(1.5)).toThrow('Dropout: p must be in [0, 1], got 1.5');
  });
});

describe('activation layers', () => {
  const xs = [-2, -0.5, 0.3, 1.7];
  const x = () => tensor(xs, { dtype: 'float64' });
  const sig = (v: number) => 1 / (1 + Math.exp(-v));

  it('compute their closed forms', () => {
    expectClose(
      new ReLU().forward(x()).data,
      xs.map((v) => Math.max(0, v)),
    );
    expectClose(
      new LeakyReLU(0.2).forward(x()).data,
      xs.map((v) => (v >= 0 ? v : 0.2 * v)),
    );
    expectClose(
      new ELU(1.5).forward(x()).data,
      xs.map((v) => (v > 0 ? v : 1.5 * Math.expm1(v))),
    );
    expectClose(
      new SiLU().forward(x()).data,
      xs.map((v) => v * sig(v)),
    );
    expectClose(new Sigmoid().forward(x()).data, xs.map(sig));
    expectClose(new Tanh().forward(x()).data, xs.map(Math.tanh));
    expectClose(
      new GELU('tanh').forward(x()).data,
      xs.map((v) => 0.5 * v * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (v + 0.044715 * v ** 3)))),
    );
    // exact GELU at 1 is 0.5·(1 + erf(1/√2)) = Φ(1)
    expect(new GELU().forward(tensor([1], { dtype: 'float64' })).item()).toBeCloseTo(0.8413447460685429, 7);
    expectClose(
      new Softplus(2, 3).forward(x()).data,
      xs.map((v) => (2 * v > 3 ? v : Math.log1p(Math.exp(2 * v)) / 2)),
    );
    const m = tensor(
      [
        [1, 2],
        [3, 5],
      ],
      { dtype: 'float64' },
    );
    const e = [
      [Math.exp(1), Math.exp(2)],
      [Math.exp(3), Math.exp(5)],
    ];
    expectClose(new Softmax(0).forward(m).data, [
      e[0][0] / (e[0][0] + e[1][0]),
      e[0][1] / (e[0][1] + e[1][1]),
      e[1][0] / (e[0][0] + e[1][0]),
      e[1][1] / (e[0][1] + e[1][1]),
    ]);
    expectClose(new LogSoftmax().forward(m).data, [
      1 - Math.log(e[0][0] + e[0][1]),
      2 - Math.log(e[0][0] + e[0][1]),
      3 - Math.log(e[1][0] + e[1][1]),
      5 - Math.log(e[1][0] + e[1][1]),
    ]);
  });

  it('pass gradcheck away from kinks', () => {
    const layers = [
      new ReLU(),
      new LeakyReLU(0.1),
      new ELU(),
      new GELU(),
      new GELU('tanh'),
      new SiLU(),
      new Sigmoid(),
      new Tanh(),
      new Softplus(),
      new Softmax(1),
      new LogSoftmax(0),
    ];
    for (const layer of layers) {
      const input = tensor(
        [
          [-1.3, 0.4, 2.1],
          [0.7, -0.2, 1.1],
        ],
        { dtype: 'float64', requiresGrad: true },
      );
      expect(gradcheck((xi: Tensor) => layer.forward(xi), [input])).toBe(true);
    }
  });

  it('print their settings and validate them', () => {
    expect(String(new LeakyReLU(0.2))).toBe('LeakyReLU(negativeSlope=0.2)');
    expect(String(new GELU('tanh'))).toBe('GELU(approximate="tanh")');
    expect(String(new Softmax(1))).toBe('Softmax(axis=1)');
    expect(() => new GELU('fast' as 'tanh')).toThrow(/GELU: approximate must be 'none' or 'tanh'/);
    expect(() => new Softmax(0.5)).toThrow(/Softmax: axis must be an integer/);
    expect(() => new ReLU().forward([1, 2] as unknown as Tensor)).toThrow(/ReLU: input must be a Tensor/);
  });
});

describe('Identity, Flatten and Unflatten', () => {
  it('Identity returns its input', () => {
    const x = tensor([1, 2]);
    expect(new Identity().forward(x)).toBe(x);
  });

  it('Flatten keeps the batch dimension by default', () => {
    const x = arange(120).reshape([2, 3, 4, 5]);
    const y = new Flatten().forward(x);
    expect(y.shape).toEqual([2, 60]);
    expect(Array.from(y.data)).toEqual(Array.from(x.data));
    expect(new Flatten(0, 1).forward(x).shape).toEqual([6, 4, 5]);
    expect(new Flatten(-2).forward(x).shape).toEqual([2, 3, 20]);
    expect(() => new Flatten().forward(tensor([1, 2]))).toThrow(
      'Flatten(startDim=1, endDim=-1): dimensions out of range for an input of shape [2]',
    );
  });

  it('Unflatten splits a dimension, inferring one -1', () => {
    const x = arange(36).reshape([3, 12]);
    expect(new Unflatten(1, [2, 6]).forward(x).shape).toEqual([3, 2, 6]);
    expect(new Unflatten(-1, [-1, 3]).forward(x).shape).toEqual([3, 4, 3]);
    expect(() => new Unflatten(1, [5, 2]).forward(x)).toThrow(
      'Unflatten(1, [5,2]): dimension 1 has size 12 but the sizes [5,2] multiply to 10 (input shape [3,12])',
    );
    expect(() => new Unflatten(1, [-1, -1])).toThrow(/at most one -1/);
  });
});
