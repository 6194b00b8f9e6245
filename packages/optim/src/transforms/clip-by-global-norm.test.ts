import { type Tensor, tensor } from '@nablajs/core';
import { describe, expect, it } from 'vitest';
import { chain } from '../chain';
import { clipGradNorm } from '../clip';
import { stepContext } from '../context';
import { defineOptimizer } from '../define';
import { addWeightDecay, flipIfMaximize, scaleByLearningRate } from './basic';
import { clipByGlobalNorm } from './clip-by-global-norm';

const defaults = { lr: 0.1, maximize: false, weightDecay: 0 };
const sgd = defineOptimizer({
  name: 'sgd-test',
  defaults,
  rule: chain(flipIfMaximize(), addWeightDecay(), scaleByLearningRate()),
});
const clippedSgd = defineOptimizer({
  name: 'clipped-sgd-test',
  defaults,
  rule: chain(clipByGlobalNorm(1), flipIfMaximize(), addWeightDecay(), scaleByLearningRate()),
});

function loss(ps: Tensor[]): Tensor {
  return ps[0].square().mul(3).sum().add(ps[1].sub(2).pow(4).sum());
}

function fresh(): Tensor[] {
  return [
    tensor([1.5, -2, 0.25], { dtype: 'float64', requiresGrad: true }),
    tensor([0.5, 4], { dtype: 'float64', requiresGrad: true }),
  ];
}

describe('clipByGlobalNorm', () => {
  it('clips the updates by their global norm (hand computation)', () => {
    const rule = clipByGlobalNorm(1);
    const u = [new Float64Array([3, 4]), null, new Float64Array([12])];
    rule.update(u, rule.init([], { lr: 1 }), stepContext([], { lr: 1 }));
    const c = 1 / (13 + 1e-6);
    expect(Array.from(u[0]!)).toEqual([3 * c, 4 * c]);
    expect(Array.from(u[2]!)).toEqual([12 * c]);
  });

  it('supports other norm orders', () => {
    const rule = clipByGlobalNorm(2, Number.POSITIVE_INFINITY);
    const u = [new Float64Array([3, -4])];
    rule.update(u, null, stepContext([], { lr: 1 }));
    const c = 2 / (4 + 1e-6);
    expect(Array.from(u[0])).toEqual([3 * c, -4 * c]);
  });

  it('first in a chain, matches clipGradNorm before a plain step, bit for bit, and leaves grads alone', () => {
    const a = fresh();
    const b = fresh();
    const optA = clippedSgd(a);
    const optB = sgd(b);
    for (let k = 0; k < 6; k++) {
      optA.zeroGrad();
      loss(a).backward();
      const before = a.map((p) => Array.from(p.grad!.data));
      optA.step();
      expect(a.map((p) => Array.from(p.grad!.data))).toEqual(before);

      optB.zeroGrad();
      loss(b).backward();
      clipGradNorm(b, 1);
      optB.step();
      a.forEach((p, i) => {
        expect(Array.from(p.data)).toEqual(Array.from(b[i].data));
      });
    }
  });

  it('ignores parameters without a gradient', () => {
    const ps = fresh();
    const opt = clippedSgd(ps);
    ps[0].square().sum().backward();
    const g = Array.from(ps[0].grad!.data);
    const norm = Math.hypot(...g);
    const start = Array.from(ps[0].data);
    opt.step();
    const c = 1 / (norm + 1e-6);
    expect(Array.from(ps[0].data)).toEqual(start.map((x, j) => x + -0.1 * (g[j] * c)));
    expect(Array.from(ps[1].data)).toEqual([0.5, 4]);
  });

  it('validates its arguments', () => {
    expect(() => clipByGlobalNorm(-1)).toThrow('clipByGlobalNorm: maxNorm must be in [0, inf), got -1');
    expect(() => clipByGlobalNorm(1, Number.NaN)).toThrow(/^clipByGlobalNorm: normType must be a number .*, got NaN$/);
  });
});
