import { type Tensor, tensor } from '@nablajs/core';
import { createOptimizer, resetRegistry, stepContext, usePlugin } from '@nablajs/optim';
import { assertOptimizerConformance } from '@nablajs/optim/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import rpropPlugin, { descend, rprop } from './index';

const param = (values: number[]) => tensor(values, { dtype: 'float64', requiresGrad: true });
const setGrad = (p: Tensor, values: number[]) => {
  p.grad = tensor(values, { dtype: 'float64' });
};
type RpropSaved = { step: number[]; prev: { data: number[] }[]; stepSize: { data: number[] }[] };
const rpropState = (opt: ReturnType<typeof rprop>) => (opt.stateDict().state[0] as unknown[])[1] as RpropSaved;

describe('rprop', () => {
  it("has PyTorch's defaults", () => {
    expect({ ...rprop([param([1])]).defaults }).toEqual({
      lr: 0.01,
      etas: [0.5, 1.2],
      stepSizes: [1e-6, 50],
      maximize: false,
    });
  });

  it('moves every element by exactly lr * sign(g) at the first step', () => {
    const p = param([1, 1, 1]);
    const opt = rprop([p], { lr: 0.25 });
    setGrad(p, [3, -0.001, 0]);
    opt.step();
    expect(Array.from(p.data)).toEqual([0.75, 1.25, 1]);
  });

  it('grows the step while the sign is kept, shrinks it and skips the move where it flips', () => {
    const p = param([0, 0]);
    const opt = rprop([p], { lr: 1, etas: [0.5, 2] });
    setGrad(p, [1, 1]);
    opt.step(); // [-1, -1]
    setGrad(p, [1, -1]);
    opt.step(); // step [2, 0.5]; element 1 flipped: no move, prev = 0
    expect(Array.from(p.data)).toEqual([-3, -1]);
    expect(rpropState(opt).prev[0].data).toEqual([1, 0]);
    expect(rpropState(opt).stepSize[0].data).toEqual([2, 0.5]);
    setGrad(p, [1, -1]);
    opt.step(); // element 1: s = 0, step unchanged 0.5, moves +0.5
    expect(Array.from(p.data)).toEqual([-7, -0.5]);
    expect(rpropState(opt).stepSize[0].data).toEqual([4, 0.5]);
  });

  it('clamps the step sizes to stepSizes, read at every step', () => {
    const p = param([0]);
    const opt = rprop([p], { lr: 1, etas: [0.5, 3], stepSizes: [0.1, 2] });
    setGrad(p, [1]);
    opt.step();
    setGrad(p, [1]);
    opt.step();
    expect(rpropState(opt).stepSize[0].data).toEqual([2]);
    opt.paramGroups[0].stepSizes = [0.1, 1.5];
    setGrad(p, [1]);
    opt.step();
    expect(rpropState(opt).stepSize[0].data).toEqual([1.5]);
    expect(p.data[0]).toBe(-4.5);
  });

  it('uses lr only as the initial step size', () => {
    const p = param([0]);
    const opt = rprop([p], { lr: 1, etas: [0.5, 2] });
    setGrad(p, [1]);
    opt.step();
    opt.paramGroups[0].lr = 100;
    setGrad(p, [1]);
    opt.step();
    expect(p.data[0]).toBe(-3);
  });

  it('maximize ascends', () => {
    const p = param([0]);
    const opt = rprop([p], { lr: 0.5, maximize: true });
    setGrad(p, [2]);
    opt.step();
    expect(p.data[0]).toBe(0.5);
  });

  it('uses per-group hyperparameters and skips parameters without a gradient', () => {
    const a = param([0]);
    const b = param([0]);
    const opt = rprop([{ params: [a] }, { params: [b], lr: 1 }], { lr: 0.5 });
    setGrad(a, [1]);
    opt.step();
    expect([a.data[0], b.data[0]]).toEqual([-0.5, 0]);
    setGrad(b, [1]);
    opt.step();
    expect([a.data[0], b.data[0]]).toEqual([-0.5 - 0.6, -1]);
    const state = opt.stateDict().state as unknown[][];
    expect((state[0][1] as RpropSaved).step).toEqual([2]);
    expect((state[1][1] as RpropSaved).step).toEqual([1]);
  });

  it('round-trips stateDict and continues bit for bit', () => {
    const run = (split: boolean) => {
      const p = param([1, -1]);
      let opt = rprop([p], { lr: 0.1 });
      for (let k = 0; k < 8; k++) {
        if (split && k === 4) {
          const saved = JSON.parse(JSON.stringify(opt.stateDict()));
          opt = rprop([p]);
          opt.loadStateDict(saved);
        }
        setGrad(p, [Math.sin(3 * k + p.data[0]), p.data[1]]);
        opt.step();
      }
      return Array.from(p.data);
    };
    expect(run(true)).toEqual(run(false));
  });

  it('rejects invalid options with messages naming rprop and the option', () => {
    const p = [param([1])];
    expect(() => rprop(p, { lr: -1 })).toThrow('rprop: lr must be in [0, inf), got -1');
    expect(() => rprop(p, { etas: [0.5] })).toThrow('rprop: etas must be an array of 2 numbers, got [0.5]');
    expect(() => rprop(p, { etas: [1, 1.2] })).toThrow('rprop: etas[0] must be in (0, 1), got 1');
    expect(() => rprop(p, { etas: [0.5, 1] })).toThrow('rprop: etas[1] must be in (1, inf), got 1');
    expect(() => rprop(p, { stepSizes: [-1, 50] })).toThrow('rprop: stepSizes[0] must be in [0, inf), got -1');
    expect(() => rprop(p, { stepSizes: [1, 0.5] })).toThrow(
      'rprop: stepSizes[0] must be <= stepSizes[1], got [1, 0.5]',
    );
    expect(() => rprop(p, { maximize: 1 as unknown as boolean })).toThrow('rprop: maximize must be true or false');
  });

  it('lets a group edit its own tuples without changing the defaults of any optimizer', () => {
    const opt = rprop([param([1])]);
    (opt.paramGroups[0].etas as number[])[0] = 0.1;
    expect(opt.paramGroups[0].etas).toEqual([0.1, 1.2]);
    expect(opt.defaults.etas).toEqual([0.5, 1.2]);
    expect(rprop([param([1])]).paramGroups[0].etas).toEqual([0.5, 1.2]);
  });
});

describe('descend', () => {
  it('negates every update and skips missing ones', () => {
    const u = new Float64Array([1, -2]);
    descend().update([u, null], null, stepContext([], { lr: 1 }));
    expect(Array.from(u)).toEqual([-1, 2]);
  });
});

describe('@nablajs/optim-rprop plugin', () => {
  afterEach(() => resetRegistry());

  it('provides rprop by name', () => {
    expect(rpropPlugin.name).toBe('@nablajs/optim-rprop');
    usePlugin(rpropPlugin);
    expect(createOptimizer('rprop', [param([1])], { etas: [0.3, 1.5] }).name).toBe('rprop');
  });
});

describe('conformance', () => {
  it('rprop passes the optimizer conformance suite', () => {
    // stepSizes[0] = 0 so that a group with lr 0 stays put (PyTorch clamps the initial step size up to stepSizes[0]).
    assertOptimizerConformance(rprop, {
      name: 'rprop',
      options: { lr: 0.01, stepSizes: [0, 50] },
      invalidOptions: [{ etas: [1.5, 1.2] }, { stepSizes: [2, 1] }, { maximize: 'no' }],
    });
  });
});
