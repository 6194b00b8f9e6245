import { Generator, gradcheck, randn, ShapeError, type Tensor, tensor, ValueError } from '@nablajs/core';
import { describe, expect, it } from 'vitest';
import { normal } from './init';
import { BatchNorm1d, BatchNorm2d } from './layers/batch-norm';
import { Dropout } from './layers/dropout';
import { LayerNorm } from './layers/layer-norm';
import { Linear } from './layers/linear';
import { Sequential } from './sequential';

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

/** Per-channel mean, biased and unbiased variance of x viewed as [N, C, S]. */
function channelStats(x: Tensor): { mean: number[]; biased: number[]; unbiased: number[] } {
  const [n, c] = x.shape;
  const s = x.size / (n * c);
  const mean: number[] = [];
  const biased: number[] = [];
  const unbiased: number[] = [];
  for (let ch = 0; ch < c; ch++) {
    const vals: number[] = [];
    for (let i = 0; i < n; i++) for (let k = 0; k < s; k++) vals.push(x.data[(i * c + ch) * s + k]);
    const m = vals.reduce((a, b) => a + b, 0) / vals.length;
    const ss = vals.reduce((a, b) => a + (b - m) ** 2, 0);
    mean.push(m);
    biased.push(ss / vals.length);
    unbiased.push(ss / (vals.length - 1));
  }
  return { mean, biased, unbiased };
}

function normalizeRef(
  x: Tensor,
  mean: number[],
  variance: number[],
  eps: number,
  w?: Tensor | null,
  b?: Tensor | null,
): number[] {
  const [n, c] = x.shape;
  const s = x.size / (n * c);
  const out: number[] = [];
  for (let i = 0; i < n; i++)
    for (let ch = 0; ch < c; ch++)
      for (let k = 0; k < s; k++) {
        const v = (x.data[(i * c + ch) * s + k] - mean[ch]) / Math.sqrt(variance[ch] + eps);
        out.push(v * (w ? w.data[ch] : 1) + (b ? b.data[ch] : 0));
      }
  return out;
}

describe('LayerNorm', () => {
  it('normalises over the trailing dimensions with the biased variance', () => {
    const ln = new LayerNorm([2, 3], { dtype: 'float64' });
    normal(ln.weight as Tensor, 1, 0.5, { generator: new Generator(1) });
    normal(ln.bias as Tensor, 0, 0.5, { generator: new Generator(2) });
    const x = f64([4, 2, 3], 3);
    const y = ln.forward(x);
    const expected: number[] = [];
    for (let r = 0; r < 4; r++) {
      const row = Array.from(x.data.slice(r * 6, r * 6 + 6));
      const m = row.reduce((a, b) => a + b, 0) / 6;
      const v = row.reduce((a, b) => a + (b - m) ** 2, 0) / 6;
      for (let k = 0; k < 6; k++)
        expected.push(((row[k] - m) / Math.sqrt(v + 1e-5)) * (ln.weight?.data[k] ?? 1) + (ln.bias?.data[k] ?? 0));
    }
    expectClose(y.data, expected);
  });

  it('starts with weight 1 and bias 0, and can have no affine parameters', () => {
    const ln = new LayerNorm(5);
    expect(Array.from(ln.weight?.data ?? [])).toEqual([1, 1, 1, 1, 1]);
    expect(Array.from(ln.bias?.data ?? [])).toEqual([0, 0, 0, 0, 0]);
    expect(new LayerNorm(5, { bias: false }).namedParameters().map(([n]) => n)).toEqual(['weight']);
    const plain = new LayerNorm(5, { elementwiseAffine: false });
    expect(plain.parameters()).toEqual([]);
    const y = plain.forward(tensor([[1, 2, 3, 4, 5]], { dtype: 'float64' }));
    const s = Math.sqrt(2 + 1e-5);
    expectClose(y.data, [-2 / s, -1 / s, 0, 1 / s, 2 / s]);
  });

  it('passes gradcheck with respect to input, weight and bias (float64)', () => {
    const ln = new LayerNorm(4, { dtype: 'float64' });
    normal(ln.weight as Tensor, 1, 0.3, { generator: new Generator(4) });
    const x = f64([3, 4], 5, true);
    expect(gradcheck((xi: Tensor) => ln.forward(xi), [x, ln.weight as Tensor, ln.bias as Tensor])).toBe(true);
  });

  it('rejects an input that does not end with normalizedShape', () => {
    expect(() => new LayerNorm([3, 4]).forward(randn([2, 4, 3]))).toThrow(ShapeError);
    expect(() => new LayerNorm([3, 4]).forward(randn([2, 4, 3]))).toThrow(
      'LayerNorm([3,4]): expected an input of shape [*, 3, 4], got [2,4,3]',
    );
    expect(() => new LayerNorm([])).toThrow(/normalizedShape must be a positive integer or a non-empty list/);
  });
});

