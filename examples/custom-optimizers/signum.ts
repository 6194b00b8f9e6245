// Signum (Bernstein, Wang, Azizzadenesheli & Anandkumar 2018, "signSGD: compressed optimisation for
// non-convex problems"): the sign of an exponential moving average of the gradient. An elementwise
// rule: every element of every parameter is updated on its own.
import { allocate, type TypedArray } from '@nablajs/core';
import { chain, checkNumber, defineOptimizer, scaleByLearningRate, type UpdateRule } from '@nablajs/optim';

/** The state of {@link scaleBySignum}: one momentum buffer per parameter, in its dtype. */
export interface SignumState {
  momentum: TypedArray[];
}

/** `m ← β·m + (1 - β)·(g + λ·p)`, `u ← sign(m)`, with `β = momentum` and `λ = weightDecay`. */
export function scaleBySignum(): UpdateRule<SignumState> {
  return {
    init: (params) => ({ momentum: params.map((p) => allocate(p.dtype, p.size)) }),
    update(updates, state, ctx) {
      const beta = ctx.hp.momentum as number; // read at every step: a scheduler may change it
      const decay = ctx.hp.weightDecay as number;
      for (let i = 0; i < updates.length; i++) {
        const u = updates[i];
        if (u === null) continue; // no gradient this step: no move, no state change
        const m = state.momentum[i];
        const p = ctx.params[i].data;
        for (let j = 0; j < u.length; j++) {
          m[j] = beta * m[j] + (1 - beta) * (u[j] + decay * p[j]);
          u[j] = Math.sign(m[j]);
        }
      }
    },
  };
}

/** Options of {@link signum}. */
export interface SignumOptions {
  /** Every element moves by exactly `lr` per step. Default 0.01. */
  lr?: number;
  /** β, the decay of the moving average, in [0, 1); 0 is signSGD. Default 0.9. */
  momentum?: number;
  /** λ, L2 weight decay added to the gradient before the average. Default 0. */
  weightDecay?: number;
}

/**
 * Signum: `p ← p - lr·sign(m)`. Defaults and equations are those of MXNet's `Signum`, the implementation
 * the authors' code (github.com/jxbz/signSGD) runs; its decoupled `wd_lh` is left out.
 */
export const signum = defineOptimizer<SignumOptions>({
  name: 'signum',
  defaults: { lr: 0.01, momentum: 0.9, weightDecay: 0 },
  validate(hp) {
    checkNumber('signum', 'momentum', hp.momentum, { min: 0, max: 1, maxInclusive: false });
    checkNumber('signum', 'weightDecay', hp.weightDecay, { min: 0 });
  },
  rule: chain(scaleBySignum(), scaleByLearningRate()),
});
