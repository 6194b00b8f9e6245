/**
 * `@nablajs/optim-adagrad`: Adagrad (learning-rate decay, initial accumulator), exact to PyTorch's
 * `Adagrad`.
 *
 * @example
 * ```ts
 * import { adagrad } from '@nablajs/optim-adagrad';
 * const opt = adagrad(model.parameters(), { lr: 0.05 });
 * ```
 *
 * @packageDocumentation
 */
import { definePlugin } from '@nablajs/optim';
import { adagrad } from './adagrad';

export { type AdagradOptions, adagrad } from './adagrad';

/**
 * The `@nablajs/optim-adagrad` plugin: registers `adagrad` by name.
 *
 * @example
 * ```ts
 * import adagradPlugin from '@nablajs/optim-adagrad';
 * import { createOptimizer, usePlugin } from '@nablajs/optim';
 * usePlugin(adagradPlugin);
 * const opt = createOptimizer('adagrad', params, { lr: 0.1 });
 * ```
 */
export default definePlugin({ name: '@nablajs/optim-adagrad', optimizers: { adagrad } });
