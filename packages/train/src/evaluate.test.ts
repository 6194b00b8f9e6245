import { manualSeed, type Tensor, tensor } from '@nablajs/core';
import { crossEntropy, Dropout, Linear, mseLoss, Sequential } from '@nablajs/nn';
import { describe, expect, it } from 'vitest';
import type { Batch } from './batches';
import { evaluate, predict } from './evaluate';

const x = tensor([
  [1, 2],
  [3, 4],
  [5, 6],
]);
const y = tensor([0, 1, 1], { dtype: 'int32' });

function model(): Sequential {
  manualSeed(2);
  return new Sequential(new Linear(2, 2), new Dropout(0.5));
}

describe('evaluate', () => {
  it('gives the full-batch loss and metrics in eval mode, whatever the batch size', () => {
    const m = model();
    m.eval();
    const out = m.forward(x);
    const loss = crossEntropy(out, y).item();
    const acc = Array.from(out.argmax(1).data).filter((c, i) => c === y.data[i]).length / 3;
    m.train();
    for (const batchSize of [1, 2, 'full'] as const) {
      const logs = evaluate({ model: m, data: { x, y }, loss: crossEntropy, metrics: { accuracy: true }, batchSize });
      expect(logs.loss).toBeCloseTo(loss, 6);
      expect(logs.accuracy).toBeCloseTo(acc, 12);
    }
    expect(m.training).toBe(true);
  });

  it('accepts an array of batches and reports custom metrics', () => {
    const m = model();
    const batches: Batch[] = [
      [x.slice([[0, 1]]), y.slice([[0, 1]])],
      [x.slice([[1, 3]]), y.slice([[1, 3]])],
    ];
    const logs = evaluate({
      model: m,
      data: batches,
      loss: crossEntropy,
      metrics: { custom: { n: (o: Tensor) => o.shape[0] } },
    });
    expect(logs.n).toBeCloseTo((1 * 1 + 2 * 2) / 3, 12);
  });

  it('rejects bad input', () => {
    const m = model();
    expect(() => evaluate({ model: m, data: { x, y: y.slice([[0, 2]]) }, loss: crossEntropy })).toThrow(
      /evaluate: data\.x has 3 samples but data\.y has 2/,
    );
    expect(() => evaluate({ model: m, data: [], loss: crossEntropy })).toThrow(/evaluate: data is empty/);
    expect(() => evaluate({ model: m, data: { x, y }, loss: 'mse' as never })).toThrow(
      /evaluate: loss must be a function/,
    );
  });
});

describe('predict', () => {
  it('runs the model in eval mode without gradients, batching and concatenating in order', () => {
    const m = model();
    m.eval();
    const expected = Array.from(m.forward(x).data);
    m.train();
    for (const out of [
      predict(m, x),
      predict(m, x, { batchSize: 2 }),
      predict(m, { x }),
      predict(m, [x.slice([[0, 2]]), x.slice([[2, 3]])]),
      predict(m, [
        [x.slice([[0, 1]]), y.slice([[0, 1]])],
        [x.slice([[1, 3]]), y.slice([[1, 3]])],
      ]),
    ]) {
      expect(out.shape).toEqual([3, 2]);
      expect(out.requiresGrad).toBe(false);
      Array.from(out.data).forEach((v, i) => {
        expect(v).toBeCloseTo(expected[i], 6);
      });
    }
    expect(m.training).toBe(true);
  });

  it('rejects bad input', () => {
    const m = new Linear(1, 1);
    expect(() => predict(m, x, { batchSize: 0 })).toThrow(/predict: batchSize must be a positive integer, got 0/);
    expect(() => predict(m, [])).toThrow(/predict: no inputs/);
    expect(() => predict(m, 5 as never)).toThrow(/predict: expected a Tensor of inputs/);
    expect(() => predict(m, tensor(1))).toThrow(/predict: inputs need a sample dimension/);
    expect(() => mseLoss(predict(m, tensor([[1]])), tensor([[1]]))).not.toThrow();
  });
});
