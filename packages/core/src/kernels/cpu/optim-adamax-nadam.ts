// The fused steps of Adamax and NAdam (`@nablajs/optim-adam`): each runs its optimizer's chain of update
// blocks in one kernel, computing in doubles and rounding to the parameter's type exactly where the chain
// stores a value (the update buffer, the state arrays), so that its results are the chain's bit for bit in
// float32 and float64.

import type { TypedArray } from '../../dtype';
import { checkLength } from './optim';
import { roundingOf } from './rounding';

/**
 * The fused step of Adamax (`adamaxUpdate`; `@nablajs/optim-adam` calls it through
 * `resolveKernel('adamaxUpdate', adamaxUpdateKernel)`), as PyTorch's `torch.optim.Adamax`, with the
 * operations of its chain `flipIfMaximize, addWeightDecay, scaleByAdamax, scaleByLearningRate` in their
 * order and the update rounded to the parameter's type where the chain stores it, so results are the
 * chain's bit for bit. With `g` the gradient (negated when `maximize`) and `t = step` (this parameter's
 * step count, from 1):
 *
 * ```text
 * g ← g + weightDecay · p          (when weightDecay ≠ 0)
 * m ← β₁·m + (1-β₁)·g
 * u ← max(β₂·u, |g| + ε)
 * p ← p + (m / u / (1-β₁ᵗ)) · (-lr)
 * ```
 *
 * `m` and `u` are the `scaleByAdamax()` state of the parameter (first moment and infinity norm); arrays
 * are float32 or float64, all of `param`'s length.
 *
 * @example
 * ```ts
 * const p = new Float32Array([1, 2]);
 * adamaxUpdateKernel(p, new Float32Array([0.5, -0.5]), new Float32Array(2), new Float32Array(2), 1, 2e-3, 0.9, 0.999, 1e-8, 0, false);
 * // p ≈ [0.998, 2.002]: the first step moves every element by about lr
 * ```
 */
export function adamaxUpdateKernel(
  param: TypedArray,
  grad: TypedArray,
  m: TypedArray,
  u: TypedArray,
  step: number,
  lr: number,
  beta1: number,
  beta2: number,
  eps: number,
  weightDecay: number,
  maximize: boolean,
): void {
  const n = param.length;
  checkLength('adamaxUpdateKernel', 'grad', grad, n);
  checkLength('adamaxUpdateKernel', 'm', m, n);
  checkLength('adamaxUpdateKernel', 'u', u, n);
  const round = roundingOf(param);
  const sign = maximize ? -1 : 1;
  const c1 = 1 - beta1;
  const bc1 = 1 - beta1 ** step;
  const s = -lr;
  for (let j = 0; j < n; j++) {
    let g = sign * grad[j];
    if (weightDecay !== 0) g = round(g + weightDecay * param[j]);
    m[j] = beta1 * m[j] + c1 * g;
    u[j] = Math.max(beta2 * u[j], Math.abs(g) + eps);
    const d = round(m[j] / u[j] / bc1);
    param[j] = param[j] + round(d * s);
  }
}

/**
 * The fused step of NAdam (`nadamUpdate`; `@nablajs/optim-adam` calls it through
 * `resolveKernel('nadamUpdate', nadamUpdateKernel)` with the parameter's scalars of the step, computed
 * from its step count `t` and momentum product as `scaleByNadam` does: `gradScale = (1-μ_t)/(1-Π_t)`,
 * `momentumScale = μ_{t+1}/(1-Π_t·μ_{t+1})` and `bc2Sqrt = √(1-β₂ᵗ)`), with the operations of its chain
 * `addWeightDecay, scaleByNadam, scaleByLearningRate` in their order and the update rounded to the
 * parameter's type where the chain stores it, so results are the chain's bit for bit. With `g` the
 * gradient:
 *
 * ```text
 * g ← g + weightDecay · p          (when weightDecay ≠ 0)
 * m ← β₁·m + (1-β₁)·g;  v ← β₂·v + (1-β₂)·g²
 * d = √v / bc2Sqrt + ε
 * p ← p + ((gradScale·g)/d + (momentumScale·m)/d) · (-lr)
 * ```
 *
 * Arrays are float32 or float64, all of `param`'s length.
 *
 * @example
 * ```ts
 * const p = new Float32Array([1, 2]);
 * const [b1, psi] = [0.9, 4e-3];
 * const mu1 = b1 * (1 - 0.5 * 0.96 ** psi);
 * const mu2 = b1 * (1 - 0.5 * 0.96 ** (2 * psi));
 * nadamUpdateKernel(p, new Float32Array([0.5, -0.5]), new Float32Array(2), new Float32Array(2),
 *   b1, 0.999, (1 - mu1) / (1 - mu1), mu2 / (1 - mu1 * mu2), Math.sqrt(1 - 0.999), 1e-8, 0, 2e-3);
 * ```
 */
export function nadamUpdateKernel(
  param: TypedArray,
  grad: TypedArray,
  m: TypedArray,
  v: TypedArray,
  beta1: number,
  beta2: number,
  gradScale: number,
  momentumScale: number,
  bc2Sqrt: number,
  eps: number,
  weightDecay: number,
  lr: number,
): void {
  const n = param.length;
  checkLength('nadamUpdateKernel', 'grad', grad, n);
  checkLength('nadamUpdateKernel', 'm', m, n);
  checkLength('nadamUpdateKernel', 'v', v, n);
  const round = roundingOf(param);
  const c1 = 1 - beta1;
  const c2 = 1 - beta2;
  const s = -lr;
  for (let j = 0; j < n; j++) {
    let g = grad[j];
    if (weightDecay !== 0) g = round(g + weightDecay * param[j]);
    m[j] = beta1 * m[j] + c1 * g;
    v[j] = beta2 * v[j] + c2 * g * g;
    const d = Math.sqrt(v[j]) / bc2Sqrt + eps;
    const upd = round((gradScale * g) / d + (momentumScale * m[j]) / d);
    param[j] = param[j] + round(upd * s);
  }
}
