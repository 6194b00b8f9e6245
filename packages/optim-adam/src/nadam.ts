import { allocate, type TypedArray } from '@nablajs/core';
import {
  addDecoupledWeightDecay,
  addWeightDecay,
  chain,
  checkNumber,
  defineOptimizer,
  flipIfMaximize,
  type OptimizerFactory,
  scaleByLearningRate,
  type UpdateRule,
} from '@nablajs/optim';
import { fusedNadam } from './fused-nadam';
import { checkAdamFamily, DECOUPLED } from './validate';

/** The state of {@link scaleByNadam}: one entry per parameter, indexed like the updates. */
export interface NadamState {
  /** Steps taken by each parameter (PyTorch's `step`). */
  step: number[];
  /** First moment, the running average of the gradient (PyTorch's `exp_avg`). */
  m: TypedArray[];
  /** Second moment, the running average of the squared gradient (PyTorch's `exp_avg_sq`). */
  v: TypedArray[];
  /** The product `μ₁·μ₂·…·μ_t` of the momentum schedule so far (PyTorch's `mu_product`); starts at 1. */
  muProduct: number[];
}

/**
 * Scale updates by NAdam's statistics (Dozat 2016), the documented algorithm of PyTorch >= 2.0. Per
 * parameter, with step count `t` and `ψ` the group's `momentumDecay`:
 *
 * ```
 * μ_t = β₁·(1 - ½·0.96^(t·ψ)),  μ_{t+1} = β₁·(1 - ½·0.96^((t+1)·ψ))
 * Π ← Π·μ_t                                  (muProduct, the product up to t)
 * m ← β₁·m + (1-β₁)·g;  v ← β₂·v + (1-β₂)·g²
 * d = √v / √(1-β₂ᵗ) + ε
 * update ← (1-μ_t)/(1-Π) · g/d + μ_{t+1}/(1-Π·μ_{t+1}) · m/d
 * ```
 *
 * NOTE: the second term divides by the product up to t+1, `Π·μ_{t+1}`, without storing it: PyTorch
 * 1.13's default path multiplied `μ_t` in twice there (fixed in 2.0, PR #92699); nabla follows the
 * documented formula. Reads `betas`, `eps` and `momentumDecay` at every step.
 *
 * @example
 * ```ts
 * const rule = chain(addWeightDecay(), scaleByNadam(), scaleByLearningRate());
 * ```
 */
export function scaleByNadam(): UpdateRule<NadamState> {
  return {
    init(params) {
      return {
        step: params.map(() => 0),
        m: params.map((p) => allocate(p.dtype, p.size)),
        v: params.map((p) => allocate(p.dtype, p.size)),
        muProduct: params.map(() => 1),
      };
    },
    update(updates, state, ctx) {
      const hp = ctx.hp;
      const betas = hp.betas as readonly number[];
      const b1 = betas[0];
      const b2 = betas[1];
      const eps = hp.eps as number;
      const psi = hp.momentumDecay as number;
      for (let i = 0; i < updates.length; i++) {
        const u = updates[i];
        if (u === null) continue;
        const t = ++state.step[i];
        const mu = b1 * (1 - 0.5 * 0.96 ** (t * psi));
        const muNext = b1 * (1 - 0.5 * 0.96 ** ((t + 1) * psi));
        const muProduct = state.muProduct[i] * mu;
        state.muProduct[i] = muProduct;
        const gradScale = (1 - mu) / (1 - muProduct);
        const momentumScale = muNext / (1 - muProduct * muNext);
        const bc2Sqrt = Math.sqrt(1 - b2 ** t);
        const m = state.m[i];
        const v = state.v[i];
        for (let j = 0; j < u.length; j++) {
          const g = u[j];
          m[j] = b1 * m[j] + (1 - b1) * g;
          v[j] = b2 * v[j] + (1 - b2) * g * g;
          const d = Math.sqrt(v[j]) / bc2Sqrt + eps;
          u[j] = (gradScale * g) / d + (momentumScale * m[j]) / d;
        }
      }
    },
  };
}

