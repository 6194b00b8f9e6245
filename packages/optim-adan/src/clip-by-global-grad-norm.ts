import type { UpdateRule } from '@nablajs/optim';

/** The key of the per-step sum of squared gradients in `ctx.global` (float32, as the reference keeps it). */
const GRAD_SQ_SUM_KEY = 'adan.gradSqSum';

/**
 * Adan's gradient clipping (sail-sg/Adan's `max_grad_norm`) as a block: before anything else sees the
 * gradients, scale them all by one factor computed from their global norm over every parameter of
 * **every group** that has a gradient this step:
 *
 * ```
 * ‖g‖ = √(Σ_groups Σ_params Σ_j g_j²)
 * g ← g · min(1, maxGradNorm / (‖g‖ + eps))
 * ```
 *
 * reading `maxGradNorm` and `eps` from the group's hyperparameters (Adan's own `eps`); a group whose
 * `maxGradNorm` is 0 is not clipped (the default). Two passes over all groups collect the sum in
 * `ctx.global['adan.gradSqSum']` before any group is clipped, so the block declares
 * `couples: { global: true }`; it only couples the parameters when `maxGradNorm > 0`.
 *
 * As the reference, the factor is computed in float32 whatever the parameters' dtype: the reference
 * sums the per-parameter sums of squares into `torch.zeros(1)` (float32 by default), takes the square
 * root and divides in float32, so nabla rounds each of those steps to float32 too (`Math.fround`) and
 * float64 runs match it. The reference reads `max_grad_norm` from the optimizer's defaults (the
 * constructor's value) and `eps` from the last parameter group, for every group; nabla reads both per
 * group, which is the same when the groups share them (they do unless a group overrides them).
 *
 * @see https://github.com/sail-sg/Adan
 * @example
 * ```ts
 * const rule = chain(clipByGlobalGradNorm(), scaleByAdan(), addProximalWeightDecay(), scaleByLearningRate());
 * ```
 */
export function clipByGlobalGradNorm(): UpdateRule<null> {
  return {
    init: () => null,
    passes: [
      // Pass 1 resets the sum (every active group does, before any group adds to it in pass 2).
      (_updates, _state, ctx) => {
        ctx.global[GRAD_SQ_SUM_KEY] = 0;
      },
      (updates, _state, ctx) => {
        let total = ctx.global[GRAD_SQ_SUM_KEY] as number;
        for (const u of updates) {
          if (u === null) continue;
          let sq = 0;
          for (let j = 0; j < u.length; j++) sq += u[j] * u[j];
          // NOTE: the reference's accumulator is a float32 tensor: each addition rounds to float32.
          total = Math.fround(total + Math.fround(sq));
        }
        ctx.global[GRAD_SQ_SUM_KEY] = total;
      },
    ],
    update(updates, _state, ctx) {
      const maxGradNorm = ctx.hp.maxGradNorm as number;
      if (!(maxGradNorm > 0)) return;
      const eps = ctx.hp.eps as number;
      const norm = Math.fround(Math.sqrt(ctx.global[GRAD_SQ_SUM_KEY] as number));
      const ratio = Math.fround(Math.fround(maxGradNorm) / Math.fround(norm + Math.fround(eps)));
      const coef = Math.min(ratio, 1);
      if (coef === 1) return;
      for (const u of updates) {
        if (u === null) continue;
        for (let j = 0; j < u.length; j++) u[j] *= coef;
      }
    },
    couples: { global: true },
  };
}
