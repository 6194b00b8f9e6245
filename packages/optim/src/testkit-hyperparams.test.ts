import { describe, expect, it } from 'vitest';
import { chain } from './chain';
import { defineOptimizer } from './define';
import { assertOptimizerConformance, checkOptimizerConformance } from './testkit';
import { addWeightDecay, scaleByLearningRate } from './transforms/basic';
import { traceMomentum } from './transforms/momentum';
import type { Hyperparams, UpdateRule } from './types';

const failed = (r: { failures: { check: string }[] }) => r.failures.map((f) => f.check);

function define(name: string, defaults: Hyperparams, ...rules: UpdateRule<unknown>[]) {
  return defineOptimizer({ name, defaults, rule: chain(...rules) });
}

/** The classic plugin bug: `lr` copied into the state at creation, so no scheduler changes the step. */
function lrAtCreation(): UpdateRule<{ lr: number }> {
  return {
    init: (_params, hp) => ({ lr: hp.lr }),
    update(updates, state) {
      for (const u of updates) if (u !== null) for (let j = 0; j < u.length; j++) u[j] *= -state.lr;
    },
  };
}

/** The same bug with a weight decay: `u ← u + λp` with the `λ` of creation. */
function decayAtCreation(): UpdateRule<{ decay: number }> {
  return {
    init: (_params, hp) => ({ decay: hp.weightDecay as number }),
    update(updates, state, ctx) {
      updates.forEach((u, i) => {
        if (u === null) return;
        const p = ctx.params[i].data;
        for (let j = 0; j < u.length; j++) u[j] += state.decay * p[j];
      });
    },
  };
}

/** `m ← β·m + (1 - β)·g`, `u ← m`, with the `β` of creation. */
function emaAtCreation(): UpdateRule<{ beta: number; m: Float64Array[] }> {
  return {
    init: (params, hp) => ({ beta: hp.beta as number, m: params.map((p) => new Float64Array(p.size)) }),
    update(updates, state) {
      updates.forEach((u, i) => {
        if (u === null) return;
        const m = state.m[i];
        for (let j = 0; j < u.length; j++) u[j] = m[j] = state.beta * m[j] + (1 - state.beta) * u[j];
      });
    },
  };
}

/**
 * Sign steps of a size that starts at `lr` at each parameter's first step and then decays (Rprop's way).
 * The broken variant starts every parameter at the `lr` of the group's first step.
 */
function stepSizeFromLr(perParameter: boolean): UpdateRule<{ first: number; size: number[] }> {
  return {
    init: (params) => ({ first: 0, size: params.map(() => 0) }),
    update(updates, state, ctx) {
      if (state.first === 0) state.first = ctx.hp.lr;
      updates.forEach((u, i) => {
        if (u === null) return;
        if (state.size[i] === 0) state.size[i] = perParameter ? ctx.hp.lr : state.first;
        state.size[i] *= 0.95;
        for (let j = 0; j < u.length; j++) u[j] = -state.size[i] * Math.sign(u[j]);
      });
    },
  };
}

