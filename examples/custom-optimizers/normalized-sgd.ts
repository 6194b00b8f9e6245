// Normalized SGD with momentum (Cutkosky & Mehta 2020, "Momentum Improves Normalized SGD"): the step
// is the momentum divided by its norm over ALL parameters, so every step has length lr. A
// global-statistics rule: the norm is a sum over every parameter of every group, gathered by passes.
import { allocate, type TypedArray } from '@nablajs/core';
import { chain, checkNumber, defineOptimizer, scaleByLearningRate, type UpdateRule } from '@nablajs/optim';

/** The `ctx.global` key of the squared norm, named after the optimizer so that it collides with nothing. */
const SUM_SQ = 'normalizedSgd.sumSq';

/** The state of {@link normalizeByGlobalNorm}: one momentum buffer per parameter. */
export interface NormalizedSgdState {
  momentum: TypedArray[];
}

/** `m ← β·m + (1 - β)·g`, `u ← m / ‖m‖` where `‖m‖` runs over every parameter of every group. */
export function normalizeByGlobalNorm(): UpdateRule<NormalizedSgdState> {
  return {
    init: (params) => ({ momentum: params.map((p) => allocate(p.dtype, p.size)) }),
    passes: [
      // Pass 1 visits every group before pass 2 starts: each one resets the same sum.
      (_updates, _state, ctx) => {
        ctx.global[SUM_SQ] = 0;
      },
      // Pass 2: advance the momentum and add its squares to the sum shared by all groups.
      (updates, state, ctx) => {
        const beta = ctx.hp.momentum as number;
        let sumSq = ctx.global[SUM_SQ] as number;
        for (let i = 0; i < updates.length; i++) {
          const u = updates[i];
          if (u === null) continue;
          const m = state.momentum[i];
          for (let j = 0; j < u.length; j++) {
            m[j] = beta * m[j] + (1 - beta) * u[j];
            sumSq += m[j] * m[j];
          }
        }
        ctx.global[SUM_SQ] = sumSq;
      },
    ],
    // Runs for each group once both passes have visited every group: the sum is complete.
    update(updates, state, ctx) {
      const norm = Math.sqrt(ctx.global[SUM_SQ] as number);
      const scale = norm > 0 ? 1 / norm : 0;
      for (let i = 0; i < updates.length; i++) {
        const u = updates[i];
        if (u === null) continue;
        const m = state.momentum[i];
        for (let j = 0; j < u.length; j++) u[j] = m[j] * scale;
      }
    },
    couples: { global: true },
  };
}

/** Options of {@link normalizedSgd}. */
export interface NormalizedSgdOptions {
  /** The length of every step, over all parameters together. Default 0.01. */
  lr?: number;
  /** β, the decay of the momentum, in [0, 1). Default 0.9. */
  momentum?: number;
}

/** Normalized SGD with momentum: `p ← p - lr·m/‖m‖`. */
export const normalizedSgd = defineOptimizer<NormalizedSgdOptions>({
  name: 'normalizedSgd',
  defaults: { lr: 0.01, momentum: 0.9 },
  validate(hp) {
    checkNumber('normalizedSgd', 'momentum', hp.momentum, { min: 0, max: 1, maxInclusive: false });
  },
  rule: chain(normalizeByGlobalNorm(), scaleByLearningRate()),
});
