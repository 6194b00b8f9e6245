// @nablajs/optim-sgd: stochastic gradient descent (momentum, dampening, Nesterov) and averaged SGD.
import { definePlugin } from '@nablajs/optim';
import { asgd } from './asgd';
import { sgd } from './sgd';

export { type AsgdOptions, type AsgdState, asgd, asgdAverages, scaleByAsgd } from './asgd';
export { type SgdOptions, sgd } from './sgd';

/**
 * The `@nablajs/optim-sgd` plugin: registers `sgd` and `asgd` by name.
 *
 * @example
 * ```ts
 * import sgdPlugin from '@nablajs/optim-sgd';
 * import { createOptimizer, usePlugin } from '@nablajs/optim';
 * usePlugin(sgdPlugin);
 * const opt = createOptimizer('sgd', params, { lr: 0.1, momentum: 0.9 });
 * ```
 */
export default definePlugin({ name: '@nablajs/optim-sgd', optimizers: { sgd, asgd } });
