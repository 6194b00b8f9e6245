import { allocate, type TypedArray } from '@nablajs/core';
import type { UpdateRule } from '../types';

/** The state of {@link scaleByAdam}: one entry per parameter of the group, indexed like the updates. */
export interface AdamState {
  /** Steps taken by each parameter (PyTorch's `step`); 1 during its first update. */
  step: number[];
  /** First moment, the running average of the gradient (PyTorch's `exp_avg`). */
  m: TypedArray[];
  /** Second moment, the running average of the squared gradient (PyTorch's `exp_avg_sq`). */
  v: TypedArray[];
  /** AMSGrad's running maximum of the un-corrected `v` (PyTorch's `max_exp_avg_sq`); null until AMSGrad is on. */
  vmax: (TypedArray | null)[];
}

/**
 * Scale updates by Adam's bias-corrected moment estimates (Kingma & Ba 2015, Algorithm 1), as PyTorch
 * computes them. Per parameter, with step count `t`:
 *
 * ```
 * m ← β₁·m + (1-β₁)·g
 * v ← β₂·v + (1-β₂)·g²
 * u ← (m / (1-β₁ᵗ)) / (√v / √(1-β₂ᵗ) + ε)
 * ```
 *
 * ε is added **after** the bias correction, outside the square root (Algorithm 1, and PyTorch; not the
 * paper's "efficient" variant that adds ε to `√v` before correcting, which TensorFlow uses). With
 * `amsgrad` (Reddi et al. 2018), `vmax ← max(vmax, v)` on the un-corrected `v`, and `vmax` replaces `v`
 * in the denominator, still divided by `√(1-β₂ᵗ)` of the current step (PyTorch's variant; the paper has
 * no bias correction).
 *
 * Reads the group's `betas`, `eps` and `amsgrad` at every step, so schedulers may change them. A group
 * that sets `biasCorrection: false` (LAMB's option) gets the un-corrected `m / (√v + ε)`. Each
 * parameter has its own step counter; parameters without a gradient are skipped and do not advance.
 *
 * @example
 * ```ts
 * // Adam: L2 weight decay on the gradient, then Adam's scaling, then -lr.
 * const rule = chain(flipIfMaximize(), addWeightDecay(), scaleByAdam(), scaleByLearningRate());
 * ```
 */
export function scaleByAdam(): UpdateRule<AdamState> {
  return {
    init(params, hp) {
      return {
        step: params.map(() => 0),
        m: params.map((p) => allocate(p.dtype, p.size)),
        v: params.map((p) => allocate(p.dtype, p.size)),
        vmax: params.map((p) => (hp.amsgrad === true ? allocate(p.dtype, p.size) : null)),
      };
    },
    update(updates, state, ctx) {
      const hp = ctx.hp;
      const betas = hp.betas as readonly number[];
      const b1 = betas[0];
      const b2 = betas[1];
      const eps = hp.eps as number;
      const amsgrad = hp.amsgrad === true;
      const corrected = hp.biasCorrection !== false;
      for (let i = 0; i < updates.length; i++) {
        const u = updates[i];
        if (u === null) continue;
        const t = ++state.step[i];
        // Hoisted reciprocals: one division and one square root per element.
        const invBc1 = corrected ? 1 / (1 - b1 ** t) : 1;
        const invBc2Sqrt = corrected ? 1 / Math.sqrt(1 - b2 ** t) : 1;
        const m = state.m[i];
        const v = state.v[i];
        if (amsgrad) {
          let vmax = state.vmax[i];
          // Allocated once, the first time AMSGrad is on for this parameter (it may be switched on later).
          if (vmax === null) vmax = state.vmax[i] = allocate(ctx.params[i].dtype, u.length);
          for (let j = 0; j < u.length; j++) {
            const g = u[j];
            m[j] = b1 * m[j] + (1 - b1) * g;
            v[j] = b2 * v[j] + (1 - b2) * g * g;
            vmax[j] = Math.max(vmax[j], v[j]);
            u[j] = (m[j] * invBc1) / (Math.sqrt(vmax[j]) * invBc2Sqrt + eps);
          }
        } else {
          for (let j = 0; j < u.length; j++) {
            const g = u[j];
            m[j] = b1 * m[j] + (1 - b1) * g;
            v[j] = b2 * v[j] + (1 - b2) * g * g;
            u[j] = (m[j] * invBc1) / (Math.sqrt(v[j]) * invBc2Sqrt + eps);
          }
        }
      }
    },
  };
}
