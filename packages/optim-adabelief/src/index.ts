/**
 * `@nablajs/optim-adabelief`: AdaBelief (Zhuang et al., NeurIPS 2020), Adam whose step size adapts to the
 * belief in the observed gradient, exact to the authors' adabelief-pytorch 0.2.1, as a nabla optimizer
 * plugin: the `adabelief` factory and its rule blocks — the moments and rectified step
 * ({@link scaleByAdaBelief}) and the decoupled weight decay in its two forms ({@link shrinkWeights}).
 *
 * @example
 * ```ts
 * import { adabelief } from '@nablajs/optim-adabelief';
 * const opt = adabelief(model.parameters(), { lr: 1e-3, weightDecay: 1e-2 });
 * ```
 *
 * @packageDocumentation
 */
import { definePlugin } from '@nablajs/optim';
import { adabelief } from './adabelief';

export { type AdaBeliefOptions, adabelief } from './adabelief';
export { type AdaBeliefState, scaleByAdaBelief } from './scale-by-adabelief';
export { shrinkWeights } from './shrink-weights';

/**
 * The `@nablajs/optim-adabelief` plugin: registers `adabelief`.
 *
 * @example
 * ```ts
 * import { createOptimizer, usePlugin } from '@nablajs/optim';
 * import adabeliefPlugin from '@nablajs/optim-adabelief';
 * usePlugin(adabeliefPlugin);
 * const opt = createOptimizer('adabelief', model.parameters(), { lr: 1e-3, eps: 1e-8 });
 * ```
 */
export default definePlugin({ name: '@nablajs/optim-adabelief', optimizers: { adabelief } });
