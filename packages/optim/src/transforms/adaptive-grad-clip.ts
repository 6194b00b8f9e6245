import type { UpdateRule } from '../types';
import { checkNumber } from '../validate';

/** The floor of an update's unit norm before dividing by it (the authors' `max(g_norm, 1e-6)`). */
const MIN_UPDATE_NORM = 1e-6;

/**
 * Adaptive Gradient Clipping (Brock, De, Smith & Simonyan 2021, "High-Performance Large-Scale Image
 * Recognition Without Normalization", the NFNets paper) as a chainable block: every unit of the update
 * whose norm exceeds `clipping` times the norm of the same unit of the parameter is scaled down to it.
 * Per unit `w` of a parameter `p` and its update `u`:
 *
 * ```
 * limit = clipping · max(‖p_w‖, eps)
 * u_w ← u_w                          if ‖u_w‖ < limit
 * u_w ← u_w · limit / max(‖u_w‖, 1e-6)  otherwise
 * ```
 *
 * (Euclidean norms.) A unit is one output unit: a slice along dimension 0 of a parameter with at least
 * two dimensions of size above 1 (a row of a `Linear` weight `[out, in]`, one filter of a convolution
 * kernel `[out, in, ...k]`); a parameter with at most one dimension of size above 1 (a bias, a
 * `[n, 1]` weight, a scalar) is one unit. That is the authors' `unitwise_norm` (deepmind-research,
 * `nfnets/agc_optax.py`) written for PyTorch's layout, whose output dimension comes first where JAX's
 * comes last; the authors' code refuses 5-D kernels, nabla treats them like the others. `eps` keeps
 * parameters initialised at zero (biases) from being clipped to zero. The parameter is read before
 * this step changes it.
 *
 * Place the block first in a chain, so that it clips the gradient (the paper clips gradients before
 * the momentum; `param.grad` itself is left alone). The paper does not clip the final classifier layer;
 * give its parameters to an optimizer without this block. Keeps no state; allocates nothing.
 * Optax's `adaptive_grad_clip` is the same rule for JAX's layout.
 *
 * @param clipping - the largest allowed ratio of a unit's update norm to its parameter norm (≥ 0; the
 *   paper uses 0.01 to 0.16, smaller for larger batches)
 * @param eps - the floor of a unit's parameter norm (≥ 0); default `1e-3`, the authors'
 *
 * @see https://arxiv.org/abs/2102.06171
 * @see https://github.com/google-deepmind/deepmind-research/tree/master/nfnets
 * @example
 * ```ts
 * const sgdAgc = defineOptimizer({
 *   name: 'sgdAgc',
 *   defaults: { lr: 0.1, momentum: 0.9, dampening: 0, nesterov: true, weightDecay: 2e-5, maximize: false },
 *   rule: chain(adaptiveGradClip(0.01), flipIfMaximize(), addWeightDecay(), traceMomentum(), scaleByLearningRate()),
 * });
 * ```
 */
export function adaptiveGradClip(clipping: number, eps = 1e-3): UpdateRule<null> {
  checkNumber('adaptiveGradClip', 'clipping', clipping, { min: 0 });
  checkNumber('adaptiveGradClip', 'eps', eps, { min: 0 });
  return {
    init: () => null,
    update(updates, _state, ctx) {
      for (let i = 0; i < updates.length; i++) {
        const u = updates[i];
        if (u === null || u.length === 0) continue;
        const param = ctx.params[i];
        const p = param.values;
        const units = unitCount(param.shape);
        const width = u.length / units;
        for (let w = 0, start = 0; w < units; w++, start += width) {
          let uu = 0;
          let pp = 0;
          for (let j = start; j < start + width; j++) {
            uu += u[j] * u[j];
            pp += p[j] * p[j];
          }
          const limit = clipping * Math.max(Math.sqrt(pp), eps);
          const norm = Math.sqrt(uu);
          // NOTE: `norm < limit` keeps the unit, anything else (including a NaN norm) is scaled, as the authors' `where`.
          if (norm < limit) continue;
          const scale = limit / Math.max(norm, MIN_UPDATE_NORM);
          for (let j = start; j < start + width; j++) u[j] *= scale;
        }
      }
    },
  };
}

/** How many units a parameter of `shape` has: `shape[0]` when two or more dimensions exceed 1, else 1. */
function unitCount(shape: readonly number[]): number {
  let large = 0;
  for (const d of shape) if (d > 1) large++;
  return large >= 2 ? shape[0] : 1;
}
