import { adamaxUpdateKernel, resolveKernel } from '@nablajs/core';
import type { FusedUpdate } from '@nablajs/optim';
import type { AdamaxState } from './adamax';

/**
 * The fused step of {@link adamax}: one `adamaxUpdate` kernel call per parameter with a gradient, on the
 * `scaleByAdamax()` state found at `stateIndex` in the chain's state, which it advances exactly as the
 * chain would (per-parameter step counters). The webgpu backend runs the kernel on the GPU; the cpu kernel
 * gives the chain's results bit for bit, in float32 and float64.
 *
 * @example
 * ```ts
 * defineOptimizer({
 *   ...definitionOf(adamax)!, // its name, defaults and validate
 *   rule: chain(flipIfMaximize(), addWeightDecay(), scaleByAdamax(), scaleByLearningRate()),
 *   fused: fusedAdamax(2),
 * });
 * ```
 */
export function fusedAdamax(stateIndex: number): FusedUpdate {
  return (state, ctx) => {
    const s = (state as unknown[])[stateIndex] as AdamaxState;
    const hp = ctx.hp;
    const betas = hp.betas as readonly number[];
    const eps = hp.eps as number;
    const wd = hp.weightDecay as number;
    const maximize = hp.maximize === true;
    const kernel = resolveKernel('adamaxUpdate', adamaxUpdateKernel);
    const params = ctx.params;
    for (let i = 0; i < params.length; i++) {
      const p = params[i];
      const g = p.grad;
      if (g === null) continue;
      const t = ++s.step[i];
      kernel(p._array, g._array, s.m[i], s.u[i], t, hp.lr, betas[0], betas[1], eps, wd, maximize);
    }
    return true;
  };
}
