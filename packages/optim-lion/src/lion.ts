import { allocate, type TypedArray } from '@nablajs/core';
import {
  addDecoupledWeightDecay,
  chain,
  checkBoolean,
  checkNumber,
  checkTuple,
  defineOptimizer,
  flipIfMaximize,
  type OptimizerFactory,
  scaleByLearningRate,
  type UpdateRule,
} from '@nablajs/optim';
import { fusedLion } from './fused';

/** The state of {@link scaleByLion}: one momentum buffer per parameter, indexed like the updates. */
export interface LionState {
  /** The momentum, a running average of the gradient with rate β₂ (`exp_avg` in common PyTorch ports). */
  m: TypedArray[];
}

/**
 * Scale updates by Lion's sign of interpolated momentum (Chen et al. 2023, Algorithm 2). Per parameter:
 *
 * ```
 * c ← β₁·m + (1-β₁)·g
 * update ← sign(c)            (sign(0) = 0)
 * m ← β₂·m + (1-β₂)·g
 * ```
 *
 * The update is computed from the momentum **before** it absorbs this gradient, and with a different
 * rate (β₁) than the one that updates it (β₂). Every element of the update is -1, 0 or +1. Reads
 * `betas` from the group at every step.
 *
 * @example
 * ```ts
 * const rule = chain(flipIfMaximize(), scaleByLion(), addDecoupledWeightDecay(), scaleByLearningRate());
 * ```
 */
export function scaleByLion(): UpdateRule<LionState> {
  return {
    init(params) {
      return { m: params.map((p) => allocate(p.dtype, p.size)) };
    },
    update(updates, state, ctx) {
      const betas = ctx.hp.betas as readonly number[];
      const b1 = betas[0];
      const b2 = betas[1];
      for (let i = 0; i < updates.length; i++) {
        const u = updates[i];
        if (u === null) continue;
        const m = state.m[i];
        for (let j = 0; j < u.length; j++) {
          const g = u[j];
          u[j] = Math.sign(b1 * m[j] + (1 - b1) * g);
          m[j] = b2 * m[j] + (1 - b2) * g;
        }
      }
    },
  };
}

/** Options of {@link lion}. Names follow the PyTorch conventions of the other optimizers. */
export interface LionOptions {
  /** Learning rate: every element moves by exactly `lr` per step (before weight decay). Default `1e-4`. */
  lr?: number;
  /** `[β₁, β₂]`: β₁ interpolates the update, β₂ decays the momentum; each in [0, 1). Default `[0.9, 0.99]`. */
  betas?: readonly number[];
  /** Decoupled weight decay: `p ← p·(1 - lr·weightDecay)` at every step, as in the paper. Default `0`. */
  weightDecay?: number;
  /** Maximize the objective (gradient ascent) instead of minimizing it. Default `false`. */
  maximize?: boolean;
}

/**
 * Lion, EvoLved Sign Momentum (Chen et al. 2023, "Symbolic Discovery of Optimization Algorithms",
 * Algorithm 2). Per parameter, with `g` the gradient (negated when `maximize`):
 *
 * ```
 * c ← β₁·m + (1-β₁)·g
 * p ← p·(1 - lr·λ) - lr·sign(c)
 * m ← β₂·m + (1-β₂)·g
 * ```
 *
 * The update has the same magnitude, `lr`, in every element: only the sign of the interpolated
 * momentum is kept, so Lion needs a smaller learning rate than Adam (the paper suggests 3-10x smaller)
 * and a correspondingly larger weight decay. Lion keeps one buffer per parameter (Adam keeps two).
 *
 * Defaults: `lr 1e-4, betas [0.9, 0.99], weightDecay 0, maximize false` (the paper's betas; PyTorch has
 * no Lion, so the defaults follow the paper and the common PyTorch port, lion-pytorch).
 *
 * Weight decay is decoupled as in the paper (`p ← p - lr·(sign(c) + λ·p)`, i.e. multiplied by `lr`,
 * like PyTorch's AdamW), never added to the gradient. With `maximize`, the gradient is negated before
 * anything else, and the decay still shrinks `p`. There is no step counter and no bias correction.
 *
 * Recipe: `chain(flipIfMaximize(), scaleByLion(), addDecoupledWeightDecay(), scaleByLearningRate())`. Runs as
 * one fused kernel per parameter (`lionUpdate`, which the webgpu backend runs on the GPU).
 *
 * @example
 * ```ts
 * import { lion } from '@nablajs/optim-lion';
 * const opt = lion(model.parameters(), { lr: 3e-5, weightDecay: 0.1 });
 * ```
 */
export const lion: OptimizerFactory<LionOptions> = defineOptimizer<LionOptions>({
  name: 'lion',
  defaults: { lr: 1e-4, betas: [0.9, 0.99], weightDecay: 0, maximize: false },
  validate: (hp) => {
    checkNumber('lion', 'lr', hp.lr, { min: 0 });
    checkTuple('lion', 'betas', hp.betas, 2, { min: 0, max: 1, maxInclusive: false });
    checkNumber('lion', 'weightDecay', hp.weightDecay, { min: 0 });
    checkBoolean('lion', 'maximize', hp.maximize);
  },
  rule: chain(flipIfMaximize(), scaleByLion(), addDecoupledWeightDecay(), scaleByLearningRate()),
  fused: fusedLion(1),
});
