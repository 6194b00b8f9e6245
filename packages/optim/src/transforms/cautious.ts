import type { UpdateRule } from '../types';

/** The floor of the mask's mean in {@link cautious} (the authors' `clamp_(min=1e-3)`). */
const MIN_MASK_MEAN = 1e-3;

/**
 * The cautious mask (Liang, Chen, Liu & Liu 2024, "Cautious Optimizers: Improving Training with One
 * Line of Code") as a block that any momentum rule can chain: it zeroes the elements of the update
 * whose sign disagrees with the current gradient and rescales the rest by the fraction kept. Per
 * parameter, with `u` the update so far (pointing along the gradient: place the block before
 * `scaleByLearningRate()`) and `g` the parameter's gradient:
 *
 * ```
 * φ_j  = 1 if u_j·g_j > 0, else 0
 * mean = max(Σ_j φ_j / n, 1e-3)             (n = the parameter's number of elements)
 * u_j ← u_j · φ_j / mean
 * ```
 *
 * As the authors' code (kyleliang919/C-Optim, `c_adamw.py`: `mask.div_(mask.mean().clamp_(min=1e-3))`),
 * the mean is per parameter tensor and floored at `1e-3`, so a tensor whose elements almost all
 * disagree is not scaled up by more than 1000. The paper differs: its one-line listing (arXiv v4)
 * divides by `mean + ε`, and its first version scaled by `n / (Σφ + 1)`, as the authors' first code did
 * (kept there as a comment); nabla follows their current code, the clamped mean. The authors test
 * `m·g > 0` on the momentum `m` before Adam's scaling;
 * the scaling is positive, so testing the update's sign is the same test (nabla compares signs, so a
 * product that would underflow to 0 does not drop an element). A masked element becomes `u_j·0`, which
 * keeps a NaN or infinite update visible as NaN, as the authors' `exp_avg * mask` does.
 *
 * The gradient is read from `ctx.params[i].grad` (the runtime never changes it); when the group's
 * `maximize` is true the rules see `-g`, and so does the mask. A parameter without a gradient (a
 * `null` update) is skipped. Keeps no state; allocates nothing.
 *
 * @see https://arxiv.org/abs/2411.16085
 * @see https://github.com/kyleliang919/C-Optim
 * @example
 * ```ts
 * // Cautious Adam with decoupled weight decay: the mask acts on Adam's direction, not on the decay.
 * const rule = chain(scaleByAdam(), cautious(), addDecoupledWeightDecay(), scaleByLearningRate());
 * ```
 */
export function cautious(): UpdateRule<null> {
  return {
    init: () => null,
    update(updates, _state, ctx) {
      const flip = ctx.hp.maximize === true;
      for (let i = 0; i < updates.length; i++) {
        const u = updates[i];
        const grad = ctx.params[i].grad;
        if (u === null || grad === null) continue;
        const g = grad.values;
        let kept = 0;
        for (let j = 0; j < u.length; j++) if (agrees(u[j], flip ? -g[j] : g[j])) kept++;
        const mean = Math.max(kept / u.length, MIN_MASK_MEAN);
        const scale = 1 / mean;
        for (let j = 0; j < u.length; j++) u[j] = agrees(u[j], flip ? -g[j] : g[j]) ? u[j] * scale : u[j] * 0;
      }
    },
  };
}

/** Whether `u` and `g` are both positive or both negative (the mask's `u·g > 0`). */
function agrees(u: number, g: number): boolean {
  return (u > 0 && g > 0) || (u < 0 && g < 0);
}
