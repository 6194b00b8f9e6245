import { allocate, type TypedArray } from '@nablajs/core';
import type { UpdateRule } from '@nablajs/optim';
import { linearHalfLifeWarmup, linearWarmup } from './schedulers';

/** The state of {@link scaleByAdemamix}: one entry per parameter of the group, indexed like the updates. */
export interface AdemamixState {
  /** Steps taken by each parameter (the reference's `step`); 1 during its first update. */
  step: number[];
  /**
   * The fast EMA of the gradient (the reference's `exp_avg_fast`); `null` while `β₁` is 0 (the
   * reference then uses the gradient itself and allocates no buffer).
   */
  m1: (TypedArray | null)[];
  /** The slow EMA of the gradient, not bias corrected (the reference's `exp_avg_slow`). */
  m2: TypedArray[];
  /** The EMA of the squared gradient (the reference's `exp_avg_sq`). */
  nu: TypedArray[];
}

/**
 * Scale updates by AdEMAMix's mixture of a fast and a slow EMA of the gradient (Pagliardini, Ablin &
 * Grangier 2024, "The AdEMAMix Optimizer: Better, Faster, Older"), as the authors' PyTorch code
 * (apple/ml-ademamix, `pytorch/ademamix.py`) computes it. Per parameter, with its step count `t`:
 *
 * ```
 * α_t  = alphaWarmup  === null ? α  : linearWarmup(t, α, 0, alphaWarmup)
 * β₃,t = beta3Warmup === null ? β₃ : linearHalfLifeWarmup(t, β₃, β₁, beta3Warmup)
 * m₁ ← β₁·m₁ + (1-β₁)·g                 (β₁ = 0: m₁ = g, no buffer)
 * m₂ ← β₃,t·m₂ + (1-β₃,t)·g
 * ν  ← β₂·ν + (1-β₂)·g²
 * u  ← (m₁/(1-β₁ᵗ) + α_t·m₂) / (√ν/√(1-β₂ᵗ) + ε)
 * ```
 *
 * Reads the group's `betas` (three numbers), `alpha`, `alphaWarmup`, `beta3Warmup` and `eps` at every
 * step. Each parameter has its own step counter, which the warm-ups read (as the reference's
 * per-parameter `state['step']`); parameters without a gradient are skipped and do not advance. Weight
 * decay and the learning rate are not applied here: follow with `addDecoupledWeightDecay()` and
 * `scaleByLearningRate()`.
 *
 * @see https://arxiv.org/abs/2409.03137
 * @see https://github.com/apple/ml-ademamix
 * @example
 * ```ts
 * const rule = chain(scaleByAdemamix(), addDecoupledWeightDecay(), scaleByLearningRate());
 * ```
 */
export function scaleByAdemamix(): UpdateRule<AdemamixState> {
  return {
    init(params, hp) {
      const b1 = (hp.betas as readonly number[])[0];
      return {
        step: params.map(() => 0),
        m1: params.map((p) => (b1 !== 0 ? allocate(p.dtype, p.size) : null)),
        m2: params.map((p) => allocate(p.dtype, p.size)),
        nu: params.map((p) => allocate(p.dtype, p.size)),
      };
    },
    update(updates, state, ctx) {
      const hp = ctx.hp;
      const betas = hp.betas as readonly number[];
      const b1 = betas[0];
      const b2 = betas[1];
      const b3Final = betas[2];
      const alphaFinal = hp.alpha as number;
      const alphaWarmup = hp.alphaWarmup as number | null;
      const beta3Warmup = hp.beta3Warmup as number | null;
      const eps = hp.eps as number;
      for (let i = 0; i < updates.length; i++) {
        const u = updates[i];
        if (u === null) continue;
        const t = ++state.step[i];
        const bc1 = 1 - b1 ** t;
        const bc2Sqrt = Math.sqrt(1 - b2 ** t);
        const alpha = alphaWarmup === null ? alphaFinal : linearWarmup(t, alphaFinal, 0, alphaWarmup);
        const b3 = beta3Warmup === null ? b3Final : linearHalfLifeWarmup(t, b3Final, b1, beta3Warmup);
        const m2 = state.m2[i];
        const nu = state.nu[i];
        let m1 = state.m1[i];
        // Allocated the first time β₁ is not 0 (a scheduler may raise it from 0).
        if (m1 === null && b1 !== 0) m1 = state.m1[i] = allocate(ctx.params[i].dtype, u.length);
        for (let j = 0; j < u.length; j++) {
          const g = u[j];
          let fast = g;
          if (b1 !== 0 && m1 !== null) {
            m1[j] = b1 * m1[j] + (1 - b1) * g;
            fast = m1[j];
          }
          m2[j] = b3 * m2[j] + (1 - b3) * g;
          nu[j] = b2 * nu[j] + (1 - b2) * g * g;
          const denom = Math.sqrt(nu[j]) / bc2Sqrt + eps;
          u[j] = (fast / bc1 + alpha * m2[j]) / denom;
        }
      }
    },
  };
}
