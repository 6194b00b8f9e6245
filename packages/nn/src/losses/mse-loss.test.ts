import { DTypeError, Generator, gradcheck, ShapeError, tensor, ValueError, zeros } from '@nablajs/core';
import { describe, expect, it } from 'vitest';
import { mseLoss } from './mse-loss';
import { expectValues, REDUCTIONS, randomTensor, referenceReduce, snapshot } from './test-utils';

describe('mseLoss', () => {
  it('matches a plain loop for every reduction', () => {
    const gen = new Generator(1);
    const x = randomTensor([4, 3], gen);
    const y = randomTensor([4, 3], gen);
    const per = Array.from(x.data, (v, i) => (v - y.data[i]) ** 2);
    for (const reduction of REDUCTIONS) expectValues(mseLoss(x, y, { reduction }), referenceReduce(per, reduction));
    expect(mseLoss(x, y, { reduction: 'none' }).shape).toEqual([4, 3]);
  });

  it('defaults to the mean and gives a hand-computed value', () => {
    expectValues(mseLoss(tensor([1, 2, 3]), tensor([1, 2, 5])), 4 / 3, 1e-6);
  });

  it('passes gradcheck w.r.t. input and target', () => {
    const gen = new Generator(2);
    for (const reduction of REDUCTIONS) {
      const x = randomTensor([3, 2], gen, { requiresGrad: true });
      const y = randomTensor([3, 2], gen, { requiresGrad: true });
      expect(gradcheck((a, b) => mseLoss(a, b, { reduction }), [x, y])).toBe(true);
    }
  });

  it('does not mutate its inputs', () => {
    const gen = new Generator(3);
    const x = randomTensor([5], gen, { requiresGrad: true });
    const y = randomTensor([5], gen);
    const unchanged = snapshot(x, y);
    mseLoss(x, y).backward();
    unchanged();
  });

  it('throws a ShapeError instead of broadcasting mismatched shapes', () => {
    expect(() => mseLoss(zeros([4, 3]), zeros([4, 2]))).toThrow(ShapeError);
    expect(() => mseLoss(zeros([4, 3]), zeros([4, 2]))).toThrow(
      /mseLoss: input has shape \[4,3\] but target has shape \[4,2\]/,
    );
    expect(() => mseLoss(zeros([4, 3]), zeros([3]))).toThrow(ShapeError);
  });

  it('rejects a bad reduction, integer tensors and non-tensors', () => {
    expect(() => mseLoss(zeros([2]), zeros([2]), { reduction: 'avg' as never })).toThrow(ValueError);
    expect(() => mseLoss(zeros([2]), zeros([2]), { reduction: 'avg' as never })).toThrow(
      /mseLoss: reduction must be 'mean', 'sum' or 'none', got "avg"/,
    );
    expect(() => mseLoss(zeros([2], { dtype: 'int32' }), zeros([2]))).toThrow(DTypeError);
    expect(() => mseLoss(zeros([2]), [1, 2] as never)).toThrow(/mseLoss: target must be a Tensor/);
  });
});
