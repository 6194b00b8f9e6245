import { addWeightDecay, chain, checkNumber, defineOptimizer, type RuleOptimizerFactory } from '@nablajs/optim';
import { fusedScheduleFree } from './fused';
import { scheduleFree } from './schedule-free';
import { checkScheduleFree } from './validate';

/** Options of {@link sgdScheduleFree}: the keyword arguments of the reference's `SGDScheduleFree` in lowerCamelCase. */
export interface SgdScheduleFreeOptions {
  /** Learning rate γ (schedule-free SGD takes rates 10–50× those of classical SGD). Default `1.0`. */
  lr?: number;
  /** Interpolation weight β between the average `x` and the base sequence `z`, in (0, 1). Default `0.9`. */
  momentum?: number;
  /** L2 penalty: `weightDecay · y` is added to the gradient, at the gradient point `y`. Default `0`. */
  weightDecay?: number;
  /** Linear warmup of the learning rate over this many steps (an integer ≥ 0; 0 for none). Default `0`. */
  warmupSteps?: number;
  /** Polynomial weighting of the average: step `k` weighs `(k+1)^r` (≥ 0). Default `0`. */
  r?: number;
  /** The average's weights are also proportional to `lr_max^weightLrPower` (≥ 0; 0 for none). Default `2`. */
  weightLrPower?: number;
}

/**
 * Schedule-Free SGD (Defazio, Yang, Mehta, Mishchenko, Khaled & Cutkosky 2024, "The Road Less
 * Scheduled"), as the authors' `SGDScheduleFree`: SGD whose momentum is replaced by interpolation and
 * averaging, so that no learning-rate schedule is needed. The parameters hold the gradient point `y`;
 * `x`, the average to evaluate, is recovered from `y` and the stored `z`. Per group step (`k` steps
 * before it, β = `momentum`, λ = `weightDecay`):
 *
 * ```
 * γ = lr · min(1, (k+1)/warmupSteps)
 * lr_max ← max(lr_max, γ);  w = (k+1)^r · lr_max^weightLrPower;  W ← W + w;  c = w / W
 * g ← ∇f(y) + λ·y
 * y ← (1 − c)·y + c·z + γ·(β(1 − c) − 1)·g          (≡ z ← z − γg; x ← (1 − c)x + c·z; y = (1 − β)z + βx)
 * z ← z − γ·g
 * ```
 *
 * Defaults (the reference's): `lr 1.0, momentum 0.9, weightDecay 0, warmupSteps 0, r 0,
 * weightLrPower 2`.
 *
 * **Train and eval modes.** Gradients are taken at `y`, the loss should be evaluated at `x`. Call
 * `optimizer.eval()` before evaluating, validating or saving a checkpoint (the parameters move to
 * `x = (y − (1 − β)z)/β`), and `optimizer.train()` before stepping again (back to `y = (1 − β)z + βx`);
 * stepping in eval mode throws. `fit()` from `@nablajs/train` makes these calls. A round trip
 * `eval()` → `train()` returns `y` up to rounding: within `4u·(|x| + |y| + |z − y|/β)` per element, `u`
 * the dtype's unit roundoff (2⁻⁵³ for float64, 2⁻²⁴ for float32); most elements come back bit for bit.
 * Save the optimizer's `stateDict()` with the model: it holds `z` and the mode.
 *
 * The paper and the code: nabla follows the code. The paper's weights are `c = γ_t² / Σ γ_i²` with the
 * current γ; the code uses the running maximum `lr_max` (equal during warmup and at constant lr; a
 * decreasing lr from a scheduler then keeps the peak's weight) with the power `weightLrPower` and the
 * extra factor `(k+1)^r`. The paper's SGD has no weight decay; the code adds L2 decay at `y`.
 * Differences from the reference's implementation: it starts in eval mode (its first `train()` moves
 * nothing, as no `z` exists yet), nabla starts in train mode; it overwrites `p.grad` with
 * `g + λy`, nabla leaves gradients untouched; it advances a group's counters even when none of the
 * group's parameters has a gradient, nabla's runtime then skips the group. A parameter without a
 * gradient does not move and keeps its `z`, while its group's counters advance, as in the reference.
 *
 * Recipe: `chain(addWeightDecay(), scheduleFree((hp) => hp.momentum))`.
 *
 * @see https://arxiv.org/abs/2405.15682
 * @see https://github.com/facebookresearch/schedule_free
 * @example
 * ```ts
 * import { sgdScheduleFree } from '@nablajs/optim-schedulefree';
 * const opt = sgdScheduleFree(model.parameters(), { lr: 1.0, momentum: 0.9, warmupSteps: 100 });
 * opt.train();
 * for (const batch of batches) {
 *   opt.zeroGrad();
 *   loss(model, batch).backward();
 *   opt.step();
 * }
 * opt.eval(); // the parameters now hold x: evaluate and save here
 * ```
 */
export const sgdScheduleFree: RuleOptimizerFactory<SgdScheduleFreeOptions> = defineOptimizer<SgdScheduleFreeOptions>({
  name: 'sgdScheduleFree',
  defaults: { lr: 1.0, momentum: 0.9, weightDecay: 0, warmupSteps: 0, r: 0, weightLrPower: 2 },
  validate: (hp) => {
    checkNumber('sgdScheduleFree', 'momentum', hp.momentum, {
      min: 0,
      max: 1,
      minInclusive: false,
      maxInclusive: false,
    });
    checkScheduleFree('sgdScheduleFree', hp);
  },
  rule: chain(
    addWeightDecay(),
    scheduleFree((hp) => hp.momentum as number),
  ),
  fused: fusedScheduleFree(null, 1, (hp) => hp.momentum as number),
});
