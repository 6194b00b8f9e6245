import { adanUpdateKernel, copyKernel, resolveKernel } from '@nablajs/core';
import type { FusedUpdate, Hyperparams } from '@nablajs/optim';
import type { AdanState } from './scale-by-adan';

/**
 * The fused step of {@link adan}: one `adanUpdate` kernel call per parameter with a gradient, on the
 * `scaleByAdan()` state found at `stateIndex` in the chain's state (the webgpu backend runs it on the GPU;
 * the cpu kernel gives the chain's results bit for bit). It covers steps without gradient clipping: see
 * {@link adanFusedWhen}.
 *
 * @example
 * ```ts
 * defineOptimizer({
 *   ...definitionOf(adan)!, // its name, defaults and validate
 *   rule: chain(clipByGlobalGradNorm(), scaleByAdan(), addProximalWeightDecay(), scaleByLearningRate()),
 *   fused: fusedAdan(1),
 *   fusedWhen: adanFusedWhen,
 * });
 * ```
 */
export function fusedAdan(stateIndex: number): FusedUpdate {
  return (state, ctx) => {
    const s = (state as unknown[])[stateIndex] as AdanState;
    const hp = ctx.hp;
    const [b1, b2, b3] = hp.betas as readonly number[];
    const eps = hp.eps as number;
    const wd = hp.weightDecay as number;
    const shrink = !wd || hp.noProx === true ? 1 : 1 / (1 + hp.lr * wd);
    const kernel = resolveKernel('adanUpdate', adanUpdateKernel);
    const params = ctx.params;
    for (let i = 0; i < params.length; i++) {
      const p = params[i];
      const g = p.grad;
      if (g === null) continue;
      const t = ++s.step[i];
      // The first difference is 0: the previous gradient starts as this one (copied where it is).
      if (t === 1) resolveKernel('copy', copyKernel)(g._array, s.prevGrad[i]);
      kernel(
        p._array,
        g._array,
        s.m[i],
        s.v[i],
        s.n[i],
        s.prevGrad[i],
        b1,
        b2,
        b3,
        1 / (1 - b1 ** t),
        b2 / (1 - b2 ** t),
        Math.sqrt(1 - b3 ** t),
        eps,
        wd,
        shrink,
        hp.lr,
      );
    }
    return true;
  };
}

/**
 * When {@link fusedAdan} applies: no group clips its gradients by their global norm (`maxGradNorm` 0, the
 * default), which needs the norm over every group before any update.
 *
 * @example
 * ```ts
 * adanFusedWhen([{ lr: 1e-3, maxGradNorm: 0 }]); // true
 * ```
 */
export function adanFusedWhen(groups: readonly Readonly<Hyperparams>[]): boolean {
  return groups.every((hp) => !((hp.maxGradNorm as number) > 0));
}
