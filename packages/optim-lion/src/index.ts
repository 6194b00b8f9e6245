/**
 * `@nablajs/optim-lion`: Lion, EvoLved Sign Momentum (Chen et al. 2023): the sign of interpolated
 * momentum, with decoupled weight decay.
 *
 * @example
 * ```ts
 * import { lion } from '@nablajs/optim-lion';
 * const opt = lion(model.parameters(), { lr: 3e-5, weightDecay: 0.1 });
 * ```
 *
 * @packageDocumentation
 */
import { definePlugin } from '@nablajs/optim';
import { lion } from './lion';

export { type LionOptions, type LionState, lion, scaleByLion } from './lion';

/**
 * The `@nablajs/optim-lion` plugin: registers `lion`.
 *
 * @example
 * ```ts
 * import { createOptimizer, usePlugin } from '@nablajs/optim';
 * import lionPlugin from '@nablajs/optim-lion';
 * usePlugin(lionPlugin);
 * const opt = createOptimizer('lion', model.parameters(), { lr: 1e-4 });
 * ```
 */
export default definePlugin({ name: '@nablajs/optim-lion', optimizers: { lion } });
