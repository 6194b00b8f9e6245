// The parts of the contract beyond elementwise rules: passes over every group, ctx.global, whole-matrix
// views, closure re-evaluation, train/eval points, and default validation.
import { matmul, type Tensor, tensor, tidy, ValueError } from '@nablajs/core';
import { describe, expect, it } from 'vitest';
import { chain } from './chain';
import { stepContext } from './context';
import { defineOptimizer } from './define';
import { scaleByLearningRate } from './transforms/basic';
import type { UpdateRule } from './types';

const param = (values: number[] | number[][]) => tensor(values, { dtype: 'float64', requiresGrad: true });
const setGrad = (p: Tensor, values: number[] | number[][]) => {
  p.grad = tensor(values, { dtype: 'float64' });
};

/** Normalised gradient descent by the global norm over every parameter of every group: u ← g / ‖g‖_all. */
function scaleByGlobalNorm(): UpdateRule<null> {
  return {
    init: () => null,
    passes: [
      (updates, _state, ctx) => {
        if (ctx.groupIndex === 0) ctx.global['test.sq'] = 0;
        let sq = ctx.global['test.sq'] as number;
        for (const u of updates) if (u !== null) for (let j = 0; j < u.length; j++) sq += u[j] * u[j];
        ctx.global['test.sq'] = sq;
        ctx.global['test.steps'] =
          ((ctx.global['test.steps'] as number | undefined) ?? 0) + (ctx.groupIndex === 0 ? 1 : 0);
      },
    ],
    update(updates, _state, ctx) {
      const norm = Math.sqrt(ctx.global['test.sq'] as number);
      for (const u of updates) if (u !== null) for (let j = 0; j < u.length; j++) u[j] /= norm;
    },
    couples: { global: true },
  };
}

const normalized = defineOptimizer({
  name: 'normalized',
  defaults: { lr: 1 },
  rule: chain(scaleByGlobalNorm(), scaleByLearningRate()),
});

describe('rules with passes over every group', () => {
  it('see statistics of all groups before any group updates', () => {
    const a = param([3]);
    const b = param([4]);
    const opt = normalized([{ params: [a] }, { params: [b], lr: 0.5 }]);
    setGrad(a, [3]);
    setGrad(b, [4]);
    opt.step();
    // ‖g‖ = 5 across both groups: a -= 1 * 3/5, b -= 0.5 * 4/5
    expect(a.data[0]).toBeCloseTo(3 - 0.6, 15);
    expect(b.data[0]).toBeCloseTo(4 - 0.4, 15);
  });

  it('keep ctx.global in the state dict, restored by loadStateDict', () => {
    const a = param([3]);
    const opt = normalized([a]);
    setGrad(a, [1]);
    opt.step();
    opt.step();
    const sd = JSON.parse(JSON.stringify(opt.stateDict()));
    expect(sd.global).toEqual({ 'test.sq': 1, 'test.steps': 2 });
    const fresh = normalized([param([3])]);
    fresh.loadStateDict(sd);
    expect(fresh.stateDict().global).toEqual({ 'test.sq': 1, 'test.steps': 2 });
    expect(() => fresh.loadStateDict({ ...sd, global: [1] })).toThrow(
      'normalized.loadStateDict: global must be an object',
    );
    expect(fresh.stateDict().global).toEqual({ 'test.sq': 1, 'test.steps': 2 });
  });

  it('skip groups without any gradient', () => {
    const a = param([3]);
    const b = param([4]);
    const opt = normalized([{ params: [a] }, { params: [b] }]);
    setGrad(a, [3]);
    opt.step();
    expect(a.data[0]).toBeCloseTo(2, 15);
    expect(b.data[0]).toBe(4);
  });

  it('run block by block in a chain, so a later block sees the earlier blocks of every group', () => {
    const double: UpdateRule<null> = {
      init: () => null,
      update(updates) {
        for (const u of updates) if (u !== null) for (let j = 0; j < u.length; j++) u[j] *= 2;
      },
    };
    const opt = defineOptimizer({ name: 'chained', defaults: { lr: 1 }, rule: chain(double, scaleByGlobalNorm()) });
    const a = param([1]);
    const b = param([1]);
    const o = opt([{ params: [a] }, { params: [b] }]);
    setGrad(a, [3]);
    setGrad(b, [4]);
    o.step();
    expect(o.stateDict().global).toMatchObject({ 'test.sq': 100 }); // (2·3)² + (2·4)²
    expect(a.data[0]).toBeCloseTo(1 + 0.6, 15);
  });
});

