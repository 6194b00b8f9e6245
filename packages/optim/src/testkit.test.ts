import type { TypedArray } from '@nablajs/core';
import { describe, expect, it } from 'vitest';
import { chain } from './chain';
import { defineOptimizer } from './define';
import { assertOptimizerConformance, checkOptimizerConformance } from './testkit';
import { scaleByAdam } from './transforms/adam';
import { addWeightDecay, flipIfMaximize, scaleByLearningRate } from './transforms/basic';
import { clipByGlobalNorm } from './transforms/clip-by-global-norm';
import type { Hyperparams, Optimizer, ParamsInput, StepContext, UpdateRule } from './types';
import { checkNumber } from './validate';

const defaults = { lr: 1e-3, maximize: false, weightDecay: 0 };
function validate(name: string) {
  return (hp: Readonly<Hyperparams>) => {
    checkNumber(name, 'lr', hp.lr, { min: 0 });
    checkNumber(name, 'weightDecay', hp.weightDecay, { min: 0 });
  };
}

function define(name: string, ...rules: UpdateRule<unknown>[]) {
  return defineOptimizer({ name, defaults, validate: validate(name), rule: chain(...rules) });
}

const sgd = define('sgd-blocks', flipIfMaximize(), addWeightDecay(), scaleByLearningRate());

/** Halves every gradient it sees (a rule must never touch param.grad). */
const touchGrads: UpdateRule<null> = {
  init: () => null,
  update(_updates, _state, ctx: StepContext) {
    for (const p of ctx.params) if (p.grad !== null) for (let j = 0; j < p.size; j++) p.grad.data[j] *= 0.5;
  },
};

/** Jitters the updates randomly. */
const jitter: UpdateRule<null> = {
  init: () => null,
  update(updates) {
    for (const u of updates) if (u !== null) for (let j = 0; j < u.length; j++) u[j] *= 1 + 1e-3 * Math.random();
  },
};

/** Heavy-ball momentum whose buffers live outside the state (so stateDict() misses them). */
function hiddenMomentum(): UpdateRule<null> {
  const buffers = new Map<unknown, Float64Array>();
  return {
    init: () => null,
    update(updates, _state, ctx) {
      updates.forEach((u, i) => {
        if (u === null) return;
        let b = buffers.get(ctx.params[i]);
        if (b === undefined) {
          b = new Float64Array(u.length);
          buffers.set(ctx.params[i], b);
        }
        for (let j = 0; j < u.length; j++) {
          b[j] = 0.9 * b[j] + u[j];
          u[j] = b[j];
        }
      });
    },
  };
}

/** Applies a fixed learning rate, ignoring the group's. */
const fixedLr: UpdateRule<null> = {
  init: () => null,
  update(updates: readonly (TypedArray | null)[]) {
    for (const u of updates) if (u !== null) for (let j = 0; j < u.length; j++) u[j] *= -1e-3;
  },
};

const failed = (r: { failures: { check: string }[] }) => r.failures.map((f) => f.check);

