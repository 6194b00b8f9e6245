import {
  addWeightDecay,
  chain,
  checkBoolean,
  checkNumber,
  defineOptimizer,
  flipIfMaximize,
  type Hyperparams,
  scaleByAdagrad,
  scaleByLearningRate,
} from '@nablajs/optim';
import { fusedAdagrad } from './fused';

/** Options of {@link adagrad}: PyTorch's `torch.optim.Adagrad` keyword arguments in lowerCamelCase. */
export interface AdagradOptions {
  /** Learning rate. Default `0.01`. */
  lr?: number;
  /** Learning-rate decay: step `t` uses `lr / (1 + (t - 1) · lrDecay)`, `>= 0`. Default `0`. */
  lrDecay?: number;
  /** L2 penalty added to the gradient, `>= 0`. Default `0`. */
  weightDecay?: number;
  /** Starting value of the sum of squared gradients, `>= 0` (read when the optimizer is built). Default `0`. */
  initialAccumulatorValue?: number;
  /** Added to the denominator, outside the square root, `>= 0`. Default `1e-10`. */
  eps?: number;
  /** Maximize the objective instead of minimizing it. Default `false`. */
  maximize?: boolean;
}

function validateAdagrad(hp: Readonly<Hyperparams>): void {
  checkNumber('adagrad', 'lr', hp.lr, { min: 0 });
  checkNumber('adagrad', 'lrDecay', hp.lrDecay, { min: 0 });
  checkNumber('adagrad', 'weightDecay', hp.weightDecay, { min: 0 });
  checkNumber('adagrad', 'initialAccumulatorValue', hp.initialAccumulatorValue, { min: 0 });
  checkNumber('adagrad', 'eps', hp.eps, { min: 0 });
  checkBoolean('adagrad', 'maximize', hp.maximize);
}

/**
 * Adagrad, exactly as PyTorch's `torch.optim.Adagrad`, with `t` a parameter's step count from 1:
 *
 * ```text
 * g ← -g if maximize;  g ← g + weightDecay · p
 * clr = lr / (1 + (t - 1) · lrDecay)
 * sum ← sum + g²                      (sum starts at initialAccumulatorValue)
 * p ← p - clr · g / (sqrt(sum) + eps)
 * ```
 *
 * Defaults: `lr = 0.01`, `lrDecay = 0`, `weightDecay = 0`, `initialAccumulatorValue = 0`,
 * `eps = 1e-10`, `maximize = false`. Runs as one fused kernel per parameter
 * (`adagradUpdate`, replaceable by a backend); the recipe it matches, run when fused updates are off:
 * `chain(flipIfMaximize(), addWeightDecay(), scaleByAdagrad(), scaleByLearningRate())`. State per
 * parameter: `step` and `sum`.
 *
 * Paper: Duchi, Hazan & Singer 2011, "Adaptive Subgradient Methods for Online Learning and
 * Stochastic Optimization" (JMLR). Where they differ, nabla follows PyTorch: the paper has no `eps`
 * (PyTorch adds it outside the square root), no learning-rate decay and no initial accumulator.
 *
 * @example
 * ```ts
 * import { adagrad } from '@nablajs/optim-adagrad';
 * const opt = adagrad(model.parameters(), { lr: 0.1, lrDecay: 0.01 });
 * ```
 */
export const adagrad = defineOptimizer<AdagradOptions>({
  name: 'adagrad',
  defaults: { lr: 0.01, lrDecay: 0, weightDecay: 0, initialAccumulatorValue: 0, eps: 1e-10, maximize: false },
  validate: validateAdagrad,
  rule: chain(flipIfMaximize(), addWeightDecay(), scaleByAdagrad(), scaleByLearningRate()),
  // The state of the stateful block is entry 2 of the chain's.
  fused: fusedAdagrad(2),
});
