import type { UpdateRule } from '@nablajs/optim';

/**
 * Adan's decoupled weight decay, in its two forms (sail-sg/Adan's `no_prox`), as a block placed just
 * before `scaleByLearningRate()`. With `u` the update so far, `p` the parameter, `λ` the group's
 * `weightDecay` and `lr` its learning rate:
 *
 * ```
 * noProx false (default, proximal):  u ← (u + λ·p) / (1 + lr·λ)    i.e.  p ← (p - lr·u) / (1 + lr·λ)
 * noProx true:                       u ← u + λ·p                   i.e.  p ← p·(1 - lr·λ) - lr·u
 * ```
 *
 * The proximal form is the paper's (Algorithm 1: `θ ← (1 + λη)⁻¹ [θ - η_k ∘ (…)]`) and the reference's
 * default (`param.div_(1 + lr * weight_decay)` after the step); `noProx` is the AdamW-style decay the
 * reference also offers (`param.mul_(1 - lr * weight_decay)` before the step). A no-op when
 * `weightDecay` is 0. Reads `weightDecay`, `noProx` and `lr` at every step.
 *
 * @see https://github.com/sail-sg/Adan
 * @example
 * ```ts
 * const rule = chain(clipByGlobalGradNorm(), scaleByAdan(), addProximalWeightDecay(), scaleByLearningRate());
 * ```
 */
export function addProximalWeightDecay(): UpdateRule<null> {
  return {
    init: () => null,
    update(updates, _state, ctx) {
      const wd = ctx.hp.weightDecay as number;
      if (!wd) return;
      const shrink = ctx.hp.noProx === true ? 1 : 1 / (1 + ctx.hp.lr * wd);
      for (let i = 0; i < updates.length; i++) {
        const u = updates[i];
        if (u === null) continue;
        const p = ctx.params[i].values;
        if (shrink === 1) for (let j = 0; j < u.length; j++) u[j] += wd * p[j];
        else for (let j = 0; j < u.length; j++) u[j] = (u[j] + wd * p[j]) * shrink;
      }
    },
  };
}
