import { DTypeError, type Tensor, tensor, ValueError } from '@nablajs/core';
import { describe, expect, it } from 'vitest';
import { chain } from './chain';
import { defineOptimizer } from './define';
import { closureLossValue, stepWhenOnHost } from './device-closure';
import { hyperparamsNow } from './host-task';
import { addWeightDecay, flipIfMaximize, scaleByLearningRate } from './transforms/basic';
import type { Hyperparams, UpdateRule } from './types';
import { checkNumber } from './validate';

/** A rule with per-parameter state: counts steps and keeps a running sum of gradients. */
function counting(): UpdateRule<{ step: number[]; total: (Float64Array | null)[] }> {
  return {
    init: (params) => ({ step: params.map(() => 0), total: params.map(() => null) }),
    update(updates, state, _ctx) {
      for (let i = 0; i < updates.length; i++) {
        const u = updates[i];
        if (u === null) continue;
        state.step[i]++;
        let t = state.total[i];
        if (t === null) t = state.total[i] = new Float64Array(u.length);
        for (let j = 0; j < u.length; j++) t[j] += u[j];
      }
    },
  };
}

const sgd = defineOptimizer<Partial<Hyperparams>>({
  name: 'test-sgd',
  defaults: { lr: 0.1, weightDecay: 0, maximize: false },
  validate: (hp) => {
    checkNumber('test-sgd', 'lr', hp.lr, { min: 0 });
    checkNumber('test-sgd', 'weightDecay', hp.weightDecay, { min: 0 });
  },
  rule: chain(flipIfMaximize(), addWeightDecay(), counting(), scaleByLearningRate()),
});

const param = (values: number[]) => tensor(values, { dtype: 'float64', requiresGrad: true });
const setGrad = (p: Tensor, values: number[]) => {
  p.grad = tensor(values, { dtype: 'float64' });
};

