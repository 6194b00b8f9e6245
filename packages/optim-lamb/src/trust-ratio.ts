import type { UpdateRule } from '@nablajs/optim';

/**
 * Scale each parameter's update by its layer-wise trust ratio (You et al. 2019, the "L" of LAMB): with
 * `p` the parameter before the step and `u` its update,
 *
 * ```
 * ratio = ‖p‖ / ‖u‖      (1 when either norm is 0)
 * u ← ratio · u
 * ```
 *
 * so that, once the learning rate is applied, every parameter tensor moves by `lr·‖p‖` whatever the
 * scale of its gradient. When the group's `trustClip` is true the ratio is capped at 1 (LAMBC, as in
 * timm's `trust_clip`): the step is never longer than the unscaled one. Norms are Euclidean over the
 * whole tensor, accumulated in float64.
 *
 * @example
 * ```ts
 * const rule = chain(scaleByAdam(), addDecoupledWeightDecay(), scaleByTrustRatio(), scaleByLearningRate());
 * ```
 */
export function scaleByTrustRatio(): UpdateRule<null> {
  return {
    init: () => null,
    update(updates, _state, ctx) {
      const clip = ctx.hp.trustClip === true;
      for (let i = 0; i < updates.length; i++) {
        const u = updates[i];
        if (u === null) continue;
        const p = ctx.params[i].values;
        let pSq = 0;
        let uSq = 0;
        for (let j = 0; j < u.length; j++) {
          pSq += p[j] * p[j];
          uSq += u[j] * u[j];
        }
        const pNorm = Math.sqrt(pSq);
        const uNorm = Math.sqrt(uSq);
        let ratio = pNorm > 0 && uNorm > 0 ? pNorm / uNorm : 1;
        if (clip && ratio > 1) ratio = 1;
        if (ratio === 1) continue;
        for (let j = 0; j < u.length; j++) u[j] *= ratio;
      }
    },
  };
}
