/**
 * `@nablajs/optim-lbfgs`: L-BFGS with an optional strong Wolfe line search, exact to PyTorch's `LBFGS`;
 * `step` takes a closure.
 *
 * @example
 * ```ts
 * import { lbfgs } from '@nablajs/optim-lbfgs';
 * const opt = lbfgs([xy], { lineSearchFn: 'strong_wolfe' });
 * opt.step(() => {
 *   opt.zeroGrad();
 *   const loss = f(xy);
 *   loss.backward();
 *   return loss;
 * });
 * ```
 *
 * @packageDocumentation
 */
import { definePlugin, type OptimizerFactory } from '@nablajs/optim';
import { lbfgs } from './lbfgs';

export { lbfgs } from './lbfgs';
export type { LbfgsOptimizer, LbfgsOptions } from './options';
export {
  cubicInterpolate,
  type DirectionalObjective,
  type Evaluation,
  type LineSearchResult,
  strongWolfe,
} from './strong-wolfe';

/** The `@nablajs/optim-lbfgs` plugin: registers `lbfgs` by name for `createOptimizer` (from `@nablajs/optim`). */
export default definePlugin({
  name: '@nablajs/optim-lbfgs',
  optimizers: { lbfgs: lbfgs as OptimizerFactory },
});
