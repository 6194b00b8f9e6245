import { definePlugin } from './plugin';
import { lookahead } from './transforms/lookahead';

/**
 * The `@nablajs/optim` plugin: registers the wrappers that the host itself provides (`lookahead`).
 *
 * @example
 * ```ts
 * import optimPlugin, { createOptimizer, usePlugin } from '@nablajs/optim';
 * import adamPlugin from '@nablajs/optim-adam';
 * usePlugin(optimPlugin);
 * usePlugin(adamPlugin);
 * const opt = createOptimizer('lookahead', params, { inner: 'adam', k: 5 });
 * ```
 */
const optimPlugin = definePlugin({ name: '@nablajs/optim', optimizers: { lookahead } });
export default optimPlugin;
