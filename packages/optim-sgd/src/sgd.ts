import { ValueError } from '@nablajs/core';
import {
  addWeightDecay,
  chain,
  checkBoolean,
  checkNumber,
  defineOptimizer,
  flipIfMaximize,
  type Hyperparams,
  scaleByLearningRate,
  traceMomentum,
} from '@nablajs/optim';
import { fusedSgd } from './fused';

/** Options of {@link sgd}: PyTorch's `torch.optim.SGD` keyword arguments in lowerCamelCase. */
export interface SgdOptions {
  /** Learning rate. Default `1e-3` (PyTorch 2.x's default). */
  lr?: number;
  /** Momentum factor, `>= 0`. Default `0` (plain gradient descent). */
  momentum?: number;
  /** Dampening for momentum, in `[0, 1]`. Default `0`. */
  dampening?: number;
  /** L2 penalty added to the gradient, `>= 0`. Default `0`. */
  weightDecay?: number;
  /** Use Nesterov momentum (needs `momentum > 0` and `dampening = 0`). Default `false`. */
  nesterov?: boolean;
  /** Maximize the objective instead of minimizing it. Default `false`. */
  maximize?: boolean;
}

function validateSgd(hp: Readonly<Hyperparams>): void {
  checkNumber('sgd', 'lr', hp.lr, { min: 0 });
  const momentum = checkNumber('sgd', 'momentum', hp.momentum, { min: 0 });
  const dampening = checkNumber('sgd', 'dampening', hp.dampening, { min: 0, max: 1 });
  checkNumber('sgd', 'weightDecay', hp.weightDecay, { min: 0 });
  const nesterov = checkBoolean('sgd', 'nesterov', hp.nesterov);
  checkBoolean('sgd', 'maximize', hp.maximize);
  if (nesterov && (momentum <= 0 || dampening !== 0))
    throw new ValueError(
      `sgd: nesterov requires momentum > 0 and dampening = 0, got momentum ${momentum} and dampening ${dampening}`,
    );
}

/**
 * Stochastic gradient descent, optionally with momentum (heavy ball or Nesterov), dampening, L2
 * weight decay and maximization, exactly as PyTorch's `torch.optim.SGD`:
 *
 * ```text
 * g ← -g if maximize;  g ← g + weightDecay · p
 * if momentum ≠ 0:
 *   buf ← g at a parameter's first step, else buf ← momentum · buf + (1 - dampening) · g
 *   g ← g + momentum · buf if nesterov, else g ← buf
 * p ← p - lr · g
 * ```
 *
 * Defaults: `lr = 1e-3`, `momentum = 0`, `dampening = 0`, `weightDecay = 0`, `nesterov = false`,
 * `maximize = false`. Runs as one fused kernel per parameter (`sgdUpdate`, replaceable by a
 * backend); the recipe it matches, run when fused updates are off:
 * `chain(flipIfMaximize(), addWeightDecay(), traceMomentum(), scaleByLearningRate())`.
 * State per parameter: `momentumBuffer` (PyTorch's `momentum_buffer`), only once momentum is used.
 *
 * Papers: Robbins & Monro 1951 (stochastic approximation); Polyak 1964 (momentum); Nesterov 1983 and
 * Sutskever et al. 2013 (Nesterov momentum). Where they differ, nabla follows PyTorch: the learning
 * rate multiplies the buffer instead of being folded into it (`v ← μv + g; p ← p - lr·v` rather than
 * the papers' `v ← μv - lr·g; p ← p + v`), which differs when `lr` changes during training; the
 * buffer starts at the first gradient (not at zero, and without the `1 - dampening` factor); and
 * Nesterov is the "look-ahead" reformulation `g + μ·buf` on the current parameters.
 *
 * @example
 * ```ts
 * import { sgd } from '@nablajs/optim-sgd';
 * const opt = sgd(model.parameters(), { lr: 0.1, momentum: 0.9, nesterov: true });
 * opt.zeroGrad();
 * loss.backward();
 * opt.step();
 * ```
 */
export const sgd = defineOptimizer<SgdOptions>({
  name: 'sgd',
  defaults: { lr: 1e-3, momentum: 0, dampening: 0, weightDecay: 0, nesterov: false, maximize: false },
  validate: validateSgd,
  rule: chain(flipIfMaximize(), addWeightDecay(), traceMomentum(), scaleByLearningRate()),
  // The state of the stateful block is entry 2 of the chain's.
  fused: fusedSgd(2),
});
