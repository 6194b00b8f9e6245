import {
  addDecoupledWeightDecay,
  chain,
  checkNumber,
  checkTuple,
  defineOptimizer,
  type RuleOptimizerFactory,
} from '@nablajs/optim';
import { fusedScheduleFree } from './fused';
import { scaleByScheduleFreeAdam } from './scale-by-schedule-free-adam';
import { scheduleFree } from './schedule-free';
import { checkScheduleFree } from './validate';

/** Options of {@link adamwScheduleFree}: the keyword arguments of the reference's `AdamWScheduleFree` in lowerCamelCase. */
export interface AdamWScheduleFreeOptions {
  /** Learning rate γ (1–10× a scheduled AdamW's). Default `0.0025`. */
  lr?: number;
  /**
   * `[β₁, β₂]`: β₁ in (0, 1] is the interpolation weight between the average `x` and `z` (it plays the
   * role of Adam's momentum); β₂ in [0, 1) the decay of the squared-gradient average. Default `[0.9, 0.999]`.
   */
  betas?: readonly number[];
  /** Added to the bias-corrected `√v` in the denominator. Default `1e-8`. */
  eps?: number;
  /** Decoupled weight decay λ: `λ·y` is added to the normalized gradient, at the gradient point `y`. Default `0`. */
  weightDecay?: number;
  /** Linear warmup of the learning rate over this many steps (an integer ≥ 0; 0 for none). Default `0`. */
  warmupSteps?: number;
  /** Polynomial weighting of the average: step `k` weighs `(k+1)^r` (≥ 0). Default `0`. */
  r?: number;
  /** The average's weights are also proportional to `lr_max^weightLrPower` (≥ 0; 0 for none). Default `2`. */
  weightLrPower?: number;
  /** Inner momentum μ in [0, 1): an average of the gradient inside the Adam direction (0: none, no buffer). Default `0`. */
  innerMomentum?: number;
}

