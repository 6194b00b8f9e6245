import {
  DTypeError,
  Generator,
  gradcheck,
  gradgradcheck,
  gradients,
  IndexError,
  logSoftmax,
  ShapeError,
  type Tensor,
  tensor,
  ValueError,
  zeros,
} from '@nablajs/core';
import { describe, expect, it } from 'vitest';
import { crossEntropy, nllLoss } from './cross-entropy';
import type { Reduction } from './reduction';
import { expectValues, intTensor, REDUCTIONS, randomTensor, snapshot, uniformTensor } from './test-utils';

interface RefOptions {
  weight?: number[];
  ignoreIndex?: number;
  reduction?: Reduction;
  labelSmoothing?: number;
  /** The input already holds log-probabilities (nllLoss). */
  logProbs?: boolean;
}

function logSoftmaxRef(v: number[]): number[] {
  const m = Math.max(...v);
  let s = 0;
  for (const x of v) s += Math.exp(x - m);
  const lse = m + Math.log(s);
  return v.map((x) => x - lse);
}

/** The class-probability vector of each (sample, position) of an input [N, C, ...rest] (or [C]). */
function rows(x: Tensor, logProbs: boolean): { C: number; lp: number[][] } {
  const [N, C] = x.ndim === 1 ? [1, x.shape[0]] : [x.shape[0], x.shape[1]];
  const R = x.size / (N * C);
  const lp: number[][] = [];
  for (let n = 0; n < N; n++)
    for (let r = 0; r < R; r++) {
      const v: number[] = [];
      for (let c = 0; c < C; c++) v.push(x.data[n * C * R + c * R + r]);
      lp.push(logProbs ? v : logSoftmaxRef(v));
    }
  return { C, lp };
}

function classIndexRef(x: Tensor, target: number[], o: RefOptions = {}): number | number[] {
  const { ignoreIndex = -100, reduction = 'mean', labelSmoothing: eps = 0 } = o;
  const { C, lp } = rows(x, o.logProbs ?? false);
  const w = (c: number) => (o.weight === undefined ? 1 : o.weight[c]);
  const per: number[] = [];
  let denominator = 0;
  lp.forEach((l, i) => {
    const t = target[i];
    if (t === ignoreIndex) {
      per.push(0);
      return;
    }
    let smooth = 0;
    for (let c = 0; c < C; c++) smooth -= w(c) * l[c];
    per.push((1 - eps) * -w(t) * l[t] + (eps / C) * smooth);
    denominator += w(t);
  });
  if (reduction === 'none') return per;
  const total = per.reduce((a, b) => a + b, 0);
  return reduction === 'sum' ? total : total / denominator;
}

function probabilityRef(x: Tensor, q: Tensor, o: RefOptions = {}): number | number[] {
  const { reduction = 'mean', labelSmoothing: eps = 0 } = o;
  const { C, lp } = rows(x, false);
  const { lp: qs } = rows(q, true);
  const per = lp.map((l, i) => {
    let s = 0;
    for (let c = 0; c < C; c++)
      s -= (o.weight === undefined ? 1 : o.weight[c]) * ((1 - eps) * qs[i][c] + eps / C) * l[c];
    return s;
  });
  if (reduction === 'none') return per;
  const total = per.reduce((a, b) => a + b, 0);
  return reduction === 'sum' ? total : total / per.length;
}

/** Random probability rows (each sums to 1 along axis 1). */
function randomProbabilities(shape: number[], gen: Generator, requiresGrad = false): Tensor {
  const logits = randomTensor(shape, gen);
  const p = logSoftmax(logits, shape.length === 1 ? 0 : 1)
    .exp()
    .detach();
  if (requiresGrad) p.requiresGrad = true;
  return p;
}

const weightValues = [0.5, 2, 1, 3, 0.25];