describe('hyperparam-changes', () => {
  it('reports a rule that copies lr at creation, naming lr, and only that', () => {
    const broken = define('lrAtCreation', { lr: 1e-3 }, lrAtCreation());
    const result = checkOptimizerConformance(broken, { name: 'lrAtCreation' });
    expect(failed(result)).toEqual(['hyperparam-changes']);
    expect(result.failures[0].message).toBe(
      'lrAtCreation: lr set from 0.001 to 0.0005 in paramGroups between steps 3 and 4 (as a scheduler does) left the ' +
        'next step bit for bit as with lr unchanged, though an optimizer created with lr 0.0005 steps differently: ' +
        'the rule must read lr from ctx.hp at every step, not keep the value it had at creation',
    );
    expect(() => assertOptimizerConformance(broken, { name: 'lrAtCreation' })).toThrow(
      /lrAtCreation fails 1 conformance check\(s\):\n- hyperparam-changes \(reads its hyperparameters at every step.*\): lrAtCreation: lr set from/,
    );
    // The same rule reading ctx.hp.lr passes.
    const fixed = define('lr', { lr: 1e-3 }, scaleByLearningRate());
    expect(checkOptimizerConformance(fixed, { name: 'lr' }).failures).toEqual([]);
  });

  it('reports a weight decay kept from creation, and passes the host blocks that read it', () => {
    const defaults = { lr: 1e-3, weightDecay: 0 };
    const broken = define('decayAtCreation', defaults, decayAtCreation(), scaleByLearningRate());
    const result = checkOptimizerConformance(broken, { name: 'decayAtCreation' });
    expect(failed(result)).toEqual(['hyperparam-changes']);
    expect(result.failures[0].message).toMatch(/^decayAtCreation: weightDecay set from 0 to 0\.1 in paramGroups/);
    const sgd = define(
      'sgd',
      { ...defaults, momentum: 0, dampening: 0, nesterov: false },
      addWeightDecay(),
      traceMomentum(),
      scaleByLearningRate(),
    );
    // momentum 0 → 0.1 shows only at the second step (the buffer it starts is the gradient): allowed.
    for (const options of [{}, { weightDecay: 0.01, momentum: 0.9 }])
      expect(checkOptimizerConformance(sgd, { name: 'sgd', options }).failures).toEqual([]);
  });

  it("accepts lr read only at a parameter's first step (Rprop's step sizes), not at the group's first step", () => {
    const perParameter = define('stepSizes', { lr: 1e-3 }, stepSizeFromLr(true));
    expect(checkOptimizerConformance(perParameter, { name: 'stepSizes' }).failures).toEqual([]);
    const perGroup = define('firstLr', { lr: 1e-3 }, stepSizeFromLr(false));
    const result = checkOptimizerConformance(perGroup, { name: 'firstLr' });
    expect(failed(result)).toEqual(['hyperparam-changes']);
    expect(result.failures[0].message).toMatch(/^firstLr: lr set from 0\.001 to 0\.0005/);
  });

  it('checks the hyperparameters named in hyperparams instead', () => {
    const ema = define('ema', { lr: 1e-3, beta: 0.9 }, emaAtCreation(), scaleByLearningRate());
    // beta is not among the names checked by default.
    expect(checkOptimizerConformance(ema, { name: 'ema' }).failures).toEqual([]);
    const result = checkOptimizerConformance(ema, { name: 'ema', hyperparams: ['lr', 'beta'] });
    expect(failed(result)).toEqual(['hyperparam-changes']);
    expect(result.failures[0].message).toMatch(
      /^ema: beta set from 0\.9 to 0\.45 in paramGroups .* left the next 2 steps bit for bit as with beta unchanged/,
    );
    const broken = define('lrAtCreation', { lr: 1e-3 }, lrAtCreation());
    expect(checkOptimizerConformance(broken, { name: 'x', hyperparams: [] }).failures).toEqual([]);
  });

  it('reports a named hyperparameter that is not a number or does not change the steps', () => {
    const sgd = define('sgd', { lr: 1e-3, unused: 1, maximize: false }, scaleByLearningRate());
    const result = checkOptimizerConformance(sgd, { name: 'sgd', hyperparams: ['nope', 'maximize', 'unused', 'lr'] });
    expect(failed(result)).toEqual(['hyperparam-changes']);
    expect(result.failures[0].message).toBe(
      'sgd: nope is not a finite number in the parameter group (got undefined); ' +
        'maximize is not a finite number in the parameter group (got false); ' +
        "an optimizer created with unused 0.5 instead of 1 takes the same steps on the testkit's problem, so a change of unused cannot be seen",
    );
    expect(() => checkOptimizerConformance(sgd, { name: 'sgd', hyperparams: 'lr' as never })).toThrow(
      /hyperparams must be an array of hyperparameter names/,
    );
  });
});
