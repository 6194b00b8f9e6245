import { tensor } from '@nablajs/core';
import { describe, expect, it } from 'vitest';
import { accuracy, RunningMean, resolveMetrics, validationName } from './metrics';

describe('accuracy', () => {
  it('compares the argmax over axis 1 with class indices', () => {
    const out = tensor([
      [2, 1, 0],
      [0, 3, 1],
      [1, 1, 5],
      [9, 0, 0],
    ]);
    expect(accuracy(out, tensor([0, 1, 1, 0], { dtype: 'int32' }))).toBe(0.75);
    expect(accuracy(out, tensor([1, 0, 0, 1], { dtype: 'int32' }))).toBe(0);
  });

  it('accepts one-hot targets and float class indices, breaks ties toward the first class', () => {
    const out = tensor([
      [1, 1],
      [0, 2],
    ]);
    expect(
      accuracy(
        out,
        tensor([
          [1, 0],
          [1, 0],
        ]),
      ),
    ).toBe(0.5);
    expect(accuracy(out, tensor([0, 1]))).toBe(1);
  });

  it('handles a class axis followed by spatial axes ([N, C, L] with targets [N, L])', () => {
    // sample 0: positions -> classes [1, 0]; sample 1: [0, 1]
    const out = tensor([
      [
        [0, 5],
        [1, 2],
      ],
      [
        [3, 0],
        [1, 4],
      ],
    ]);
    expect(
      accuracy(
        out,
        tensor(
          [
            [1, 0],
            [0, 0],
          ],
          { dtype: 'int32' },
        ),
      ),
    ).toBe(0.75);
  });

  it('is binary accuracy for a single output column, on logits or probabilities (torchmetrics task=binary)', () => {
    // logits (values outside [0, 1]): positive above 0, i.e. sigmoid above 0.5
    const logits = tensor([[2], [-1], [0.5], [-3]]);
    expect(accuracy(logits, tensor([[1], [1], [1], [1]]))).toBe(0.5);
    expect(accuracy(logits, tensor([1, 0, 1, 0], { dtype: 'int32' }))).toBe(1);
    expect(accuracy(logits, tensor([0, 1, 0, 1]))).toBe(0);
    // probabilities (every value in [0, 1]): positive above 0.5, and exactly 0.5 is negative
    const probs = tensor([[0.9], [0.5], [0.51], [0.1]]);
    expect(accuracy(probs, tensor([1, 0, 1, 0]))).toBe(1);
    expect(accuracy(probs, tensor([1, 1, 1, 1]))).toBe(0.5);
    // logit 0 is sigmoid 0.5: negative, as torchmetrics' `preds > threshold`
    expect(accuracy(tensor([[0], [4]]), tensor([0, 1]))).toBe(1);
    // [N, 1, L] with targets [N, L]; a NaN output is wrong whatever its target
    expect(accuracy(tensor([[[3, -2, Number.NaN]]]), tensor([[1, 0, 0]]))).toBeCloseTo(2 / 3, 15);
    expect(accuracy(tensor([[Number.NaN], [Number.NaN]]), tensor([0, 1]))).toBe(0);
  });

  it('refuses binary targets other than 0 and 1', () => {
    expect(() => accuracy(tensor([[1], [2]]), tensor([1, 2]))).toThrow(
      'accuracy: a single output column is binary, so targets must be 0 or 1, got 2',
    );
  });

  it('counts a NaN row as wrong', () => {
    expect(
      accuracy(
        tensor([
          [Number.NaN, 0],
          [1, 0],
        ]),
        tensor([0, 0], { dtype: 'int32' }),
      ),
    ).toBe(0.5);
  });

  it('rejects outputs without a class axis and mismatched targets, naming the shapes', () => {
    expect(() => accuracy(tensor([1, 2]), tensor([1, 2]))).toThrow(
      /accuracy: output must have a class axis.*got shape \[2\]/,
    );
    expect(() => accuracy(tensor([[1, 2]]), tensor([0, 1], { dtype: 'int32' }))).toThrow(
      /accuracy: targets of shape \[2\] do not match output of shape \[1,2\]; expected class indices of shape \[1\]/,
    );
  });
});

describe('metric helpers', () => {
  it('resolveMetrics lists accuracy then custom metrics and rejects reserved names', () => {
    const mae = () => 0;
    expect(Object.keys(resolveMetrics('f', { accuracy: true, custom: { mae } }))).toEqual(['accuracy', 'mae']);
    expect(resolveMetrics('f', {})).toEqual({});
    expect(() => resolveMetrics('f', { custom: { loss: mae } })).toThrow(/f: custom metric name 'loss' is reserved/);
    expect(() => resolveMetrics('f', { custom: { valX: mae } })).toThrow(/reserved/);
    expect(() => resolveMetrics('f', { custom: { accuracy: mae }, accuracy: true })).toThrow(
      /metric 'accuracy' is given twice/,
    );
    expect(() => resolveMetrics('f', { custom: { x: 1 as never } })).toThrow(/custom metric 'x' must be a function/);
  });

  it('validationName prefixes val in lowerCamelCase', () => {
    expect(validationName('loss')).toBe('valLoss');
    expect(validationName('accuracy')).toBe('valAccuracy');
    expect(validationName('f1')).toBe('valF1');
  });

  it('RunningMean weights by batch size', () => {
    const m = new RunningMean();
    expect(Number.isNaN(m.value)).toBe(true);
    m.add(1, 3);
    m.add(4, 1);
    expect(m.value).toBe(1.75);
    expect(m.samples).toBe(4);
    m.reset();
    expect(m.samples).toBe(0);
  });
});

describe('resolveMetrics', () => {
  it('rejects an unknown metrics option, suggesting the close one', () => {
    expect(() => resolveMetrics('metricsPlugin', { accurcy: true } as never)).toThrow(
      'metricsPlugin: unknown metrics option "accurcy" (did you mean "accuracy"?); metrics options are accuracy, custom',
    );
    expect(() => resolveMetrics('metricsPlugin', { acc: true } as never)).toThrow(
      'metricsPlugin: unknown metrics option "acc"; metrics options are accuracy, custom',
    );
    expect(() => resolveMetrics('fit', { accuracy: true, Custom: {} } as never)).toThrow(/did you mean "custom"/);
  });
});
