import {
  addDecoupledWeightDecay,
  chain,
  checkBoolean,
  checkNumber,
  checkTuple,
  defineOptimizer,
  type OptimizerFactory,
  scaleByAdam,
  scaleByLearningRate,
} from '@nablajs/optim';
import { fusedLamb } from './fused';
import { scaleByTrustRatio } from './trust-ratio';

/** Options of {@link lamb}. Names follow the PyTorch conventions of the other optimizers. */
export interface LambOptions {
  /** Learning rate: each parameter tensor moves by `lr·‖p‖` per step (when its trust ratio applies). Default `1e-3`. */
  lr?: number;
  /** Decay rates `[β₁, β₂]` of the running averages of the gradient and of its square, each in [0, 1). Default `[0.9, 0.999]`. */
  betas?: readonly number[];
  /** Added to `√v̂` in the Adam direction. Default `1e-6` (the paper's). */
  eps?: number;
  /** Decoupled weight decay `λ`, added to the Adam direction before the trust ratio: `r + λ·p`. Default `0`. */
  weightDecay?: number;
  /** Bias-correct the moments, as the paper's Algorithm 2 does (the original BERT code did not). Default `true`. */
  biasCorrection?: boolean;
  /** Cap the trust ratio at 1 (LAMBC; timm's `trust_clip`). Default `false` (the paper's unclipped ratio). */
  trustClip?: boolean;
}

/**
 * LAMB, Layer-wise Adaptive Moments for Batch training (You et al. 2019, "Large Batch Optimization for
 * Deep Learning: Training BERT in 76 minutes", Algorithm 2). Per parameter tensor (one "layer"), with
 * its step count `t` and `g` the gradient:
 *
 * ```
 * m ← β₁·m + (1-β₁)·g;  v ← β₂·v + (1-β₂)·g²
 * m̂ = m/(1-β₁ᵗ);  v̂ = v/(1-β₂ᵗ)                 (without biasCorrection: m̂ = m, v̂ = v)
 * r = m̂/(√v̂ + ε) + λ·p
 * ratio = ‖p‖/‖r‖   (1 when ‖p‖ = 0 or ‖r‖ = 0; capped at 1 with trustClip)
 * p ← p - lr·ratio·r
 * ```
 *
 * Defaults: `lr 1e-3, betas [0.9, 0.999], eps 1e-6, weightDecay 0, biasCorrection true,
 * trustClip false`. PyTorch has no LAMB; the defaults are the paper's.
 *
 * Choices, all following the paper's Algorithm 2: the scaling function `φ` of `‖p‖` is the identity
 * (the paper's experiments; its analysis allows clipping `‖p‖` to `[γ_l, γ_u]`); the moments are bias
 * corrected (NVIDIA's BERT code omits it: `biasCorrection: false`); weight decay is decoupled and
 * inside the trust ratio's `‖r‖`; the ratio applies whatever the weight decay (timm's `Lamb` skips it
 * when `weightDecay` is 0 unless `always_adapt`). The ratio is per parameter tensor, so biases and
 * norm layers get their own; to exclude them from weight decay, give them a group with
 * `weightDecay: 0`. ε goes outside the square root, after the bias correction.
 *
 * Other public implementations differ, and give other numbers: cybertronai's `pytorch-lamb` clamps
 * `‖p‖` at 10 and skips the bias correction (nabla's `biasCorrection: false` matches it while `‖p‖ < 10`);
 * NVIDIA apex's `FusedLAMB` clips the global gradient norm to 1 by default (`max_grad_norm`; put
 * `clipGradNorm` or `clipByGlobalNorm` before the step for that) and skips the trust ratio when the weight
 * decay is 0 unless `use_nvlamb`.
 *
 * Recipe: `chain(scaleByAdam(), addDecoupledWeightDecay(), scaleByTrustRatio(), scaleByLearningRate())`.
 *
 * @example
 * ```ts
 * import { lamb } from '@nablajs/optim-lamb';
 * const opt = lamb(model.parameters(), { lr: 2e-3, weightDecay: 0.01 });
 * ```
 */
export const lamb: OptimizerFactory<LambOptions> = defineOptimizer<LambOptions>({
  name: 'lamb',
  defaults: { lr: 1e-3, betas: [0.9, 0.999], eps: 1e-6, weightDecay: 0, biasCorrection: true, trustClip: false },
  validate: (hp) => {
    checkNumber('lamb', 'lr', hp.lr, { min: 0 });
    checkTuple('lamb', 'betas', hp.betas, 2, { min: 0, max: 1, maxInclusive: false });
    checkNumber('lamb', 'eps', hp.eps, { min: 0 });
    checkNumber('lamb', 'weightDecay', hp.weightDecay, { min: 0 });
    checkBoolean('lamb', 'biasCorrection', hp.biasCorrection);
    checkBoolean('lamb', 'trustClip', hp.trustClip);
  },
  rule: chain(scaleByAdam(), addDecoupledWeightDecay(), scaleByTrustRatio(), scaleByLearningRate()),
  fused: fusedLamb(0),
});
