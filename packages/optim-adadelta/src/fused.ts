import { adadeltaUpdateKernel, resolveKernel } from '@nablajs/core';
import type { FusedUpdate } from '@nablajs/optim';
import type { AdadeltaState } from './scale-by-adadelta';

/**
 * The fused step of {@link adadelta}: one `adadeltaUpdate` kernel call per parameter with a gradient, on the
 * `scaleByAdadelta()` state found at `stateIndex` in the chain's state, which it advances exactly as the chain
 * would (per-parameter step counters; the webgpu backend runs the kernel on the GPU; the cpu kernel gives the
 * chain's results bit for bit, in float32 as in float64).
 *
 * @example
 * ```ts
 * defineOptimizer({
 *   ...definitionOf(adadelta)!, // its name, defaults and validate
 *   rule: chain(flipIfMaximize(), addWeightDecay(), scaleByAdadelta(), scaleByLearningRate()),
 *   fused: fusedAdadelta(2),
 * });
 * ```
 */
export function fusedAdadelta(stateIndex: number): FusedUpdate {
  return (state, ctx) => {
    const s = (state as unknown[])[stateIndex] as AdadeltaState;
    const hp = ctx.hp;
    const lr = hp.lr;
    const rho = hp.rho as number;
    const eps = hp.eps as number;
    const wd = hp.weightDecay as number;
    const maximize = hp.maximize === true;
    const kernel = resolveKernel('adadeltaUpdate', adadeltaUpdateKernel);
    const params = ctx.params;
    for (let i = 0; i < params.length; i++) {
      const p = params[i];
      const g = p.grad;
      if (g === null) continue;
      s.step[i]++;
      kernel(p._array, g._array, s.squareAvg[i], s.accDelta[i], lr, rho, eps, wd, maximize);
    }
    return true;
  };
}
