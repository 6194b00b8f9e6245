import type { TrainPlugin } from '../types';

/**
 * The built-in plugin on `step` that applies the optimizer's update rule: `ctx.optimizer.step()`, unless a
 * plugin skipped this batch's step (`ctx.skipStep()`, as the NaN guard and gradient accumulation do) or
 * there is no optimizer. `fit` subscribes it before the caller's plugins whenever an optimizer is given.
 *
 * A custom update rule is a plugin on `step` exactly like this one, used with `optimizer: null` (and it
 * should honour `ctx.stepSkipped` the same way). Follows the `optimizer.step()` of PyTorch's training loop
 * (https://pytorch.org/tutorials/beginner/basics/optimization_tutorial.html).
 *
 * @example
 * ```ts
 * // what fit() does for you; a hand-written rule looks the same:
 * const signSgd: TrainPlugin = {
 *   name: 'sign-sgd',
 *   step(ctx) {
 *     if (ctx.stepSkipped) return;
 *     for (const p of ctx.model.parameters()) if (p.grad) p.data.forEach((v, i, d) => { d[i] = v - 0.01 * Math.sign(p.grad!.data[i]); });
 *   },
 * };
 * await fit({ model, data, loss: mseLoss, optimizer: null, epochs: 5, plugins: [signSgd] });
 * ```
 */
export function optimizerStep(): TrainPlugin {
  return {
    name: 'optimizerStep',
    step(ctx) {
      if (ctx.stepSkipped || ctx.optimizer === null) return;
      ctx.optimizer.step();
    },
  };
}
