import { type Tensor, tensor } from '@nablajs/core';
import { describe, expect, it } from 'vitest';
import { chain } from './chain';
import { defineOptimizer } from './define';
import { emaWeights } from './ema';
import { addWeightDecay, flipIfMaximize, scaleByLearningRate } from './transforms/basic';

const sgd = defineOptimizer({
  name: 'sgd-test',
  defaults: { lr: 0.1, maximize: false, weightDecay: 0 },
  rule: chain(flipIfMaximize(), addWeightDecay(), scaleByLearningRate()),
});

function fresh(): Tensor[] {
  return [
    tensor([1, -2], { dtype: 'float64', requiresGrad: true }),
    tensor([0.5], { dtype: 'float64', requiresGrad: true }),
  ];
}

const loss = (ps: Tensor[]) => ps[0].sub(3).square().sum().add(ps[1].pow(4).sum());

describe('emaWeights', () => {
  it('copies the weights at the first update, then avg += (1 - decay)(p - avg) (hand computation)', () => {
    const p = tensor([1], { dtype: 'float64' });
    const ema = emaWeights([p], { decay: 0.9 });
    expect(ema.averages()[0].data[0]).toBe(1);
    p.data[0] = 2;
    ema.update();
    expect(ema.averages()[0].data[0]).toBe(2);
    p.data[0] = 3;
    ema.update();
    expect(ema.averages()[0].data[0]).toBeCloseTo(2.1, 15);
    p.data[0] = 4;
    ema.update();
    expect(ema.averages()[0].data[0]).toBeCloseTo(2.29, 15);
    expect(ema.numUpdates).toBe(3);
  });

  it('hooked with onAfterStep, matches the manual loop bit for bit', () => {
    const ps = fresh();
    const opt = sgd(ps);
    const ema = emaWeights(ps, { decay: 0.95 });
    opt.onAfterStep(() => ema.update());
    const manual: Float64Array[] = [];
    for (let k = 0; k < 10; k++) {
      opt.zeroGrad();
      loss(ps).backward();
      opt.step();
      ps.forEach((p, i) => {
        if (k === 0) manual[i] = Float64Array.from(p.data);
        else for (let j = 0; j < p.size; j++) manual[i][j] += (1 - 0.95) * (p.data[j] - manual[i][j]);
      });
    }
    ema.averages().forEach((a, i) => {
      expect(Array.from(a.data)).toEqual(Array.from(manual[i]));
    });
  });

  it('warm-up uses min(decay, (1 + n) / (10 + n))', () => {
    const p = tensor([0], { dtype: 'float64' });
    const ema = emaWeights([p], { decay: 0.99, warmup: true });
    ema.update(); // n = 0: copy
    p.data[0] = 1;
    ema.update(); // n = 1: decay 2/11
    expect(ema.averages()[0].data[0]).toBeCloseTo(9 / 11, 15);
  });

  it('swap() exchanges weights and averages, and swapping back restores them exactly', () => {
    const ps = fresh();
    const ema = emaWeights(ps, { decay: 0.5 });
    ema.update();
    ps[0].data.set([5, 6]);
    ps[1].data.set([7]);
    ema.update();
    const raw = ps.map((p) => Array.from(p.data));
    const avg = ema.averages().map((a) => Array.from(a.data));
    expect(avg).toEqual([[3, 2], [3.75]]);
    ema.swap();
    expect(ema.swapped).toBe(true);
    expect(ps.map((p) => Array.from(p.data))).toEqual(avg);
    expect(ema.averages().map((a) => Array.from(a.data))).toEqual(avg);
    expect(() => ema.update()).toThrow(/emaWeights.update: the averaged weights are swapped in/);
    ema.swap();
    expect(ps.map((p) => Array.from(p.data))).toEqual(raw);
    expect(ema.averages()[0].shape).toEqual([2]);
  });

  it('round-trips its state through JSON and continues identically', () => {
    const ps = fresh();
    const ema = emaWeights(ps, { decay: 0.9 });
    for (let k = 0; k < 3; k++) {
      ps[0].data[0] += 1;
      ema.update();
    }
    const other = emaWeights(ps, { decay: 0.9 });
    other.loadStateDict(JSON.parse(JSON.stringify(ema.stateDict())));
    expect(other.numUpdates).toBe(3);
    ps[1].data[0] = -1;
    ema.update();
    other.update();
    expect(other.averages().map((a) => Array.from(a.data))).toEqual(ema.averages().map((a) => Array.from(a.data)));
  });

  it('rejects a state that does not fit, leaving itself untouched', () => {
    const ps = fresh();
    const ema = emaWeights(ps, { decay: 0.9 });
    ema.update();
    const before = JSON.stringify(ema.stateDict());
    const small = emaWeights([ps[0]], { decay: 0.9 }).stateDict();
    expect(() => ema.loadStateDict(small)).toThrow(
      /emaWeights.loadStateDict: the saved averages do not fit these parameters/,
    );
    expect(() => ema.loadStateDict(emaWeights(ps, { decay: 0.5 }).stateDict())).toThrow(/decay 0.5/);
    expect(() => ema.loadStateDict({} as never)).toThrow(/expected an object from emaWeights\(\).stateDict\(\)/);
    expect(JSON.stringify(ema.stateDict())).toBe(before);
    ema.swap();
    expect(() => ema.loadStateDict(JSON.parse(before))).toThrow(/swapped in/);
  });

  it('validates its options and parameters', () => {
    expect(() => emaWeights(fresh(), { decay: 1.5 })).toThrow('emaWeights: decay must be in [0, 1], got 1.5');
    expect(() => emaWeights(fresh(), { warmup: 1 as never })).toThrow(
      'emaWeights: warmup must be true or false, got 1',
    );
    expect(() => emaWeights([tensor([1], { dtype: 'int32' })])).toThrow(/params\[0\] is int32/);
    expect(() => emaWeights(fresh(), { decay: 0.9, num_updates: 10 } as never)).toThrow(
      /emaWeights: unknown option "num_updates"; options are decay, warmup/,
    );
  });
});
