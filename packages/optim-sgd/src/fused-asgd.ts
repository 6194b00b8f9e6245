import { asgdUpdateKernel, resolveKernel } from '@nablajs/core';
import type { FusedUpdate } from '@nablajs/optim';
import type { AsgdState } from './asgd';

/**
 * The fused step of {@link asgd}: one `asgdUpdate` kernel call per parameter with a gradient, on the
 * `scaleByAsgd()` state found at `stateIndex` in the chain's state (the webgpu backend runs it on the GPU;
 * the cpu kernel gives the chain's results bit for bit in float32 and float64). As the chain, it sets a
 * parameter's `eta` to the group's `lr` at its first step, advances its step count, and after the kernel
 * computes the `eta` and `mu` of its next step from `lr`, `lambd`, `alpha` and `t0`.
 *
 * @example
 * ```ts
 * defineOptimizer({
 *   ...definitionOf(asgd)!, // its name, defaults and validate
 *   rule: chain(flipIfMaximize(), addWeightDecay(), scaleByAsgd()),
 *   fused: fusedAsgd(2),
 * });
 * ```
 */
export function fusedAsgd(stateIndex: number): FusedUpdate {
  return (state, ctx) => {
    const s = (state as unknown[])[stateIndex] as AsgdState;
    const hp = ctx.hp;
    const lr = hp.lr;
    const lambd = hp.lambd as number;
    const alpha = hp.alpha as number;
    const t0 = hp.t0 as number;
    const wd = hp.weightDecay as number;
    const maximize = hp.maximize === true;
    const kernel = resolveKernel('asgdUpdate', asgdUpdateKernel);
    const params = ctx.params;
    for (let i = 0; i < params.length; i++) {
      const p = params[i];
      const g = p.grad;
      if (g === null) continue;
      // PyTorch creates eta from the group's lr when the parameter's state is first built.
      if (s.step[i] === 0) s.eta[i] = lr;
      const t = ++s.step[i];
      kernel(p._array, g._array, s.ax[i], s.eta[i], s.mu[i], lambd, wd, maximize);
      s.eta[i] = lr / (1 + lambd * lr * t) ** alpha;
      s.mu[i] = 1 / Math.max(1, t - t0);
    }
    return true;
  };
}
