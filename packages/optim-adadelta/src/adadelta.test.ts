import { type Tensor, tensor } from '@nablajs/core';
import { chain, createOptimizer, resetRegistry, stepContext, usePlugin } from '@nablajs/optim';
import { assertOptimizerConformance } from '@nablajs/optim/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import adadeltaPlugin, { adadelta, scaleByAdadelta } from './index';

const param = (values: number[]) => tensor(values, { dtype: 'float64', requiresGrad: true });
const setGrad = (p: Tensor, values: number[]) => {
  p.grad = tensor(values, { dtype: 'float64' });
};

describe('scaleByAdadelta', () => {
  it('puts eps inside both square roots and updates acc_delta after computing delta', () => {
    const ps = [tensor(new Float64Array(1))];
    const rule = chain(scaleByAdadelta());
    const state = rule.init(ps, { lr: 1 });
    const ctx = stepContext(ps, { lr: 1, rho: 0.5, eps: 0.25 });
    const u = new Float64Array([1]);
    rule.update([u], state, ctx);
    // v = 0.5; delta = sqrt(0 + 0.25) / sqrt(0.5 + 0.25) * 1; a = 0.5 * delta²
    const delta = 0.5 / Math.sqrt(0.75);
    expect(u[0]).toBeCloseTo(delta, 15);
    const s = state[0] as { step: number[]; squareAvg: Float64Array[]; accDelta: Float64Array[] };
    expect(s.step).toEqual([1]);
    expect(s.squareAvg[0][0]).toBe(0.5);
    expect(s.accDelta[0][0]).toBeCloseTo(0.5 * delta * delta, 15);
    rule.update([null], state, ctx); // no gradient: the step does not advance
    expect(s.step).toEqual([1]);
  });
});

describe('adadelta', () => {
  it("has PyTorch's defaults (lr 1.0)", () => {
    expect({ ...adadelta([param([1])]).defaults }).toEqual({
      lr: 1.0,
      rho: 0.9,
      eps: 1e-6,
      weightDecay: 0,
      maximize: false,
    });
  });

  it('lr multiplies delta', () => {
    const a = param([1]);
    const b = param([1]);
    const one = adadelta([a]);
    const half = adadelta([b], { lr: 0.5 });
    setGrad(a, [2]);
    setGrad(b, [2]);
    one.step();
    half.step();
    expect(1 - b.data[0]).toBeCloseTo((1 - a.data[0]) / 2, 15);
  });

  it('maximize ascends, with weight decay applied after the flip', () => {
    const a = param([1]);
    const b = param([1]);
    const asc = adadelta([a], { maximize: true, weightDecay: 0.5 });
    const desc = adadelta([b]);
    setGrad(a, [2]); // -2 + 0.5 = -1.5
    setGrad(b, [-1.5]);
    asc.step();
    desc.step();
    expect(a.data[0]).toBe(b.data[0]);
    expect(a.data[0]).toBeGreaterThan(1);
  });

  it('uses per-group hyperparameters and reads rho at every step', () => {
    const a = param([0]);
    const b = param([0]);
    const opt = adadelta([{ params: [a] }, { params: [b], rho: 0 }], { eps: 1 });
    setGrad(a, [1]);
    setGrad(b, [1]);
    opt.step();
    expect(a.data[0]).toBeCloseTo(-1 / Math.sqrt(1.1), 15);
    expect(b.data[0]).toBeCloseTo(-1 / Math.sqrt(2), 15);
    opt.paramGroups[0].rho = 0;
    setGrad(a, [1]);
    opt.step(); // v = 1, a_prev = 0.1 * delta1²
    const d1 = 1 / Math.sqrt(1.1);
    expect(a.data[0]).toBeCloseTo(-d1 - Math.sqrt(0.1 * d1 * d1 + 1) / Math.sqrt(2), 14);
  });

  it('round-trips stateDict and continues bit for bit', () => {
    const run = (split: boolean) => {
      const p = param([1, -1]);
      let opt = adadelta([p], { lr: 0.5 });
      for (let k = 0; k < 6; k++) {
        if (split && k === 3) {
          const saved = JSON.parse(JSON.stringify(opt.stateDict()));
          opt = adadelta([p]);
          opt.loadStateDict(saved);
        }
        setGrad(p, [Math.sin(k + p.data[0]), p.data[1]]);
        opt.step();
      }
      return Array.from(p.data);
    };
    expect(run(true)).toEqual(run(false));
  });

  it('rejects invalid options with messages naming adadelta and the option', () => {
    const p = [param([1])];
    expect(() => adadelta(p, { lr: -1 })).toThrow('adadelta: lr must be in [0, inf), got -1');
    expect(() => adadelta(p, { rho: 1.5 })).toThrow('adadelta: rho must be in [0, 1], got 1.5');
    expect(() => adadelta(p, { eps: -1 })).toThrow('adadelta: eps must be in [0, inf), got -1');
    expect(() => adadelta(p, { weightDecay: -1 })).toThrow('adadelta: weightDecay must be in [0, inf), got -1');
    expect(() => adadelta(p, { maximize: 1 as unknown as boolean })).toThrow(
      'adadelta: maximize must be true or false',
    );
  });
});

describe('@nablajs/optim-adadelta plugin', () => {
  afterEach(() => resetRegistry());

  it('provides adadelta by name', () => {
    expect(adadeltaPlugin.name).toBe('@nablajs/optim-adadelta');
    usePlugin(adadeltaPlugin);
    expect(createOptimizer('adadelta', [param([1])], { rho: 0.95 }).name).toBe('adadelta');
  });
});

describe('conformance', () => {
  it('adadelta passes the optimizer conformance suite', () => {
    assertOptimizerConformance(adadelta, {
      name: 'adadelta',
      options: { lr: 1 },
      invalidOptions: [{ rho: 2 }, { eps: -1 }, { weightDecay: -1 }],
    });
  });
});
