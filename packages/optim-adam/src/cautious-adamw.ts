import { allocate, type TypedArray } from '@nablajs/core';
import {
  addDecoupledWeightDecay,
  cautious,
  chain,
  defineOptimizer,
  type OptimizerFactory,
  scaleByLearningRate,
  type UpdateRule,
} from '@nablajs/optim';
import { fusedCautiousAdamw } from './cautious-fused';
import { checkAdamFamily } from './validate';

/** The state of {@link scaleByEfficientAdam}: one entry per parameter of the group, indexed like the updates. */
export interface EfficientAdamState {
  /** Steps taken by each parameter (the reference's `step`); 1 during its first update. */
  step: number[];
  /** First moment, the running average of the gradient (the reference's `exp_avg`). */
  m: TypedArray[];
  /** Second moment, the running average of the squared gradient (the reference's `exp_avg_sq`). */
  v: TypedArray[];
}

/**
 * Adam's scaling in the "efficient" form of Kingma & Ba (2015, end of Section 2), the one of Hugging
 * Face's former `transformers.AdamW` and of the cautious AdamW of Liang et al.: ε is added to the
 * **un-corrected** `√v` and the bias corrections move into the step size. Per parameter, with step
 * count `t`:
 *
 * ```
 * m ← β₁·m + (1-β₁)·g
 * v ← β₂·v + (1-β₂)·g²
 * u ← √(1-β₂ᵗ)/(1-β₁ᵗ) · m / (√v + ε)        (correctBias false: u ← m / (√v + ε))
 * ```
 *
 * It is `scaleByAdam()` with ε replaced by `ε/√(1-β₂ᵗ)`: the two differ while `√v` is not much larger
 * than ε. Reads the group's `betas`, `eps` and `correctBias` at every step; parameters without a
 * gradient are skipped and do not advance.
 *
 * @see https://arxiv.org/abs/1412.6980
 * @example
 * ```ts
 * const rule = chain(scaleByEfficientAdam(), cautious(), addDecoupledWeightDecay(), scaleByLearningRate());
 * ```
 */
export function scaleByEfficientAdam(): UpdateRule<EfficientAdamState> {
  return {
    init(params) {
      return {
        step: params.map(() => 0),
        m: params.map((p) => allocate(p.dtype, p.size)),
        v: params.map((p) => allocate(p.dtype, p.size)),
      };
    },
    update(updates, state, ctx) {
      const betas = ctx.hp.betas as readonly number[];
      const b1 = betas[0];
      const b2 = betas[1];
      const eps = ctx.hp.eps as number;
      const correct = ctx.hp.correctBias !== false;
      for (let i = 0; i < updates.length; i++) {
        const u = updates[i];
        if (u === null) continue;
        const t = ++state.step[i];
        const stepScale = correct ? Math.sqrt(1 - b2 ** t) / (1 - b1 ** t) : 1;
        const m = state.m[i];
        const v = state.v[i];
        for (let j = 0; j < u.length; j++) {
          const g = u[j];
          m[j] = b1 * m[j] + (1 - b1) * g;
          v[j] = b2 * v[j] + (1 - b2) * g * g;
          u[j] = (m[j] / (Math.sqrt(v[j]) + eps)) * stepScale;
        }
      }
    },
  };
}

/** Options of {@link cautiousAdamw}: the keyword arguments of the authors' C-AdamW (kyleliang919/C-Optim) in lowerCamelCase. */
export interface CautiousAdamWOptions {
  /** Learning rate. Default `1e-3`. */
  lr?: number;
  /** Decay rates `[β₁, β₂]` of the running averages of the gradient and of its square, each in [0, 1). Default `[0.9, 0.999]`. */
  betas?: readonly number[];
  /** Added to the **un-corrected** `√v` (the efficient form). Default `1e-6` (the reference's). */
  eps?: number;
  /** Decoupled weight decay: `p ← p·(1 - lr·weightDecay)` at every step, never masked. Default `0`. */
  weightDecay?: number;
  /** Bias-correct the moments through the step size `lr·√(1-β₂ᵗ)/(1-β₁ᵗ)`. Default `true`. */
  correctBias?: boolean;
}

/**
 * C-AdamW, the cautious AdamW of Liang, Chen, Liu & Liu (2024, "Cautious Optimizers: Improving Training
 * with One Line of Code"), exactly as the authors' code (kyleliang919/C-Optim, `c_adamw.py`, its
 * per-parameter loop): AdamW whose step is kept only where Adam's momentum and the current gradient
 * agree in sign, the kept part rescaled by the fraction kept. Per parameter, with step count `t` and `g`
 * its gradient:
 *
 * ```
 * m ← β₁·m + (1-β₁)·g;   v ← β₂·v + (1-β₂)·g²
 * u = √(1-β₂ᵗ)/(1-β₁ᵗ) · m / (√v + ε)                    (correctBias false: m / (√v + ε))
 * φ_j = [m_j·g_j > 0];   u ← u·φ / max(mean(φ), 1e-3)     (mean over the parameter tensor)
 * p ← p·(1 - lr·weightDecay) - lr·u
 * ```
 *
 * Defaults (the reference's): `lr 1e-3, betas [0.9, 0.999], eps 1e-6, weightDecay 0, correctBias true`;
 * its `no_deprecation_warning`, `foreach` and `fused` do not apply.
 *
 * The reference's order, which the recipe keeps: the weight decay shrinks `p` (with the `p` before the
 * step, `p ← p - lr·λ·p`) before the moments are updated and is not masked; the mask acts on the Adam
 * direction `m/(√v + ε)`; the learning rate (with the bias corrections) scales the masked direction
 * last. ε is the efficient form's (see {@link scaleByEfficientAdam}), not PyTorch AdamW's, and its
 * default is 1e-6. The mask and its rescaling are {@link cautious}'s (the authors' current
 * `mask.div_(mask.mean().clamp_(min=1e-3))`; the paper's listing divides by `mean + ε`, and the first
 * code by `n/(Σφ + 1)`: nabla follows the code).
 *
 * The reference's constructor default since August 2025, `foreach=True`, runs a batched rewrite of the
 * same rule for multi-device training that differs in three ways: ε is added after the bias correction
 * (PyTorch AdamW's `√(v/(1-β₂ᵗ)) + ε`), the step is counted per group, and its scalars are float32
 * tensors. nabla follows the per-parameter loop (`foreach=False`), the implementation published with
 * the paper.
 *
 * Recipe: `chain(scaleByEfficientAdam(), cautious(), addDecoupledWeightDecay(), scaleByLearningRate())`.
 *
 * @see https://arxiv.org/abs/2411.16085
 * @see https://github.com/kyleliang919/C-Optim
 * @example
 * ```ts
 * import { cautiousAdamw } from '@nablajs/optim-adam';
 * const opt = cautiousAdamw(model.parameters(), { lr: 1e-3, weightDecay: 0.1 });
 * ```
 */
export const cautiousAdamw: OptimizerFactory<CautiousAdamWOptions> = defineOptimizer<CautiousAdamWOptions>({
  name: 'cautiousAdamw',
  defaults: { lr: 1e-3, betas: [0.9, 0.999], eps: 1e-6, weightDecay: 0, correctBias: true },
  validate: (hp) => checkAdamFamily('cautiousAdamw', hp, ['correctBias']),
  rule: chain(scaleByEfficientAdam(), cautious(), addDecoupledWeightDecay(), scaleByLearningRate()),
  fused: fusedCautiousAdamw(0),
});
