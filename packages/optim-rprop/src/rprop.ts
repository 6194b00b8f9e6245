import { ValueError } from '@nablajs/core';
import {
  chain,
  checkBoolean,
  checkNumber,
  checkTuple,
  defineOptimizer,
  flipIfMaximize,
  type Hyperparams,
} from '@nablajs/optim';
import { descend } from './descend';
import { fusedRprop } from './fused';
import { scaleByRprop } from './scale-by-rprop';

/** Options of {@link rprop}: PyTorch's `torch.optim.Rprop` keyword arguments in lowerCamelCase. */
export interface RpropOptions {
  /** Learning rate: the initial per-element step size. Default `0.01`. */
  lr?: number;
  /** `[etaminus, etaplus]`: step-size factors after a sign flip / a kept sign, `0 < etaminus < 1 < etaplus`. Default `[0.5, 1.2]`. */
  etas?: readonly [number, number] | readonly number[];
  /** `[min, max]`: bounds of the step sizes, `0 <= min <= max`. Default `[1e-6, 50]`. */
  stepSizes?: readonly [number, number] | readonly number[];
  /** Maximize the objective instead of minimizing it. Default `false`. */
  maximize?: boolean;
}

function validateRprop(hp: Readonly<Hyperparams>): void {
  checkNumber('rprop', 'lr', hp.lr, { min: 0 });
  checkTuple('rprop', 'etas', hp.etas, 2);
  const [etaminus, etaplus] = hp.etas as readonly number[];
  checkNumber('rprop', 'etas[0]', etaminus, { min: 0, max: 1, minInclusive: false, maxInclusive: false });
  checkNumber('rprop', 'etas[1]', etaplus, { min: 1, minInclusive: false });
  const [lo, hi] = checkTuple('rprop', 'stepSizes', hp.stepSizes, 2, { min: 0 });
  if (lo > hi) throw new ValueError(`rprop: stepSizes[0] must be <= stepSizes[1], got [${lo}, ${hi}]`);
  checkBoolean('rprop', 'maximize', hp.maximize);
}

/**
 * Resilient backpropagation, exactly as PyTorch's `torch.optim.Rprop`: only the sign of the gradient
 * is used, with a step size per element that grows while the sign is kept and shrinks when it flips.
 * Per element, with `s = sign(g · prev)`:
 *
 * ```text
 * g ← -g if maximize
 * step ← clamp(step · (etaplus if s > 0, etaminus if s < 0, 1 if s = 0), stepSizes[0], stepSizes[1])
 * g ← 0 where s < 0
 * p ← p - sign(g) · step;  prev ← g
 * ```
 *
 * Step sizes start at `lr` (read at a parameter's first step) and `prev` at 0, so the first step
 * moves every element by exactly `lr · sign(g)`; later changes of `lr` do not affect the step sizes.
 * Defaults: `lr = 0.01`, `etas = [0.5, 1.2]`, `stepSizes = [1e-6, 50]`, `maximize = false`. Recipe:
 * `chain(flipIfMaximize(), scaleByRprop(), descend())`. State per parameter: `step`, `prev` and
 * `stepSize`. Runs as one fused kernel per parameter (`rpropUpdate`, which the webgpu backend runs on the GPU).
 *
 * Paper: Riedmiller & Braun 1993, "A direct adaptive method for faster backpropagation learning: the
 * RPROP algorithm". PyTorch (followed here) implements the variant without weight backtracking
 * (Igel & Hüsken's Rprop-): after a sign flip the element does not move and its gradient is
 * forgotten, instead of the paper's undoing of the previous step.
 *
 * @example
 * ```ts
 * import { rprop } from '@nablajs/optim-rprop';
 * const opt = rprop(model.parameters(), { lr: 0.01, etas: [0.5, 1.2], stepSizes: [1e-6, 50] });
 * ```
 */
export const rprop = defineOptimizer<RpropOptions>({
  name: 'rprop',
  defaults: { lr: 0.01, etas: Object.freeze([0.5, 1.2]), stepSizes: Object.freeze([1e-6, 50]), maximize: false },
  validate: validateRprop,
  rule: chain(flipIfMaximize(), scaleByRprop(), descend()),
  fused: fusedRprop(1),
});
