/**
 * `@nablajs/optim-adadelta`: Adadelta, exact to PyTorch's `Adadelta`.
 *
 * @example
 * ```ts
 * import { adadelta } from '@nablajs/optim-adadelta';
 * const opt = adadelta(model.parameters());
 * ```
 *
 * @packageDocumentation
 */
import { definePlugin } from '@nablajs/optim';
import { adadelta } from './adadelta';

export { type AdadeltaOptions, adadelta } from './adadelta';
export { type AdadeltaState, scaleByAdadelta } from './scale-by-adadelta';

/**
 * The `@nablajs/optim-adadelta` plugin: registers `adadelta` by name.
 *
 * @example
 * ```ts
 * import adadeltaPlugin from '@nablajs/optim-adadelta';
 * import { createOptimizer, usePlugin } from '@nablajs/optim';
 * usePlugin(adadeltaPlugin);
 * const opt = createOptimizer('adadelta', params, {});
 * ```
 */
export default definePlugin({ name: '@nablajs/optim-adadelta', optimizers: { adadelta } });
