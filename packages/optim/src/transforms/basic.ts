import type { Tensor, TypedArray } from '@nablajs/core';
import type { StepContext, UpdateRule } from '../types';

/**
 * Multiply every update by `-lr` (the group's current learning rate): the one place where the
 * learning rate is applied and the sign flips from ascent direction to descent step.
 *
 * `u ← -lr · u`
 *
 * @example
 * ```ts
 * const plainSgd = chain(flipIfMaximize(), scaleByLearningRate());
 * ```
 */
export function scaleByLearningRate(): UpdateRule<null> {
  return {
    init: () => null,
    update(updates, _state, ctx) {
      const s = -ctx.hp.lr;
      for (const u of updates) {
        if (u === null) continue;
        for (let j = 0; j < u.length; j++) u[j] *= s;
      }
    },
  };
}

/**
 * Negate the gradient when the group's `maximize` is true (gradient ascent), before anything else sees
 * it, as PyTorch does; otherwise pass it through.
 *
 * @example
 * ```ts
 * chain(flipIfMaximize(), addWeightDecay(), scaleByLearningRate());
 * ```
 */
export function flipIfMaximize(): UpdateRule<null> {
  return {
    init: () => null,
    update(updates, _state, ctx) {
      if (ctx.hp.maximize !== true) return;
      for (const u of updates) {
        if (u === null) continue;
        for (let j = 0; j < u.length; j++) u[j] = -u[j];
      }
    },
  };
}

/**
 * Add L2 weight decay to the gradient: `u ← u + weightDecay · p` (PyTorch's `weight_decay` in every
 * optimizer but AdamW). A no-op when the group's `weightDecay` is 0.
 *
 * @param decoupledSwitch - the name of a boolean hyperparameter that moves the decay elsewhere (PyTorch's
 *   `decoupled_weight_decay` of Adam, NAdam and RAdam): when the group's value of it is true this block
 *   does nothing, and an {@link addDecoupledWeightDecay} given the same name, after the adaptive scaling,
 *   applies the decay instead.
 *
 * @example
 * ```ts
 * chain(flipIfMaximize(), addWeightDecay(), scaleByLearningRate()); // SGD with weight decay
 * // Adam whose decay is L2 or decoupled as the group's decoupledWeightDecay says:
 * chain(
 *   addWeightDecay('decoupledWeightDecay'),
 *   scaleByAdam(),
 *   addDecoupledWeightDecay('decoupledWeightDecay'),
 *   scaleByLearningRate(),
 * );
 * ```
 */
export function addWeightDecay(decoupledSwitch?: string): UpdateRule<null> {
  return weightDecayBlock(decoupledSwitch, false);
}

/**
 * Decoupled weight decay (Loshchilov & Hutter, AdamW): `u ← u + weightDecay · p`, placed after the
 * adaptive scaling so that, once the learning rate is applied, the step is
 * `p ← p - lr·(update + weightDecay·p)`, i.e. PyTorch's `p *= 1 - lr·weight_decay` before the Adam step.
 *
 * @param decoupledSwitch - the name of a boolean hyperparameter: when given, the decay applies only in
 *   groups whose value of it is true (see {@link addWeightDecay}); without it, always.
 *
 * @example
 * ```ts
 * chain(flipIfMaximize(), scaleByAdam(), addDecoupledWeightDecay(), scaleByLearningRate()); // AdamW
 * ```
 */
export function addDecoupledWeightDecay(decoupledSwitch?: string): UpdateRule<null> {
  return weightDecayBlock(decoupledSwitch, true);
}

/** `u ← u + weightDecay·p`, in groups where `hp[decoupledSwitch] === whenSwitchIs` (always without a switch). */
function weightDecayBlock(decoupledSwitch: string | undefined, whenSwitchIs: boolean): UpdateRule<null> {
  return {
    init: () => null,
    update(updates, _state, ctx) {
      if (decoupledSwitch !== undefined && (ctx.hp[decoupledSwitch] === true) !== whenSwitchIs) return;
      const wd = ctx.hp.weightDecay as number;
      if (!wd) return;
      addScaledParams(updates, ctx, wd);
    },
  };
}

/** `u_i += s * p_i` for every parameter with an update. */
export function addScaledParams(updates: readonly (TypedArray | null)[], ctx: StepContext, s: number): void {
  for (let i = 0; i < updates.length; i++) {
    const u = updates[i];
    if (u === null) continue;
    const p = (ctx.params[i] as Tensor).values;
    for (let j = 0; j < u.length; j++) u[j] += s * p[j];
  }
}
