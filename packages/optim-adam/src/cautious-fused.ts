import { cautiousAdamwUpdateKernel, resolveKernel } from '@nablajs/core';
import { type FusedUpdate, scratchArrays } from '@nablajs/optim';
import type { EfficientAdamState } from './cautious-adamw';

/**
 * The fused step of {@link cautiousAdamw}: one `cautiousAdamwUpdate` kernel call per parameter with a
 * gradient, on the `scaleByEfficientAdam()` state found at `stateIndex` in the chain's state, with a
 * scratch array per parameter for the direction (the webgpu backend runs it on the GPU, the mask's count
 * included; the cpu kernel gives the chain's results bit for bit).
 *
 * @example
 * ```ts
 * defineOptimizer({
 *   ...definitionOf(cautiousAdamw)!, // its name, defaults and validate
 *   rule: chain(scaleByEfficientAdam(), cautious(), addDecoupledWeightDecay(), scaleByLearningRate()),
 *   fused: fusedCautiousAdamw(0),
 * });
 * ```
 */
export function fusedCautiousAdamw(stateIndex: number): FusedUpdate {
  const scratchOf = scratchArrays();
  return (state, ctx) => {
    // NOTE: the cautious block flips the mask for `maximize`, an option this optimizer does not have.
    if (ctx.hp.maximize === true) return false;
    const s = (state as unknown[])[stateIndex] as EfficientAdamState;
    const hp = ctx.hp;
    const [b1, b2] = hp.betas as readonly number[];
    const correct = hp.correctBias !== false;
    const kernel = resolveKernel('cautiousAdamwUpdate', cautiousAdamwUpdateKernel);
    const params = ctx.params;
    for (let i = 0; i < params.length; i++) {
      const p = params[i];
      const g = p.grad;
      if (g === null) continue;
      const t = ++s.step[i];
      const u = scratchOf(p);
      const stepScale = correct ? Math.sqrt(1 - b2 ** t) / (1 - b1 ** t) : 1;
      kernel(
        p._array,
        g._array,
        s.m[i],
        s.v[i],
        u,
        b1,
        b2,
        stepScale,
        hp.eps as number,
        hp.weightDecay as number,
        hp.lr,
      );
    }
    return true;
  };
}
