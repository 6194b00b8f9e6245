import { type Tensor, tensor, ValueError } from '@nablajs/core';
import { createOptimizer, resetRegistry, usePlugin } from '@nablajs/optim';
import { assertOptimizerConformance } from '@nablajs/optim/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import sgdPlugin, { asgd, sgd } from './index';

const param = (values: number[]) => tensor(values, { dtype: 'float64', requiresGrad: true });
const setGrad = (p: Tensor, values: number[]) => {
  p.grad = tensor(values, { dtype: 'float64' });
};
const values = (p: Tensor) => Array.from(p.data);

describe('sgd', () => {
  it("has PyTorch's defaults", () => {
    const opt = sgd([param([1])]);
    expect({ ...opt.defaults }).toEqual({
      lr: 1e-3,
      momentum: 0,
      dampening: 0,
      weightDecay: 0,
      nesterov: false,
      maximize: false,
    });
  });

  it('plain step: p -= lr * g', () => {
    const p = param([1, 2]);
    const opt = sgd([p], { lr: 0.5 });
    setGrad(p, [1, -2]);
    opt.step();
    expect(values(p)).toEqual([0.5, 3]);
  });

  it('momentum with dampening: the buffer starts at g, then buf = m * buf + (1 - d) * g', () => {
    const p = param([0]);
    const opt = sgd([p], { lr: 1, momentum: 0.5, dampening: 0.5 });
    setGrad(p, [2]);
    opt.step(); // buf = 2
    expect(values(p)).toEqual([-2]);
    setGrad(p, [4]);
    opt.step(); // buf = 1 + 2 = 3
    expect(values(p)).toEqual([-5]);
  });

  it('nesterov: p -= lr * (g + m * buf)', () => {
    const p = param([0]);
    const opt = sgd([p], { lr: 1, momentum: 0.5, nesterov: true });
    setGrad(p, [2]);
    opt.step(); // buf = 2, update 2 + 1 = 3
    expect(values(p)).toEqual([-3]);
    setGrad(p, [1]);
    opt.step(); // buf = 1 + 1 = 2, update 1 + 1 = 2
    expect(values(p)).toEqual([-5]);
  });

  it('maximize ascends the gradient while weight decay still shrinks p', () => {
    const p = param([2]);
    const opt = sgd([p], { lr: 0.1, maximize: true, weightDecay: 0.5 });
    setGrad(p, [1]);
    opt.step(); // g = -1 + 0.5 * 2 = 0
    expect(values(p)).toEqual([2]);
    setGrad(p, [3]);
    opt.step(); // g = -3 + 1 = -2
    expect(values(p)[0]).toBeCloseTo(2.2, 15);
  });

  it('uses per-group hyperparameters', () => {
    const a = param([0]);
    const b = param([0]);
    const opt = sgd([{ params: [a] }, { params: [b], lr: 1, momentum: 0.5 }], { lr: 0.1 });
    for (let k = 0; k < 2; k++) {
      setGrad(a, [1]);
      setGrad(b, [1]);
      opt.step();
    }
    expect(values(a)[0]).toBeCloseTo(-0.2, 15);
    expect(values(b)).toEqual([-2.5]); // 1 + 1.5
  });

  it('applies hyperparameters changed between steps (lr, momentum)', () => {
    const p = param([0]);
    const opt = sgd([p], { lr: 1, momentum: 0.9 });
    setGrad(p, [1]);
    opt.step(); // buf = 1
    opt.paramGroups[0].lr = 2;
    opt.paramGroups[0].momentum = 0.5;
    setGrad(p, [1]);
    opt.step(); // buf = 0.5 + 1 = 1.5; p -= 2 * 1.5
    expect(values(p)).toEqual([-4]);
  });

  it('skips parameters without a gradient (no buffer is created for them)', () => {
    const a = param([1]);
    const b = param([1]);
    const opt = sgd([a, b], { lr: 0.5, momentum: 0.9 });
    setGrad(a, [1]);
    opt.step();
    expect(values(b)).toEqual([1]);
    const state = opt.stateDict().state[0] as unknown[];
    expect((state[2] as { momentumBuffer: unknown[] }).momentumBuffer[1]).toBeNull();
  });

  it('round-trips stateDict through JSON and continues bit for bit', () => {
    const run = (split: boolean) => {
      const p = param([1, -1]);
      let opt = sgd([p], { lr: 0.1, momentum: 0.9, nesterov: true, weightDecay: 0.01 });
      for (let k = 0; k < 6; k++) {
        if (split && k === 3) {
          const saved = JSON.parse(JSON.stringify(opt.stateDict()));
          opt = sgd([p], { lr: 0.5 });
          opt.loadStateDict(saved);
        }
        setGrad(p, [Math.sin(k + p.data[0]), Math.cos(k * p.data[1])]);
        opt.step();
      }
      return values(p);
    };
    expect(run(true)).toEqual(run(false));
  });

  it('rejects invalid options with messages naming sgd and the option', () => {
    const p = [param([1])];
    expect(() => sgd(p, { lr: -1 })).toThrow('sgd: lr must be in [0, inf), got -1');
    expect(() => sgd(p, { momentum: -0.1 })).toThrow('sgd: momentum must be in [0, inf), got -0.1');
    expect(() => sgd(p, { dampening: 2 })).toThrow('sgd: dampening must be in [0, 1], got 2');
    expect(() => sgd(p, { weightDecay: Number.NaN })).toThrow('sgd: weightDecay must be in [0, inf), got NaN');
    expect(() => sgd(p, { nesterov: 1 as unknown as boolean })).toThrow('sgd: nesterov must be true or false, got 1');
    expect(() => sgd(p, { maximize: 'yes' as unknown as boolean })).toThrow('sgd: maximize must be true or false');
    expect(() => sgd(p, { nesterov: true })).toThrow(
      'sgd: nesterov requires momentum > 0 and dampening = 0, got momentum 0 and dampening 0',
    );
    expect(() => sgd(p, { nesterov: true, momentum: 0.9, dampening: 0.1 })).toThrow(ValueError);
    expect(() => sgd([{ params: p, nesterov: true }], { momentum: 0 })).toThrow('sgd: nesterov requires momentum > 0');
    expect(() => sgd(p, { betas: [0.9, 0.99] } as never)).toThrow('sgd: unknown option "betas"');
  });
});

