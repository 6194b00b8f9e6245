import { radamUpdateKernel, resolveKernel } from '@nablajs/core';
import type { FusedUpdate } from '@nablajs/optim';
import type { RadamState } from './radam';
import { DECOUPLED } from './validate';

/**
 * The fused step of {@link radam}: one `radamUpdate` kernel call per parameter with a gradient, on the
 * `scaleByRadam()` state found at `stateIndex` in the chain's state, which it advances exactly as the chain
 * would (per-parameter step counters; the webgpu backend runs the kernel on the GPU; the cpu kernel gives the
 * chain's results bit for bit, in float32 as in float64).
 *
 * @example
 * ```ts
 * defineOptimizer({
 *   ...definitionOf(radam)!, // its name, defaults and validate
 *   rule: chain(addWeightDecay(), scaleByRadam(), scaleByLearningRate()),
 *   fused: fusedRadam(1),
 * });
 * ```
 */
export function fusedRadam(stateIndex: number): FusedUpdate {
  return (state, ctx) => {
    const s = (state as unknown[])[stateIndex] as RadamState;
    const hp = ctx.hp;
    // The kernel adds L2 decay to the unflipped gradient: the chain takes the other cases.
    if (hp.maximize === true || hp[DECOUPLED] === true) return false;
    const betas = hp.betas as readonly number[];
    const b1 = betas[0];
    const b2 = betas[1];
    const lr = hp.lr;
    const eps = hp.eps as number;
    const wd = hp.weightDecay as number;
    const kernel = resolveKernel('radamUpdate', radamUpdateKernel);
    const params = ctx.params;
    for (let i = 0; i < params.length; i++) {
      const p = params[i];
      const g = p.grad;
      if (g === null) continue;
      const t = ++s.step[i];
      kernel(p._array, g._array, s.m[i], s.v[i], t, lr, b1, b2, eps, wd);
    }
    return true;
  };
}
