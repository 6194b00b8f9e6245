import {
  DTypeError,
  Generator,
  gradcheck,
  gradients,
  ShapeError,
  type Tensor,
  tensor,
  ValueError,
  zeros,
} from '@nablajs/core';
import { describe, expect, it } from 'vitest';
import { binaryCrossEntropy, binaryCrossEntropyWithLogits } from './binary-cross-entropy';
import { expectValues, REDUCTIONS, randomTensor, referenceReduce, snapshot, uniformTensor } from './test-utils';

const f64 = (values: number[] | number[][], requiresGrad = false) => tensor(values, { dtype: 'float64', requiresGrad });

/** Broadcast a per-column value (last dim) to every element of a [rows, cols] tensor. */
const column = (values: number[] | undefined, i: number, cols: number) => (values === undefined ? 1 : values[i % cols]);

describe('binaryCrossEntropy', () => {
  const gen = new Generator(31);

  it('matches a plain loop for every reduction, with and without weight', () => {
    const x = uniformTensor([4, 3], gen, 0.02, 0.98);
    const y = uniformTensor([4, 3], gen, 0, 1);
    for (const weight of [undefined, [0.5, 2, 1]]) {
      const per = Array.from(x.data, (p, i) => {
        const t = y.data[i];
        return -column(weight, i, 3) * (t * Math.max(Math.log(p), -100) + (1 - t) * Math.max(Math.log(1 - p), -100));
      });
      for (const reduction of REDUCTIONS)
        expectValues(
          binaryCrossEntropy(x, y, { reduction, weight: weight && f64(weight) }),
          referenceReduce(per, reduction),
        );
    }
  });

  it('gives hand-computed values and clamps the log at -100 like PyTorch', () => {
    expectValues(binaryCrossEntropy(f64([0.8, 0.1]), f64([1, 0])), -(Math.log(0.8) + Math.log(0.9)) / 2);
    expectValues(binaryCrossEntropy(f64([0, 1, 0, 1]), f64([1, 0, 0, 1]), { reduction: 'none' }), [100, 100, 0, 0]);
  });

  it('passes gradcheck w.r.t. input and target', () => {
    for (const reduction of REDUCTIONS) {
      const x = uniformTensor([3, 2], gen, 0.05, 0.95, true);
      const y = uniformTensor([3, 2], gen, 0, 1, true);
      const w = f64([0.3, 1.7]);
      expect(gradcheck((a, b) => binaryCrossEntropy(a, b, { reduction, weight: w }), [x, y])).toBe(true);
    }
  });

  it('has PyTorch’s finite gradient at probabilities 0 and 1', () => {
    const x = f64([0, 1], true);
    const [g] = gradients([binaryCrossEntropy(x, f64([1, 0]), { reduction: 'sum' })], [x]);
    expectValues(g as Tensor, [-1e12, 1e12]);
  });

  it('does not mutate its inputs', () => {
    const x = uniformTensor([5], gen, 0.1, 0.9, true);
    const y = uniformTensor([5], gen, 0, 1);
    const unchanged = snapshot(x, y);
    binaryCrossEntropy(x, y).backward();
    unchanged();
  });

  it('rejects probabilities outside [0, 1], mismatched shapes and a bad weight', () => {
    expect(() => binaryCrossEntropy(f64([0.5, 1.5]), f64([1, 0]))).toThrow(ValueError);
    expect(() => binaryCrossEntropy(f64([0.5, 1.5]), f64([1, 0]))).toThrow(
      /binaryCrossEntropy: every element of input must be in \[0, 1\] \(a probability\), got 1.5 at flat index 1/,
    );
    expect(() => binaryCrossEntropy(f64([-0.1]), f64([1]))).toThrow(/got -0.1/);
    expect(() => binaryCrossEntropy(f64([Number.NaN]), f64([1]))).toThrow(/got NaN/);
    expect(() => binaryCrossEntropy(f64([0.5, 0.5]), f64([[1, 0]]))).toThrow(ShapeError);
    expect(() => binaryCrossEntropy(f64([0.5, 0.5]), f64([1, 0]), { weight: f64([1, 2, 3]) })).toThrow(
      /binaryCrossEntropy: weight of shape \[3\] cannot be broadcast to the input shape \[2\]/,
    );
    expect(() => binaryCrossEntropy(f64([0.5]), tensor([1], { dtype: 'int32' }))).toThrow(DTypeError);
  });
});

