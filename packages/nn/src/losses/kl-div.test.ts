import {
  Generator,
  gradcheck,
  gradients,
  logSoftmax,
  ShapeError,
  type Tensor,
  tensor,
  ValueError,
  zeros,
} from '@nablajs/core';
import { describe, expect, it } from 'vitest';
import { klDiv } from './kl-div';
import { expectValues, REDUCTIONS, randomTensor, referenceReduce, snapshot, uniformTensor } from './test-utils';

describe('klDiv', () => {
  const gen = new Generator(41);

  it('matches a plain loop for every reduction including batchmean, with probability and log targets', () => {
    const input = logSoftmax(randomTensor([4, 3], gen), 1);
    const target = uniformTensor([4, 3], gen, 0, 1);
    target.data[5] = 0;
    const per = Array.from(input.data, (x, i) => {
      const t = target.data[i];
      return t === 0 ? 0 : t * (Math.log(t) - x);
    });
    for (const reduction of REDUCTIONS)
      expectValues(klDiv(input, target, { reduction }), referenceReduce(per, reduction));
    expectValues(klDiv(input, target, { reduction: 'batchmean' }), (referenceReduce(per, 'sum') as number) / 4);
    const logTarget = randomTensor([4, 3], gen);
    const perLog = Array.from(input.data, (x, i) => Math.exp(logTarget.data[i]) * (logTarget.data[i] - x));
    for (const reduction of REDUCTIONS)
      expectValues(klDiv(input, logTarget, { reduction, logTarget: true }), referenceReduce(perLog, reduction));
  });

  it('is the KL divergence per sample with batchmean (hand-computed)', () => {
    const p = [0.2, 0.3, 0.5];
    const logq = logSoftmax(tensor([[1, 2, 3]], { dtype: 'float64' }), 1);
    const expected = p.reduce((s, pi, i) => s + pi * (Math.log(pi) - logq.data[i]), 0);
    expectValues(klDiv(logq, tensor([p], { dtype: 'float64' }), { reduction: 'batchmean' }), expected);
    expect(klDiv(logq, logq.exp(), { reduction: 'sum' }).item()).toBeCloseTo(0, 14);
  });

  it('passes gradcheck w.r.t. input and target', () => {
    for (const reduction of [...REDUCTIONS, 'batchmean'] as const) {
      const input = randomTensor([3, 4], gen, { requiresGrad: true });
      const target = uniformTensor([3, 4], gen, 0.05, 1, true);
      expect(gradcheck((a, b) => klDiv(a, b, { reduction }), [input, target])).toBe(true);
      const logTarget = randomTensor([3, 4], gen, { requiresGrad: true });
      expect(gradcheck((a, b) => klDiv(a, b, { reduction, logTarget: true }), [input, logTarget])).toBe(true);
    }
  });

  it('gives finite gradients where the target is 0', () => {
    const input = tensor([-1, -2], { dtype: 'float64', requiresGrad: true });
    const target = tensor([0, 1], { dtype: 'float64', requiresGrad: true });
    const [gi, gt] = gradients([klDiv(input, target, { reduction: 'sum' })], [input, target]);
    expectValues(gi as Tensor, [0, -1]);
    expectValues(gt as Tensor, [1, 3]); // log t + 1 - x, with the t = 0 term contributing -x
  });

  it('gives -input as the target gradient at target 0 (documented: the true derivative is -Inf, PyTorch gives NaN)', () => {
    const input = tensor([Math.log(0.3), Math.log(0.7)], { dtype: 'float64' });
    const target = tensor([0, 1], { dtype: 'float64', requiresGrad: true });
    const [gt] = gradients([klDiv(input, target, { reduction: 'sum' })], [target]);
    expect((gt as Tensor).values[0]).toBe(-Math.log(0.3));
    expect((gt as Tensor).values[1]).toBeCloseTo(1 - Math.log(0.7), 15);
  });

  it('does not mutate its inputs', () => {
    const input = randomTensor([3], gen, { requiresGrad: true });
    const target = uniformTensor([3], gen, 0, 1);
    const unchanged = snapshot(input, target);
    klDiv(input, target).backward();
    unchanged();
  });

  it('rejects mismatched shapes and a bad reduction', () => {
    expect(() => klDiv(zeros([2, 3]), zeros([2, 1]))).toThrow(ShapeError);
    expect(() => klDiv(zeros([2, 3]), zeros([2, 1]))).toThrow(
      /klDiv: input has shape \[2,3\] but target has shape \[2,1\]/,
    );
    expect(() => klDiv(zeros([2]), zeros([2]), { reduction: 'avg' as never })).toThrow(ValueError);
    expect(() => klDiv(zeros([2]), zeros([2]), { reduction: 'avg' as never })).toThrow(
      /klDiv: reduction must be 'mean', 'batchmean', 'sum' or 'none', got "avg"/,
    );
  });
});
