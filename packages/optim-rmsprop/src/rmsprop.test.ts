import { type Tensor, tensor } from '@nablajs/core';
import { createOptimizer, resetRegistry, usePlugin } from '@nablajs/optim';
import { assertOptimizerConformance } from '@nablajs/optim/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import rmspropPlugin, { rmsprop } from './index';

const param = (values: number[]) => tensor(values, { dtype: 'float64', requiresGrad: true });
const setGrad = (p: Tensor, values: number[]) => {
  p.grad = tensor(values, { dtype: 'float64' });
};

describe('rmsprop', () => {
  it("has PyTorch's defaults (alpha 0.99, lr 0.01)", () => {
    expect({ ...rmsprop([param([1])]).defaults }).toEqual({
      lr: 0.01,
      alpha: 0.99,
      eps: 1e-8,
      weightDecay: 0,
      momentum: 0,
      centered: false,
      maximize: false,
    });
  });

  it('first step: p -= lr * g / (sqrt((1 - alpha) g²) + eps)', () => {
    const p = param([1]);
    const opt = rmsprop([p], { lr: 0.1, alpha: 0.75, eps: 0 });
    setGrad(p, [3]);
    opt.step();
    expect(p.data[0]).toBeCloseTo(1 - 0.1 * 2, 15);
  });

  it('momentum: the buffer starts at zero (first step equals the plain step)', () => {
    const a = param([1]);
    const b = param([1]);
    const plain = rmsprop([a], { lr: 0.1 });
    const withMomentum = rmsprop([b], { lr: 0.1, momentum: 0.9 });
    setGrad(a, [2]);
    setGrad(b, [2]);
    plain.step();
    withMomentum.step();
    expect(b.data[0]).toBe(a.data[0]);
  });

  it('maximize ascends, with weight decay applied after the flip', () => {
    const p = param([1]);
    const opt = rmsprop([p], { lr: 0.1, alpha: 0, eps: 0, maximize: true, weightDecay: 0.5 });
    setGrad(p, [2]);
    opt.step(); // g = -2 + 0.5 = -1.5; g / |g| = -1
    expect(p.data[0]).toBeCloseTo(1.1, 15);
  });

  it('uses per-group hyperparameters and reads them at every step', () => {
    const a = param([0]);
    const b = param([0]);
    const opt = rmsprop([{ params: [a] }, { params: [b], lr: 1, alpha: 0 }], { lr: 0.1, alpha: 0, eps: 0 });
    setGrad(a, [4]);
    setGrad(b, [4]);
    opt.step();
    expect(a.data[0]).toBeCloseTo(-0.1, 15);
    expect(b.data[0]).toBe(-1);
    opt.paramGroups[1].lr = 2;
    opt.paramGroups[1].centered = true;
    opt.paramGroups[1].alpha = 0.5;
    setGrad(b, [4]);
    opt.step(); // v = 8 + 8 = 16, ga = 0 + 2 = 2 -> 4 / sqrt(12)
    expect(b.data[0]).toBeCloseTo(-1 - (2 * 4) / Math.sqrt(12), 14);
  });

  it('round-trips stateDict and continues bit for bit', () => {
    const run = (split: boolean) => {
      const p = param([1, -1]);
      let opt = rmsprop([p], { lr: 0.01, momentum: 0.9, centered: true });
      for (let k = 0; k < 6; k++) {
        if (split && k === 3) {
          const saved = JSON.parse(JSON.stringify(opt.stateDict()));
          opt = rmsprop([p], { momentum: 0.9, centered: true });
          opt.loadStateDict(saved);
        }
        setGrad(p, [Math.sin(k + p.data[0]), p.data[1]]);
        opt.step();
      }
      return Array.from(p.data);
    };
    expect(run(true)).toEqual(run(false));
  });

  it('rejects invalid options with messages naming rmsprop and the option', () => {
    const p = [param([1])];
    expect(() => rmsprop(p, { lr: -1 })).toThrow('rmsprop: lr must be in [0, inf), got -1');
    expect(() => rmsprop(p, { alpha: -0.5 })).toThrow('rmsprop: alpha must be in [0, inf), got -0.5');
    expect(() => rmsprop(p, { eps: -1 })).toThrow('rmsprop: eps must be in [0, inf), got -1');
    expect(() => rmsprop(p, { weightDecay: -1 })).toThrow('rmsprop: weightDecay must be in [0, inf), got -1');
    expect(() => rmsprop(p, { momentum: -1 })).toThrow('rmsprop: momentum must be in [0, inf), got -1');
    expect(() => rmsprop(p, { centered: 1 as unknown as boolean })).toThrow('rmsprop: centered must be true or false');
    expect(() => rmsprop([{ params: p, maximize: null as unknown as boolean }])).toThrow(
      'rmsprop: maximize must be true or false, got null',
    );
  });
});

describe('@nablajs/optim-rmsprop plugin', () => {
  afterEach(() => resetRegistry());

  it('provides rmsprop by name', () => {
    expect(rmspropPlugin.name).toBe('@nablajs/optim-rmsprop');
    usePlugin(rmspropPlugin);
    expect(createOptimizer('rmsprop', [param([1])], { centered: true }).name).toBe('rmsprop');
  });
});

describe('conformance', () => {
  it('rmsprop passes the optimizer conformance suite', () => {
    assertOptimizerConformance(rmsprop, {
      name: 'rmsprop',
      options: { lr: 0.01, centered: true, momentum: 0.5 },
      invalidOptions: [{ alpha: -1 }, { eps: -1 }, { momentum: -1 }],
    });
  });
});