/** Options of {@link nadam}: PyTorch's `torch.optim.NAdam` keyword arguments in lowerCamelCase. */
export interface NadamOptions {
  /** Learning rate. Default `2e-3`. */
  lr?: number;
  /** Decay rates `[β₁, β₂]` of the running averages of the gradient and of its square, each in [0, 1). Default `[0.9, 0.999]`. */
  betas?: readonly number[];
  /** Added to the bias-corrected `√v` in the denominator. Default `1e-8`. */
  eps?: number;
  /** L2 penalty: `weightDecay · p` is added to the gradient (see `decoupledWeightDecay`). Default `0`. */
  weightDecay?: number;
  /**
   * Decouple the weight decay from the gradient (PyTorch's `decoupled_weight_decay`, as AdamW):
   * `p ← p·(1 - lr·weightDecay)` at every step instead of adding `weightDecay·p` to the gradient.
   * Default `false`.
   */
  decoupledWeightDecay?: boolean;
  /** Maximize the objective (gradient ascent) instead of minimizing it. Default `false`. */
  maximize?: boolean;
  /** `ψ` of the momentum schedule `μ_t = β₁·(1 - ½·0.96^(t·ψ))`. Default `4e-3`. */
  momentumDecay?: number;
}

/**
 * NAdam (Dozat 2016, "Incorporating Nesterov Momentum into Adam"): Adam with Nesterov momentum and a
 * warming momentum schedule, as documented by PyTorch's `torch.optim.NAdam` (the algorithm of
 * PyTorch >= 2.0). Per parameter, with its step count `t`, `ψ = momentumDecay` and `g` the gradient
 * plus `weightDecay · p`:
 *
 * ```
 * μ_t = β₁·(1 - ½·0.96^(t·ψ)),  μ_{t+1} = β₁·(1 - ½·0.96^((t+1)·ψ)),  Π_t = μ₁·…·μ_t
 * m ← β₁·m + (1-β₁)·g;  v ← β₂·v + (1-β₂)·g²;  d = √(v/(1-β₂ᵗ)) + ε
 * p ← p - lr·(1-μ_t)/(1-Π_t) · g/d - lr·μ_{t+1}/(1-Π_t·μ_{t+1}) · m/d
 * ```
 *
 * With `decoupledWeightDecay`, `p ← p·(1 - lr·weightDecay)` first and the gradient is left alone; with
 * `maximize`, `g` is the negated gradient.
 *
 * Defaults (PyTorch's): `lr 2e-3, betas [0.9, 0.999], eps 1e-8, weightDecay 0, momentumDecay 4e-3,
 * decoupledWeightDecay false, maximize false`.
 *
 * PyTorch and the paper: the momentum schedule and its `ψ = 0.004` are the paper's. PyTorch 1.13's
 * default (single-tensor) implementation multiplied `μ_t` into the product twice (about 2e-3 off after
 * 25 steps); its `foreach` path, PyTorch >= 2.0 and the documentation use `Π_t·μ_{t+1}`, which nabla
 * follows.
 *
 * Recipe: `chain(flipIfMaximize(), addWeightDecay('decoupledWeightDecay'), scaleByNadam(),
 * addDecoupledWeightDecay('decoupledWeightDecay'), scaleByLearningRate())`. Runs as one fused kernel
 * per parameter (`nadamUpdate`, which the webgpu backend runs on the GPU).
 *
 * @example
 * ```ts
 * import { nadam } from '@nablajs/optim-adam';
 * const opt = nadam(model.parameters(), { lr: 2e-3, momentumDecay: 4e-3 });
 * ```
 */
export const nadam: OptimizerFactory<NadamOptions> = defineOptimizer<NadamOptions>({
  name: 'nadam',
  defaults: {
    lr: 2e-3,
    betas: [0.9, 0.999],
    eps: 1e-8,
    weightDecay: 0,
    momentumDecay: 4e-3,
    decoupledWeightDecay: false,
    maximize: false,
  },
  validate: (hp) => {
    checkAdamFamily('nadam', hp, [DECOUPLED, 'maximize']);
    checkNumber('nadam', 'momentumDecay', hp.momentumDecay, { min: 0 });
  },
  rule: chain(
    flipIfMaximize(),
    addWeightDecay(DECOUPLED),
    scaleByNadam(),
    addDecoupledWeightDecay(DECOUPLED),
    scaleByLearningRate(),
  ),
  // The state of scaleByNadam() is entry 2 of the chain's.
  fused: fusedNadam(2),
});
