import { type Tensor, type TypedArray, tensor } from '@nablajs/core';
import { describe, expect, it } from 'vitest';
import { chain } from '../chain';
import { defineOptimizer } from '../define';
import type { UpdateRule } from '../types';
import { accumulateGradients } from './accumulate';
import { addWeightDecay, flipIfMaximize, scaleByLearningRate } from './basic';

const defaults = { lr: 0.1, maximize: false, weightDecay: 0 };
const sgdRule = () => chain(flipIfMaximize(), addWeightDecay(), scaleByLearningRate());
const sgd = defineOptimizer({ name: 'sgd-test', defaults, rule: sgdRule() });
const accSgd = defineOptimizer({ name: 'acc-sgd-test', defaults, rule: accumulateGradients(3, sgdRule()) });

/** Micro-batch i: a different quadratic per batch. */
function microLoss(ps: Tensor[], i: number): Tensor {
  const c = [0.5, 1.5, 2.5, 0.75][i % 4];
  return ps[0]
    .sub(c)
    .square()
    .mul(c)
    .sum()
    .add(
      ps[1]
        .mul(ps[1])
        .mul(i + 1)
        .sum(),
    );
}

function fresh(): Tensor[] {
  return [
    tensor([1, -2, 0.3], { dtype: 'float64', requiresGrad: true }),
    tensor([0.7, -0.1], { dtype: 'float64', requiresGrad: true }),
  ];
}

/** A rule that counts its calls and the gradients it saw (to check what the inner rule receives). */
function spy(): UpdateRule<{ calls: number }> & { seen: number[][] } {
  const seen: number[][] = [];
  return {
    seen,
    init: () => ({ calls: 0 }),
    update(updates: readonly (TypedArray | null)[], state: { calls: number }) {
      state.calls++;
      seen.push(Array.from(updates[0] ?? []));
    },
  };
}

describe('accumulateGradients', () => {
  it('emits zero updates for k-1 steps, then the mean to the inner rule (hand computation)', () => {
    const inner = spy();
    const opt = defineOptimizer({ name: 'acc-spy', defaults: { lr: 1 }, rule: accumulateGradients(2, inner) })([
      tensor([0, 0], { dtype: 'float64', requiresGrad: true }),
    ]);
    const p = opt.paramGroups[0].params[0];
    p.grad = tensor([1, 2], { dtype: 'float64' });
    opt.step();
    expect(inner.seen).toEqual([]);
    expect(Array.from(p.data)).toEqual([0, 0]);
    p.grad = tensor([3, 5], { dtype: 'float64' });
    opt.step();
    expect(inner.seen).toEqual([[2, 3.5]]);
    expect(Array.from(p.data)).toEqual([2, 3.5]);
    p.grad = tensor([1, 1], { dtype: 'float64' });
    opt.step();
    expect(inner.seen.length).toBe(1);
    expect((opt.stateDict().state[0] as { inner: { calls: number } }).inner.calls).toBe(1);
  });

  it('matches accumulating .grad over k backward passes, dividing by k and stepping, bit for bit', () => {
    const a = fresh();
    const b = fresh();
    const optA = accSgd(a);
    const optB = sgd(b);
    for (let window = 0; window < 4; window++) {
      optB.zeroGrad();
      for (let i = 0; i < 3; i++) {
        optA.zeroGrad();
        microLoss(a, 3 * window + i).backward();
        const before = a.map((p) => Array.from(p.data));
        optA.step();
        if (i < 2) expect(a.map((p) => Array.from(p.data))).toEqual(before);
        microLoss(b, 3 * window + i).backward();
      }
      for (const p of b) for (let j = 0; j < p.size; j++) p.grad!.data[j] /= 3;
      optB.step();
      a.forEach((p, i) => {
        expect(Array.from(p.data)).toEqual(Array.from(b[i].data));
      });
    }
  });

  it('continues bit for bit after a state round trip in the middle of a window', () => {
    const a = fresh();
    const optA = accSgd(a);
    const step = (opt: typeof optA, ps: Tensor[], i: number) => {
      opt.zeroGrad();
      microLoss(ps, i).backward();
      opt.step();
    };
    for (let i = 0; i < 4; i++) step(optA, a, i);
    const b = fresh();
    b.forEach((p, i) => {
      p.data.set(a[i].data);
    });
    const optB = accSgd(b);
    optB.loadStateDict(JSON.parse(JSON.stringify(optA.stateDict())));
    for (let i = 4; i < 10; i++) {
      step(optA, a, i);
      step(optB, b, i);
    }
    a.forEach((p, i) => {
      expect(Array.from(p.data)).toEqual(Array.from(b[i].data));
    });
  });

  it('carries the partial sum of a parameter without a gradient at the k-th micro-step', () => {
    const p = tensor([0], { dtype: 'float64', requiresGrad: true });
    const q = tensor([0], { dtype: 'float64', requiresGrad: true });
    const opt = defineOptimizer({
      name: 'acc-null',
      defaults: { lr: 1 },
      rule: accumulateGradients(2, scaleByLearningRate()),
    })([p, q]);
    p.grad = tensor([2], { dtype: 'float64' });
    q.grad = tensor([4], { dtype: 'float64' });
    opt.step();
    q.grad = null;
    opt.step();
    expect(Array.from(p.data)).toEqual([-2]);
    expect(Array.from(q.data)).toEqual([0]);
    q.grad = tensor([2], { dtype: 'float64' });
    opt.step();
    opt.step();
    expect(Array.from(q.data)).toEqual([-4]);
  });

  it('validates k', () => {
    expect(() => accumulateGradients(0, sgdRule())).toThrow(
      'accumulateGradients: k must be an integer in [1, inf), got 0',
    );
    expect(() => accumulateGradients(1.5, sgdRule())).toThrow(/k must be an integer/);
  });
});
