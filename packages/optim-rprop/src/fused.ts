import { resolveKernel, rpropUpdateKernel } from '@nablajs/core';
import type { FusedUpdate } from '@nablajs/optim';
import type { RpropState } from './scale-by-rprop';

/**
 * The fused step of {@link rprop}: one `rpropUpdate` kernel call per parameter with a gradient, on the
 * `scaleByRprop()` state found at `stateIndex` in the chain's state (the webgpu backend runs it on the GPU;
 * the cpu kernel gives the chain's results bit for bit in float32 and float64). As the chain, it advances
 * the parameter's step count, and at its first step has the kernel start the step sizes at the group's `lr`.
 *
 * @example
 * ```ts
 * defineOptimizer({
 *   ...definitionOf(rprop)!, // its name, defaults and validate
 *   rule: chain(flipIfMaximize(), scaleByRprop(), descend()),
 *   fused: fusedRprop(1),
 * });
 * ```
 */
export function fusedRprop(stateIndex: number): FusedUpdate {
  return (state, ctx) => {
    const s = (state as unknown[])[stateIndex] as RpropState;
    const hp = ctx.hp;
    const etas = hp.etas as readonly number[];
    const stepSizes = hp.stepSizes as readonly number[];
    const etaminus = etas[0];
    const etaplus = etas[1];
    const lo = stepSizes[0];
    const hi = stepSizes[1];
    const maximize = hp.maximize === true;
    const kernel = resolveKernel('rpropUpdate', rpropUpdateKernel);
    const params = ctx.params;
    for (let i = 0; i < params.length; i++) {
      const p = params[i];
      const g = p.grad;
      if (g === null) continue;
      const first = s.step[i]++ === 0;
      kernel(p._array, g._array, s.prev[i], s.stepSize[i], first, hp.lr, etaminus, etaplus, lo, hi, maximize);
    }
    return true;
  };
}
