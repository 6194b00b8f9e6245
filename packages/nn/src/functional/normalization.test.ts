import { Generator, gradcheck, ones, ShapeError, type Tensor, tensor, ValueError, zeros } from '@nablajs/core';
import { describe, expect, it } from 'vitest';
import { expectValues, randomTensor, snapshot } from '../losses/test-utils';
import { batchNorm, layerNorm } from './normalization';

function layerNormRef(x: Tensor, n: number, w?: Tensor, b?: Tensor, eps = 1e-5): number[] {
  const out: number[] = [];
  for (let start = 0; start < x.size; start += n) {
    const v = Array.from(x.data.subarray(start, start + n));
    const mean = v.reduce((s, a) => s + a, 0) / n;
    const variance = v.reduce((s, a) => s + (a - mean) ** 2, 0) / n;
    v.forEach((a, k) => {
      out.push(((a - mean) / Math.sqrt(variance + eps)) * (w ? w.data[k] : 1) + (b ? b.data[k] : 0));
    });
  }
  return out;
}

/** Per-channel statistics of x of shape [N, C, ...]: mean, biased and unbiased variance. */
function channelStats(x: Tensor): { mean: number[]; biased: number[]; unbiased: number[]; count: number } {
  const [N, C] = x.shape;
  const R = x.size / (N * C);
  const mean: number[] = [];
  const biased: number[] = [];
  const unbiased: number[] = [];
  for (let c = 0; c < C; c++) {
    const v: number[] = [];
    for (let n = 0; n < N; n++) for (let r = 0; r < R; r++) v.push(x.data[(n * C + c) * R + r]);
    const m = v.reduce((s, a) => s + a, 0) / v.length;
    const ss = v.reduce((s, a) => s + (a - m) ** 2, 0);
    mean.push(m);
    biased.push(ss / v.length);
    unbiased.push(ss / (v.length - 1));
  }
  return { mean, biased, unbiased, count: N * R };
}

function batchNormRef(x: Tensor, mean: number[], variance: number[], w?: Tensor, b?: Tensor, eps = 1e-5): number[] {
  const [N, C] = x.shape;
  const R = x.size / (N * C);
  return Array.from(x.data, (v, i) => {
    const c = Math.floor(i / R) % C;
    return ((v - mean[c]) / Math.sqrt(variance[c] + eps)) * (w ? w.data[c] : 1) + (b ? b.data[c] : 0);
  });
}

describe('layerNorm', () => {
  const gen = new Generator(71);

  it('normalises with the biased variance and eps inside the sqrt (hand-computed)', () => {
    const y = layerNorm(tensor([[1, 2, 3]], { dtype: 'float64' }), [3]);
    const s = Math.sqrt(2 / 3 + 1e-5);
    expectValues(y, [-1 / s, 0, 1 / s], 1e-12, [1, 3]);
  });

  it('matches a plain loop over the last one and two dimensions, with and without affine parameters', () => {
    const x = randomTensor([2, 3, 4], gen, { scale: 3, offset: 1 });
    const w1 = randomTensor([4], gen);
    const b1 = randomTensor([4], gen);
    expectValues(layerNorm(x, [4], w1, b1), layerNormRef(x, 4, w1, b1));
    expectValues(layerNorm(x, [4]), layerNormRef(x, 4));
    const w2 = randomTensor([3, 4], gen);
    const b2 = randomTensor([3, 4], gen);
    expectValues(layerNorm(x, [3, 4], w2, b2, 1e-3), layerNormRef(x, 12, w2, b2, 1e-3));
    expectValues(layerNorm(x, [3, 4], null, b2), layerNormRef(x, 12, undefined, b2));
  });

  it('passes gradcheck w.r.t. input, weight and bias', () => {
    const x = randomTensor([2, 5], gen, { requiresGrad: true });
    const w = randomTensor([5], gen, { requiresGrad: true });
    const b = randomTensor([5], gen, { requiresGrad: true });
    expect(gradcheck((a, c, d) => layerNorm(a, [5], c, d), [x, w, b])).toBe(true);
    const x3 = randomTensor([2, 2, 3], gen, { requiresGrad: true });
    const w3 = randomTensor([2, 3], gen, { requiresGrad: true });
    expect(gradcheck((a, c) => layerNorm(a, [2, 3], c), [x3, w3])).toBe(true);
  });

  it('does not mutate its inputs', () => {
    const x = randomTensor([3, 4], gen, { requiresGrad: true });
    const w = randomTensor([4], gen, { requiresGrad: true });
    const unchanged = snapshot(x, w);
    layerNorm(x, [4], w).sum().backward();
    unchanged();
  });

  it('rejects shapes that do not fit', () => {
    expect(() => layerNorm(zeros([2, 3]), [4])).toThrow(ShapeError);
    expect(() => layerNorm(zeros([2, 3]), [4])).toThrow(
      'layerNorm: input of shape [2,3] does not end with normalizedShape [4]',
    );
    expect(() => layerNorm(zeros([3]), [2, 3])).toThrow(ShapeError);
    expect(() => layerNorm(zeros([2, 3]), [])).toThrow(/normalizedShape must name at least one dimension/);
    expect(() => layerNorm(zeros([2, 3]), [3], zeros([2]))).toThrow('layerNorm: weight must have shape [3], got [2]');
    expect(() => layerNorm(zeros([2, 3]), [3], null, zeros([3, 1]))).toThrow(
      'layerNorm: bias must have shape [3], got [3,1]',
    );
    expect(() => layerNorm(zeros([2, 3]), [3], null, null, -1)).toThrow(ValueError);
  });
});