describe('binaryCrossEntropyWithLogits', () => {
  const gen = new Generator(32);
  const sigmoid = (v: number) => 1 / (1 + Math.exp(-v));

  it('matches the naive formula for moderate logits, every reduction, weight and posWeight', () => {
    const x = randomTensor([4, 3], gen, { scale: 2 });
    const y = uniformTensor([4, 3], gen, 0, 1);
    for (const weight of [undefined, [0.5, 2, 1]])
      for (const posWeight of [undefined, [3, 0.5, 1]]) {
        const per = Array.from(x.data, (v, i) => {
          const t = y.data[i];
          const pw = column(posWeight, i, 3);
          return -column(weight, i, 3) * (pw * t * Math.log(sigmoid(v)) + (1 - t) * Math.log(1 - sigmoid(v)));
        });
        for (const reduction of REDUCTIONS)
          expectValues(
            binaryCrossEntropyWithLogits(x, y, {
              reduction,
              weight: weight && f64(weight),
              posWeight: posWeight && f64(posWeight),
            }),
            referenceReduce(per, reduction),
          );
      }
  });

  it('gives hand-computed values', () => {
    expectValues(binaryCrossEntropyWithLogits(f64([0]), f64([1]), { posWeight: f64([3]) }), 3 * Math.log(2));
    expectValues(binaryCrossEntropyWithLogits(f64([0, 0]), f64([0, 1])), Math.log(2));
  });

  it('is finite for logits of ±800 in value and gradient, in float64 and float32', () => {
    for (const dtype of ['float64', 'float32'] as const) {
      const x = tensor([800, -800, 800, -800], { dtype, requiresGrad: true });
      const y = tensor([1, 0, 0, 1], { dtype, requiresGrad: true });
      const loss = binaryCrossEntropyWithLogits(x, y, { reduction: 'none' });
      expectValues(loss, [0, 0, 800, 800], 1e-6);
      const [gx, gy] = gradients([loss.sum()], [x, y]);
      expectValues(gx as Tensor, [0, 0, 1, -1], 1e-6);
      expectValues(gy as Tensor, [-800, 800, -800, 800], 1e-6);
      const weighted = binaryCrossEntropyWithLogits(x, y, { posWeight: tensor([3], { dtype }), reduction: 'none' });
      expectValues(weighted, [0, 0, 800, 2400], 1e-6);
    }
  });

  it('gives the target the gradient -x / N under the mean', () => {
    const x = randomTensor([2, 3], gen, { requiresGrad: true });
    const y = uniformTensor([2, 3], gen, 0, 1, true);
    const [gy] = gradients([binaryCrossEntropyWithLogits(x, y)], [y]);
    expectValues(
      gy as Tensor,
      Array.from(x.data, (v) => -v / 6),
    );
  });

  it('passes gradcheck w.r.t. input and target, with weight and posWeight', () => {
    for (const reduction of REDUCTIONS) {
      const x = randomTensor([3, 2], gen, { requiresGrad: true, scale: 2 });
      const y = uniformTensor([3, 2], gen, 0, 1, true);
      const options = { reduction, weight: f64([[1], [2], [0.5]]), posWeight: f64([2, 0.7]) };
      expect(gradcheck((a, b) => binaryCrossEntropyWithLogits(a, b, options), [x, y])).toBe(true);
    }
  });

  it('does not mutate its inputs', () => {
    const x = randomTensor([4], gen, { requiresGrad: true });
    const y = uniformTensor([4], gen, 0, 1);
    const pw = f64([2]);
    const unchanged = snapshot(x, y, pw);
    binaryCrossEntropyWithLogits(x, y, { posWeight: pw }).backward();
    unchanged();
  });

  it('rejects mismatched shapes and weights that do not broadcast', () => {
    expect(() => binaryCrossEntropyWithLogits(zeros([4, 3]), zeros([4, 2]))).toThrow(ShapeError);
    expect(() => binaryCrossEntropyWithLogits(zeros([4, 3]), zeros([4, 2]))).toThrow(
      /binaryCrossEntropyWithLogits: input has shape \[4,3\] but target has shape \[4,2\]/,
    );
    expect(() => binaryCrossEntropyWithLogits(zeros([4, 3]), zeros([4, 3]), { posWeight: zeros([4]) })).toThrow(
      /binaryCrossEntropyWithLogits: posWeight of shape \[4\] cannot be broadcast to the input shape \[4,3\]/,
    );
    expect(() => binaryCrossEntropyWithLogits(zeros([3]), zeros([3]), { weight: zeros([2, 3]) })).toThrow(ShapeError);
    expect(() => binaryCrossEntropyWithLogits(zeros([3]), zeros([3]), { reduction: 'mean ' as never })).toThrow(
      ValueError,
    );
  });
});
