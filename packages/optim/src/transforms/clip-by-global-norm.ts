import { clipCoefficient, globalNorm, parseNormType } from '../clip';
import type { UpdateRule } from '../types';
import { checkNumber } from '../validate';

/**
 * Clip the updates of a parameter group by their global norm, as a chainable block: with
 * `total = ‖(‖u_1‖_p, …, ‖u_n‖_p)‖_p` over every parameter of the group that has an update,
 *
 * `u ← u · min(1, maxNorm / (total + 1e-6))`.
 *
 * The norm is over one param group: with a single group, placed first in a chain, it clips the gradients
 * (the runtime's copies: `param.grad` is left alone) exactly as {@link clipGradNorm} before `step()` would,
 * to the last bit, including PyTorch's `1e-6` and multiplying by the coefficient even when it is 1; with
 * several groups each is clipped to `maxNorm` on its own (`clipGradNorm` clips them together). Optax's `clip_by_global_norm` differs
 * slightly (no `1e-6`, and no multiplication when the norm is below `maxNorm`); nabla follows
 * PyTorch. Parameters without a gradient this step (`null` updates) do not count.
 *
 * Allocates nothing per step.
 *
 * @param maxNorm - the largest allowed global norm (≥ 0)
 * @param normType - the order p of the norm, as {@link clipGradNorm} takes it (any number but NaN, ±`Infinity`); default 2
 *
 * @see https://pytorch.org/docs/stable/generated/torch.nn.utils.clip_grad_norm_.html
 * @see https://optax.readthedocs.io/en/latest/api/transformations.html#optax.clip_by_global_norm
 * @example
 * ```ts
 * const clippedSgd = defineOptimizer({
 *   name: 'clippedSgd',
 *   defaults: { lr: 0.1 },
 *   rule: chain(clipByGlobalNorm(1.0), scaleByLearningRate()),
 * });
 * ```
 */
export function clipByGlobalNorm(maxNorm: number, normType: number | 'inf' | '-inf' = 2): UpdateRule<null> {
  checkNumber('clipByGlobalNorm', 'maxNorm', maxNorm, { min: 0 });
  const p = parseNormType('clipByGlobalNorm', normType);
  return {
    init: () => null,
    // NOTE: the norm is over every parameter of the group: one parameter's update depends on the others.
    couples: { global: true },
    update(updates) {
      const coef = clipCoefficient(maxNorm, globalNorm(updates, p));
      for (let i = 0; i < updates.length; i++) {
        const u = updates[i];
        if (u === null) continue;
        for (let j = 0; j < u.length; j++) u[j] *= coef;
      }
    },
  };
}
