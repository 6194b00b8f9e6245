import type { UpdateRule } from '../types';
import { checkBoolean } from '../validate';

/** Options of {@link centralize}. */
export interface CentralizeOptions {
  /**
   * Centralize only parameters with more than 3 dimensions (convolution kernels), as the authors'
   * `gc_conv_only`; default `false`: every parameter with more than 1 dimension (the authors' `use_gc`).
   */
  convOnly?: boolean;
}

/**
 * Gradient Centralization (Yong, Huang, Hua & Zhang 2020, "Gradient Centralization: A New Optimization
 * Technique for Deep Neural Networks") as a block that any rule can chain: every slice of the update
 * along dimension 0 (one output unit of a `Linear` weight `[out, in]` or a convolution kernel
 * `[out, in, ...k]`) has its mean subtracted,
 *
 * ```
 * u[o, ...] ← u[o, ...] - mean(u[o, ...])      for every o < shape[0]
 * ```
 *
 * so that each unit's update sums to zero. Vectors and scalars (biases, norm scales) pass through, as
 * in the authors' `centralized_gradient` (parameters with more than 1 dimension; with
 * `convOnly`, more than 3). Keeps no state; allocates nothing.
 *
 * Where to place it is what the authors' optimizers differ in, and nabla's chain says it explicitly:
 * - before the momentum or Adam's moments, it centralizes the gradient (the authors' SGD, whose in-place
 *   centralization of the momentum buffer gives the same updates and the same buffer; their Adam with
 *   `gc_loc=True`, after the L2 decay): `chain(addWeightDecay(), centralize(), traceMomentum(), scaleByLearningRate())`;
 * - after Adam's scaling, it centralizes the step (their Adam's default, `gc_loc=False`):
 *   `chain(addWeightDecay(), scaleByAdam(), centralize(), scaleByLearningRate())`.
 *
 * Optax's `centralize` is the same block.
 *
 * @see https://arxiv.org/abs/2004.01461
 * @see https://github.com/Yonghongwei/Gradient-Centralization
 * @example
 * ```ts
 * const sgdGc = defineOptimizer({
 *   name: 'sgdGc',
 *   defaults: { lr: 0.1, momentum: 0.9, dampening: 0, nesterov: false, weightDecay: 5e-4, maximize: false },
 *   rule: chain(flipIfMaximize(), addWeightDecay(), centralize(), traceMomentum(), scaleByLearningRate()),
 * });
 * ```
 */
export function centralize(options: CentralizeOptions = {}): UpdateRule<null> {
  const convOnly = options?.convOnly ?? false;
  checkBoolean('centralize', 'options.convOnly', convOnly);
  const minDims = convOnly ? 4 : 2;
  return {
    init: () => null,
    update(updates, _state, ctx) {
      for (let i = 0; i < updates.length; i++) {
        const u = updates[i];
        const shape = ctx.params[i].shape;
        if (u === null || shape.length < minDims || u.length === 0) continue;
        const rows = shape[0];
        const cols = u.length / rows;
        for (let r = 0, start = 0; r < rows; r++, start += cols) {
          let sum = 0;
          for (let j = start; j < start + cols; j++) sum += u[j];
          const mean = sum / cols;
          for (let j = start; j < start + cols; j++) u[j] -= mean;
        }
      }
    },
  };
}