describe('BatchNorm', () => {
  it('BatchNorm1d normalises with batch statistics and updates the running ones (two steps, by hand)', () => {
    const bn = new BatchNorm1d(3, { dtype: 'float64' });
    normal(bn.weight as Tensor, 1, 0.5, { generator: new Generator(1) });
    normal(bn.bias as Tensor, 0, 0.5, { generator: new Generator(2) });
    const x1 = f64([5, 3], 3).mul(2).add(1);
    const x2 = f64([5, 3], 4).mul(0.5).sub(3);
    const s1 = channelStats(x1);
    const s2 = channelStats(x2);
    expectClose(bn.forward(x1).data, normalizeRef(x1, s1.mean, s1.biased, 1e-5, bn.weight, bn.bias));
    expectClose(bn.forward(x2).data, normalizeRef(x2, s2.mean, s2.biased, 1e-5, bn.weight, bn.bias));
    const runningMean = [0, 1, 2].map((c) => 0.9 * (0.9 * 0 + 0.1 * s1.mean[c]) + 0.1 * s2.mean[c]);
    const runningVar = [0, 1, 2].map((c) => 0.9 * (0.9 * 1 + 0.1 * s1.unbiased[c]) + 0.1 * s2.unbiased[c]);
    expectClose(bn.runningMean?.data ?? [], runningMean);
    expectClose(bn.runningVar?.data ?? [], runningVar);
    expect(bn.numBatchesTracked?.item()).toBe(2);
    // eval mode normalises with the running statistics and leaves them alone
    bn.eval();
    const x3 = f64([2, 3], 5);
    expectClose(bn.forward(x3).data, normalizeRef(x3, runningMean, runningVar, 1e-5, bn.weight, bn.bias));
    expectClose(bn.runningMean?.data ?? [], runningMean);
    expect(bn.numBatchesTracked?.item()).toBe(2);
  });

  it('BatchNorm1d takes [N, C, L] and BatchNorm2d [N, C, H, W], with statistics over all but C', () => {
    const bn1 = new BatchNorm1d(2, { dtype: 'float64', momentum: 0.3 });
    const x = f64([3, 2, 4], 6);
    const s = channelStats(x);
    expectClose(bn1.forward(x).data, normalizeRef(x, s.mean, s.biased, 1e-5));
    expectClose(
      bn1.runningVar?.data ?? [],
      s.unbiased.map((v) => 0.7 + 0.3 * v),
    );
    const bn2 = new BatchNorm2d(2, { dtype: 'float64', eps: 1e-3 });
    const x4 = f64([2, 2, 3, 3], 7);
    const s4 = channelStats(x4);
    expectClose(bn2.forward(x4).data, normalizeRef(x4, s4.mean, s4.biased, 1e-3));
    expectClose(
      bn2.runningMean?.data ?? [],
      s4.mean.map((m) => 0.1 * m),
    );
  });

  it('with momentum null keeps a cumulative average', () => {
    const bn = new BatchNorm1d(2, { dtype: 'float64', momentum: null });
    const x1 = f64([4, 2], 8);
    const x2 = f64([4, 2], 9).add(2);
    bn.forward(x1);
    bn.forward(x2);
    const s1 = channelStats(x1);
    const s2 = channelStats(x2);
    expectClose(
      bn.runningMean?.data ?? [],
      [0, 1].map((c) => (s1.mean[c] + s2.mean[c]) / 2),
    );
    expectClose(
      bn.runningVar?.data ?? [],
      [0, 1].map((c) => (s1.unbiased[c] + s2.unbiased[c]) / 2),
    );
  });

  it('without running statistics always uses the batch statistics', () => {
    const bn = new BatchNorm2d(2, { trackRunningStats: false, affine: false, dtype: 'float64' });
    expect(bn.runningMean).toBeNull();
    expect(Object.keys(bn.stateDict())).toEqual([]);
    bn.eval();
    const x = f64([2, 2, 2, 2], 10);
    const s = channelStats(x);
    expectClose(bn.forward(x).data, normalizeRef(x, s.mean, s.biased, 1e-5));
  });

  it('starts with weight 1, bias 0, running mean 0 and running variance 1', () => {
    const bn = new BatchNorm2d(3);
    expect(bn.namedParameters().map(([n, p]) => [n, Array.from(p.data)])).toEqual([
      ['weight', [1, 1, 1]],
      ['bias', [0, 0, 0]],
    ]);
    expect(bn.namedBuffers().map(([n, b]) => [n, Array.from(b.data)])).toEqual([
      ['running_mean', [0, 0, 0]],
      ['running_var', [1, 1, 1]],
      ['num_batches_tracked', [0]],
    ]);
  });

  it('passes gradcheck in training mode with respect to input, weight and bias (float64)', () => {
    const bn = new BatchNorm2d(2, { dtype: 'float64' });
    normal(bn.weight as Tensor, 1, 0.5, { generator: new Generator(11) });
    const x = f64([3, 2, 2, 2], 12, true);
    expect(gradcheck((xi: Tensor) => bn.forward(xi), [x, bn.weight as Tensor, bn.bias as Tensor])).toBe(true);
    bn.eval();
    expect(gradcheck((xi: Tensor) => bn.forward(xi), [x, bn.weight as Tensor, bn.bias as Tensor])).toBe(true);
  });

  it('rejects wrong ranks, wrong channel counts and single-value batches, without counting them', () => {
    const bn2 = new BatchNorm2d(3);
    expect(() => bn2.forward(randn([2, 3, 4]))).toThrow(ShapeError);
    expect(() => bn2.forward(randn([2, 3, 4]))).toThrow(
      'BatchNorm2d(3): expected a 4-D input [N, C, H, W], got shape [2,3,4]',
    );
    expect(() => bn2.forward(randn([2, 4, 5, 5]))).toThrow(
      'BatchNorm2d(3): input has 4 channels in dimension 1, expected 3 (input shape [2,4,5,5])',
    );
    const bn1 = new BatchNorm1d(3);
    expect(() => bn1.forward(randn([2, 3, 4, 4]))).toThrow(
      /BatchNorm1d\(3\): expected a 2-D \[N, C\] or 3-D \[N, C, L\] input/,
    );
    expect(() => bn1.forward(randn([1, 3]))).toThrow(ValueError);
    expect(() => bn1.forward(randn([1, 3]))).toThrow(/expected more than 1 value per channel when training/);
    expect(bn1.numBatchesTracked?.item()).toBe(0);
    expect(() => new BatchNorm1d(3, { momentum: 1.5 })).toThrow(/momentum must be in \[0, 1\] or null, got 1.5/);
  });
});

