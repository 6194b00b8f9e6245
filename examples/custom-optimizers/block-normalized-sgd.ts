// Block-normalized SGD (Yu, Huang, Lin, Salakhutdinov & Carbonell 2017, "Block-Normalized Gradient
// Method: An Empirical Study for Training Deep Neural Network"): each parameter's gradient, taken as
// one block (a whole weight matrix, a whole bias), is divided by its L2 norm before SGD's momentum.
// A whole-tensor rule: it works on `ctx.updateTensor(i)` with core ops.
import {
  chain,
  checkNumber,
  defineOptimizer,
  scaleByLearningRate,
  traceMomentum,
  type UpdateRule,
} from '@nablajs/optim';

/** `G ← G / ‖G‖₂` for the gradient `G` of every parameter (left alone when it is all zeros). */
export function normalizeBlocks(): UpdateRule<null> {
  return {
    init: () => null,
    update(updates, _state, ctx) {
      for (let i = 0; i < updates.length; i++) {
        const u = updates[i];
        if (u === null) continue;
        // A Tensor view of u with parameter i's shape: no copy. Rules run with gradients disabled,
        // so these ops build no graph.
        const g = ctx.updateTensor(i);
        const norm = g.norm().item();
        if (norm > 0) u.set(g.div(norm).data); // write the result back into the update
      }
    },
  };
}

/** Options of {@link blockNormalizedSgd}. */
export interface BlockNormalizedSgdOptions {
  /** The learning rate. Default 0.01. */
  lr?: number;
  /** SGD's momentum (PyTorch's buffer `b ← μ·b + g`), in [0, 1). Default 0.9. */
  momentum?: number;
}

/** Block-normalized SGD: `b ← μ·b + G/‖G‖`, `p ← p - lr·b`, per parameter. */
export const blockNormalizedSgd = defineOptimizer<BlockNormalizedSgdOptions>({
  name: 'blockNormalizedSgd',
  defaults: { lr: 0.01, momentum: 0.9 },
  validate(hp) {
    checkNumber('blockNormalizedSgd', 'momentum', hp.momentum, { min: 0, max: 1, maxInclusive: false });
  },
  rule: chain(normalizeBlocks(), traceMomentum(), scaleByLearningRate()),
});
