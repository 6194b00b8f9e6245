import { allocate, type TypedArray } from '@nablajs/core';
import type { UpdateRule } from '@nablajs/optim';

/**
 * The state of {@link scaleByAdaBelief}: one entry per parameter of the group, indexed like the updates.
 *
 * @example
 * ```ts
 * // In adabelief's recipe the block is entry 1 of the chain's state.
 * const state = (decodeState(opt.stateDict().state[0]) as unknown[])[1] as AdaBeliefState;
 * state.step; // [6]: one counter per parameter
 * ```
 */
export interface AdaBeliefState {
  /** Steps taken by each parameter (the reference's `step`); 1 during its first update. */
  step: number[];
  /** The running average of the gradient (the reference's `exp_avg`). */
  m: TypedArray[];
  /**
   * The running average of the squared residual `(g - m)²`, **plus ε at every step** (the reference's
   * `exp_avg_var`, to which it adds ε in place).
   */
  s: TypedArray[];
  /**
   * AMSGrad's running maximum of `s` (the reference's `max_exp_avg_var`); null for a parameter whose group
   * has not had `amsgrad` on.
   */
  sMax: (TypedArray | null)[];
}

/** The smallest `N_sma` at which the reference takes the adaptive (rectified) step. */
const N_SMA_THRESHOLD = 5;

/**
 * The rectified step size of AdaBelief at step `t`, as the reference computes it (RAdam's original code:
 * threshold `N_sma ≥ 5`, not PyTorch RAdam's `ρ_t > 5`):
 *
 * ```
 * N_max = 2/(1-β₂) - 1,   N_sma = N_max - 2·t·β₂ᵗ/(1-β₂ᵗ)
 * N_sma ≥ 5:  √((1-β₂ᵗ)·(N_sma-4)/(N_max-4)·(N_sma-2)/N_sma·N_max/(N_max-2)) / (1-β₁ᵗ)   (adaptive step)
 * N_sma < 5:  1/(1-β₁ᵗ) (degeneratedToSgd: an SGD-with-momentum step), else 0 (no step)
 * ```
 *
 * Returns the step size as a positive number for an adaptive step, as a negative number `-size` for
 * the SGD step, and 0 when there is no step. The products and quotients are taken in the reference's
 * order, in float64 (Python floats).
 */
function rectifiedStepSize(t: number, b1: number, b2: number, degeneratedToSgd: boolean): number {
  const b2t = b2 ** t;
  const nMax = 2 / (1 - b2) - 1;
  const nSma = nMax - (2 * t * b2t) / (1 - b2t);
  const bc1 = 1 - b1 ** t;
  if (nSma >= N_SMA_THRESHOLD)
    return Math.sqrt(((((((1 - b2t) * (nSma - 4)) / (nMax - 4)) * (nSma - 2)) / nSma) * nMax) / (nMax - 2)) / bc1;
  return degeneratedToSgd ? -1 / bc1 : 0;
}

/**
 * Scale updates by AdaBelief's belief-adapted moments (Zhuang et al. 2020, "AdaBelief Optimizer:
 * Adapting Stepsizes by the Belief in Observed Gradients"), exactly as the authors' adabelief-pytorch
 * 0.2.1 computes them. Per parameter, with its step count `t` and `g` its (possibly decayed) gradient:
 *
 * ```
 * m ← β₁·m + (1-β₁)·g
 * s ← β₂·s + (1-β₂)·(g - m)² + ε                  (ε kept in the state: it accumulates)
 * amsgrad: ŝ ← max(ŝ, s)                          (the maximum of s with its ε)
 * rectify false:   u = m/(1-β₁ᵗ) / (√(amsgrad ? ŝ : s)/√(1-β₂ᵗ) + ε)
 * rectify (default), with N_sma and the step size r of the rectification (RAdam's original code):
 *   N_sma ≥ 5:  u = r · m / (√s + ε)              (s, never ŝ: amsgrad does not act here)
 *   N_sma < 5:  u = m/(1-β₁ᵗ)  when degeneratedToSgd (the default), else u = 0
 * ```
 *
 * The learning rate is not applied here (follow with `scaleByLearningRate()`). Reads the group's `betas`,
 * `eps`, `amsgrad`, `rectify` and `degeneratedToSgd` at every step. Each parameter has its own step
 * counter; parameters without a gradient are skipped and do not advance.
 *
 * Quirks of the reference kept here: ε enters twice (inside the running average, where it accumulates from
 * step to step, and again in the denominator); with rectification on, `amsgrad` keeps its maximum but the
 * step does not use it; the rectified denominator is `√s + ε` with the bias correction folded into `r`.
 * The reference caches `N_sma` and `r` by step in its parameter groups; nabla computes them at every step,
 * which gives the same numbers wherever the reference's cache holds the values of the group's own betas.
 *
 * @see https://arxiv.org/abs/2010.07468
 * @see https://github.com/juntang-zhuang/Adabelief-Optimizer
 * @example
 * ```ts
 * const rule = chain(addWeightDecay('weightDecouple'), scaleByAdaBelief(), scaleByLearningRate(), shrinkWeights());
 * ```
 */
export function scaleByAdaBelief(): UpdateRule<AdaBeliefState> {
  return {
    init(params, hp) {
      return {
        step: params.map(() => 0),
        m: params.map((p) => allocate(p.dtype, p.size)),
        s: params.map((p) => allocate(p.dtype, p.size)),
        sMax: params.map((p) => (hp.amsgrad === true ? allocate(p.dtype, p.size) : null)),
      };
    },
    update(updates, state, ctx) {
      const hp = ctx.hp;
      const betas = hp.betas as readonly number[];
      const b1 = betas[0];
      const b2 = betas[1];
      const eps = hp.eps as number;
      const amsgrad = hp.amsgrad === true;
      const rectify = hp.rectify !== false;
      const degeneratedToSgd = hp.degeneratedToSgd !== false;
      for (let i = 0; i < updates.length; i++) {
        const u = updates[i];
        if (u === null) continue;
        const t = ++state.step[i];
        const m = state.m[i];
        const s = state.s[i];
        let sMax = state.sMax[i];
        // Allocated the first time AMSGrad is on for this parameter (the reference allocates it only at
        // the first step and fails if amsgrad is switched on later; starting from zeros, the maximum is s).
        if (amsgrad && sMax === null) sMax = state.sMax[i] = allocate(ctx.params[i].dtype, u.length);
        for (let j = 0; j < u.length; j++) {
          const g = u[j];
          m[j] = b1 * m[j] + (1 - b1) * g;
          const r = g - m[j];
          s[j] = b2 * s[j] + (1 - b2) * r * r;
          s[j] += eps; // NOTE: the reference adds ε to the state in place (a separate rounding in float32).
        }
        if (amsgrad && sMax !== null) for (let j = 0; j < u.length; j++) sMax[j] = Math.max(sMax[j], s[j]);
        const bc1 = 1 - b1 ** t;
        if (!rectify) {
          const sqrtBc2 = Math.sqrt(1 - b2 ** t);
          const v = amsgrad && sMax !== null ? sMax : s;
          for (let j = 0; j < u.length; j++) u[j] = m[j] / bc1 / (Math.sqrt(v[j]) / sqrtBc2 + eps);
          continue;
        }
        const size = rectifiedStepSize(t, b1, b2, degeneratedToSgd);
        if (size > 0) for (let j = 0; j < u.length; j++) u[j] = (size * m[j]) / (Math.sqrt(s[j]) + eps);
        else if (size < 0) for (let j = 0; j < u.length; j++) u[j] = -size * m[j];
        else u.fill(0);
      }
    },
  };
}
