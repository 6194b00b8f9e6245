/**
 * `@nablajs/optim-rprop`: resilient backpropagation, exact to PyTorch's `Rprop`, for full-batch training.
 *
 * @example
 * ```ts
 * import { rprop } from '@nablajs/optim-rprop';
 * const opt = rprop(model.parameters(), { lr: 0.01 });
 * ```
 *
 * @packageDocumentation
 */
import { definePlugin } from '@nablajs/optim';
import { rprop } from './rprop';

export { descend } from './descend';
export { type RpropOptions, rprop } from './rprop';
export { type RpropState, scaleByRprop } from './scale-by-rprop';

/**
 * The `@nablajs/optim-rprop` plugin: registers `rprop` by name.
 *
 * @example
 * ```ts
 * import rpropPlugin from '@nablajs/optim-rprop';
 * import { createOptimizer, usePlugin } from '@nablajs/optim';
 * usePlugin(rpropPlugin);
 * const opt = createOptimizer('rprop', params, { lr: 0.01 });
 * ```
 */
export default definePlugin({ name: '@nablajs/optim-rprop', optimizers: { rprop } });