/**
 * Schedule-Free AdamW (Defazio, Yang, Mehta, Mishchenko, Khaled & Cutkosky 2024, "The Road Less
 * Scheduled"), as the authors' `AdamWScheduleFree` (version 1.4): Adam's normalization with its
 * momentum replaced by interpolation and averaging, so that no learning-rate schedule is needed. The
 * parameters hold the gradient point `y`; `x`, the average to evaluate, is recovered from `y` and the
 * stored `z`. Per group step (`k` steps before it, λ = `weightDecay`, μ = `innerMomentum`):
 *
 * ```
 * γ = lr · min(1, (k+1)/warmupSteps)
 * lr_max ← max(lr_max, γ);  w = (k+1)^r · lr_max^weightLrPower;  W ← W + w;  c = w / W
 * g = ∇f(y);  v ← β₂·v + (1 − β₂)·g²;  v̂ = v / (1 − β₂^(k+1))
 * d = g / (√v̂ + ε) + λ·y                  (μ ≠ 0: m ← μm + (1 − μ)g, d = m/(1 − μ^(k+1)) / (√v̂ + ε) + λ·y)
 * y ← (1 − c)·y + c·z + γ·(β₁(1 − c) − 1)·d      (≡ z ← z − γd; x ← (1 − c)x + c·z; y = (1 − β₁)z + β₁x)
 * z ← z − γ·d
 * ```
 *
 * Defaults (the reference's): `lr 0.0025, betas [0.9, 0.999], eps 1e-8, weightDecay 0,
 * warmupSteps 0, r 0, weightLrPower 2, innerMomentum 0`.
 *
 * **Train and eval modes.** Gradients are taken at `y`, the loss should be evaluated at `x`. Call
 * `optimizer.eval()` before evaluating, validating or saving a checkpoint (the parameters move to
 * `x = (y − (1 − β₁)z)/β₁`), and `optimizer.train()` before stepping again (back to
 * `y = (1 − β₁)z + β₁x`); stepping in eval mode throws. `fit()` from `@nablajs/train` makes these
 * calls. A round trip `eval()` → `train()` returns `y` up to rounding: within
 * `4u·(|x| + |y| + |z − y|/β₁)` per element, `u` the dtype's unit roundoff (2⁻⁵³ for float64, 2⁻²⁴ for
 * float32); most elements come back bit for bit. Save the optimizer's `stateDict()` with the model: it
 * holds `z`, `v` and the mode.
 *
 * The paper and the code: nabla follows the code. The paper's Algorithm 1 folds Adam's bias correction
 * into the step size, `γ_t = lr·√(1 − β₂ᵗ)·min(1, t/warmup)` with `d = g/(√v + ε)`, so the correction
 * also scales the weight decay and the averaging weights; since version 1.3 the code divides by the
 * bias-corrected `√v̂` instead and leaves γ alone (the authors' `AdamWScheduleFreePaper` keeps the
 * paper's form). The paper's weights are `c = γ_t² / Σ γ_i²` with the current γ; the code uses the
 * running maximum `lr_max` (equal during warmup and at constant lr) with the power `weightLrPower`
 * and the factor `(k+1)^r`. Weight decay is taken at `y` in both. `innerMomentum` is not in the paper
 * (the code added it in 2026). The reference does not validate its options; nabla requires β₁ in
 * (0, 1] (its `eval()` divides by β₁), β₂ in [0, 1), μ in [0, 1) and non-negative `eps`,
 * `weightDecay`, `r`, `weightLrPower`. Differences from the reference's implementation: it starts in
 * eval mode (its first `train()` moves nothing, as no `z` exists yet), nabla starts in train mode; it
 * overwrites `p.grad` with the normalized gradient, nabla leaves gradients untouched; it advances a
 * group's counters even when none of the group's parameters has a gradient, nabla's runtime then skips
 * the group. A parameter without a gradient does not move and keeps its `z` and `v`, while its
 * group's counters (and so the bias corrections) advance, as in the reference.
 *
 * Recipe: `chain(scaleByScheduleFreeAdam(), addDecoupledWeightDecay(), scheduleFree((hp) => hp.betas[0]))`.
 *
 * @see https://arxiv.org/abs/2405.15682
 * @see https://github.com/facebookresearch/schedule_free
 * @example
 * ```ts
 * import { adamwScheduleFree } from '@nablajs/optim-schedulefree';
 * const opt = adamwScheduleFree(model.parameters(), { lr: 0.0025, warmupSteps: 500, weightDecay: 0.01 });
 * opt.train();
 * for (const batch of batches) {
 *   opt.zeroGrad();
 *   loss(model, batch).backward();
 *   opt.step();
 * }
 * opt.eval(); // the parameters now hold x: evaluate and save here
 * ```
 */
export const adamwScheduleFree: RuleOptimizerFactory<AdamWScheduleFreeOptions> =
  defineOptimizer<AdamWScheduleFreeOptions>({
    name: 'adamwScheduleFree',
    defaults: {
      lr: 0.0025,
      betas: [0.9, 0.999],
      eps: 1e-8,
      weightDecay: 0,
      warmupSteps: 0,
      r: 0,
      weightLrPower: 2,
      innerMomentum: 0,
    },
    validate: (hp) => {
      const fn = 'adamwScheduleFree';
      const [b1, b2] = checkTuple(fn, 'betas', hp.betas, 2);
      checkNumber(fn, 'betas[0]', b1, { min: 0, max: 1, minInclusive: false });
      checkNumber(fn, 'betas[1]', b2, { min: 0, max: 1, maxInclusive: false });
      checkNumber(fn, 'eps', hp.eps, { min: 0 });
      checkNumber(fn, 'innerMomentum', hp.innerMomentum, { min: 0, max: 1, maxInclusive: false });
      checkScheduleFree(fn, hp);
    },
    rule: chain(
      scaleByScheduleFreeAdam(),
      addDecoupledWeightDecay(),
      scheduleFree((hp) => (hp.betas as readonly number[])[0]),
    ),
    fused: fusedScheduleFree(0, 2, (hp) => (hp.betas as readonly number[])[0]),
  });
