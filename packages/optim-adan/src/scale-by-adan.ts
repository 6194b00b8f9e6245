import { allocate, type TypedArray } from '@nablajs/core';
import type { UpdateRule } from '@nablajs/optim';

/** The state of {@link scaleByAdan}: one entry per parameter of the group, indexed like the updates. */
export interface AdanState {
  /** Steps taken by each parameter; 1 during its first update. */
  step: number[];
  /** The running average of the gradient (the reference's `exp_avg`). */
  m: TypedArray[];
  /** The running average of the gradient difference `g - g_prev` (the reference's `exp_avg_diff`). */
  v: TypedArray[];
  /** The running average of the squared Nesterov gradient `(g + β₂·(g - g_prev))²` (the reference's `exp_avg_sq`). */
  n: TypedArray[];
  /** The previous gradient, as clipped (the reference keeps its negative, `neg_pre_grad`). */
  prevGrad: TypedArray[];
}

/**
 * Scale updates by Adan's three moments (Xie, Zhou, Li, Lin & Yan 2022, "Adan: Adaptive Nesterov
 * Momentum Algorithm for Faster Optimizing Deep Models"), as the authors' code (sail-sg/Adan, `adan.py`)
 * computes them. Per parameter, with its step count `t`, `g` the (clipped) gradient and `g_prev` the
 * previous one (`g_prev = g` at the first step, so the first difference is zero):
 *
 * ```
 * d = g - g_prev
 * m ← β₁·m + (1-β₁)·g
 * v ← β₂·v + (1-β₂)·d
 * n ← β₃·n + (1-β₃)·(g + β₂·d)²
 * u ← (m/(1-β₁ᵗ) + β₂·v/(1-β₂ᵗ)) / (√n/√(1-β₃ᵗ) + ε)
 * ```
 *
 * Reads the group's `betas` (three numbers) and `eps` at every step. Each parameter has its own step
 * counter and previous gradient; parameters without a gradient are skipped and do not advance. The
 * learning rate and the weight decay are not applied here: follow with `addProximalWeightDecay()` and
 * `scaleByLearningRate()`.
 *
 * @see https://arxiv.org/abs/2208.06677
 * @see https://github.com/sail-sg/Adan
 * @example
 * ```ts
 * const rule = chain(clipByGlobalGradNorm(), scaleByAdan(), addProximalWeightDecay(), scaleByLearningRate());
 * ```
 */
export function scaleByAdan(): UpdateRule<AdanState> {
  return {
    init(params) {
      return {
        step: params.map(() => 0),
        m: params.map((p) => allocate(p.dtype, p.size)),
        v: params.map((p) => allocate(p.dtype, p.size)),
        n: params.map((p) => allocate(p.dtype, p.size)),
        prevGrad: params.map((p) => allocate(p.dtype, p.size)),
      };
    },
    update(updates, state, ctx) {
      const betas = ctx.hp.betas as readonly number[];
      const b1 = betas[0];
      const b2 = betas[1];
      const b3 = betas[2];
      const eps = ctx.hp.eps as number;
      for (let i = 0; i < updates.length; i++) {
        const u = updates[i];
        if (u === null) continue;
        const t = ++state.step[i];
        const prev = state.prevGrad[i];
        // NOTE: the reference resets neg_pre_grad to -g at the first step: the first difference is 0.
        if (t === 1) prev.set(u);
        const invBc1 = 1 / (1 - b1 ** t);
        const diffScale = b2 / (1 - b2 ** t);
        const bc3Sqrt = Math.sqrt(1 - b3 ** t);
        const m = state.m[i];
        const v = state.v[i];
        const n = state.n[i];
        for (let j = 0; j < u.length; j++) {
          const g = u[j];
          const d = g - prev[j];
          m[j] = b1 * m[j] + (1 - b1) * g;
          v[j] = b2 * v[j] + (1 - b2) * d;
          const nesterov = d * b2 + g;
          n[j] = b3 * n[j] + (1 - b3) * nesterov * nesterov;
          const denom = Math.sqrt(n[j]) / bc3Sqrt + eps;
          u[j] = (m[j] / denom) * invBc1 + (v[j] / denom) * diffScale;
          prev[j] = g;
        }
      }
    },
  };
}
