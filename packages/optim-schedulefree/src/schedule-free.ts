import { allocate, type TypedArray } from '@nablajs/core';
import type { Hyperparams, StepContext, UpdateRule } from '@nablajs/optim';

/**
 * The state of {@link scheduleFree}: the group's counters (the reference implementation keeps them in
 * the parameter group, under the snake_case names given below) and one `z` per parameter. Plain data,
 * saved and restored with the optimizer.
 */
export interface ScheduleFreeState {
  /** Steps taken by the group (`k`); counts every step at which any parameter of the group had a gradient. */
  k: number;
  /** The largest warmed-up learning rate seen so far (`lr_max`); -1 before the first step. */
  lrMax: number;
  /** The sum of the averaging weights so far (`weight_sum`). */
  weightSum: number;
  /** The learning rate of the last step after warmup (`scheduled_lr`), kept for logging. */
  scheduledLr: number;
  /**
   * Per parameter: the base sequence `z`, in the parameter's dtype; `null` until the parameter's first
   * gradient, when it starts as a copy of the parameter (the reference's lazy `state['z']`).
   */
  z: (TypedArray | null)[];
}

/** What {@link scheduleFree} reads to find the interpolation weight β of a group (`momentum`, or `betas[0]`). */
export type ScheduleFreeBeta = (hp: Readonly<Hyperparams>) => number;

/**
 * `torch.lerp(a, b, w)` as PyTorch's CPU kernel computes it: `a + w(b − a)` for `w < 0.5`, else
 * `b − (b − a)(1 − w)`, so that `w = 1` gives `b` exactly. (PyTorch fuses the multiply and add; the
 * results differ by at most one unit in the last place.)
 */
function lerp(a: number, b: number, w: number): number {
  return w < 0.5 ? a + w * (b - a) : b - (b - a) * (1 - w);
}

/**
 * The group's step size and averaging weight for this step, advancing its counters as the reference
 * does: linear warmup over `warmupSteps`, then `lr_max` (the running maximum of the warmed-up lr), the
 * weight `(k+1)^r · lr_max^weightLrPower` and `c = weight / weight_sum` (0 when the sum is 0).
 */
export function advance(state: ScheduleFreeState, hp: Readonly<Hyperparams>): { lr: number; c: number } {
  const k = state.k;
  const warmupSteps = hp.warmupSteps as number;
  const sched = k < warmupSteps ? (k + 1) / warmupSteps : 1;
  const lr = hp.lr * sched;
  state.scheduledLr = lr;
  const lrMax = Math.max(lr, state.lrMax);
  state.lrMax = lrMax;
  const weight = (k + 1) ** (hp.r as number) * lrMax ** (hp.weightLrPower as number);
  const weightSum = state.weightSum + weight;
  state.weightSum = weightSum;
  state.k = k + 1;
  // NOTE: the reference catches Python's ZeroDivisionError (lr_max = 0 with weightLrPower > 0) and uses 0.
  return { lr, c: weightSum === 0 ? 0 : weight / weightSum };
}

/**
 * Schedule-Free's interpolation and averaging (Defazio et al. 2024, "The Road Less Scheduled") as the
 * last block of a chain: it receives a direction `d` per parameter (the gradient, or the preconditioned
 * gradient, with any weight decay already added) and turns it into the step of the parameter, which
 * holds the gradient point `y`. Per group, with `k` its steps so far and β the interpolation weight
 * (`momentum` for SGD, `betas[0]` for AdamW):
 *
 * ```
 * γ = lr · min(1, (k+1)/warmupSteps)                 (γ = lr when warmupSteps = 0)
 * lr_max ← max(lr_max, γ)
 * w = (k+1)^r · lr_max^weightLrPower;  W ← W + w;  c = w / W   (c = 0 when W = 0)
 * y ← (1 − c)·y + c·z + γ·(β(1 − c) − 1)·d
 * z ← z − γ·d
 * ```
 *
 * which is the paper's three sequences without storing the average `x`:
 * `z ← z − γd;  x ← (1 − c)x + c·z;  y = (1 − β)z + βx`.
 * `z` starts as a copy of the parameter at its first gradient. The evaluation point is
 * `x = (y − (1 − β)z)/β`: {@link UpdateRule.setMode} moves the parameters there on `'eval'`
 * (`p ← lerp(p, z, 1 − 1/β)`) and back on `'train'` (`p ← lerp(p, z, 1 − β)`), as the reference's
 * `eval()` / `train()` do; parameters without `z` yet do not move.
 *
 * The group's counters (`k`, `lrMax`, `weightSum`, `scheduledLr`) advance at every step where the
 * group has any gradient, also for its parameters without one, which neither move nor touch their `z`
 * (the reference's `active_p`). Reads `lr`, `warmupSteps`, `r`, `weightLrPower` and β at every step.
 *
 * @param beta - reads the interpolation weight β of a group (default: its `momentum`).
 * @see https://arxiv.org/abs/2405.15682
 * @see https://github.com/facebookresearch/schedule_free
 * @example
 * ```ts
 * // Schedule-Free SGD: L2 weight decay at y, then the interpolation.
 * const rule = chain(addWeightDecay(), scheduleFree((hp) => hp.momentum as number));
 * ```
 */
export function scheduleFree(beta: ScheduleFreeBeta = (hp) => hp.momentum as number): UpdateRule<ScheduleFreeState> {
  return {
    init(params) {
      return { k: 0, lrMax: -1, weightSum: 0, scheduledLr: 0, z: params.map(() => null) };
    },
    update(updates: readonly (TypedArray | null)[], state: ScheduleFreeState, ctx: StepContext): void {
      const { lr, c } = advance(state, ctx.hp);
      const coef = lr * (beta(ctx.hp) * (1 - c) - 1);
      for (let i = 0; i < updates.length; i++) {
        const u = updates[i];
        if (u === null) continue;
        const p = ctx.params[i];
        const y = p.values;
        let z = state.z[i];
        if (z === null) {
          z = state.z[i] = allocate(p.dtype, p.size);
          z.set(y);
        }
        for (let j = 0; j < u.length; j++) {
          const yj = y[j];
          const zj = z[j];
          const d = u[j];
          const next = lerp(yj, zj, c) + coef * d;
          z[j] = zj - lr * d;
          u[j] = next - yj;
        }
      }
    },
    setMode(mode, state, ctx) {
      const b = beta(ctx.hp);
      const w = mode === 'eval' ? 1 - 1 / b : 1 - b;
      for (let i = 0; i < state.z.length; i++) {
        const z = state.z[i];
        if (z === null) continue;
        const p = ctx.params[i].values;
        for (let j = 0; j < p.length; j++) p[j] = lerp(p[j], z[j], w);
      }
    },
    // NOTE: k, lr_max and weight_sum are per group: a step of one parameter advances the averaging weights of
    // the others, so parameters of a group are coupled (the testkit checks a frozen parameter's own state).
    couples: { trainEval: true, global: true },
  };
}