describe('crossEntropy with class indices', () => {
  const gen = new Generator(21);
  const x = randomTensor([6, 5], gen, { scale: 2 });
  const targets = [0, 4, 2, -100, 1, 4];
  const t = intTensor([6], targets);

  it('matches a plain loop for every reduction, weight, label smoothing and ignored target', () => {
    for (const weight of [undefined, weightValues])
      for (const labelSmoothing of [0, 0.1, 1])
        for (const reduction of REDUCTIONS) {
          const options = { weight: weight && tensor(weight, { dtype: 'float64' }), reduction, labelSmoothing };
          expectValues(crossEntropy(x, t, options), classIndexRef(x, targets, { weight, reduction, labelSmoothing }));
        }
  });

  it('divides the mean by the sum of the target weights, not by N', () => {
    const w = tensor(weightValues, { dtype: 'float64' });
    const mean = crossEntropy(x, t, { weight: w }).item();
    const sum = crossEntropy(x, t, { weight: w, reduction: 'sum' }).item();
    const weightSum = 0.5 + 0.25 + 1 + 2 + 0.25; // targets 0, 4, 2, 1, 4 (the ignored one left out)
    expect(mean).toBeCloseTo(sum / weightSum, 12);
    expect(Math.abs(mean - sum / 5)).toBeGreaterThan(1e-3);
  });

  it('leaves ignored targets out of the sum and the denominator', () => {
    const none = crossEntropy(x, t, { reduction: 'none' });
    expect(none.shape).toEqual([6]);
    expect(none.data[3]).toBe(0);
    const kept = Array.from(none.data).filter((_, i) => i !== 3);
    expectValues(crossEntropy(x, t), kept.reduce((a, b) => a + b, 0) / 5);
    const custom = crossEntropy(x, intTensor([6], [0, 4, 2, 3, 1, 4]), { ignoreIndex: 4, reduction: 'none' });
    expect([custom.data[1], custom.data[5]]).toEqual([0, 0]);
    expect(crossEntropy(x, intTensor([6], [-100, -100, -100, -100, -100, -100])).item()).toBeNaN();
  });

  it('handles [N, C, d1, d2] inputs and unbatched [C] inputs', () => {
    const x4 = randomTensor([2, 3, 2, 2], gen);
    const targets4 = [0, 2, 1, 1, 2, -100, 0, 1];
    const t4 = intTensor([2, 2, 2], targets4);
    for (const reduction of REDUCTIONS)
      expectValues(
        crossEntropy(x4, t4, { reduction, labelSmoothing: 0.2, weight: tensor([1, 2, 0.5], { dtype: 'float64' }) }),
        classIndexRef(x4, targets4, { reduction, labelSmoothing: 0.2, weight: [1, 2, 0.5] }),
      );
    expect(crossEntropy(x4, t4, { reduction: 'none' }).shape).toEqual([2, 2, 2]);
    const x1 = randomTensor([5], gen);
    expectValues(crossEntropy(x1, intTensor([], [3])), classIndexRef(x1, [3]));
  });

  it('passes gradcheck w.r.t. the logits for every option', () => {
    const w = tensor(weightValues, { dtype: 'float64' });
    for (const reduction of REDUCTIONS)
      for (const labelSmoothing of [0, 0.3]) {
        const xg = randomTensor([6, 5], gen, { requiresGrad: true });
        expect(gradcheck((a) => crossEntropy(a, t, { reduction, labelSmoothing, weight: w }), [xg])).toBe(true);
      }
    const x4 = randomTensor([2, 3, 2], gen, { requiresGrad: true });
    expect(gradcheck((a) => crossEntropy(a, intTensor([2, 2], [0, 2, -100, 1]), { labelSmoothing: 0.1 }), [x4])).toBe(
      true,
    );
  });

  it('has second derivatives (gradgradcheck)', () => {
    const xg = randomTensor([3, 4], gen, { requiresGrad: true });
    const target = intTensor([3], [1, 0, 3]);
    expect(gradgradcheck((a) => crossEntropy(a, target, { labelSmoothing: 0.1 }), [xg])).toBe(true);
  });

  it('gives the gradient (softmax - onehot) / N', () => {
    const xg = tensor(
      [
        [2, 0, 1],
        [0, 3, 0],
      ],
      { dtype: 'float64', requiresGrad: true },
    );
    const [g] = gradients([crossEntropy(xg, intTensor([2], [0, 1]))], [xg]);
    const p = Array.from(logSoftmax(xg.detach(), 1).exp().data);
    expectValues(g as Tensor, [(p[0] - 1) / 2, p[1] / 2, p[2] / 2, p[3] / 2, (p[4] - 1) / 2, p[5] / 2]);
  });

  it('is stable for logits of ±1000 in float64 and float32', () => {
    for (const dtype of ['float64', 'float32'] as const) {
      const big = tensor(
        [
          [1000, 0, -1000],
          [1000, 0, -1000],
        ],
        { dtype, requiresGrad: true },
      );
      const loss = crossEntropy(big, intTensor([2], [0, 2]), { reduction: 'none' });
      expectValues(loss, [0, 2000], 1e-6);
      const [g] = gradients([loss.sum()], [big]);
      expectValues(g as Tensor, [0, 0, 0, 1, 0, -1], 1e-6);
    }
  });

  it('equals nllLoss of logSoftmax without label smoothing', () => {
    const w = tensor(weightValues, { dtype: 'float64' });
    for (const reduction of REDUCTIONS)
      expectValues(
        crossEntropy(x, t, { weight: w, reduction }),
        Array.from(nllLoss(logSoftmax(x, 1), t, { weight: w, reduction }).data),
      );
  });

  it('does not mutate its inputs', () => {
    const xg = randomTensor([6, 5], gen, { requiresGrad: true });
    const w = tensor(weightValues, { dtype: 'float64' });
    const unchanged = snapshot(xg, t, w);
    crossEntropy(xg, t, { weight: w, labelSmoothing: 0.2 }).backward();
    unchanged();
  });
});

