// @nablajs/optim-lbfgs: L-BFGS with an optional strong Wolfe line search, exact to PyTorch.
import { definePlugin, type OptimizerFactory } from '@nablajs/optim';
import { lbfgs } from './lbfgs';

export { type LbfgsOptimizer, type LbfgsOptions, lbfgs } from './lbfgs';
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
