/**
 * `@nablajs/optim-rmsprop`: RMSprop (centered, momentum), exact to PyTorch's `RMSprop`.
 *
 * @example
 * ```ts
 * import { rmsprop } from '@nablajs/optim-rmsprop';
 * const opt = rmsprop(model.parameters(), { lr: 1e-3 });
 * ```
 *
 * @packageDocumentation
 */
import { definePlugin } from '@nablajs/optim';
import { rmsprop } from './rmsprop';

export { type RmspropOptions, rmsprop } from './rmsprop';

/**
 * The `@nablajs/optim-rmsprop` plugin: registers `rmsprop` by name.
 *
 * @example
 * ```ts
 * import rmspropPlugin from '@nablajs/optim-rmsprop';
 * import { createOptimizer, usePlugin } from '@nablajs/optim';
 * usePlugin(rmspropPlugin);
 * const opt = createOptimizer('rmsprop', params, { lr: 0.001 });
 * ```
 */
export default definePlugin({ name: '@nablajs/optim-rmsprop', optimizers: { rmsprop } });