describe('crossEntropy with class probabilities', () => {
  const gen = new Generator(22);

  it('matches a plain loop for every reduction, weight and label smoothing', () => {
    const x = randomTensor([4, 5], gen, { scale: 2 });
    const q = randomProbabilities([4, 5], gen);
    for (const weight of [undefined, weightValues])
      for (const labelSmoothing of [0, 0.25])
        for (const reduction of REDUCTIONS)
          expectValues(
            crossEntropy(x, q, { weight: weight && tensor(weight, { dtype: 'float64' }), reduction, labelSmoothing }),
            probabilityRef(x, q, { weight, reduction, labelSmoothing }),
          );
  });

  it('equals the class-index loss for one-hot targets', () => {
    const x = randomTensor([3, 4], gen);
    const oneHot = tensor(
      [
        [0, 1, 0, 0],
        [1, 0, 0, 0],
        [0, 0, 0, 1],
      ],
      { dtype: 'float64' },
    );
    expectValues(
      crossEntropy(x, oneHot, { labelSmoothing: 0.1 }),
      crossEntropy(x, intTensor([3], [1, 0, 3]), { labelSmoothing: 0.1 }).item(),
    );
  });

  it('handles [N, C, d] inputs', () => {
    const x = randomTensor([2, 3, 4], gen);
    const q = randomProbabilities([2, 3, 4], gen);
    for (const reduction of REDUCTIONS)
      expectValues(crossEntropy(x, q, { reduction }), probabilityRef(x, q, { reduction }));
    expect(crossEntropy(x, q, { reduction: 'none' }).shape).toEqual([2, 4]);
  });

  it('passes gradcheck w.r.t. the logits and the target', () => {
    const w = tensor(weightValues, { dtype: 'float64' });
    for (const reduction of REDUCTIONS) {
      const x = randomTensor([3, 5], gen, { requiresGrad: true });
      const q = uniformTensor([3, 5], gen, 0, 1, true);
      expect(gradcheck((a, b) => crossEntropy(a, b, { reduction, weight: w, labelSmoothing: 0.1 }), [x, q])).toBe(true);
    }
  });
});

describe('crossEntropy errors', () => {
  const x = zeros([4, 5], { dtype: 'float64' });

  it('rejects a target of the wrong shape', () => {
    expect(() => crossEntropy(x, intTensor([4, 1], [0, 1, 2, 3]))).toThrow(ShapeError);
    expect(() => crossEntropy(x, intTensor([4, 1], [0, 1, 2, 3]))).toThrow(
      /crossEntropy: target has shape \[4,1\] but input of shape \[4,5\] needs class indices of shape \[4\]/,
    );
    expect(() => crossEntropy(x, intTensor([3], [0, 1, 2]))).toThrow(ShapeError);
    expect(() => crossEntropy(x, zeros([4, 3], { dtype: 'float64' }))).toThrow(
      /crossEntropy: class-probability target has shape \[4,3\] but input has shape \[4,5\]/,
    );
  });

  it('rejects a float target with the class-index shape (wrong dtype)', () => {
    expect(() => crossEntropy(x, zeros([4]))).toThrow(DTypeError);
    expect(() => crossEntropy(x, zeros([4]))).toThrow(
      /crossEntropy: target must be int32 class indices of shape \[4\] or float class probabilities of shape \[4,5\], got float32 of shape \[4\]/,
    );
  });

  it('rejects class indices out of range', () => {
    expect(() => crossEntropy(x, intTensor([4], [0, 7, 1, 2]))).toThrow(IndexError);
    expect(() => crossEntropy(x, intTensor([4], [0, 7, 1, 2]))).toThrow(
      /crossEntropy: target 7 is out of range for 5 classes/,
    );
    expect(() => crossEntropy(x, intTensor([4], [0, 5, 1, 2]))).toThrow(/target 5 is out of range for 5 classes/);
    expect(() => crossEntropy(x, intTensor([4], [0, -1, 1, 2]))).toThrow(/target -1 is out of range for 5 classes/);
    expect(() => crossEntropy(x, intTensor([4], [0, -100, 1, 2]), { ignoreIndex: 3 })).toThrow(
      /target -100 is out of range for 5 classes \(expected \[0, 5\) or ignoreIndex 3\)/,
    );
  });

  it('rejects bad options', () => {
    const t = intTensor([4], [0, 1, 2, 3]);
    expect(() => crossEntropy(x, t, { weight: zeros([4], { dtype: 'float64' }) })).toThrow(
      /crossEntropy: weight must be a 1-D tensor with one entry per class \(5\), got shape \[4\]/,
    );
    expect(() => crossEntropy(x, t, { labelSmoothing: 1.5 })).toThrow(ValueError);
    expect(() => crossEntropy(x, t, { labelSmoothing: -0.1 })).toThrow(
      /crossEntropy: labelSmoothing must be in \[0, 1\], got -0.1/,
    );
    expect(() => crossEntropy(x, t, { reduction: 'batchmean' as never })).toThrow(/crossEntropy: reduction must be/);
    expect(() => crossEntropy(x, t, { ignoreIndex: 0.5 })).toThrow(/crossEntropy: ignoreIndex must be an integer/);
    expect(() => crossEntropy(x, zeros([4, 5], { dtype: 'float64' }), { ignoreIndex: 0 })).toThrow(
      /crossEntropy: ignoreIndex \(0\) is not supported with class-probability targets/,
    );
  });

  it('rejects a 0-d or integer input', () => {
    expect(() => crossEntropy(zeros([]), intTensor([], [0]))).toThrow(
      /crossEntropy: input must have a class dimension/,
    );
    expect(() => crossEntropy(zeros([2, 3], { dtype: 'int32' }), intTensor([2], [0, 1]))).toThrow(DTypeError);
  });
});

