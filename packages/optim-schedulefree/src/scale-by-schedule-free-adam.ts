import { allocate, type TypedArray } from '@nablajs/core';
import type { StepContext, UpdateRule } from '@nablajs/optim';

/** The state of {@link scaleByScheduleFreeAdam}: plain data, saved and restored with the optimizer. */
export interface ScheduleFreeAdamState {
  /** Steps taken by the group (the reference's group `k`), which the bias corrections use. */
  k: number;
  /** Per parameter: the running average of the squared gradient (`exp_avg_sq`); `null` until its first gradient. */
  v: (TypedArray | null)[];
  /** Per parameter: the inner momentum (`exp_avg`); `null` until a step with `innerMomentum ≠ 0` where it has a gradient. */
  m: (TypedArray | null)[];
}

/**
 * The AdamW direction of Schedule-Free AdamW (the reference's `AdamWScheduleFree`, version 1.3 and
 * later): the gradient divided by the bias-corrected root mean square, with an optional inner momentum.
 * Per group, with `k` its steps before this one, and per parameter:
 *
 * ```
 * v ← β₂·v + (1 − β₂)·g²
 * d = g / (√(v / (1 − β₂^(k+1))) + ε)                              (innerMomentum μ = 0)
 * m ← μ·m + (1 − μ)·g;  d = (m / (1 − μ^(k+1))) / (√(v / (1 − β₂^(k+1))) + ε)   (μ ≠ 0)
 * ```
 *
 * The bias corrections use the **group's** step count `k` (as the reference does), which advances at
 * every step where any parameter of the group has a gradient; a parameter without one is skipped and
 * its `v` and `m` stay as they are. `v` (and `m`) are allocated at a parameter's first gradient. Reads
 * `betas` and `eps` and `innerMomentum` at every step; turning `innerMomentum` on mid-run starts `m` at
 * zero (the reference then fails with a missing `exp_avg`).
 *
 * @see https://github.com/facebookresearch/schedule_free/blob/main/schedulefree/adamw_schedulefree.py
 * @example
 * ```ts
 * // Schedule-Free AdamW: this direction, decoupled weight decay at y, then the interpolation.
 * const rule = chain(scaleByScheduleFreeAdam(), addDecoupledWeightDecay(), scheduleFree((hp) => (hp.betas as number[])[0]));
 * ```
 */
export function scaleByScheduleFreeAdam(): UpdateRule<ScheduleFreeAdamState> {
  return {
    init(params) {
      return { k: 0, v: params.map(() => null), m: params.map(() => null) };
    },
    update(updates: readonly (TypedArray | null)[], state: ScheduleFreeAdamState, ctx: StepContext): void {
      const hp = ctx.hp;
      const betas = hp.betas as readonly number[];
      const b2 = betas[1];
      const eps = hp.eps as number;
      const mu = hp.innerMomentum as number;
      state.k += 1;
      const bc2 = 1 - b2 ** state.k;
      const bc1 = mu !== 0 ? 1 - mu ** state.k : 1;
      for (let i = 0; i < updates.length; i++) {
        const u = updates[i];
        if (u === null) continue;
        const p = ctx.params[i];
        let v = state.v[i];
        if (v === null) v = state.v[i] = allocate(p.dtype, p.size);
        if (mu === 0) {
          for (let j = 0; j < u.length; j++) {
            const g = u[j];
            v[j] = v[j] * b2 + (1 - b2) * g * g;
            u[j] = g / (Math.sqrt(v[j] / bc2) + eps);
          }
          continue;
        }
        let m = state.m[i];
        if (m === null) m = state.m[i] = allocate(p.dtype, p.size);
        for (let j = 0; j < u.length; j++) {
          const g = u[j];
          v[j] = v[j] * b2 + (1 - b2) * g * g;
          m[j] = m[j] * mu + (1 - mu) * g;
          u[j] = m[j] / bc1 / (Math.sqrt(v[j] / bc2) + eps);
        }
      }
    },
  };
}
