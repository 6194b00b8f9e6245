import { DTypeError, Generator, gradcheck, gradients, ShapeError, tensor, ValueError, zeros } from '@nablajs/core';
import { describe, expect, it } from 'vitest';
import { l1Loss } from './l1-loss';
import { expectValues, REDUCTIONS, randomTensor, referenceReduce, snapshot } from './test-utils';

describe('l1Loss', () => {
  it('matches a plain loop for every reduction', () => {
    const gen = new Generator(4);
    const x = randomTensor([2, 3, 2], gen);
    const y = randomTensor([2, 3, 2], gen);
    const per = Array.from(x.data, (v, i) => Math.abs(v - y.data[i]));
    for (const reduction of REDUCTIONS) expectValues(l1Loss(x, y, { reduction }), referenceReduce(per, reduction));
  });

  it('gives a hand-computed value and a zero gradient where input equals target', () => {
    const x = tensor([1, 2, 3], { dtype: 'float64', requiresGrad: true });
    const y = tensor([2, 2, 5], { dtype: 'float64' });
    const loss = l1Loss(x, y);
    expectValues(loss, 1);
    const [g] = gradients([loss], [x]);
    expectValues(g as never, [-1 / 3, 0, -1 / 3]);
  });

  it('passes gradcheck w.r.t. input and target', () => {
    const gen = new Generator(5);
    for (const reduction of REDUCTIONS) {
      const x = randomTensor([4], gen, { requiresGrad: true });
      const y = randomTensor([4], gen, { requiresGrad: true });
      expect(gradcheck((a, b) => l1Loss(a, b, { reduction }), [x, y])).toBe(true);
    }
  });

  it('does not mutate its inputs', () => {
    const gen = new Generator(6);
    const x = randomTensor([3], gen, { requiresGrad: true });
    const y = randomTensor([3], gen);
    const unchanged = snapshot(x, y);
    l1Loss(x, y, { reduction: 'sum' }).backward();
    unchanged();
  });

  it('throws on mismatched shapes, a bad reduction and integer input', () => {
    expect(() => l1Loss(zeros([4, 3]), zeros([4, 1]))).toThrow(ShapeError);
    expect(() => l1Loss(zeros([4, 3]), zeros([4, 1]))).toThrow(
      /l1Loss: input has shape \[4,3\] but target has shape \[4,1\]/,
    );
    expect(() => l1Loss(zeros([2]), zeros([2]), { reduction: 'batchmean' as never })).toThrow(ValueError);
    expect(() => l1Loss(zeros([2]), zeros([2], { dtype: 'int32' }))).toThrow(
      /l1Loss: target must be a float32 or float64 tensor, got int32/,
    );
    expect(() => l1Loss(zeros([2]), zeros([2], { dtype: 'int32' }))).toThrow(DTypeError);
  });
});