describe('nllLoss', () => {
  const gen = new Generator(23);

  it('matches a plain loop for every reduction, weight and ignored target', () => {
    const logp = logSoftmax(randomTensor([5, 4], gen), 1);
    const targets = [3, -100, 0, 1, 3];
    for (const weight of [undefined, [1, 0.5, 2, 4]])
      for (const reduction of REDUCTIONS)
        expectValues(
          nllLoss(logp, intTensor([5], targets), { weight: weight && tensor(weight, { dtype: 'float64' }), reduction }),
          classIndexRef(logp, targets, { weight, reduction, logProbs: true }),
        );
  });

  it('picks -input[i, t_i] (hand-computed)', () => {
    const input = tensor(
      [
        [-1, -2, -3],
        [-4, -5, -6],
      ],
      { dtype: 'float64' },
    );
    expectValues(nllLoss(input, intTensor([2], [2, 0])), 3.5);
    expectValues(
      nllLoss(input, intTensor([2], [2, 0]), { weight: tensor([1, 1, 3], { dtype: 'float64' }) }),
      (9 + 4) / 4,
    );
  });

  it('passes gradcheck w.r.t. the input', () => {
    for (const reduction of REDUCTIONS) {
      const input = randomTensor([4, 3], gen, { requiresGrad: true });
      const w = tensor([0.5, 1, 2], { dtype: 'float64' });
      expect(gradcheck((a) => nllLoss(a, intTensor([4], [2, -100, 0, 2]), { weight: w, reduction }), [input])).toBe(
        true,
      );
    }
  });

  it('names itself in errors and does not accept probability targets', () => {
    const input = zeros([2, 3], { dtype: 'float64' });
    expect(() => nllLoss(input, intTensor([2], [0, 3]))).toThrow(/nllLoss: target 3 is out of range for 3 classes/);
    expect(() => nllLoss(input, zeros([2, 3], { dtype: 'float64' }))).toThrow(
      /nllLoss: target must be int32 class indices of shape \[2\], got float64 of shape \[2,3\]/,
    );
    expect(() => nllLoss(input, intTensor([3], [0, 1, 2]))).toThrow(ShapeError);
  });
});

describe('crossEntropy in 16-bit dtypes', () => {
  it('weights the targets by the numbers a float16/bfloat16 weight holds, not by their bit patterns', () => {
    const logits = tensor([
      [0.5, -1, 2],
      [1, 0.25, -0.5],
      [-2, 1.5, 0],
      [0, 0, 1],
    ]);
    const target = intTensor([4], [0, 2, 1, 2]);
    const weight = tensor([1, 2, 3]);
    for (const dtype of ['float16', 'bfloat16'] as const) {
      for (const w of [null, weight]) {
        const reference = crossEntropy(logits, target, { weight: w }).item();
        const half = crossEntropy(logits.to(dtype), target, { weight: w === null ? null : w.to(dtype) });
        expect(half.dtype).toBe(dtype);
        // 8 (bfloat16) or 11 (float16) significant bits through log-softmax, products and a mean
        expect(Math.abs(half.item() - reference), `${dtype} ${w === null ? 'unweighted' : 'weighted'}`).toBeLessThan(
          dtype === 'bfloat16' ? 2e-2 : 2e-3,
        );
      }
    }
  });
});
