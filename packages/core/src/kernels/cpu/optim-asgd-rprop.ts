// The fused steps of ASGD and Rprop: each runs its optimizer's chain of update blocks in one kernel,
// computing in doubles in the chain's order and rounding to the parameter's type exactly where the chain
// stores a value, so results are the chain's bit for bit in float32 and float64.

import type { TypedArray } from '../../dtype';
import { checkLength } from './optim';
import { roundingOf } from './rounding';

/**
 * The fused step of ASGD (`asgdUpdate`; `@nablajs/optim-sgd` calls it through
 * `resolveKernel('asgdUpdate', asgdUpdateKernel)` with the parameter's `eta` and `mu` of this step, then
 * computes the next ones itself), with the operations of its chain
 * `flipIfMaximize, addWeightDecay, scaleByAsgd` in their order and every value rounded to the parameter's
 * type where the chain stores it, so results are the chain's bit for bit. With `g` the gradient (negated
 * when `maximize`):
 *
 * ```text
 * g ← g + weightDecay · p                          (when weightDecay ≠ 0)
 * u ← p · (1 - lambd · eta) - eta · g - p
 * ax ← p + u if mu = 1, else ax ← ax + mu · ((p + u) - ax)   (p + u unrounded, as the chain has it)
 * p ← p + u
 * ```
 *
 * Arrays are float32 or float64, all of `param`'s length; `ax` is the running average of the iterates.
 *
 * @example
 * ```ts
 * const p = new Float64Array([1, 2]);
 * const ax = new Float64Array(2);
 * asgdUpdateKernel(p, new Float64Array([0.5, -0.5]), ax, 0.1, 1, 1e-4, 0, false);
 * // p ≈ [0.94999, 2.04998], ax = p (mu = 1 copies the new parameter)
 * ```
 */
export function asgdUpdateKernel(
  param: TypedArray,
  grad: TypedArray,
  ax: TypedArray,
  eta: number,
  mu: number,
  lambd: number,
  weightDecay: number,
  maximize: boolean,
): void {
  const n = param.length;
  checkLength('asgdUpdateKernel', 'grad', grad, n);
  checkLength('asgdUpdateKernel', 'ax', ax, n);
  const round = roundingOf(param);
  const sign = maximize ? -1 : 1;
  // NOTE: as addWeightDecay's `if (!wd)`: a zero (or NaN) decay adds nothing, not 0 · p.
  const decay = weightDecay !== 0 && !Number.isNaN(weightDecay);
  const shrink = 1 - lambd * eta;
  const copy = mu === 1;
  for (let j = 0; j < n; j++) {
    const pj = param[j];
    let g = sign * grad[j];
    if (decay) g = round(g + weightDecay * pj);
    const u = round(pj * shrink - eta * g - pj);
    // NOTE: the chain averages with the unrounded p + u, and stores p + u rounded into p.
    const next = pj + u;
    ax[j] = copy ? round(next) : round(ax[j] + mu * (next - ax[j]));
    param[j] = round(next);
  }
}

/**
 * The fused step of Rprop (`rpropUpdate`; `@nablajs/optim-rprop` calls it through
 * `resolveKernel('rpropUpdate', rpropUpdateKernel)`), with the operations of its chain
 * `flipIfMaximize, scaleByRprop, descend` in their order and every value rounded to the parameter's type
 * where the chain stores it, so results are the chain's bit for bit (PyTorch's `Rprop`, without weight
 * backtracking). With `g` the gradient (negated when `maximize`) and `s = sign(g · prev)`:
 *
 * ```text
 * step ← lr                                       (firstStep: the step sizes start at lr)
 * step ← clamp(step · (etaplus if s > 0, etaminus if s < 0, 1 if s = 0), minStep, maxStep)
 * g ← 0 where s < 0
 * prev ← g;  p ← p - sign(g) · step
 * ```
 *
 * A NaN in `g · prev` makes the step size NaN, as in the chain and PyTorch. Arrays are float32 or
 * float64, all of `param`'s length.
 *
 * @example
 * ```ts
 * const p = new Float32Array([1, 2]);
 * const prev = new Float32Array(2);
 * const stepSize = new Float32Array(2);
 * rpropUpdateKernel(p, new Float32Array([0.5, -0.5]), prev, stepSize, true, 0.01, 0.5, 1.2, 1e-6, 50, false);
 * // p ≈ [0.99, 2.01], stepSize ≈ [0.01, 0.01], prev = [0.5, -0.5]
 * ```
 */
export function rpropUpdateKernel(
  param: TypedArray,
  grad: TypedArray,
  prev: TypedArray,
  stepSize: TypedArray,
  firstStep: boolean,
  lr: number,
  etaminus: number,
  etaplus: number,
  minStep: number,
  maxStep: number,
  maximize: boolean,
): void {
  const n = param.length;
  checkLength('rpropUpdateKernel', 'grad', grad, n);
  checkLength('rpropUpdateKernel', 'prev', prev, n);
  checkLength('rpropUpdateKernel', 'stepSize', stepSize, n);
  const round = roundingOf(param);
  const sign = maximize ? -1 : 1;
  const initial = round(lr);
  for (let j = 0; j < n; j++) {
    let g = sign * grad[j];
    const s = g * prev[j];
    let factor = 1;
    if (s > 0) factor = etaplus;
    else if (s < 0) factor = etaminus;
    else if (s !== 0) factor = Number.NaN;
    const size = round(Math.min(Math.max((firstStep ? initial : stepSize[j]) * factor, minStep), maxStep));
    stepSize[j] = size;
    if (s < 0) g = 0;
    prev[j] = g;
    // NOTE: the chain's u ← sign(g)·step, then descend's u ← -u, then p ← p + u (signed zeros included).
    param[j] = param[j] + -(Math.sign(g) * size);
  }
}