describe('optimizer runtime', () => {
  it('updates parameters in place: the same Tensor objects hold the new values', () => {
    const p = param([1, 2]);
    const data = p.data;
    const opt = sgd([p], { lr: 0.5 });
    setGrad(p, [1, -2]);
    opt.step();
    expect(p.data).toBe(data);
    expect(Array.from(p.data)).toEqual([0.5, 3]);
  });

  it('leaves gradients untouched', () => {
    const p = param([1, 2]);
    const opt = sgd([p], { weightDecay: 0.1 });
    setGrad(p, [1, 1]);
    opt.step();
    expect(Array.from(p.grad!.data)).toEqual([1, 1]);
  });

  it('skips parameters without a gradient, and their state does not advance', () => {
    const a = param([1]);
    const b = param([1]);
    const opt = sgd([a, b]);
    setGrad(a, [1]);
    opt.step();
    expect(b.data[0]).toBe(1);
    const state = opt.stateDict().state[0] as unknown[];
    expect((state[2] as { step: number[] }).step).toEqual([1, 0]);
  });

  it('gives each group its own hyperparameters, and reads them at every step', () => {
    const a = param([1]);
    const b = param([1]);
    const opt = sgd([{ params: [a] }, { params: [b], lr: 0 }], { lr: 0.5 });
    expect(opt.paramGroups.map((g) => g.lr)).toEqual([0.5, 0]);
    setGrad(a, [1]);
    setGrad(b, [1]);
    opt.step();
    expect([a.data[0], b.data[0]]).toEqual([0.5, 1]);
    opt.paramGroups[1].lr = 0.25;
    opt.step();
    expect([a.data[0], b.data[0]]).toEqual([0, 0.75]);
  });

  it('addParamGroup fills unset hyperparameters from the defaults', () => {
    const opt = sgd([param([1])], { lr: 0.3, weightDecay: 0.01 });
    opt.addParamGroup({ params: [param([2])], lr: 0.1 });
    expect(opt.paramGroups[1].lr).toBe(0.1);
    expect(opt.paramGroups[1].weightDecay).toBe(0.01);
  });

  it('step(closure) calls the closure with gradients on and returns its loss', () => {
    const p = param([3]);
    const opt = sgd([p], { lr: 0.1 });
    const loss = opt.step(() => {
      opt.zeroGrad();
      const l = p.mul(p).sum();
      l.backward();
      return l;
    });
    expect(loss).toBe(9);
    expect(p.data[0]).toBeCloseTo(3 - 0.1 * 6, 15);
  });

  it('zeroGrad sets gradients to null, or to zeros with setToNone = false', () => {
    const p = param([1, 2]);
    const opt = sgd([p]);
    setGrad(p, [3, 4]);
    opt.zeroGrad(false);
    expect(Array.from(p.grad!.data)).toEqual([0, 0]);
    opt.zeroGrad();
    expect(p.grad).toBeNull();
  });

  it('runs step hooks in order and unsubscribes them', () => {
    const p = param([1]);
    const opt = sgd([p]);
    const calls: string[] = [];
    const offBefore = opt.onBeforeStep(() => calls.push(`before ${p.data[0]}`));
    const offAfter = opt.onAfterStep(() => calls.push(`after ${p.data[0]}`));
    setGrad(p, [1]);
    opt.step();
    offBefore();
    offAfter();
    opt.step();
    expect(calls).toEqual(['before 1', 'after 0.9']);
  });

  it('stateDict is JSON-safe and a reloaded optimizer continues bit for bit', () => {
    const run = (steps: number, p: Tensor, opt: ReturnType<typeof sgd>) => {
      for (let k = 0; k < steps; k++) {
        setGrad(p, [Math.sin(p.data[0]), Math.cos(p.data[1] * 1.7)]);
        opt.step();
      }
    };
    const p1 = param([0.3, -0.2]);
    const o1 = sgd([p1], { lr: 0.05, weightDecay: 0.01 });
    run(5, p1, o1);
    const saved = JSON.parse(JSON.stringify(o1.stateDict()));
    const p2 = param(Array.from(p1.data));
    const o2 = sgd([p2]);
    o2.loadStateDict(saved);
    expect(o2.paramGroups[0].lr).toBe(0.05);
    run(5, p1, o1);
    run(5, p2, o2);
    expect(Array.from(p2.data)).toEqual(Array.from(p1.data));
    expect(o2.stateDict()).toEqual(o1.stateDict());
  });

  it('a failed loadStateDict leaves the optimizer untouched', () => {
    const p = param([1, 2]);
    const opt = sgd([p], { lr: 0.05 });
    setGrad(p, [1, 1]);
    opt.step();
    const before = JSON.stringify(opt.stateDict());
    const other = sgd([param([1, 2, 3])], { lr: 0.7 });
    setGrad(other.paramGroups[0].params[0], [1, 1, 1]);
    other.step();
    expect(() => opt.loadStateDict(other.stateDict())).toThrow(/does not fit these parameters.*length 3, expected 2/);
    const foreign = { ...opt.stateDict(), name: 'adam' };
    expect(() => opt.loadStateDict(foreign)).toThrow(/state is from optimizer "adam", this one is "test-sgd"/);
    const badLr = JSON.parse(before);
    badLr.paramGroups[0].lr = -1;
    expect(() => opt.loadStateDict(badLr)).toThrow(/lr must be in \[0, inf\), got -1/);
    expect(JSON.stringify(opt.stateDict())).toBe(before);
  });

  it('rejects bad parameters and options with messages naming them', () => {
    expect(() => sgd([])).toThrow(/non-empty array/);
    expect(() => sgd([param([1])], { lr: -1 })).toThrow(ValueError);
    expect(() => sgd([param([1])], { lr: -1 })).toThrow('test-sgd: lr must be in [0, inf), got -1');
    expect(() => sgd([param([1])], { momentum: 0.9 } as never)).toThrow(
      /unknown option "momentum".*valid options: lr, weightDecay, maximize/,
    );
    expect(() => sgd([tensor([1], { dtype: 'int32' })])).toThrow(DTypeError);
    const p = param([1]);
    expect(() => sgd([p, p])).toThrow('test-sgd: params[1] is the same tensor as params[0]; give each parameter once');
    expect(() => sgd([{ params: [p] }, { params: [param([2]), p] }])).toThrow(
      'test-sgd: params[1] appears in more than one parameter group',
    );
    expect(() => sgd([p.mul(2)])).toThrow(/not a leaf/);
    const opt = sgd([param([1])]);
    expect(() => opt.step((() => undefined) as never)).toThrow(/closure must return the loss/);
  });
});

