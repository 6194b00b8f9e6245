import {
  addWeightDecay,
  chain,
  checkBoolean,
  checkNumber,
  defineOptimizer,
  flipIfMaximize,
  type Hyperparams,
  scaleByLearningRate,
  scaleByRms,
} from '@nablajs/optim';
import { fusedRmsprop } from './fused';

/** Options of {@link rmsprop}: PyTorch's `torch.optim.RMSprop` keyword arguments in lowerCamelCase. */
export interface RmspropOptions {
  /** Learning rate. Default `0.01`. */
  lr?: number;
  /** Smoothing constant of the squared-gradient average, `>= 0`. Default `0.99` (not 0.9). */
  alpha?: number;
  /** Added to the denominator, outside the square root, `>= 0`. Default `1e-8`. */
  eps?: number;
  /** L2 penalty added to the gradient, `>= 0`. Default `0`. */
  weightDecay?: number;
  /** Momentum factor, `>= 0`. Default `0`. */
  momentum?: number;
  /** Normalize by an estimate of the gradient's variance instead of its second moment. Default `false`. */
  centered?: boolean;
  /** Maximize the objective instead of minimizing it. Default `false`. */
  maximize?: boolean;
}

function validateRmsprop(hp: Readonly<Hyperparams>): void {
  checkNumber('rmsprop', 'lr', hp.lr, { min: 0 });
  checkNumber('rmsprop', 'alpha', hp.alpha, { min: 0 });
  checkNumber('rmsprop', 'eps', hp.eps, { min: 0 });
  checkNumber('rmsprop', 'weightDecay', hp.weightDecay, { min: 0 });
  checkNumber('rmsprop', 'momentum', hp.momentum, { min: 0 });
  checkBoolean('rmsprop', 'centered', hp.centered);
  checkBoolean('rmsprop', 'maximize', hp.maximize);
}

/**
 * RMSprop, exactly as PyTorch's `torch.optim.RMSprop`:
 *
 * ```text
 * g ← -g if maximize;  g ← g + weightDecay · p
 * v ← alpha · v + (1 - alpha) · g²
 * avg = sqrt(v) + eps,  or if centered:  ga ← alpha · ga + (1 - alpha) · g;  avg = sqrt(v - ga²) + eps
 * if momentum > 0:  buf ← momentum · buf + g / avg;  p ← p - lr · buf     (buf starts at 0)
 * else:             p ← p - lr · g / avg
 * ```
 *
 * Defaults: `lr = 0.01`, `alpha = 0.99`, `eps = 1e-8`, `weightDecay = 0`, `momentum = 0`,
 * `centered = false`, `maximize = false`. Runs as one fused kernel per parameter
 * (`rmspropUpdate`, replaceable by a backend); the recipe it matches, run when fused updates are off:
 * `chain(flipIfMaximize(), addWeightDecay(), scaleByRms(), scaleByLearningRate())`. State per
 * parameter: `step`, `squareAvg`, and `gradAvg` (centered) and `momentumBuffer` (momentum > 0).
 *
 * Papers: Hinton, Lecture 6e of "Neural Networks for Machine Learning" (2012), unpublished; the
 * centered variant is from Graves 2013, "Generating sequences with recurrent neural networks". Where
 * they differ, nabla follows PyTorch: `eps` is added after the square root, there is no bias
 * correction, and momentum accumulates `g / avg` with the learning rate applied outside the buffer
 * (Graves puts `lr` inside and `eps` inside the root).
 *
 * @example
 * ```ts
 * import { rmsprop } from '@nablajs/optim-rmsprop';
 * const opt = rmsprop(model.parameters(), { lr: 0.001, centered: true, momentum: 0.9 });
 * ```
 */
export const rmsprop = defineOptimizer<RmspropOptions>({
  name: 'rmsprop',
  defaults: { lr: 0.01, alpha: 0.99, eps: 1e-8, weightDecay: 0, momentum: 0, centered: false, maximize: false },
  validate: validateRmsprop,
  rule: chain(flipIfMaximize(), addWeightDecay(), scaleByRms(), scaleByLearningRate()),
  // The state of the stateful block is entry 2 of the chain's.
  fused: fusedRmsprop(2),
});
