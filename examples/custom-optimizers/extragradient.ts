// The extragradient method (Korpelevich 1976, "The extragradient method for finding saddle points and
// other problems"): look ahead with a gradient step, then take the step from the starting point with
// the gradient found there. A closure rule: it re-evaluates the loss within a step.
import { allocate, type TypedArray } from '@nablajs/core';
import { chain, defineOptimizer, scaleByLearningRate, type UpdateRule } from '@nablajs/optim';

/** The `ctx.global` key that says the look-ahead point still has to be evaluated in this step. */
const PENDING = 'extragradient.pending';

/** The state of {@link extragradientLookahead}: where each parameter was before the look-ahead. */
export interface ExtragradientState {
  origin: TypedArray[];
}

/** `x̃ ← x - lr·g(x)` for every group, then `u ← g(x̃)` with the parameters back at `x`. */
export function extragradientLookahead(): UpdateRule<ExtragradientState> {
  return {
    init: (params) => ({ origin: params.map((p) => allocate(p.dtype, p.size)) }),
    passes: [
      // Move every group to the look-ahead point before anything is evaluated.
      (updates, state, ctx) => {
        const lr = ctx.hp.lr;
        for (let i = 0; i < updates.length; i++) {
          const u = updates[i];
          if (u === null) continue;
          const p = ctx.params[i].data;
          state.origin[i].set(p);
          for (let j = 0; j < u.length; j++) p[j] -= lr * u[j];
        }
        ctx.global[PENDING] = true;
      },
    ],
    update(updates, state, ctx) {
      if (ctx.global[PENDING] === true) {
        ctx.global[PENDING] = false;
        ctx.evaluate(); // runs the closure once: fresh p.grad at the look-ahead point of every group
      }
      for (let i = 0; i < updates.length; i++) {
        const u = updates[i];
        if (u === null) continue;
        const p = ctx.params[i];
        p.data.set(state.origin[i]); // back to x: the runtime adds the update to x
        if (p.grad === null) u.fill(0);
        else u.set(p.grad.data);
      }
    },
    couples: { closure: true, global: true },
  };
}

/** Options of {@link extragradient}. */
export interface ExtragradientOptions {
  /** The step of both the look-ahead and the update. Default 0.01. */
  lr?: number;
}

/** Extragradient: `x̃ = x - lr·∇f(x)`, `x ← x - lr·∇f(x̃)`. `step` needs a closure. */
export const extragradient = defineOptimizer<ExtragradientOptions>({
  name: 'extragradient',
  defaults: { lr: 0.01 },
  rule: chain(extragradientLookahead(), scaleByLearningRate()),
});
