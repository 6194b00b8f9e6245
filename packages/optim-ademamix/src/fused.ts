import { ademamixUpdateKernel, allocate, resolveKernel } from '@nablajs/core';
import type { FusedUpdate } from '@nablajs/optim';
import type { AdemamixState } from './scale-by-ademamix';
import { linearHalfLifeWarmup, linearWarmup } from './schedulers';

/**
 * The fused step of {@link ademamix}: one `ademamixUpdate` kernel call per parameter with a gradient, on
 * the `scaleByAdemamix()` state at `stateIndex` in the chain's state, which it advances as the chain
 * does (per-parameter step counters and warm-ups, `m1` allocated the first time `β₁` is not 0, and left
 * alone while `β₁` is 0). The webgpu backend runs the kernel on the GPU.
 *
 * @example
 * ```ts
 * defineOptimizer({
 *   ...definitionOf(ademamix)!, // its name, defaults and validate
 *   rule: chain(scaleByAdemamix(), addDecoupledWeightDecay(), scaleByLearningRate()),
 *   fused: fusedAdemamix(0),
 * });
 * ```
 */
export function fusedAdemamix(stateIndex: number): FusedUpdate {
  return (state, ctx) => {
    const s = (state as unknown[])[stateIndex] as AdemamixState;
    const hp = ctx.hp;
    const [b1, b2, b3Final] = hp.betas as readonly number[];
    const alphaFinal = hp.alpha as number;
    const alphaWarmup = hp.alphaWarmup as number | null;
    const beta3Warmup = hp.beta3Warmup as number | null;
    const eps = hp.eps as number;
    const wd = hp.weightDecay as number;
    const kernel = resolveKernel('ademamixUpdate', ademamixUpdateKernel);
    const params = ctx.params;
    for (let i = 0; i < params.length; i++) {
      const p = params[i];
      const g = p.grad;
      if (g === null) continue;
      const t = ++s.step[i];
      const alpha = alphaWarmup === null ? alphaFinal : linearWarmup(t, alphaFinal, 0, alphaWarmup);
      const b3 = beta3Warmup === null ? b3Final : linearHalfLifeWarmup(t, b3Final, b1, beta3Warmup);
      let m1 = s.m1[i];
      if (m1 === null && b1 !== 0) m1 = s.m1[i] = allocate(p.dtype, p.size);
      const bc1 = 1 - b1 ** t;
      const bc2Sqrt = Math.sqrt(1 - b2 ** t);
      kernel(
        p._array,
        g._array,
        b1 !== 0 ? m1 : null,
        s.m2[i],
        s.nu[i],
        b1,
        b2,
        b3,
        alpha,
        bc1,
        bc2Sqrt,
        eps,
        hp.lr,
        wd,
      );
    }
    return true;
  };
}