describe('checkOptimizerConformance', () => {
  it('passes for SGD built from host blocks, in float64 and float32', () => {
    for (const dtype of ['float64', 'float32'] as const) {
      const result = checkOptimizerConformance(sgd, {
        name: 'sgd-blocks',
        dtype,
        invalidOptions: [{ weightDecay: -1 }, { lr: Number.NaN }],
      });
      expect(result.failures).toEqual([]);
      expect(result.passed).toEqual([
        'convex-quadratic',
        'rosenbrock',
        'param-groups',
        'null-grads',
        'hyperparam-changes',
        'closure-required',
        'train-eval',
        'state-dict',
        'deterministic',
        'grads-untouched',
        'invalid-options',
        'closure-loss',
        'hooks',
      ]);
      expect(result.skipped).toEqual([]);
    }
  });

  it('reports an optimizer that modifies the gradients', () => {
    const result = checkOptimizerConformance(define('touches-grads', touchGrads, scaleByLearningRate()), {
      name: 'touches-grads',
    });
    expect(failed(result)).toEqual(['grads-untouched']);
    expect(result.failures[0].message).toMatch(/^touches-grads: step\(\) changed the gradient of parameter 0/);
  });

  it('reports a nondeterministic optimizer', () => {
    const result = checkOptimizerConformance(define('jitter', jitter, scaleByLearningRate()), { name: 'jitter' });
    expect(failed(result)).toContain('deterministic');
    expect(result.failures.find((f) => f.check === 'deterministic')?.message).toMatch(/two identical runs differ/);
  });

  it('reports an optimizer whose state does not round-trip', () => {
    const factory = defineOptimizer({
      name: 'hidden',
      defaults,
      validate: validate('hidden'),
      rule: chain(hiddenMomentum(), scaleByLearningRate()),
    });
    const result = checkOptimizerConformance(factory, { name: 'hidden' });
    expect(failed(result)).toEqual(['state-dict']);
    expect(result.failures[0].message).toMatch(/after loadStateDict and 4 more steps/);
  });

  it('reports an optimizer that moves a group with lr 0', () => {
    const result = checkOptimizerConformance(define('fixed-lr', fixedLr), { name: 'fixed-lr' });
    expect(failed(result)).toEqual(['param-groups']);
    expect(result.failures[0].message).toMatch(/the parameter of group 0 \(lr 0\) moved/);
  });

  it('reports accepted invalid options, and options rejected without naming them', () => {
    const lax = defineOptimizer({ name: 'lax', defaults, rule: chain(scaleByLearningRate()) });
    const result = checkOptimizerConformance(lax, { name: 'lax', invalidOptions: [{ weightDecay: -1 }] });
    expect(failed(result)).toEqual(['invalid-options']);
    // defineOptimizer rejects lr < 0 and ill-typed options by default; the rest is the rule's validate.
    expect(result.failures[0].message).toBe('lax: {"weightDecay":-1} was accepted');
    const vague = defineOptimizer({
      name: 'vague',
      defaults,
      validate: (hp) => {
        if (hp.lr < 0) throw new Error('bad');
      },
      rule: chain(scaleByLearningRate()),
    });
    expect(checkOptimizerConformance(vague, { name: 'vague' }).failures[0].message).toMatch(
      /names none of its options: bad/,
    );
  });

  it('reports divergence, wrong closure losses and misbehaving hooks on a hand-written optimizer', () => {
    const result = checkOptimizerConformance(sgd, { name: 'sgd-diverging', options: { lr: 0.5 } });
    expect(failed(result)).toContain('rosenbrock');
    const broken = (params: ParamsInput, options?: Partial<Hyperparams>) => {
      const opt = sgd(params, options);
      const step = opt.step.bind(opt);
      opt.step = (closure) => {
        step(closure);
        return 42;
      };
      opt.onAfterStep = () => () => {};
      return opt;
    };
    const r2 = checkOptimizerConformance(broken, { name: 'broken' });
    expect(failed(r2)).toEqual(['closure-loss', 'hooks']);
    expect(r2.failures.find((f) => f.check === 'closure-loss')?.message).toMatch(/returned 42/);
    expect(r2.failures.find((f) => f.check === 'hooks')?.message).toMatch(/hooks fired as \[before 1, before 2\]/);
  });

  it('skips checks on request and rejects unknown check ids', () => {
    const result = checkOptimizerConformance(define('fixed-lr', fixedLr), { name: 'fixed-lr', skip: ['param-groups'] });
    expect(result.failures).toEqual([]);
    expect(result.skipped).toEqual(['param-groups']);
    expect(() => checkOptimizerConformance(sgd, { name: 'x', skip: ['nope' as never] })).toThrow(
      /unknown check "nope"/,
    );
  });
});

