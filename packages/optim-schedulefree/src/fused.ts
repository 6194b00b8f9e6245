import { allocate, copyKernel, resolveKernel, scheduleFreeUpdateKernel } from '@nablajs/core';
import type { FusedUpdate } from '@nablajs/optim';
import type { ScheduleFreeAdamState } from './scale-by-schedule-free-adam';
import { advance, type ScheduleFreeBeta, type ScheduleFreeState } from './schedule-free';

/**
 * The fused step of {@link sgdScheduleFree} (`adamIndex` null) and {@link adamwScheduleFree}: one
 * `scheduleFreeUpdate` kernel call per parameter with a gradient, on the chain's own state (the
 * `scaleByScheduleFreeAdam()` state at `adamIndex`, the `scheduleFree()` state at `freeIndex`), with the
 * group's counters advanced as the chain advances them. The webgpu backend runs it on the GPU; the cpu
 * kernel gives the chain's results bit for bit.
 *
 * @example
 * ```ts
 * const beta: ScheduleFreeBeta = (hp) => hp.momentum as number;
 * defineOptimizer({
 *   ...definitionOf(sgdScheduleFree)!, // its name, defaults and validate
 *   rule: chain(addWeightDecay(), scheduleFree(beta)),
 *   fused: fusedScheduleFree(null, 1, beta),
 * });
 * ```
 */
export function fusedScheduleFree(adamIndex: number | null, freeIndex: number, beta: ScheduleFreeBeta): FusedUpdate {
  return (state, ctx) => {
    const params = ctx.params;
    // A group without a gradient takes no step (its counters stay), as the runtime skips the chain.
    if (!params.some((p) => p.grad !== null)) return true;
    const hp = ctx.hp;
    const adam = adamIndex === null ? null : ((state as unknown[])[adamIndex] as ScheduleFreeAdamState);
    const free = (state as unknown[])[freeIndex] as ScheduleFreeState;
    let b2 = 0;
    let bc2 = 1;
    let eps = 0;
    let mu = 0;
    let bc1 = 1;
    if (adam !== null) {
      b2 = (hp.betas as readonly number[])[1];
      eps = hp.eps as number;
      mu = hp.innerMomentum as number;
      adam.k += 1;
      bc2 = 1 - b2 ** adam.k;
      bc1 = mu !== 0 ? 1 - mu ** adam.k : 1;
    }
    const { lr, c } = advance(free, hp);
    const coef = lr * (beta(hp) * (1 - c) - 1);
    const wd = hp.weightDecay as number;
    const kernel = resolveKernel('scheduleFreeUpdate', scheduleFreeUpdateKernel);
    for (let i = 0; i < params.length; i++) {
      const p = params[i];
      const g = p.grad;
      if (g === null) continue;
      let z = free.z[i];
      if (z === null) {
        z = free.z[i] = allocate(p.dtype, p.size);
        resolveKernel('copy', copyKernel)(p._array, z);
      }
      let v: ReturnType<typeof allocate> | null = null;
      let m: ReturnType<typeof allocate> | null = null;
      if (adam !== null) {
        v = adam.v[i] ??= allocate(p.dtype, p.size);
        if (mu !== 0) m = adam.m[i] ??= allocate(p.dtype, p.size);
      }
      kernel(p._array, g._array, z, v, m, lr, c, coef, wd, b2, bc2, eps, mu, bc1);
    }
    return true;
  };
}