describe('stepAsync, closureStepOnDevice and hyperparamsNow', () => {
  it('stepAsync is step on the cpu backend: it resolves with the closure loss and takes the same step', async () => {
    const [a, b] = [param([1, -2]), param([1, -2])];
    const [optA, optB] = [sgd([a], { lr: 0.5 }), sgd([b], { lr: 0.5 })];
    const closureOf = (p: Tensor, opt: typeof optA) => () => {
      opt.zeroGrad();
      const l = p.mul(p).sum();
      l.backward();
      return l;
    };
    expect(await optA.stepAsync(closureOf(a, optA))).toBe(5);
    expect(optB.step(closureOf(b, optB))).toBe(5);
    expect(Array.from(a.values)).toEqual(Array.from(b.values));
    expect(Array.from(a.values)).toEqual([0, 0]);
    // without a closure: the step, and undefined
    setGrad(a, [1, 1]);
    expect(await optA.stepAsync()).toBeUndefined();
    expect(Array.from(a.values)).toEqual([-0.5, -0.5]);
    expect(optA.closureStepOnDevice()).toBe(false);
  });

  it('stepAsync rejects what step throws, naming the optimizer', async () => {
    const opt = sgd([param([1])]);
    await expect(opt.stepAsync(42 as never)).rejects.toThrow(/^test-sgd\.step: closure must be a function, got number/);
    await expect(opt.stepAsync(() => 'loss' as never)).rejects.toThrow(
      /test-sgd\.step: the closure must return the loss \(a Tensor or a number\), got loss/,
    );
  });

  it('hyperparamsNow runs a later task with the values of the call, then gives back those set since', () => {
    const opt = sgd([param([1])], { lr: 0.1 });
    const group = opt.paramGroups[0];
    const later = hyperparamsNow(opt.paramGroups);
    group.lr = 0.05; // a scheduler, before the task runs
    group.weightDecay = 0.2;
    const seen = later(() => {
      const lr = group.lr;
      group.maximize = true; // the task's own change stays
      return [lr, group.weightDecay];
    });
    expect(seen).toEqual([0.1, 0]);
    expect(group.lr).toBe(0.05);
    expect(group.weightDecay).toBe(0.2);
    expect(group.maximize).toBe(true);
    // an error in the task still gives the values back
    expect(() =>
      later(() => {
        throw new Error('boom');
      }),
    ).toThrow('boom');
    expect(group.lr).toBe(0.05);
  });

  it('stepWhenOnHost runs the step within the call on the cpu backend; closureLossValue reads a loss or names the optimizer', async () => {
    const opt = sgd([param([1])], { lr: 0.1 });
    let ran = false;
    const pending = stepWhenOnHost(opt.paramGroups, () => {
      ran = true;
      return opt.paramGroups[0].lr;
    });
    expect(ran).toBe(true);
    expect(await pending).toBe(0.1);
    expect(closureLossValue('mine', tensor([2.5]).sum())).toBe(2.5);
    expect(closureLossValue('mine', 3)).toBe(3);
    expect(() => closureLossValue('mine', undefined)).toThrow(
      /^mine\.step: the closure must return the loss \(a Tensor or a number\), got undefined/,
    );
  });

  it('defineOptimizer refuses a malformed closureOnDevice, naming it', () => {
    expect(() =>
      defineOptimizer({
        name: 'bad',
        defaults: { lr: 0.1 },
        rule: chain(scaleByLearningRate()),
        closureOnDevice: { when: () => true } as never,
      }),
    ).toThrow(/defineOptimizer: bad: closureOnDevice must be \{ when, run, rest: \{ rule, state \} \}/);
  });
});