describe('checkOptimizerConformance and couplings', () => {
  it("passes the guide's recipe chain(clipByGlobalNorm(1), scaleByAdam(), scaleByLearningRate()) (a coupled rule)", () => {
    const clippedAdam = defineOptimizer({
      name: 'clippedAdam',
      defaults: { lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, amsgrad: false },
      rule: chain(clipByGlobalNorm(1), scaleByAdam(), scaleByLearningRate()),
    });
    const result = checkOptimizerConformance(clippedAdam, { name: 'clippedAdam' });
    expect(result.failures).toEqual([]);
  });

  it("null-grads catches a coupled rule that advances the frozen parameter's own state", () => {
    /** Global-norm scaling that also counts a step for every parameter, with or without a gradient. */
    const leaky: UpdateRule<{ steps: number[] }> = {
      init: (params) => ({ steps: params.map(() => 0) }),
      couples: { global: true },
      update(updates, state, ctx) {
        for (let i = 0; i < updates.length; i++) state.steps[i] += 1;
        for (const u of updates) if (u !== null) for (let j = 0; j < u.length; j++) u[j] *= -ctx.hp.lr;
      },
    };
    const result = checkOptimizerConformance(define('leaky', leaky), { name: 'leaky' });
    expect(failed(result)).toEqual(['null-grads']);
    expect(result.failures[0].message).toMatch(
      /the state of a parameter whose grad was null advanced: state\[0\]\[0\]\.steps\[1\]/,
    );
  });

  it('closure-required: a rule that needs a closure passes; one that says so but steps anyway is reported', () => {
    /** Re-evaluates once and descends along the fresh gradient. */
    const twice: UpdateRule<null> = {
      init: () => null,
      couples: { closure: true, global: true },
      passes: [
        (updates, _s, ctx) => {
          if (ctx.groupIndex === 0) ctx.evaluate();
          ctx.params.forEach((p, i) => {
            const u = updates[i];
            if (u !== null && p.grad !== null) u.set(p.grad.data);
          });
        },
      ],
      update(updates, _s, ctx) {
        for (const u of updates) if (u !== null) for (let j = 0; j < u.length; j++) u[j] *= -ctx.hp.lr;
      },
    };
    expect(checkOptimizerConformance(define('twice', twice), { name: 'twice' }).failures).toEqual([]);
    // Says it needs a closure, but steps without one.
    const liar = (params: ParamsInput, options?: Partial<Hyperparams>): Optimizer => {
      const opt = sgd(params, options);
      const wrapper: Optimizer = {
        name: opt.name,
        defaults: opt.defaults,
        paramGroups: opt.paramGroups,
        requiresClosure: true,
        step: (c) => opt.step(c),
        zeroGrad: (s) => opt.zeroGrad(s),
        addParamGroup: (g) => opt.addParamGroup(g),
        stateDict: () => opt.stateDict(),
        loadStateDict: (sd) => opt.loadStateDict(sd),
        onBeforeStep: (h) => opt.onBeforeStep(() => h(wrapper)),
        onAfterStep: (h) => opt.onAfterStep(() => h(wrapper)),
      };
      return wrapper;
    };
    const result = checkOptimizerConformance(liar, { name: 'liar' });
    expect(failed(result)).toEqual(['closure-required']);
    expect(result.failures[0].message).toMatch(/step\(\) without a closure did not throw/);
  });

  it('train-eval: a two-point rule passes; one whose train() does not undo eval() is reported', () => {
    const offset = (undo: boolean): UpdateRule<null> => ({
      init: () => null,
      couples: { trainEval: true },
      update(updates, _s, ctx) {
        for (const u of updates) if (u !== null) for (let j = 0; j < u.length; j++) u[j] *= -ctx.hp.lr;
      },
      setMode(mode, _s, ctx) {
        if (mode === 'train' && !undo) return;
        const d = mode === 'eval' ? 0.25 : -0.25;
        for (const p of ctx.params) for (let j = 0; j < p.size; j++) p.data[j] += d;
      },
    });
    expect(checkOptimizerConformance(define('two-point', offset(true)), { name: 'two-point' }).failures).toEqual([]);
    const result = checkOptimizerConformance(define('one-way', offset(false)), { name: 'one-way' });
    expect(failed(result)).toEqual(['train-eval']);
    expect(result.failures[0].message).toMatch(/eval\(\) then train\(\) did not restore parameter 0/);
  });
});

describe('assertOptimizerConformance', () => {
  it('returns the result when everything passes, and throws listing every failure otherwise', () => {
    expect(assertOptimizerConformance(sgd, { name: 'sgd-blocks' }).failures).toEqual([]);
    expect(() =>
      assertOptimizerConformance(define('touches-grads', touchGrads, fixedLr), { name: 'touches-grads' }),
    ).toThrow(
      /touches-grads fails 2 conformance check\(s\):\n- param-groups .*\n- grads-untouched \(leaves gradients untouched\): touches-grads: step\(\) changed/,
    );
  });
});
