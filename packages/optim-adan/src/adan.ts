import {
  chain,
  checkBoolean,
  checkNumber,
  checkTuple,
  defineOptimizer,
  type OptimizerFactory,
  scaleByLearningRate,
} from '@nablajs/optim';
import { addProximalWeightDecay } from './add-proximal-weight-decay';
import { clipByGlobalGradNorm } from './clip-by-global-grad-norm';
import { adanFusedWhen, fusedAdan } from './fused';
import { scaleByAdan } from './scale-by-adan';

/** Options of {@link adan}: the keyword arguments of the authors' `Adan` (sail-sg/Adan) in lowerCamelCase. */
export interface AdanOptions {
  /** Learning rate. Default `1e-3`. */
  lr?: number;
  /**
   * Decay rates `[β₁, β₂, β₃]` of the running averages of the gradient, of the gradient difference and of
   * the squared Nesterov gradient, each in [0, 1). Default `[0.98, 0.92, 0.99]`.
   */
  betas?: readonly number[];
  /** Added to the bias-corrected `√n` in the denominator (and to the norm when clipping). Default `1e-8`. */
  eps?: number;
  /** Decoupled weight decay `λ` (proximal unless `noProx`). Default `0`. */
  weightDecay?: number;
  /** Clip the gradients by their global norm over all groups to at most this value; 0 turns clipping off. Default `0`. */
  maxGradNorm?: number;
  /** Decay the weights AdamW-style (`p·(1 - lr·λ)` before the step) instead of proximally. Default `false`. */
  noProx?: boolean;
}

/**
 * Adan, the ADAptive Nesterov momentum algorithm (Xie, Zhou, Li, Lin & Yan 2022, "Adan: Adaptive
 * Nesterov Momentum Algorithm for Faster Optimizing Deep Models"), exactly as the authors' PyTorch code
 * (sail-sg/Adan, `adan.py`). Per parameter, with its step count `t`, `g` its gradient and `g_prev` the
 * previous one (`g_prev = g` at the first step):
 *
 * ```
 * g ← g · min(1, maxGradNorm / (‖g‖_all + ε))        only when maxGradNorm > 0; ‖·‖_all over all groups
 * d = g - g_prev
 * m ← β₁·m + (1-β₁)·g
 * v ← β₂·v + (1-β₂)·d
 * n ← β₃·n + (1-β₃)·(g + β₂·d)²
 * u = (m/(1-β₁ᵗ) + β₂·v/(1-β₂ᵗ)) / (√n/√(1-β₃ᵗ) + ε)
 * p ← (p - lr·u) / (1 + lr·λ)                          (noProx: p ← p·(1 - lr·λ) - lr·u)
 * ```
 *
 * Defaults (the reference's): `lr 1e-3, betas [0.98, 0.92, 0.99], eps 1e-8, weightDecay 0,
 * maxGradNorm 0, noProx false`. The reference's `foreach` and `fused` choose among its implementations
 * of the same rule and do not apply.
 *
 * With `maxGradNorm > 0` the clipping factor depends on the gradients of every group, so the rule
 * declares `couples: { global: true }` (it couples nothing while `maxGradNorm` is 0). The factor is
 * computed in float32, as the reference computes it; see {@link clipByGlobalGradNorm}, also for the
 * reference reading `max_grad_norm` from the constructor and `eps` from the last group.
 *
 * The paper and the authors' code differ, and nabla follows the code:
 * - the paper's `β`s weigh the new term (`m ← (1-β₁)·m + β₁·g`, with β = 0.02, 0.08, 0.01); the code's
 *   weigh the old one (0.98, 0.92, 0.99), so the paper's `(1-β₂)` factors on `v` and in `n` are the
 *   code's `β₂`;
 * - the paper's Algorithm 1 starts from `m₀ = g₀`, `n₀ = g₀²` without bias correction; the code starts
 *   the three averages at zero and corrects each by `1-βᵢᵗ`, taking the first difference as zero;
 * - the paper's optional restart condition is not automatic in the code (a `restart_opt()` method) and
 *   not in nabla; the gradient clipping and the `noProx` variant are the code's additions.
 *
 * The reference keeps one step counter per group, advanced at every `step()` even for a parameter
 * without a gradient; nabla counts steps per parameter (as its Adam does), which is the same when every
 * parameter has a gradient at every step.
 *
 * Recipe: `chain(clipByGlobalGradNorm(), scaleByAdan(), addProximalWeightDecay(), scaleByLearningRate())`.
 *
 * @see https://arxiv.org/abs/2208.06677
 * @see https://github.com/sail-sg/Adan
 * @example
 * ```ts
 * import { adan } from '@nablajs/optim-adan';
 * const opt = adan(model.parameters(), { lr: 1e-3, weightDecay: 0.02, maxGradNorm: 5 });
 * opt.zeroGrad();
 * loss.backward();
 * opt.step();
 * ```
 */
export const adan: OptimizerFactory<AdanOptions> = defineOptimizer<AdanOptions>({
  name: 'adan',
  defaults: { lr: 1e-3, betas: [0.98, 0.92, 0.99], eps: 1e-8, weightDecay: 0, maxGradNorm: 0, noProx: false },
  validate: (hp) => {
    checkNumber('adan', 'lr', hp.lr, { min: 0 });
    checkTuple('adan', 'betas', hp.betas, 3, { min: 0, max: 1, maxInclusive: false });
    checkNumber('adan', 'eps', hp.eps, { min: 0 });
    checkNumber('adan', 'weightDecay', hp.weightDecay, { min: 0 });
    checkNumber('adan', 'maxGradNorm', hp.maxGradNorm, { min: 0 });
    checkBoolean('adan', 'noProx', hp.noProx);
  },
  rule: chain(clipByGlobalGradNorm(), scaleByAdan(), addProximalWeightDecay(), scaleByLearningRate()),
  fused: fusedAdan(1),
  fusedWhen: adanFusedWhen,
});
