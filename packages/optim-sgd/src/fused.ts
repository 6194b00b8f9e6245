import { allocate, resolveKernel, sgdUpdateKernel } from '@nablajs/core';
import type { FusedUpdate, TraceMomentumState } from '@nablajs/optim';

/**
 * The fused step of {@link sgd}: one `sgdUpdate` kernel call per parameter with a gradient, on the
 * `traceMomentum()` state found at `stateIndex` in the chain's state. Like the chain, it keeps no
 * buffer while `momentum` is 0, and creates a parameter's buffer from its gradient (PyTorch's
 * first-step rule) at its first step with `momentum > 0`.
 *
 * @example
 * ```ts
 * defineOptimizer({
 *   ...definitionOf(sgd)!, // its name, defaults and validate
 *   rule: chain(flipIfMaximize(), addWeightDecay(), traceMomentum(), scaleByLearningRate()),
 *   fused: fusedSgd(2),
 * });
 * ```
 */
export function fusedSgd(stateIndex: number): FusedUpdate {
  return (state, ctx) => {
    const s = (state as unknown[])[stateIndex] as TraceMomentumState;
    const hp = ctx.hp;
    const lr = hp.lr;
    const momentum = hp.momentum as number;
    const dampening = (hp.dampening as number | undefined) ?? 0;
    const wd = hp.weightDecay as number;
    const nesterov = hp.nesterov === true;
    const maximize = hp.maximize === true;
    const kernel = resolveKernel('sgdUpdate', sgdUpdateKernel);
    const params = ctx.params;
    for (let i = 0; i < params.length; i++) {
      const p = params[i];
      const g = p.grad;
      if (g === null) continue;
      let buf = null;
      let first = false;
      if (momentum !== 0) {
        buf = s.momentumBuffer[i];
        if (buf === null) {
          buf = s.momentumBuffer[i] = allocate(p.dtype, p.size);
          first = true;
        }
      }
      kernel(p._array, g._array, buf, first, lr, momentum, dampening, wd, nesterov, maximize);
    }
    return true;
  };
}
