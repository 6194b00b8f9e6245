import { allocate, resolveKernel, rmspropUpdateKernel } from '@nablajs/core';
import type { FusedUpdate, ScaleByRmsState } from '@nablajs/optim';

/**
 * The fused step of {@link rmsprop}: one `rmspropUpdate` kernel call per parameter with a gradient,
 * on the `scaleByRms()` state found at `stateIndex` in the chain's state, advanced exactly as the
 * chain would (per-parameter steps; `gradAvg` and `momentumBuffer` created as zeros at the first step
 * that needs them, and left untouched while `centered` is off or `momentum` is 0).
 *
 * @example
 * ```ts
 * defineOptimizer({
 *   ...definitionOf(rmsprop)!, // its name, defaults and validate
 *   rule: chain(flipIfMaximize(), addWeightDecay(), scaleByRms(), scaleByLearningRate()),
 *   fused: fusedRmsprop(2),
 * });
 * ```
 */
export function fusedRmsprop(stateIndex: number): FusedUpdate {
  return (state, ctx) => {
    const s = (state as unknown[])[stateIndex] as ScaleByRmsState;
    const hp = ctx.hp;
    const lr = hp.lr;
    const alpha = hp.alpha as number;
    const eps = hp.eps as number;
    const wd = hp.weightDecay as number;
    const momentum = (hp.momentum as number | undefined) ?? 0;
    const centered = hp.centered === true;
    const maximize = hp.maximize === true;
    const kernel = resolveKernel('rmspropUpdate', rmspropUpdateKernel);
    const params = ctx.params;
    for (let i = 0; i < params.length; i++) {
      const p = params[i];
      const g = p.grad;
      if (g === null) continue;
      s.step[i]++;
      let ga = null;
      if (centered) {
        ga = s.gradAvg[i];
        if (ga === null) ga = s.gradAvg[i] = allocate(p.dtype, p.size);
      }
      let buf = null;
      if (momentum > 0) {
        buf = s.momentumBuffer[i];
        if (buf === null) buf = s.momentumBuffer[i] = allocate(p.dtype, p.size);
      }
      kernel(p._array, g._array, s.squareAvg[i], ga, buf, lr, alpha, eps, wd, momentum, maximize);
    }
    return true;
  };
}
