import { allocate, type TypedArray } from '@nablajs/core';
import {
  addWeightDecay,
  chain,
  defineOptimizer,
  flipIfMaximize,
  type OptimizerFactory,
  scaleByLearningRate,
  type UpdateRule,
} from '@nablajs/optim';
import { fusedAdamax } from './fused-adamax';
import { checkAdamFamily } from './validate';

/** The state of {@link scaleByAdamax}: one entry per parameter, indexed like the updates. */
export interface AdamaxState {
  /** Steps taken by each parameter (PyTorch's `step`). */
  step: number[];
  /** First moment, the running average of the gradient (PyTorch's `exp_avg`). */
  m: TypedArray[];
  /** The exponentially weighted infinity norm (PyTorch's `exp_inf`). */
  u: TypedArray[];
}

/**
 * Scale updates by Adamax's statistics (Kingma & Ba 2015, section 7.1), as PyTorch computes them.
 * Per parameter, with step count `t`:
 *
 * ```
 * m ← β₁·m + (1-β₁)·g
 * u ← max(β₂·u, |g| + ε)
 * update ← m / ((1-β₁ᵗ) · u)
 * ```
 *
 * NOTE: ε is added to `|g|` inside the max (PyTorch), so `u > 0` always; the paper has no ε.
 * Reads `betas` and `eps` from the group at every step.
 *
 * @example
 * ```ts
 * const rule = chain(flipIfMaximize(), addWeightDecay(), scaleByAdamax(), scaleByLearningRate());
 * ```
 */
export function scaleByAdamax(): UpdateRule<AdamaxState> {
  return {
    init(params) {
      return {
        step: params.map(() => 0),
        m: params.map((p) => allocate(p.dtype, p.size)),
        u: params.map((p) => allocate(p.dtype, p.size)),
      };
    },
    update(updates, state, ctx) {
      const betas = ctx.hp.betas as readonly number[];
      const b1 = betas[0];
      const b2 = betas[1];
      const eps = ctx.hp.eps as number;
      for (let i = 0; i < updates.length; i++) {
        const upd = updates[i];
        if (upd === null) continue;
        const t = ++state.step[i];
        const bc1 = 1 - b1 ** t;
        const m = state.m[i];
        const u = state.u[i];
        for (let j = 0; j < upd.length; j++) {
          const g = upd[j];
          m[j] = b1 * m[j] + (1 - b1) * g;
          u[j] = Math.max(b2 * u[j], Math.abs(g) + eps);
          upd[j] = m[j] / u[j] / bc1;
        }
      }
    },
  };
}

/** Options of {@link adamax}: PyTorch's `torch.optim.Adamax` keyword arguments in lowerCamelCase. */
export interface AdamaxOptions {
  /** Learning rate. Default `2e-3`. */
  lr?: number;
  /** Decay rates `[β₁, β₂]` of the gradient average and of the infinity norm, each in [0, 1). Default `[0.9, 0.999]`. */
  betas?: readonly number[];
  /** Added to `|g|` inside the max, so the denominator is never 0. Default `1e-8`. */
  eps?: number;
  /** L2 penalty: `weightDecay · p` is added to the gradient. Default `0`. */
  weightDecay?: number;
  /** Maximize the objective (gradient ascent) instead of minimizing it. Default `false`. */
  maximize?: boolean;
}

/**
 * Adamax (Kingma & Ba 2015, "Adam: A Method for Stochastic Optimization", section 7.1): Adam with the
 * infinity norm in place of the second moment, exactly as PyTorch's `torch.optim.Adamax`. Per
 * parameter, with its step count `t` and `g` the gradient (negated when `maximize`, then plus
 * `weightDecay · p`):
 *
 * ```
 * m ← β₁·m + (1-β₁)·g
 * u ← max(β₂·u, |g| + ε)
 * p ← p - lr/(1-β₁ᵗ) · m / u
 * ```
 *
 * Defaults (PyTorch's): `lr 2e-3, betas [0.9, 0.999], eps 1e-8, weightDecay 0, maximize false`.
 *
 * PyTorch and the paper: the paper's `u ← max(β₂·u, |g|)` has no ε; PyTorch adds ε to `|g|` inside
 * the max, which nabla follows.
 *
 * Recipe: `chain(flipIfMaximize(), addWeightDecay(), scaleByAdamax(), scaleByLearningRate())`. Runs as
 * one fused kernel per parameter (`adamaxUpdate`, which the webgpu backend runs on the GPU).
 *
 * @example
 * ```ts
 * import { adamax } from '@nablajs/optim-adam';
 * const opt = adamax(model.parameters(), { lr: 2e-3 });
 * ```
 */
export const adamax: OptimizerFactory<AdamaxOptions> = defineOptimizer<AdamaxOptions>({
  name: 'adamax',
  defaults: { lr: 2e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0, maximize: false },
  validate: (hp) => checkAdamFamily('adamax', hp, ['maximize']),
  rule: chain(flipIfMaximize(), addWeightDecay(), scaleByAdamax(), scaleByLearningRate()),
  fused: fusedAdamax(2),
});
