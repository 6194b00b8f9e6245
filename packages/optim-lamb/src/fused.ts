import { lambUpdateKernel, resolveKernel } from '@nablajs/core';
import { type AdamState, type FusedUpdate, scratchArrays } from '@nablajs/optim';

/**
 * The fused step of {@link lamb}: one `lambUpdate` kernel call per parameter with a gradient, on the
 * `scaleByAdam()` state found at `stateIndex` in the chain's state, with a scratch array per parameter for
 * the direction (the webgpu backend runs it on the GPU, trust-ratio norms included; the cpu kernel gives
 * the chain's results bit for bit).
 *
 * @example
 * ```ts
 * defineOptimizer({
 *   ...definitionOf(lamb)!, // its name, defaults and validate
 *   rule: chain(scaleByAdam(), addDecoupledWeightDecay(), scaleByTrustRatio(), scaleByLearningRate()),
 *   fused: fusedLamb(0),
 * });
 * ```
 */
export function fusedLamb(stateIndex: number): FusedUpdate {
  const scratchOf = scratchArrays();
  return (state, ctx) => {
    const s = (state as unknown[])[stateIndex] as AdamState;
    const hp = ctx.hp;
    const [b1, b2] = hp.betas as readonly number[];
    const corrected = hp.biasCorrection !== false;
    const kernel = resolveKernel('lambUpdate', lambUpdateKernel);
    const params = ctx.params;
    for (let i = 0; i < params.length; i++) {
      const p = params[i];
      const g = p.grad;
      if (g === null) continue;
      const t = ++s.step[i];
      const u = scratchOf(p);
      kernel(
        p._array,
        g._array,
        s.m[i],
        s.v[i],
        u,
        b1,
        b2,
        corrected ? 1 / (1 - b1 ** t) : 1,
        corrected ? 1 / Math.sqrt(1 - b2 ** t) : 1,
        hp.eps as number,
        hp.weightDecay as number,
        hp.trustClip === true,
        hp.lr,
      );
    }
    return true;
  };
}
