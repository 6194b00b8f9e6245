// @nablajs/optim-lamb: LAMB (You et al. 2019), layer-wise adaptive large-batch optimization.
import { definePlugin } from '@nablajs/optim';
import { lamb } from './lamb';

export { type LambOptions, lamb } from './lamb';
export { scaleByTrustRatio } from './trust-ratio';

/**
 * The `@nablajs/optim-lamb` plugin: registers `lamb`.
 *
 * @example
 * ```ts
 * import { createOptimizer, usePlugin } from '@nablajs/optim';
 * import lambPlugin from '@nablajs/optim-lamb';
 * usePlugin(lambPlugin);
 * const opt = createOptimizer('lamb', model.parameters(), { lr: 2e-3, weightDecay: 0.01 });
 * ```
 */
export default definePlugin({ name: '@nablajs/optim-lamb', optimizers: { lamb } });
