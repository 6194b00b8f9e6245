import { ValueError } from '@nablajs/core';
import {
  chain,
  checkBoolean,
  checkNumber,
  checkTuple,
  defineOptimizer,
  type Hyperparams,
  type OptimizerFactory,
} from '@nablajs/optim';
import { scaleByMars } from './scale-by-mars';

/** The update of the MARS branch: the variants of the authors' code. */
export type MarsType = 'mars-adamw' | 'mars-lion' | 'mars-shampoo';

const MARS_TYPES: readonly string[] = ['mars-adamw', 'mars-lion', 'mars-shampoo'];

/**
 * Options of {@link mars}: the keyword arguments of the authors' `MARS` (AGI-Arena/MARS, `mars.py`) in
 * lowerCamelCase, with the authors' defaults. The reference's `is_approx` is not an option: nabla runs
 * its approximate version (the default), see {@link mars}.
 */
export interface MarsOptions {
  /** Learning rate of the MARS branch; the AdamW branch's is `lr · lr1d / (the group's first lr)`. Default `3e-3`. */
  lr?: number;
  /** `[β₁, β₂]` of the MARS branch, each in [0, 1). Default `[0.95, 0.99]`. */
  betas?: readonly number[];
  /** Added to the bias-corrected `√v` (both branches) and to the norm in MARS-Shampoo's Newton-Schulz. Default `1e-8`. */
  eps?: number;
  /** Decoupled weight decay `λ` of the MARS branch: `-lr·λ·p`. Default `0`. */
  weightDecay?: number;
  /** Use the running maximum of `v` in the denominators (AMSGrad). Default `false`. */
  amsgrad?: boolean;
  /** γ, the weight of the gradient correction `g - g_prev` in `c_t`, ≥ 0. Default `0.025`. */
  gamma?: number;
  /** The MARS branch's update: `'mars-adamw'`, `'mars-lion'` or `'mars-shampoo'`. Default `'mars-adamw'`. */
  marsType?: MarsType;
  /** Send every parameter through the MARS branch, not only the 2-D ones. Default `false`. */
  optimize1d?: boolean;
  /** Learning rate of the AdamW branch at the group's first `lr` (it follows `lr`'s schedule). Default `3e-3`. */
  lr1d?: number;
  /** `[β₁, β₂]` of the AdamW branch, each in [0, 1). Default `[0.9, 0.95]`. */
  betas1d?: readonly number[];
  /** Decoupled weight decay of the AdamW branch (instead of the group's `weightDecay`). Default `0.1`. */
  weightDecay1d?: number;
}

function validateMars(hp: Readonly<Hyperparams>): void {
  const fn = 'mars';
  checkNumber(fn, 'lr', hp.lr, { min: 0 });
  checkTuple(fn, 'betas', hp.betas, 2, { min: 0, max: 1, maxInclusive: false });
  checkNumber(fn, 'eps', hp.eps, { min: 0 });
  checkNumber(fn, 'weightDecay', hp.weightDecay, { min: 0 });
  checkBoolean(fn, 'amsgrad', hp.amsgrad);
  checkNumber(fn, 'gamma', hp.gamma, { min: 0 });
  if (!MARS_TYPES.includes(hp.marsType as string))
    throw new ValueError(
      `${fn}: marsType must be 'mars-adamw', 'mars-lion' or 'mars-shampoo', got ${JSON.stringify(hp.marsType) ?? String(hp.marsType)}`,
    );
  checkBoolean(fn, 'optimize1d', hp.optimize1d);
  checkNumber(fn, 'lr1d', hp.lr1d, { min: 0 });
  checkTuple(fn, 'betas1d', hp.betas1d, 2, { min: 0, max: 1, maxInclusive: false });
  checkNumber(fn, 'weightDecay1d', hp.weightDecay1d, { min: 0 });
}