describe('batchNorm', () => {
  const gen = new Generator(72);

  it('normalises with batch statistics in training and updates the running buffers in place', () => {
    for (const shape of [
      [6, 3],
      [4, 3, 5],
      [2, 3, 2, 3],
    ]) {
      const x = randomTensor(shape, gen, { scale: 2, offset: 0.5 });
      const w = randomTensor([3], gen);
      const b = randomTensor([3], gen);
      const runningMean = tensor([0.1, -0.2, 0.3], { dtype: 'float64' });
      const runningVar = tensor([1, 2, 0.5], { dtype: 'float64' });
      const stats = channelStats(x);
      const y = batchNorm(x, runningMean, runningVar, w, b, true, 0.2);
      expectValues(y, batchNormRef(x, stats.mean, stats.biased, w, b), 1e-12, shape);
      expectValues(
        runningMean,
        [0.1, -0.2, 0.3].map((r, c) => 0.8 * r + 0.2 * stats.mean[c]),
      );
      expectValues(
        runningVar,
        [1, 2, 0.5].map((r, c) => 0.8 * r + 0.2 * stats.unbiased[c]),
      );
    }
  });

  it('uses the running statistics outside training and leaves them alone', () => {
    const x = randomTensor([4, 2, 3], gen);
    const runningMean = tensor([0.5, -1], { dtype: 'float64' });
    const runningVar = tensor([2, 0.25], { dtype: 'float64' });
    const w = tensor([2, 3], { dtype: 'float64' });
    const unchanged = snapshot(runningMean, runningVar, x, w);
    const y = batchNorm(x, runningMean, runningVar, w, null, false, 0.1, 1e-3);
    expectValues(y, batchNormRef(x, [0.5, -1], [2, 0.25], w, undefined, 1e-3));
    unchanged();
  });

  it('matches a hand-computed example', () => {
    const runningMean = zeros([2], { dtype: 'float64' });
    const runningVar = ones([2], { dtype: 'float64' });
    const y = batchNorm(
      tensor(
        [
          [1, 10],
          [3, 30],
        ],
        { dtype: 'float64' },
      ),
      runningMean,
      runningVar,
      null,
      null,
      true,
    );
    const s1 = Math.sqrt(1 + 1e-5);
    const s2 = Math.sqrt(100 + 1e-5);
    expectValues(y, [-1 / s1, -10 / s2, 1 / s1, 10 / s2]);
    expectValues(runningMean, [0.2, 2]);
    expectValues(runningVar, [0.9 + 0.1 * 2, 0.9 + 0.1 * 200]);
  });

  it('passes gradcheck w.r.t. input, weight and bias in training and in eval', () => {
    const x = randomTensor([3, 2, 2], gen, { requiresGrad: true });
    const w = randomTensor([2], gen, { requiresGrad: true });
    const b = randomTensor([2], gen, { requiresGrad: true });
    expect(gradcheck((a, c, d) => batchNorm(a, null, null, c, d, true), [x, w, b])).toBe(true);
    const rm = tensor([0.1, 0.2], { dtype: 'float64' });
    const rv = tensor([1.5, 0.5], { dtype: 'float64' });
    expect(gradcheck((a, c, d) => batchNorm(a, rm, rv, c, d, false), [x, w, b])).toBe(true);
    const x4 = randomTensor([2, 2, 2, 2], gen, { requiresGrad: true });
    expect(gradcheck((a, c) => batchNorm(a, null, null, c, null, true), [x4, w])).toBe(true);
  });

  it('rejects bad shapes, a single value per channel in training and missing running statistics in eval', () => {
    expect(() => batchNorm(zeros([3]), null, null, null, null, true)).toThrow(
      'batchNorm: input must be [N, C], [N, C, L], [N, C, H, W] or [N, C, D, H, W], got shape [3]',
    );
    expect(() => batchNorm(zeros([1, 1, 1, 1, 1, 1]), null, null, null, null, true)).toThrow(ShapeError);
    expect(() => batchNorm(zeros([1, 3]), null, null, null, null, true)).toThrow(
      'batchNorm: expected more than 1 value per channel when training, got input shape [1,3]',
    );
    expect(() => batchNorm(zeros([2, 3]), null, null)).toThrow(
      'batchNorm: runningMean and runningVar are required when not training',
    );
    expect(() => batchNorm(zeros([2, 3]), zeros([2]), ones([3]))).toThrow(
      'batchNorm: runningMean must have shape [3], got [2]',
    );
    expect(() => batchNorm(zeros([2, 3]), null, null, ones([4]), null, true)).toThrow(
      'batchNorm: weight must have shape [3], got [4]',
    );
    expect(() => batchNorm(zeros([2, 3]), null, null, null, null, true, 1.5)).toThrow(
      'batchNorm: momentum must be in [0, 1], got 1.5',
    );
  });
});
