import {
  addDecoupledWeightDecay,
  addWeightDecay,
  chain,
  defineOptimizer,
  flipIfMaximize,
  type OptimizerFactory,
  scaleByAdam,
  scaleByLearningRate,
} from '@nablajs/optim';
import { fusedAdam } from './fused';
import { checkAdamFamily, DECOUPLED } from './validate';

/** Options of {@link adam}: PyTorch's `torch.optim.Adam` keyword arguments in lowerCamelCase. */
export interface AdamOptions {
  /** Learning rate. Default `1e-3`. */
  lr?: number;
  /** Decay rates `[β₁, β₂]` of the running averages of the gradient and of its square, each in [0, 1). Default `[0.9, 0.999]`. */
  betas?: readonly number[];
  /** Added to the bias-corrected `√v` in the denominator, for numerical stability. Default `1e-8`. */
  eps?: number;
  /** L2 penalty: `weightDecay · p` is added to the gradient before the moments see it. Default `0`. */
  weightDecay?: number;
  /** Use the AMSGrad variant (the running maximum of `v` in the denominator). Default `false`. */
  amsgrad?: boolean;
  /** Maximize the objective (gradient ascent) instead of minimizing it. Default `false`. */
  maximize?: boolean;
  /**
   * Decouple the weight decay from the gradient, as {@link adamw} (PyTorch's `decoupled_weight_decay`):
   * `p ← p·(1 - lr·weightDecay)` at every step instead of adding `weightDecay·p` to the gradient.
   * Default `false`.
   */
  decoupledWeightDecay?: boolean;
}

/**
 * Adam (Kingma & Ba 2015, "Adam: A Method for Stochastic Optimization"), exactly as PyTorch's
 * `torch.optim.Adam`. Per parameter, with its step count `t` and `g` the gradient (negated first when
 * `maximize`, then plus `weightDecay · p` unless `decoupledWeightDecay`):
 *
 * ```
 * m ← β₁·m + (1-β₁)·g
 * v ← β₂·v + (1-β₂)·g²                      (amsgrad: vmax ← max(vmax, v), used instead of v below)
 * p ← p - lr/(1-β₁ᵗ) · m / (√v/√(1-β₂ᵗ) + ε)
 * ```
 *
 * With `decoupledWeightDecay`, `p ← p·(1 - lr·weightDecay)` first and the gradient is left alone: the
 * step is then {@link adamw}'s (PyTorch >= 2.6 defines `AdamW` as this Adam with the flag on).
 *
 * Defaults (PyTorch's): `lr 1e-3, betas [0.9, 0.999], eps 1e-8, weightDecay 0, amsgrad false,
 * maximize false, decoupledWeightDecay false`.
 *
 * PyTorch and the paper: ε is added after the bias correction (the paper's Algorithm 1; not its
 * "efficient" form with ε added to `√v` before correcting). `weightDecay` is L2 added to the gradient, so
 * it is scaled by the adaptive denominator; use {@link adamw} for decoupled decay. AMSGrad (Reddi et al.
 * 2018, "On the Convergence of Adam and Beyond") keeps the maximum of the **un-corrected** `v` and still
 * divides by `√(1-β₂ᵗ)`, where the paper uses no bias correction. nabla follows PyTorch in all three.
 *
 * Runs as one fused kernel per parameter (`adamUpdate`, replaceable by a backend); the recipe it
 * matches, run when fused updates are off:
 * `chain(flipIfMaximize(), addWeightDecay('decoupledWeightDecay'), scaleByAdam(),
 * addDecoupledWeightDecay('decoupledWeightDecay'), scaleByLearningRate())`.
 *
 * @example
 * ```ts
 * import { adam } from '@nablajs/optim-adam';
 * const opt = adam(model.parameters(), { lr: 1e-3, betas: [0.9, 0.999], weightDecay: 1e-4 });
 * opt.zeroGrad();
 * loss.backward();
 * opt.step();
 * ```
 */
export const adam: OptimizerFactory<AdamOptions> = defineOptimizer<AdamOptions>({
  name: 'adam',
  defaults: {
    lr: 1e-3,
    betas: [0.9, 0.999],
    eps: 1e-8,
    weightDecay: 0,
    amsgrad: false,
    maximize: false,
    decoupledWeightDecay: false,
  },
  validate: (hp) => checkAdamFamily('adam', hp, ['amsgrad', 'maximize', 'decoupledWeightDecay']),
  rule: chain(
    flipIfMaximize(),
    addWeightDecay(DECOUPLED),
    scaleByAdam(),
    addDecoupledWeightDecay(DECOUPLED),
    scaleByLearningRate(),
  ),
  // The state of scaleByAdam() is entry 2 of the chain's.
  fused: fusedAdam(2, DECOUPLED),
});