describe('whole-matrix rules', () => {
  it('ctx.updateTensor views the update buffer with the parameter shape, without a copy', () => {
    let seen: Tensor | null = null;
    const transposeProduct: UpdateRule<null> = {
      init: () => null,
      update(updates, _state, ctx) {
        for (let i = 0; i < updates.length; i++) {
          if (updates[i] === null) continue;
          const g = ctx.updateTensor(i);
          seen = g;
          const out = matmul(matmul(g, g.T), g); // (G Gᵀ) G
          expect(out.requiresGrad).toBe(false);
          (updates[i] as Float64Array).set(out.data);
        }
      },
    };
    const opt = defineOptimizer({ name: 'ggtg', defaults: { lr: 1 }, rule: transposeProduct })([
      param([
        [0, 0, 0],
        [0, 0, 0],
      ]),
    ]);
    const p = opt.paramGroups[0].params[0];
    setGrad(p, [
      [1, 0, 0],
      [0, 2, 0],
    ]);
    opt.step();
    expect(seen!.shape).toEqual([2, 3]);
    expect(p.toArray()).toEqual([
      [1, 0, 0],
      [0, 8, 0],
    ]);
  });

  it('the view survives a tidy() around step(): a second step inside another tidy() still works', () => {
    const negate = defineOptimizer({
      name: 'negateView',
      defaults: { lr: 1 },
      rule: {
        init: () => null,
        update(updates, _s, ctx) {
          updates.forEach((u, i) => {
            if (u !== null) u.set(ctx.updateTensor(i).neg().data);
          });
        },
      },
    });
    const p = param([1, 2]);
    const opt = negate([p]);
    for (let k = 0; k < 2; k++) {
      setGrad(p, [1, 1]);
      tidy(() => opt.step());
    }
    expect(Array.from(p.data)).toEqual([-1, 0]);
  });

  it('updateTensor of a parameter without an update throws a named error', () => {
    const ctx = stepContext([param([1])], { lr: 1 }, { updates: [null] });
    expect(() => ctx.updateTensor(0)).toThrow(ValueError);
  });
});

/** A two-evaluation rule: step along the gradient taken at p + 0.5·g (an extragradient step). */
const extragradient = defineOptimizer({
  name: 'extragradient',
  defaults: { lr: 0.1 },
  rule: {
    init: (params) => ({ saved: params.map((p) => new Float64Array(p.size)) }),
    passes: [
      (updates, state: { saved: Float64Array[] }, ctx) => {
        ctx.params.forEach((p, i) => {
          const u = updates[i];
          if (u === null) return;
          state.saved[i].set(p.data);
          for (let j = 0; j < u.length; j++) p.data[j] += 0.5 * u[j];
        });
      },
      (updates, state: { saved: Float64Array[] }, ctx) => {
        if (ctx.groupIndex === 0) ctx.evaluate();
        ctx.params.forEach((p, i) => {
          const u = updates[i];
          if (u === null || p.grad === null) return;
          p.data.set(state.saved[i]);
          u.set(p.grad.data);
        });
      },
    ],
    update(updates, _state, ctx) {
      for (const u of updates) if (u !== null) for (let j = 0; j < u.length; j++) u[j] *= -ctx.hp.lr;
    },
    couples: { closure: true, global: true },
  } as UpdateRule<unknown>,
});

describe('rules that re-evaluate the closure', () => {
  it('get fresh gradients at the point they set, then update from the original point', () => {
    const p = param([1]);
    const opt = extragradient([p]);
    expect(opt.requiresClosure).toBe(true);
    let calls = 0;
    const closure = () => {
      calls++;
      p.grad = null;
      const l = p.square().sum(); // g = 2p
      l.backward();
      return l;
    };
    const loss = opt.step(closure);
    expect(loss).toBe(1); // the first evaluation, at p = 1
    expect(calls).toBe(2);
    // g(1) = 2; perturbed point 1 + 0.5·2 = 2; g(2) = 4; p = 1 - 0.1·4
    expect(p.data[0]).toBeCloseTo(0.6, 15);
  });

  it('step() without a closure throws before anything changes', () => {
    const p = param([1]);
    const opt = extragradient([p]);
    setGrad(p, [2]);
    const before = JSON.stringify(opt.stateDict());
    expect(() => opt.step()).toThrow('extragradient.step: closure is required');
    expect(p.data[0]).toBe(1);
    expect(JSON.stringify(opt.stateDict())).toBe(before);
  });

  it('ctx.evaluate() outside a closure step is a named error', () => {
    const plain = defineOptimizer({
      name: 'sneaky',
      defaults: { lr: 1 },
      rule: {
        init: () => null,
        update: (_u, _s, ctx) => {
          ctx.evaluate();
        },
      },
    })([param([1])]);
    plain.paramGroups[0].params[0].grad = tensor([1], { dtype: 'float64' });
    expect(() => plain.step()).toThrow(
      'sneaky.step: this optimizer re-evaluates the loss within a step; pass a closure',
    );
  });
});

