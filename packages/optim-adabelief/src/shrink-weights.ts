import type { UpdateRule } from '@nablajs/optim';

/**
 * AdaBelief's decoupled weight decay, in its two forms (the reference's `weight_decouple` and
 * `fixed_decay`), as a block placed **after** `scaleByLearningRate()`, so that it needs no division by the
 * learning rate. With `u` the step so far (already multiplied by `-lr`), `p` the parameter and `λ` the
 * group's `weightDecay`, in groups whose `weightDecouple` is true (the default):
 *
 * ```
 * fixedDecay false (default):  u ← u - lr·λ·p     i.e.  p ← p·(1 - lr·λ) + step
 * fixedDecay true:             u ← u - λ·p        i.e.  p ← p·(1 - λ) + step
 * ```
 *
 * The reference multiplies the parameter before its step (`p.data.mul_(1 - lr·wd)` or `mul_(1 - wd)`);
 * the step does not read the parameter, so adding the decay to the step gives the same result up to
 * rounding. With `fixedDecay` the parameter shrinks by `λ` per step whatever the learning rate, even in a
 * group whose `lr` is 0. A no-op when `weightDecay` is 0 or `weightDecouple` is false (the coupled decay,
 * `addWeightDecay('weightDecouple')`, then acts on the gradient instead). Reads `weightDecay`,
 * `weightDecouple`, `fixedDecay` and `lr` at every step.
 *
 * @see https://github.com/juntang-zhuang/Adabelief-Optimizer
 * @example
 * ```ts
 * const rule = chain(addWeightDecay('weightDecouple'), scaleByAdaBelief(), scaleByLearningRate(), shrinkWeights());
 * ```
 */
export function shrinkWeights(): UpdateRule<null> {
  return {
    init: () => null,
    update(updates, _state, ctx) {
      const hp = ctx.hp;
      if (hp.weightDecouple === false) return;
      const wd = hp.weightDecay as number;
      if (!wd) return;
      const k = hp.fixedDecay === true ? wd : hp.lr * wd;
      for (let i = 0; i < updates.length; i++) {
        const u = updates[i];
        if (u === null) continue;
        const p = ctx.params[i].values;
        for (let j = 0; j < u.length; j++) u[j] -= k * p[j];
      }
    },
  };
}