describe('train() and eval() switch Dropout and BatchNorm', () => {
  it('a model is random and updates statistics in training, deterministic in eval', () => {
    const fc = new Linear(4, 6, { dtype: 'float64', generator: new Generator(1) });
    const bn = new BatchNorm1d(6, { dtype: 'float64' });
    const model = new Sequential(fc, bn, new Dropout(0.5, { generator: new Generator(2) }));
    const x = f64([8, 4], 3);
    const a = model.forward(x);
    const b = model.forward(x);
    expect(Array.from(a.data)).not.toEqual(Array.from(b.data));
    expect(bn.numBatchesTracked?.item()).toBe(2);
    model.eval();
    const statsBefore = Array.from(bn.runningMean?.data ?? []);
    const c = model.forward(x);
    const d = model.forward(x);
    expect(Array.from(c.data)).toEqual(Array.from(d.data));
    expect(Array.from(bn.runningMean?.data ?? [])).toEqual(statsBefore);
    const h = fc.forward(x);
    const expected = normalizeRef(h, statsBefore, Array.from(bn.runningVar?.data ?? []), 1e-5, bn.weight, bn.bias);
    expectClose(c.data, expected);
    model.train();
    model.forward(x);
    expect(bn.numBatchesTracked?.item()).toBe(3);
  });
});

describe('BatchNorm momentum is writable, as in PyTorch', () => {
  it('a new momentum drives the next update; null switches to the cumulative average; bad values are refused', () => {
    const bn = new BatchNorm1d(1, { dtype: 'float64' });
    const x = tensor([[1], [3]], { dtype: 'float64' }); // batch mean 2
    bn.momentum = 0.5;
    bn.forward(x);
    expect(bn.runningMean?.data[0]).toBe(1); // 0.5 · 0 + 0.5 · 2
    bn.momentum = null;
    bn.forward(tensor([[5], [7]], { dtype: 'float64' })); // second batch, mean 6: cumulative factor 1/2
    expect(bn.runningMean?.data[0]).toBe(3.5);
    expect(bn.extraRepr()).toContain('momentum=null');
    expect(() => {
      bn.momentum = 1.5;
    }).toThrow('BatchNorm1d(1): momentum must be in [0, 1] or null, got 1.5');
    expect(bn.momentum).toBeNull();
  });
});