describe('@nablajs/optim-sgd plugin', () => {
  afterEach(() => resetRegistry());

  it('provides sgd and asgd by name', () => {
    expect(sgdPlugin.name).toBe('@nablajs/optim-sgd');
    expect(sgdPlugin.optimizers).toEqual({ sgd, asgd });
    usePlugin(sgdPlugin);
    const p = param([1]);
    const opt = createOptimizer('sgd', [p], { lr: 0.5, momentum: 0.9 });
    expect(opt.name).toBe('sgd');
    setGrad(p, [1]);
    opt.step();
    expect(values(p)).toEqual([0.5]);
    expect(createOptimizer('asgd', [param([1])]).name).toBe('asgd');
  });
});

describe('conformance', () => {
  it('sgd passes the optimizer conformance suite', () => {
    assertOptimizerConformance(sgd, {
      name: 'sgd',
      options: { lr: 1e-3, momentum: 0.9, nesterov: true },
      invalidOptions: [{ momentum: -1 }, { dampening: 2 }, { nesterov: 'yes' }],
    });
  });
  it('asgd passes the optimizer conformance suite', () => {
    assertOptimizerConformance(asgd, {
      name: 'asgd',
      options: { lr: 1e-3 },
      invalidOptions: [{ lambd: -1 }, { t0: -1 }, { maximize: 1 }],
    });
  });
});
