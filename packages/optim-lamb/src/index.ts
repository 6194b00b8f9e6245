/**
 * `@nablajs/optim-lamb`: LAMB (You et al. 2019): Adam's direction with decoupled weight decay, scaled per
 * parameter tensor by the trust ratio, for large-batch training.
 *
 * @example
 * ```ts
 * import { lamb } from '@nablajs/optim-lamb';
 * const opt = lamb(model.parameters(), { lr: 2e-3, weightDecay: 0.01 });
 * ```
 *
 * @packageDocumentation
 */
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
