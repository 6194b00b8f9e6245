import { allocate, type Tensor, type TypedArray, ValueError } from '@nablajs/core';
import type { UpdateRule } from '@nablajs/optim';

/**
 * ADOPT's clipping bound as a function of the step count: the normalised gradient is clamped to
 * `[-c, c]` with `c = clip(step)`, where `step` is the number of steps the parameter took before this
 * one (1 at its first update, which is its second step: the first only initialises `v`). The authors'
 * `clip_lambda`.
 *
 * @example
 * ```ts
 * const constant: AdoptClip = () => 0.5;
 * const opt = adopt(model.parameters(), { clipLambda: constant });
 * ```
 */
export type AdoptClip = (step: number) => number;

/**
 * The default clipping bound of ADOPT, the authors' default `clip_lambda`: `step ↦ step^0.25`. The
 * authors added the clipping in November 2024, against near-zero divisions early in training; with this
 * schedule the convergence guarantee of the (updated) paper still holds.
 *
 * @example
 * ```ts
 * defaultAdoptClip(16); // 2
 * ```
 */
export function defaultAdoptClip(step: number): number {
  return step ** 0.25;
}

/** The state of {@link scaleByAdopt}: one entry per parameter of the group, indexed like the updates. */
export interface AdoptState {
  /** Steps taken by each parameter (the reference's `step`); 0 before its first step, which only sets `v`. */
  step: number[];
  /** The running average of the clipped normalised gradient (the reference's `exp_avg`). */
  m: TypedArray[];
  /** The running average of the squared gradient, up to the previous step (the reference's `exp_avg_sq`). */
  v: TypedArray[];
}

/** Clip bounds of the parameters of one group for this step (reused: a step allocates nothing). */
const bounds: number[] = [];

/** `clip(step)`, checked: a number that is not NaN (Infinity turns clipping off for that step). */
function clipBound(clip: AdoptClip, step: number): number {
  const c = clip(step);
  if (typeof c !== 'number' || Number.isNaN(c))
    throw new ValueError(
      `adopt.step: clipLambda(${step}) returned ${typeof c === 'number' ? c : (JSON.stringify(c) ?? String(c))}, expected a number (not NaN)`,
    );
  return c;
}

/**
 * Scale updates by ADOPT (Taniguchi, Harada, Minegishi, Oshima, Jeong, Nagahara, Iiyama, Suzuki, Iwasawa &
 * Matsuo 2024, "ADOPT: Modified Adam Can Converge with Any β₂ with the Optimal Rate"), as the authors'
 * code (iShohei220/adopt, `adopt.py`) computes it. Per parameter, with `t` the steps it took before this
 * one and `g` the incoming update (the gradient, negated and with L2 decay added by the blocks before):
 *
 * ```
 * t = 0:  v ← g²;  u ← 0                                   (the parameter does not move; m stays 0)
 * t ≥ 1:  n = clamp(g / max(√v, ε), -c, c),   c = clipLambda(t)     (no clamp when clipLambda is null)
 *         m ← m + (1-β₁)·(n - m)                          (torch's lerp)
 *         u ← m  (+ λ·p with decouple: the decoupled weight decay)
 *         v ← β₂·v + (1-β₂)·g²                             (after the step: v never holds the current g)
 * ```
 *
 * then `t ← t + 1`. Reads the group's `betas`, `eps`, `weightDecay` and `decouple` at every step. The
 * decoupled decay is part of this block, not the host's `addDecoupledWeightDecay()`, because the
 * reference skips it at a parameter's first step, where the whole update is zero. The denominator is a
 * floor (`max(√v, ε)`), not Adam's `√v + ε`, and there is no bias correction.
 *
 * @param clipLambda - the clipping bound as a function of `t` (see {@link AdoptClip}), or `null` for none;
 *   default {@link defaultAdoptClip}, `t^0.25`. It is called once per parameter and step (`t ≥ 1`), with `t`
 *   an integer (the reference's single-tensor path passes it as a float, `3.0`); a result that is not a
 *   number, or NaN, throws before the group's state changes.
 *
 * @see https://arxiv.org/abs/2411.02853
 * @see https://github.com/iShohei220/adopt
 * @example
 * ```ts
 * const rule = chain(flipIfMaximize(), addWeightDecay('decouple'), scaleByAdopt(), scaleByLearningRate());
 * const constantClip = chain(flipIfMaximize(), scaleByAdopt(() => 1), scaleByLearningRate());
 * ```
 */
export function scaleByAdopt(clipLambda: AdoptClip | null = defaultAdoptClip): UpdateRule<AdoptState> {
  if (clipLambda !== null && typeof clipLambda !== 'function')
    throw new ValueError(
      `scaleByAdopt: clipLambda must be a function of the step count or null, got ${JSON.stringify(clipLambda) ?? typeof clipLambda}`,
    );
  return {
    init(params) {
      return {
        step: params.map(() => 0),
        m: params.map((p) => allocate(p.dtype, p.size)),
        v: params.map((p) => allocate(p.dtype, p.size)),
      };
    },
    update(updates, state, ctx) {
      const betas = ctx.hp.betas as readonly number[];
      const b1 = betas[0];
      const b2 = betas[1];
      const w = 1 - b1;
      const eps = ctx.hp.eps as number;
      const decay = ctx.hp.decouple === true ? (ctx.hp.weightDecay as number) : 0;
      // The bounds first: a bad clipLambda result throws before any state of the group changes.
      for (let i = 0; i < updates.length; i++)
        bounds[i] =
          updates[i] === null || state.step[i] === 0 || clipLambda === null
            ? Number.POSITIVE_INFINITY
            : clipBound(clipLambda, state.step[i]);
      for (let i = 0; i < updates.length; i++) {
        const u = updates[i];
        if (u === null) continue;
        const v = state.v[i];
        if (state.step[i]++ === 0) {
          // NOTE: the reference's first step only sets v (addcmul_ into zeros) and leaves p and m alone.
          for (let j = 0; j < u.length; j++) {
            v[j] += u[j] * u[j];
            u[j] = 0;
          }
          continue;
        }
        const c = bounds[i];
        const m = state.m[i];
        const p = decay !== 0 ? (ctx.params[i] as Tensor).values : null;
        for (let j = 0; j < u.length; j++) {
          const g = u[j];
          // NOTE: a floor, torch.clamp(√v, eps), not √v + eps; NaN stays NaN as in torch.
          const denom = Math.max(Math.sqrt(v[j]), eps);
          const n = Math.min(Math.max(g / denom, -c), c);
          // torch's lerp from the nearer end (w = 1 - β₁ is usually below 0.5).
          m[j] = Math.abs(w) < 0.5 ? m[j] + w * (n - m[j]) : n - (n - m[j]) * (1 - w);
          u[j] = p === null ? m[j] : m[j] + decay * p[j];
          v[j] = v[j] * b2 + (1 - b2) * g * g;
        }
      }
    },
  };
}
