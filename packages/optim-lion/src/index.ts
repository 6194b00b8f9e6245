// @nablajs/optim-lion: Lion (Chen et al. 2023), evolved sign momentum.
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
