// Lookahead's synchronisation (Zhang et al. 2019) as a kernel: the slow weights take a step toward the fast
// ones, and the fast weights restart from them. `@nablajs/optim`'s lookahead calls it through
// `resolveKernel` in its fused step, which runs where the values live on the GPU (webgpu); its rule does the
// same arithmetic on the update in JavaScript.

import type { TypedArray } from '../../dtype';
import { checkLength } from './optim';

/**
 * `slow ← slow + α·(param - slow)`, then `param ← slow` (`lookaheadSync`): each value computed in doubles
 * and rounded once where it is stored.
 *
 * @example
 * ```ts
 * const p = new Float32Array([0.8]);
 * const slow = new Float32Array([1]);
 * lookaheadSyncKernel(p, slow, 0.5); // slow = p = [0.9]
 * ```
 */
export function lookaheadSyncKernel(param: TypedArray, slow: TypedArray, alpha: number): void {
  checkLength('lookaheadSyncKernel', 'slow', slow, param.length);
  for (let j = 0; j < param.length; j++) {
    const s = slow[j];
    slow[j] = s + alpha * (param[j] - s);
    param[j] = slow[j];
  }
}
