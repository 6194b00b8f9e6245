/**
 * `@nablajs/optim-adan`: Adan, the adaptive Nesterov momentum optimizer (Xie, Zhou, Li, Lin & Yan
 * 2022), exact to the authors' PyTorch code (sail-sg/Adan), as a nabla optimizer plugin: the `adan`
 * factory and its rule blocks — the cross-group gradient clipping ({@link clipByGlobalGradNorm}), the
 * three moments ({@link scaleByAdan}) and the proximal weight decay ({@link addProximalWeightDecay}).
 *
 * @example
 * ```ts
 * import { adan } from '@nablajs/optim-adan';
 * const opt = adan(model.parameters(), { lr: 1e-3, weightDecay: 0.02 });
 * ```
 *
 * @packageDocumentation
 */
import { definePlugin } from '@nablajs/optim';
import { adan } from './adan';

export { type AdanOptions, adan } from './adan';
export { addProximalWeightDecay } from './add-proximal-weight-decay';
export { clipByGlobalGradNorm } from './clip-by-global-grad-norm';
export { type AdanState, scaleByAdan } from './scale-by-adan';

/**
 * The `@nablajs/optim-adan` plugin: registers `adan`.
 *
 * @example
 * ```ts
 * import { createOptimizer, usePlugin } from '@nablajs/optim';
 * import adanPlugin from '@nablajs/optim-adan';
 * usePlugin(adanPlugin);
 * const opt = createOptimizer('adan', model.parameters(), { lr: 1e-3, maxGradNorm: 5 });
 * ```
 */
export default definePlugin({ name: '@nablajs/optim-adan', optimizers: { adan } });
