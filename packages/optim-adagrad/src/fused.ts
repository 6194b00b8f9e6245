import { adagradUpdateKernel, resolveKernel } from '@nablajs/core';
import type { FusedUpdate, ScaleByAdagradState } from '@nablajs/optim';

/**
 * The fused step of {@link adagrad}: one `adagradUpdate` kernel call per parameter with a gradient,
 * on the `scaleByAdagrad()` state found at `stateIndex` in the chain's state, advancing each
 * parameter's step counter and sum exactly as the chain would.
 *
 * @example
 * ```ts
 * defineOptimizer({
 *   ...definitionOf(adagrad)!, // its name, defaults and validate
 *   rule: chain(flipIfMaximize(), addWeightDecay(), scaleByAdagrad(), scaleByLearningRate()),
 *   fused: fusedAdagrad(2),
 * });
 * ```
 */
export function fusedAdagrad(stateIndex: number): FusedUpdate {
  return (state, ctx) => {
    const s = (state as unknown[])[stateIndex] as ScaleByAdagradState;
    const hp = ctx.hp;
    const lr = hp.lr;
    const lrDecay = (hp.lrDecay as number | undefined) ?? 0;
    const eps = hp.eps as number;
    const wd = hp.weightDecay as number;
    const maximize = hp.maximize === true;
    const kernel = resolveKernel('adagradUpdate', adagradUpdateKernel);
    const params = ctx.params;
    for (let i = 0; i < params.length; i++) {
      const p = params[i];
      const g = p.grad;
      if (g === null) continue;
      const t = ++s.step[i];
      kernel(p._array, g._array, s.sum[i], t, lr, lrDecay, eps, wd, maximize);
    }
    return true;
  };
}
