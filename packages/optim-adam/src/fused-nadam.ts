import { nadamUpdateKernel, resolveKernel } from '@nablajs/core';
import type { FusedUpdate } from '@nablajs/optim';
import type { NadamState } from './nadam';
import { DECOUPLED } from './validate';

/**
 * The fused step of {@link nadam}: one `nadamUpdate` kernel call per parameter with a gradient, on the
 * `scaleByNadam()` state found at `stateIndex` in the chain's state. It advances the parameter's step
 * count and momentum product `Π` in JavaScript exactly as the chain does and hands the kernel the step's
 * scalars (`(1-μ_t)/(1-Π_t)`, `μ_{t+1}/(1-Π_t·μ_{t+1})`, `√(1-β₂ᵗ)`). The webgpu backend runs the kernel on
 * the GPU; the cpu kernel gives the chain's results bit for bit, in float32 and float64.
 *
 * @example
 * ```ts
 * defineOptimizer({
 *   ...definitionOf(nadam)!, // its name, defaults and validate
 *   rule: chain(addWeightDecay(), scaleByNadam(), scaleByLearningRate()),
 *   fused: fusedNadam(1),
 * });
 * ```
 */
export function fusedNadam(stateIndex: number): FusedUpdate {
  return (state, ctx) => {
    const s = (state as unknown[])[stateIndex] as NadamState;
    const hp = ctx.hp;
    // The kernel adds L2 decay to the unflipped gradient: the chain takes the other cases.
    if (hp.maximize === true || hp[DECOUPLED] === true) return false;
    const betas = hp.betas as readonly number[];
    const b1 = betas[0];
    const b2 = betas[1];
    const eps = hp.eps as number;
    const wd = hp.weightDecay as number;
    const psi = hp.momentumDecay as number;
    const kernel = resolveKernel('nadamUpdate', nadamUpdateKernel);
    const params = ctx.params;
    for (let i = 0; i < params.length; i++) {
      const p = params[i];
      const g = p.grad;
      if (g === null) continue;
      // NOTE: the same expressions, in the same order, as scaleByNadam's, so the scalars are its bits.
      const t = ++s.step[i];
      const mu = b1 * (1 - 0.5 * 0.96 ** (t * psi));
      const muNext = b1 * (1 - 0.5 * 0.96 ** ((t + 1) * psi));
      const muProduct = s.muProduct[i] * mu;
      s.muProduct[i] = muProduct;
      const gradScale = (1 - mu) / (1 - muProduct);
      const momentumScale = muNext / (1 - muProduct * muNext);
      const bc2Sqrt = Math.sqrt(1 - b2 ** t);
      kernel(p._array, g._array, s.m[i], s.v[i], b1, b2, gradScale, momentumScale, bc2Sqrt, eps, wd, hp.lr);
    }
    return true;
  };
}