/**
 * MARS, Make vAriance Reduction Shine (Yuan, Liu, Wu, Zhou & Gu 2024, "MARS: Unleashing the Power of
 * Variance Reduction for Training Large Models"), exactly as the authors' PyTorch code (AGI-Arena/MARS,
 * `MARS/optimizers/mars.py`, approximate version). Matrices take a preconditioned step on the
 * variance-reduced gradient `c_t`; every other parameter takes plain AdamW. Per parameter, with its own
 * step count `t`, `g` its gradient, `g_prev` the previous step's gradient (zero at the first step):
 *
 * ```
 * MARS branch (ndim 2, or every parameter with optimize1d), β₁, β₂ = betas, λ = weightDecay:
 *   c = g + γ·β₁/(1-β₁)·(g - g_prev);   c ← c/‖c‖ if ‖c‖ > 1        (Frobenius norm of the whole tensor)
 *   m ← β₁·m + (1-β₁)·c
 *   mars-adamw:    v ← β₂·v + (1-β₂)·c²;  p ← p - lr·(λ·p + m / ((√v/√(1-β₂ᵗ) + eps)·(1-β₁ᵗ)))
 *   mars-lion:     p ← p - lr·(λ·p + sign(m))
 *   mars-shampoo:  p ← p - lr·(√max(1, rows/cols)·NS(m/(1-β₁)) + λ·p)   (non-matrices as mars-adamw)
 * AdamW branch (ndim ≠ 2), β₁', β₂' = betas1d, λ' = weightDecay1d, lr' = lr·lr1d/lr₀:
 *   m ← β₁'·m + (1-β₁')·g;  v ← β₂'·v + (1-β₂')·g²;  p ← p - lr'·(λ'·p + m / ((√v/√(1-β₂'ᵗ) + eps)·(1-β₁'ᵗ)))
 * ```
 *
 * With `amsgrad`, `v` in the denominators is the running maximum of `v`. `NS` is
 * {@link marsNewtonSchulz} (five quintic Newton-Schulz iterations from `M/(‖M‖ + eps)`). Defaults (the
 * authors'): `lr 3e-3, betas [0.95, 0.99], eps 1e-8, weightDecay 0, amsgrad false, gamma 0.025,
 * marsType 'mars-adamw', optimize1d false, lr1d 3e-3, betas1d [0.9, 0.95], weightDecay1d 0.1`.
 *
 * Quirks of the authors' code that nabla matches:
 * - The branch is chosen by `ndim === 2`: a 4-D convolution weight or any 3-D tensor takes the AdamW
 *   branch, as biases and norm gains do, unless `optimize1d` (the authors' CIFAR ResNet-18 script leaves
 *   it off, so there only the final linear layer steps with MARS).
 * - The AdamW branch decays by `weightDecay1d` (default 0.1), never by the group's `weightDecay`: the
 *   authors' "no decay" group (weightDecay 0) still decays its biases and gains. (The reference's
 *   `weight_decay_1d = weight_decay if optimize_1d else weight_decay_1d` never reaches the AdamW branch
 *   with `optimize_1d`, so it always means `weightDecay1d`.)
 * - The 1-D learning rate is stored as the factor `lr_1d / lr` when the optimizer is made and multiplied
 *   by the group's current `lr`: a learning-rate schedule scales it too. nabla keeps the group's `lr`
 *   when the group is made (`lr₀`, in the state) and reads `lr1d` at every step: `lr' = lr·lr1d/lr₀`.
 * - The clip of `c_t` only scales down, by the norm of the whole tensor, and `m` is not bias-corrected
 *   in the clip; the first step's `g_prev` is zero, so `c = (1 + γ·β₁/(1-β₁))·g` at step 1.
 * - Bias corrections enter as `(√v/√(1-β₂ᵗ) + eps)·(1-β₁ᵗ)`, so `eps` is scaled by `1-β₁ᵗ`.
 * - Weight decay is `lr·λ` times the parameter before the step, added to the step (decoupled).
 * - Step counts are per parameter; a parameter without a gradient is skipped and does not advance.
 * - `g_prev` is the gradient itself: the reference keeps `p.grad` (correct with `zero_grad(set_to_none=True)`,
 *   PyTorch 2's default and the authors' loop; PyTorch 1.x's default would zero it in place). nabla copies it.
 *
 * Where nabla differs:
 * - The reference reads `eps`, `gamma`, `marsType`, `optimize1d`, `lr1d`, `betas1d` and `weightDecay1d`
 *   from its constructor and ignores per-group values; `lr`, `betas`, `weightDecay` and `amsgrad` per
 *   group. nabla reads all of them per group (a group inherits the optimizer's options unless it sets its
 *   own), which is the same unless a group overrides one of the former.
 * - `lr₀` is the group's own first `lr`; the reference divides by the constructor's `lr`. For a group
 *   that sets its own `lr`, give it `lr1d · (group lr / optimizer lr)` to get the reference's numbers. A
 *   group made with `lr 0` keeps its AdamW-branch parameters still (the reference raises a
 *   ZeroDivisionError for a constructor `lr` of 0).
 * - MARS-Shampoo's Newton-Schulz runs in the parameter's dtype, not bfloat16 (see {@link marsNewtonSchulz}).
 * - Only the approximate version (`is_approx=True`, the default and what the authors train with):
 *   `g_prev` is the previous step's gradient. The exact version (the gradient of the current batch at the
 *   previous parameters, fed through the reference's `update_previous_grad` / `update_last_grad` calls in
 *   the training loop) is not provided; `isApprox` is rejected as an unknown option.
 * - `amsgrad` switched on after a parameter's first step starts its maximum at zero (the reference fails).
 *
 * Recipe: `chain(scaleByMars())` (one block; it applies the learning rates and decays itself).
 *
 * @see https://arxiv.org/abs/2411.10438
 * @see https://github.com/AGI-Arena/MARS
 * @example
 * ```ts
 * import { mars } from '@nablajs/optim-mars';
 * const opt = mars(
 *   [
 *     { params: matrices, weightDecay: 0.1 }, // 2-D weights: MARS-AdamW
 *     { params: others, weightDecay: 0 }, // biases, gains: AdamW with lr1d and weightDecay1d
 *   ],
 *   { lr: 6e-4, betas: [0.95, 0.99], gamma: 0.025 },
 * );
 * opt.zeroGrad();
 * loss.backward();
 * opt.step();
 * ```
 */
export const mars: OptimizerFactory<MarsOptions> = defineOptimizer<MarsOptions>({
  name: 'mars',
  defaults: {
    lr: 3e-3,
    betas: [0.95, 0.99],
    eps: 1e-8,
    weightDecay: 0,
    amsgrad: false,
    gamma: 0.025,
    marsType: 'mars-adamw',
    optimize1d: false,
    lr1d: 3e-3,
    betas1d: [0.9, 0.95],
    weightDecay1d: 0.1,
  },
  validate: validateMars,
  rule: chain(scaleByMars()),
});
