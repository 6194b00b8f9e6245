import type { Closure, Optimizer } from '@nablajs/optim';

/** Options of {@link lbfgs}: PyTorch's `torch.optim.LBFGS` keyword arguments in lowerCamelCase. */
export interface LbfgsOptions {
  /** The step length of every inner iteration (the first one ever is scaled by `min(1, 1/‖g‖₁)`). PyTorch default: 1. */
  lr?: number;
  /** The largest number of inner iterations per `step()`. PyTorch default: 20. */
  maxIter?: number;
  /** The largest number of closure evaluations per `step()`. PyTorch default: `floor(maxIter * 5 / 4)`. */
  maxEval?: number | null;
  /** Stop when `max|g| ≤ toleranceGrad` (first-order optimality). PyTorch default: 1e-7. */
  toleranceGrad?: number;
  /** Stop when the loss, the step or the directional derivative changes by less than this. PyTorch default: 1e-9. */
  toleranceChange?: number;
  /** How many curvature pairs `(s, y)` to keep. PyTorch default: 100. */
  historySize?: number;
  /** `'strong_wolfe'` for a line search satisfying the strong Wolfe conditions, or `null` for fixed steps. PyTorch default: null. */
  lineSearchFn?: 'strong_wolfe' | null;
}

/** The L-BFGS optimizer: an {@link Optimizer} with PyTorch's cumulative evaluation counters. */
export interface LbfgsOptimizer extends Optimizer {
  /** Closure evaluations since creation (PyTorch's `state['func_evals']`). */
  readonly funcEvals: number;
  /** Inner iterations since creation (PyTorch's `state['n_iter']`). */
  readonly nIter: number;
  /** Always true: `step` must be given a closure (a training loop such as `fit` passes one). */
  readonly requiresClosure: true;
  /** `step(closure)` with the loss as a promise; on the webgpu backend the step runs on the host (see {@link Optimizer.stepAsync}). */
  stepAsync(closure?: Closure): Promise<number>;
}
