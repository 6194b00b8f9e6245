import { lionUpdateKernel, resolveKernel } from '@nablajs/core';
import type { FusedUpdate } from '@nablajs/optim';
import type { LionState } from './lion';

/**
 * The fused step of {@link lion}: one `lionUpdate` kernel call per parameter with a gradient, on the
 * `scaleByLion()` state found at `stateIndex` in the chain's state (the webgpu backend runs it on the
 * GPU; the cpu kernel gives the chain's results, bit for bit in float64).
 *
 * @example
 * ```ts
 * defineOptimizer({
 *   ...definitionOf(lion)!, // its name, defaults and validate
 *   rule: chain(flipIfMaximize(), scaleByLion(), addDecoupledWeightDecay(), scaleByLearningRate()),
 *   fused: fusedLion(1),
 * });
 * ```
 */
export function fusedLion(stateIndex: number): FusedUpdate {
  return (state, ctx) => {
    const s = (state as unknown[])[stateIndex] as LionState;
    const hp = ctx.hp;
    const betas = hp.betas as readonly number[];
    const wd = hp.weightDecay as number;
    const maximize = hp.maximize === true;
    const kernel = resolveKernel('lionUpdate', lionUpdateKernel);
    const params = ctx.params;
    for (let i = 0; i < params.length; i++) {
      const p = params[i];
      const g = p.grad;
      if (g === null) continue;
      kernel(p._array, g._array, s.m[i], hp.lr, betas[0], betas[1], wd, maximize);
    }
    return true;
  };
}
