import { Generator, gradcheck, gradients, ShapeError, type Tensor, tensor, ValueError, zeros } from '@nablajs/core';
import { describe, expect, it } from 'vitest';
import { l1Loss } from './l1-loss';
import { huberLoss, smoothL1Loss } from './smooth-l1-loss';
import { expectValues, REDUCTIONS, randomTensor, referenceReduce, snapshot } from './test-utils';

function smoothL1Ref(d: number, beta: number): number {
  const a = Math.abs(d);
  if (beta === 0) return a;
  return a < beta ? (0.5 * d * d) / beta : a - 0.5 * beta;
}

function huberRef(d: number, delta: number): number {
  const a = Math.abs(d);
  return a <= delta ? 0.5 * d * d : delta * (a - 0.5 * delta);
}

describe('smoothL1Loss', () => {
  it('matches a plain loop for every reduction and several betas', () => {
    const gen = new Generator(7);
    const x = randomTensor([5, 4], gen, { scale: 1.5 });
    const y = randomTensor([5, 4], gen);
    for (const beta of [1, 0.5, 2, 0]) {
      const per = Array.from(x.data, (v, i) => smoothL1Ref(v - y.data[i], beta));
      for (const reduction of REDUCTIONS)
        expectValues(smoothL1Loss(x, y, { beta, reduction }), referenceReduce(per, reduction));
    }
  });

  it('is quadratic inside beta and linear outside (hand-computed)', () => {
    const loss = smoothL1Loss(tensor([0.5, 3, -3]), tensor([0, 0, 0]), { reduction: 'none' });
    expectValues(loss, [0.125, 2.5, 2.5], 1e-7);
  });

  it('passes gradcheck w.r.t. input and target, including beta = 0', () => {
    const gen = new Generator(8);
    for (const beta of [1, 0.3, 0]) {
      for (const reduction of REDUCTIONS) {
        const x = randomTensor([6], gen, { requiresGrad: true });
        const y = randomTensor([6], gen, { requiresGrad: true });
        expect(gradcheck((a, b) => smoothL1Loss(a, b, { beta, reduction }), [x, y])).toBe(true);
      }
    }
  });

  it('has a finite gradient at d = 0 with beta = 0', () => {
    const x = tensor([1, 2], { dtype: 'float64', requiresGrad: true });
    const [g] = gradients([smoothL1Loss(x, tensor([1, 0], { dtype: 'float64' }), { beta: 0 })], [x]);
    expectValues(g as never, [0, 0.5]);
  });

  it("is l1Loss with beta = 0, gradients included: 0 at d = 0, where PyTorch 1.13's smooth_l1_loss gives -1 (documented)", () => {
    const x = tensor([1, 2, 3], { dtype: 'float64', requiresGrad: true });
    const y = tensor([1, 2.5, 2], { dtype: 'float64', requiresGrad: true });
    const [gx, gy] = gradients([smoothL1Loss(x, y, { beta: 0, reduction: 'sum' })], [x, y]);
    const [lx, ly] = gradients([l1Loss(x, y, { reduction: 'sum' })], [x, y]);
    expectValues(gx as never, [0, -1, 1]); // PyTorch: [-1, -1, 1]
    expectValues(gy as never, [0, 1, -1]); // PyTorch: [1, 1, -1]
    expect(Array.from((gx as Tensor).values)).toEqual(Array.from((lx as Tensor).values));
    expect(Array.from((gy as Tensor).values)).toEqual(Array.from((ly as Tensor).values));
  });

  it('rejects a negative beta, mismatched shapes and a bad reduction', () => {
    expect(() => smoothL1Loss(zeros([2]), zeros([2]), { beta: -1 })).toThrow(ValueError);
    expect(() => smoothL1Loss(zeros([2]), zeros([2]), { beta: -1 })).toThrow(/smoothL1Loss: beta must be >= 0, got -1/);
    expect(() => smoothL1Loss(zeros([2, 2]), zeros([2]))).toThrow(ShapeError);
    expect(() => smoothL1Loss(zeros([2]), zeros([2]), { reduction: 'all' as never })).toThrow(
      /smoothL1Loss: reduction/,
    );
  });
});

describe('huberLoss', () => {
  it('matches a plain loop for every reduction and several deltas', () => {
    const gen = new Generator(9);
    const x = randomTensor([3, 5], gen, { scale: 2 });
    const y = randomTensor([3, 5], gen);
    for (const delta of [1, 0.5, 3]) {
      const per = Array.from(x.data, (v, i) => huberRef(v - y.data[i], delta));
      for (const reduction of REDUCTIONS)
        expectValues(huberLoss(x, y, { delta, reduction }), referenceReduce(per, reduction));
    }
  });

  it('equals delta times smoothL1Loss with beta = delta', () => {
    const gen = new Generator(10);
    const x = randomTensor([8], gen, { scale: 2 });
    const y = randomTensor([8], gen);
    const h = huberLoss(x, y, { delta: 0.7, reduction: 'none' });
    const s = smoothL1Loss(x, y, { beta: 0.7, reduction: 'none' });
    expectValues(
      h,
      Array.from(s.data, (v) => 0.7 * v),
    );
  });

  it('gives hand-computed values', () => {
    expectValues(huberLoss(tensor([0.5, 3]), tensor([0, 0]), { reduction: 'none', delta: 2 }), [0.125, 4], 1e-7);
  });

  it('passes gradcheck w.r.t. input and target', () => {
    const gen = new Generator(11);
    for (const reduction of REDUCTIONS) {
      const x = randomTensor([6], gen, { requiresGrad: true, scale: 2 });
      const y = randomTensor([6], gen, { requiresGrad: true });
      expect(gradcheck((a, b) => huberLoss(a, b, { delta: 0.8, reduction }), [x, y])).toBe(true);
    }
  });

  it('does not mutate its inputs', () => {
    const gen = new Generator(12);
    const x = randomTensor([4], gen, { requiresGrad: true });
    const y = randomTensor([4], gen);
    const unchanged = snapshot(x, y);
    huberLoss(x, y).backward();
    unchanged();
  });

  it('rejects a delta that is not positive and mismatched shapes', () => {
    expect(() => huberLoss(zeros([2]), zeros([2]), { delta: 0 })).toThrow(ValueError);
    expect(() => huberLoss(zeros([2]), zeros([2]), { delta: 0 })).toThrow(
      /huberLoss: delta must be a finite number > 0, got 0/,
    );
    expect(() => huberLoss(zeros([3]), zeros([2]))).toThrow(
      /huberLoss: input has shape \[3\] but target has shape \[2\]/,
    );
  });
});