/** A rule with two points: eval mode holds p + offset, train mode p. */
function offsetPoints(): UpdateRule<{ offset: number }> {
  return {
    init: () => ({ offset: 10 }),
    update(updates, _state, ctx) {
      for (const u of updates) if (u !== null) for (let j = 0; j < u.length; j++) u[j] *= -ctx.hp.lr;
    },
    setMode(mode, state, ctx) {
      const d = mode === 'eval' ? state.offset : -state.offset;
      for (const p of ctx.params) for (let j = 0; j < p.size; j++) p.data[j] += d;
    },
    couples: { trainEval: true },
  };
}

const twoPoint = defineOptimizer({ name: 'twoPoint', defaults: { lr: 1 }, rule: offsetPoints() });

describe('train and eval points', () => {
  it('train() and eval() move the parameters once per change of mode', () => {
    const p = param([1]);
    const opt = twoPoint([p]);
    expect(opt.mode).toBe('train');
    opt.eval();
    opt.eval();
    expect(opt.mode).toBe('eval');
    expect(p.data[0]).toBe(11);
    opt.train();
    opt.train();
    expect(p.data[0]).toBe(1);
  });

  it('stepping in eval mode throws and changes nothing', () => {
    const p = param([1]);
    const opt = twoPoint([p]);
    opt.eval();
    setGrad(p, [1]);
    expect(() => opt.step()).toThrow('twoPoint.step: the optimizer is in eval mode');
    expect(p.data[0]).toBe(11);
  });

  it('the state dict records the mode, and loading it restores the mode without moving parameters', () => {
    const p = param([1]);
    const opt = twoPoint([p]);
    opt.eval();
    const sd = JSON.parse(JSON.stringify(opt.stateDict()));
    expect(sd.mode).toBe('eval');
    const q = param([11]); // the checkpoint's parameters, saved in eval mode
    const fresh = twoPoint([q]);
    fresh.loadStateDict(sd);
    expect(fresh.mode).toBe('eval');
    expect(q.data[0]).toBe(11);
    fresh.train();
    expect(q.data[0]).toBe(1);
    expect(() => fresh.loadStateDict({ ...sd, mode: 'sleep' as 'eval' })).toThrow("mode must be 'train' or 'eval'");
  });

  it('an optimizer with one point has no mode, and train()/eval() do nothing', () => {
    const p = param([1]);
    const opt = normalized([p]);
    expect(opt.mode).toBeUndefined();
    opt.eval?.();
    expect(p.data[0]).toBe(1);
    expect(opt.stateDict().mode).toBeUndefined();
  });
});

describe('default validation', () => {
  const plain = defineOptimizer({
    name: 'plain',
    defaults: { lr: 0.1, beta: 0.9, flag: false, pair: [1, 2], kind: 'a', maybe: null },
    rule: scaleByLearningRate(),
  });
  it('rejects lr < 0 and options of the wrong type, naming the option', () => {
    const p = [param([1])];
    expect(() => plain(p, { lr: -1 })).toThrow('plain: lr must be in [0, inf), got -1');
    expect(() => plain(p, { beta: Number.NaN })).toThrow('plain: beta must be');
    expect(() => plain(p, { lr: Number.POSITIVE_INFINITY })).toThrow(
      'plain: lr must be a finite number >= 0, got Infinity',
    );
    expect(() => plain(p, { beta: Number.NEGATIVE_INFINITY })).toThrow(
      'plain: beta must be a finite number, got -Infinity',
    );
    expect(() => plain(p, { beta: '0.9' as unknown as number })).toThrow('plain: beta must be');
    expect(() => plain(p, { flag: 1 as unknown as boolean })).toThrow('plain: flag must be true or false, got 1');
    expect(() => plain(p, { pair: [1] })).toThrow('plain: pair must be an array of 2 numbers');
    expect(() => plain(p, { kind: 3 as unknown as string })).toThrow('plain: kind must be a string, got 3');
    expect(() => plain(p, { maybe: 'anything' })).not.toThrow();
    expect(() => plain([{ params: p, lr: -2 }])).toThrow('plain: lr must be in [0, inf), got -2');
    expect(() => plain(p, null as unknown as object)).toThrow('plain: options must be an object');
  });
});

describe('defineOptimizer checks its definition', () => {
  it('names what is missing, at definition time', () => {
    const rule = scaleByLearningRate();
    expect(() => defineOptimizer({ name: '', defaults: { lr: 1 }, rule })).toThrow(
      'defineOptimizer: name must be a non-empty string',
    );
    expect(() => defineOptimizer({ name: 'x', defaults: {} as never, rule })).toThrow(
      'defineOptimizer: x: defaults.lr must be a number',
    );
    expect(() => defineOptimizer({ name: 'x', defaults: { lr: 1 } } as never)).toThrow(
      'defineOptimizer: x: rule must be an update rule with init and update functions',
    );
    expect(() => defineOptimizer({ name: 'x', defaults: { lr: 1 }, rule, validate: 3 as never })).toThrow(
      'defineOptimizer: x: validate must be a function',
    );
  });
});
