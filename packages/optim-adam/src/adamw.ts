import {
  addDecoupledWeightDecay,
  chain,
  defineOptimizer,
  flipIfMaximize,
  type OptimizerFactory,
  scaleByAdam,
  scaleByLearningRate,
} from '@nablajs/optim';
import type { AdamOptions } from './adam';
import { fusedAdam } from './fused';
import { checkAdamFamily } from './validate';

/** Options of {@link adamw}: those of {@link adam}, with the weight decay decoupled (PyTorch's `torch.optim.AdamW`). */
export interface AdamWOptions extends AdamOptions {
  /** Decoupled weight decay: `p ← p·(1 - lr·weightDecay)` at every step. Default `0.01` (Adam's is 0). */
  weightDecay?: number;
}

/**
 * AdamW (Loshchilov & Hutter 2019, "Decoupled Weight Decay Regularization"), exactly as PyTorch's
 * `torch.optim.AdamW`: Adam with the weight decay taken out of the gradient. Per parameter, with its
 * step count `t` and `g` the gradient (negated when `maximize`; weight decay never touches it):
 *
 * ```
 * p ← p·(1 - lr·weightDecay)
 * m ← β₁·m + (1-β₁)·g
 * v ← β₂·v + (1-β₂)·g²                      (amsgrad: vmax ← max(vmax, v), used instead of v below)
 * p ← p - lr/(1-β₁ᵗ) · m / (√v/√(1-β₂ᵗ) + ε)
 * ```
 *
 * Defaults (PyTorch's): `lr 1e-3, betas [0.9, 0.999], eps 1e-8, weightDecay 0.01, amsgrad false,
 * maximize false`.
 *
 * PyTorch and the paper: the paper multiplies the decay by the schedule multiplier `η_t` only
 * (`p ← p - η_t·λ·p`), independently of the learning rate α; PyTorch multiplies it by `lr`, so the
 * decay follows any learning-rate schedule. It is scaled by `lr` only, never by the bias-corrected
 * step size. nabla follows PyTorch. With `maximize`, the decay still shrinks `p`.
 *
 * Runs as one fused kernel per parameter (`adamUpdate`, replaceable by a backend); the recipe it
 * matches, run when fused updates are off:
 * `chain(flipIfMaximize(), scaleByAdam(), addDecoupledWeightDecay(), scaleByLearningRate())`.
 *
 * @example
 * ```ts
 * import { adamw } from '@nablajs/optim-adam';
 * const opt = adamw(model.parameters(), { lr: 3e-4, weightDecay: 0.05 });
 * ```
 */
export const adamw: OptimizerFactory<AdamWOptions> = defineOptimizer<AdamWOptions>({
  name: 'adamw',
  defaults: { lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0.01, amsgrad: false, maximize: false },
  validate: (hp) => checkAdamFamily('adamw', hp, ['amsgrad', 'maximize']),
  rule: chain(flipIfMaximize(), scaleByAdam(), addDecoupledWeightDecay(), scaleByLearningRate()),
  // The state of scaleByAdam() is entry 1 of the chain's.
  fused: fusedAdam(1, true),
});
