import { allocate, type TypedArray } from '@nablajs/core';
import {
  addDecoupledWeightDecay,
  addWeightDecay,
  chain,
  defineOptimizer,
  flipIfMaximize,
  type OptimizerFactory,
  scaleByLearningRate,
  type UpdateRule,
} from '@nablajs/optim';
import { fusedRadam } from './fused-radam';
import { checkAdamFamily, DECOUPLED } from './validate';

/** The state of {@link scaleByRadam}: one entry per parameter, indexed like the updates. */
export interface RadamState {
  /** Steps taken by each parameter (PyTorch's `step`). */
  step: number[];
  /** First moment, the running average of the gradient (PyTorch's `exp_avg`). */
  m: TypedArray[];
  /** Second moment, the running average of the squared gradient (PyTorch's `exp_avg_sq`). */
  v: TypedArray[];
}

/**
 * Scale updates by RAdam's rectified statistics (Liu et al. 2020), as PyTorch computes them. Per
 * parameter, with step count `t`:
 *
 * ```
 * m ← β₁·m + (1-β₁)·g;  v ← β₂·v + (1-β₂)·g²;  m̂ = m/(1-β₁ᵗ)
 * ρ_∞ = 2/(1-β₂) - 1;  ρ_t = ρ_∞ - 2·t·β₂ᵗ/(1-β₂ᵗ)
 * if ρ_t > 5:  r = √((ρ_t-4)(ρ_t-2)ρ_∞ / ((ρ_∞-4)(ρ_∞-2)ρ_t)),  update ← m̂ · r · √(1-β₂ᵗ)/(√v + ε)
 * else:        update ← m̂
 * ```
 *
 * NOTE: the threshold is 5 (the paper says 4), and ε is added to `√v`, not to `√v̂` (PyTorch's
 * documented single-tensor path). Reads `betas` and `eps` at every step.
 *
 * @example
 * ```ts
 * const rule = chain(addWeightDecay(), scaleByRadam(), scaleByLearningRate());
 * ```
 */
export function scaleByRadam(): UpdateRule<RadamState> {
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
      const rhoInf = 2 / (1 - b2) - 1;
      for (let i = 0; i < updates.length; i++) {
        const u = updates[i];
        if (u === null) continue;
        const t = ++state.step[i];
        const bc1 = 1 - b1 ** t;
        const bc2 = 1 - b2 ** t;
        const rhoT = rhoInf - (2 * t * b2 ** t) / bc2;
        const m = state.m[i];
        const v = state.v[i];
        if (rhoT > 5) {
          const rect = Math.sqrt(((rhoT - 4) * (rhoT - 2) * rhoInf) / ((rhoInf - 4) * (rhoInf - 2) * rhoT));
          const scale = rect * Math.sqrt(bc2);
          for (let j = 0; j < u.length; j++) {
            const g = u[j];
            m[j] = b1 * m[j] + (1 - b1) * g;
            v[j] = b2 * v[j] + (1 - b2) * g * g;
            u[j] = ((m[j] / bc1) * scale) / (Math.sqrt(v[j]) + eps);
          }
        } else {
          for (let j = 0; j < u.length; j++) {
            const g = u[j];
            m[j] = b1 * m[j] + (1 - b1) * g;
            v[j] = b2 * v[j] + (1 - b2) * g * g;
            u[j] = m[j] / bc1;
          }
        }
      }
    },
  };
}

/** Options of {@link radam}: PyTorch's `torch.optim.RAdam` keyword arguments in lowerCamelCase. */
export interface RadamOptions {
  /** Learning rate. Default `1e-3`. */
  lr?: number;
  /** Decay rates `[β₁, β₂]` of the running averages of the gradient and of its square, each in [0, 1). Default `[0.9, 0.999]`. */
  betas?: readonly number[];
  /** Added to `√v` (before the bias correction) in the denominator. Default `1e-8`. */
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
}

/**
 * RAdam (Liu et al. 2020, "On the Variance of the Adaptive Learning Rate and Beyond"): Adam whose
 * adaptive step is switched on, and rectified, only once the variance of the adaptive learning rate is
 * tractable; before that it takes plain momentum steps. Exactly PyTorch's `torch.optim.RAdam`. Per
 * parameter, with its step count `t` and `g` the gradient plus `weightDecay · p`:
 *
 * ```
 * m ← β₁·m + (1-β₁)·g;  v ← β₂·v + (1-β₂)·g²;  m̂ = m/(1-β₁ᵗ)
 * ρ_∞ = 2/(1-β₂) - 1;  ρ_t = ρ_∞ - 2·t·β₂ᵗ/(1-β₂ᵗ)
 * if ρ_t > 5:  p ← p - lr · m̂ · r_t · √(1-β₂ᵗ)/(√v + ε),  r_t = √((ρ_t-4)(ρ_t-2)ρ_∞ / ((ρ_∞-4)(ρ_∞-2)ρ_t))
 * else:        p ← p - lr · m̂
 * ```
 *
 * With `β₂ = 0.999` the adaptive step starts at step 6 (`ρ_5 ≈ 4.996`, `ρ_6 ≈ 5.994`); the early
 * momentum steps are not normalised, so they scale with the gradient.
 *
 * With `decoupledWeightDecay`, `p ← p·(1 - lr·weightDecay)` first and the gradient is left alone; with
 * `maximize`, `g` is the negated gradient.
 *
 * Defaults (PyTorch's): `lr 1e-3, betas [0.9, 0.999], eps 1e-8, weightDecay 0, decoupledWeightDecay
 * false, maximize false`.
 *
 * PyTorch and the paper: the paper switches at `ρ_t > 4` and has no ε (`√((1-β₂ᵗ)/v)`); PyTorch
 * switches at `ρ_t > 5` and adds ε to `√v`. nabla follows PyTorch (its documented single-tensor path;
 * 1.13's `foreach` path omitted ε).
 *
 * Recipe: `chain(flipIfMaximize(), addWeightDecay('decoupledWeightDecay'), scaleByRadam(),
 * addDecoupledWeightDecay('decoupledWeightDecay'), scaleByLearningRate())`. Runs as one fused kernel per
 * parameter (`radamUpdate`, which the webgpu backend runs on the GPU).
 *
 * @example
 * ```ts
 * import { radam } from '@nablajs/optim-adam';
 * const opt = radam(model.parameters(), { lr: 1e-3 });
 * ```
 */
export const radam: OptimizerFactory<RadamOptions> = defineOptimizer<RadamOptions>({
  name: 'radam',
  defaults: { lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0, decoupledWeightDecay: false, maximize: false },
  validate: (hp) => checkAdamFamily('radam', hp, [DECOUPLED, 'maximize']),
  rule: chain(
    flipIfMaximize(),
    addWeightDecay(DECOUPLED),
    scaleByRadam(),
    addDecoupledWeightDecay(DECOUPLED),
    scaleByLearningRate(),
  ),
  // The state of scaleByRadam() is entry 2 of the chain's.
  fused: fusedRadam(2),
});
