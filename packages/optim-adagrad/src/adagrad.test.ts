import { type Tensor, tensor } from '@nablajs/core';
import { createOptimizer, resetRegistry, usePlugin } from '@nablajs/optim';
import { assertOptimizerConformance } from '@nablajs/optim/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import adagradPlugin, { adagrad } from './index';

const param = (values: number[]) => tensor(values, { dtype: 'float64', requiresGrad: true });
const setGrad = (p: Tensor, values: number[]) => {
  p.grad = tensor(values, { dtype: 'float64' });
};

describe('adagrad', () => {
  it("has PyTorch's defaults", () => {
    expect({ ...adagrad([param([1])]).defaults }).toEqual({
      lr: 0.01,
      lrDecay: 0,
      weightDecay: 0,
      initialAccumulatorValue: 0,
      eps: 1e-10,
      maximize: false,
    });
  });

  it('p -= lr / (1 + (t - 1) lrDecay) * g / (sqrt(sum) + eps), sum starting at initialAccumulatorValue', () => {
    const p = param([0]);
    const opt = adagrad([p], { lr: 1, lrDecay: 1, initialAccumulatorValue: 5, eps: 0 });
    setGrad(p, [2]);
    opt.step(); // sum = 9: -2/3
    expect(p.data[0]).toBeCloseTo(-2 / 3, 15);
    setGrad(p, [4]);
    opt.step(); // sum = 25, clr = 1/2: -0.5 * 4/5
    expect(p.data[0]).toBeCloseTo(-2 / 3 - 0.4, 15);
  });

  it('maximize ascends, with weight decay applied after the flip', () => {
    const p = param([1]);
    const opt = adagrad([p], { lr: 0.1, eps: 0, maximize: true, weightDecay: 3 });
    setGrad(p, [1]);
    opt.step(); // g = -1 + 3 = 2 -> step 0.1 * sign
    expect(p.data[0]).toBeCloseTo(0.9, 15);
  });

  it('uses per-group hyperparameters and reads lr and lrDecay at every step', () => {
    const a = param([0]);
    const b = param([0]);
    const opt = adagrad([{ params: [a] }, { params: [b], lr: 1 }], { lr: 0.5, eps: 0 });
    setGrad(a, [1]);
    setGrad(b, [1]);
    opt.step();
    expect([a.data[0], b.data[0]]).toEqual([-0.5, -1]);
    opt.paramGroups[1].lr = 2;
    opt.paramGroups[1].lrDecay = 1;
    opt.zeroGrad();
    setGrad(b, [1]);
    opt.step(); // clr = 2 / 2 = 1, g / sqrt(2)
    expect(b.data[0]).toBeCloseTo(-1 - 1 / Math.sqrt(2), 15);
    expect(a.data[0]).toBe(-0.5); // no gradient: untouched
  });

  it('round-trips stateDict and continues bit for bit', () => {
    const run = (split: boolean) => {
      const p = param([1, -1]);
      let opt = adagrad([p], { lr: 0.1, lrDecay: 0.01 });
      for (let k = 0; k < 6; k++) {
        if (split && k === 3) {
          const saved = JSON.parse(JSON.stringify(opt.stateDict()));
          opt = adagrad([p]);
          opt.loadStateDict(saved);
        }
        setGrad(p, [Math.sin(k + p.data[0]), p.data[1]]);
        opt.step();
      }
      return Array.from(p.data);
    };
    expect(run(true)).toEqual(run(false));
  });

  it('rejects invalid options with messages naming adagrad and the option', () => {
    const p = [param([1])];
    expect(() => adagrad(p, { lr: -1 })).toThrow('adagrad: lr must be in [0, inf), got -1');
    expect(() => adagrad(p, { lrDecay: -1 })).toThrow('adagrad: lrDecay must be in [0, inf), got -1');
    expect(() => adagrad(p, { weightDecay: -1 })).toThrow('adagrad: weightDecay must be in [0, inf), got -1');
    expect(() => adagrad(p, { initialAccumulatorValue: -1 })).toThrow(
      'adagrad: initialAccumulatorValue must be in [0, inf), got -1',
    );
    expect(() => adagrad(p, { eps: -1 })).toThrow('adagrad: eps must be in [0, inf), got -1');
    expect(() => adagrad(p, { maximize: 'no' as unknown as boolean })).toThrow(
      'adagrad: maximize must be true or false',
    );
  });
});

describe('@nablajs/optim-adagrad plugin', () => {
  afterEach(() => resetRegistry());

  it('provides adagrad by name', () => {
    expect(adagradPlugin.name).toBe('@nablajs/optim-adagrad');
    usePlugin(adagradPlugin);
    expect(createOptimizer('adagrad', [param([1])], { lrDecay: 0.1 }).name).toBe('adagrad');
  });
});

describe('conformance', () => {
  it('adagrad passes the optimizer conformance suite', () => {
    assertOptimizerConformance(adagrad, {
      name: 'adagrad',
      options: { lr: 0.1, lrDecay: 0.01 },
      invalidOptions: [{ lrDecay: -1 }, { initialAccumulatorValue: -1 }, { eps: -1 }],
    });
  });
});
