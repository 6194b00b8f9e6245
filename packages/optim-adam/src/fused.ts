import { adamUpdateKernel, allocate, resolveKernel } from '@nablajs/core';
import type { AdamState, FusedUpdate } from '@nablajs/optim';

/**
 * The fused step of {@link adam} or {@link adamw}, with the weight decay decoupled when `decoupled` is
 * true, or, given a hyperparameter's name, in the groups where that flag is true (otherwise L2 on the
 * gradient): one `adamUpdate` kernel call per parameter with a gradient, on the
 * `scaleByAdam()` state found at `stateIndex` in the chain's state, which it advances exactly as the
 * chain would (per-parameter step counters, AMSGrad's `vmax` allocated the first time it is on).
 * Declines (returns false) only for `biasCorrection: false`, which the chain's block also supports.
 *
 * @example
 * ```ts
 * defineOptimizer({
 *   ...definitionOf(adam)!, // its name, defaults and validate
 *   rule: chain(flipIfMaximize(), addWeightDecay(), scaleByAdam(), scaleByLearningRate()),
 *   fused: fusedAdam(2, false),
 * });
 * ```
 */
export function fusedAdam(stateIndex: number, decoupled: boolean | string): FusedUpdate {
  return (state, ctx) => {
    const hp = ctx.hp;
    if (hp.biasCorrection === false) return false;
    const s = (state as unknown[])[stateIndex] as AdamState;
    const betas = hp.betas as readonly number[];
    const b1 = betas[0];
    const b2 = betas[1];
    const lr = hp.lr;
    const eps = hp.eps as number;
    const wd = hp.weightDecay as number;
    const amsgrad = hp.amsgrad === true;
    const maximize = hp.maximize === true;
    const decoupledHere = typeof decoupled === 'string' ? hp[decoupled] === true : decoupled;
    const kernel = resolveKernel('adamUpdate', adamUpdateKernel);
    const params = ctx.params;
    for (let i = 0; i < params.length; i++) {
      const p = params[i];
      const g = p.grad;
      if (g === null) continue;
      const t = ++s.step[i];
      let vmax = null;
      if (amsgrad) {
        vmax = s.vmax[i];
        if (vmax === null) vmax = s.vmax[i] = allocate(p.dtype, p.size);
      }
      kernel(p._array, g._array, s.m[i], s.v[i], vmax, t, lr, b1, b2, eps, wd, decoupledHere, maximize);
    }
    return true;
  };
}
