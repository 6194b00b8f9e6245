/**
 * `@nablajs/optim-sgd`: stochastic gradient descent with momentum, dampening, Nesterov and weight
 * decay (`sgd`), and averaged SGD (`asgd`), exact to PyTorch's `SGD` and `ASGD`.
 *
 * @example
 * ```ts
 * import { sgd } from '@nablajs/optim-sgd';
 * const opt = sgd(model.parameters(), { lr: 0.1, momentum: 0.9 });
 * ```
 *
 * @packageDocumentation
 */
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
