// The fused steps of RAdam and Adadelta (cpu kernels): each runs its optimizer's chain of update blocks in one
// kernel, computing in doubles and rounding where the chain stores a value, so float32 and float64 results are
// the chain's bit for bit.

import type { TypedArray } from '../../dtype';
import { checkLength } from './optim';
import { roundingOf } from './rounding';

/**
 * The fused step of RAdam (`radamUpdate`; `@nablajs/optim-adam` calls it through
 * `resolveKernel('radamUpdate', radamUpdateKernel)`), as PyTorch's `torch.optim.RAdam`, with the operations
 * of its chain `addWeightDecay, scaleByRadam, scaleByLearningRate` in their order, and every value rounded
 * to the parameter's type where the chain stores it, so float32 and float64 results are the chain's bit for
 * bit. With `g` the gradient plus `weightDecay · p` and `t = step` (this parameter's step count, from 1):
 *
 * ```text
 * m ← β₁·m + (1-β₁)·g
 * v ← β₂·v + (1-β₂)·g²
 * ρ_∞ = 2/(1-β₂) - 1;  ρ_t = ρ_∞ - 2·t·β₂ᵗ/(1-β₂ᵗ)
 * ρ_t > 5:  u ← ((m / (1-β₁ᵗ)) · r_t·√(1-β₂ᵗ)) / (√v + ε),  r_t = √((ρ_t-4)(ρ_t-2)ρ_∞ / ((ρ_∞-4)(ρ_∞-2)ρ_t))
 * else:     u ← m / (1-β₁ᵗ)
 * p ← p + u · (-lr)
 * ```
 *
 * Arrays are float32 or float64, all of `param`'s length.
 *
 * @example
 * ```ts
 * const p = new Float32Array([1, 2]);
 * const m = new Float32Array(2);
 * const v = new Float32Array(2);
 * radamUpdateKernel(p, new Float32Array([0.5, -0.5]), m, v, 1, 0.1, 0.9, 0.999, 1e-8, 0);
 * // m = [0.05, -0.05]; step 1 is a momentum step (ρ₁ = 1): p ≈ [0.95, 2.05]
 * ```
 */
export function radamUpdateKernel(
  param: TypedArray,
  grad: TypedArray,
  m: TypedArray,
  v: TypedArray,
  step: number,
  lr: number,
  beta1: number,
  beta2: number,
  eps: number,
  weightDecay: number,
): void {
  const n = param.length;
  checkLength('radamUpdateKernel', 'grad', grad, n);
  checkLength('radamUpdateKernel', 'm', m, n);
  checkLength('radamUpdateKernel', 'v', v, n);
  const round = roundingOf(param);
  const c1 = 1 - beta1;
  const c2 = 1 - beta2;
  const bc1 = 1 - beta1 ** step;
  const bc2 = 1 - beta2 ** step;
  const rhoInf = 2 / (1 - beta2) - 1;
  const rhoT = rhoInf - (2 * step * beta2 ** step) / bc2;
  const s = -lr;
  // NOTE: a zero weight decay must add nothing (not 0 · p, which is NaN for an infinite p), as in the chain.
  if (rhoT > 5) {
    const rect = Math.sqrt(((rhoT - 4) * (rhoT - 2) * rhoInf) / ((rhoInf - 4) * (rhoInf - 2) * rhoT));
    const scale = rect * Math.sqrt(bc2);
    for (let j = 0; j < n; j++) {
      const pj = param[j];
      let g = grad[j];
      if (weightDecay !== 0) g = round(g + weightDecay * pj);
      const mj = round(beta1 * m[j] + c1 * g);
      const vj = round(beta2 * v[j] + c2 * g * g);
      m[j] = mj;
      v[j] = vj;
      const u = round(((mj / bc1) * scale) / (Math.sqrt(vj) + eps));
      param[j] = pj + round(u * s);
    }
  } else {
    for (let j = 0; j < n; j++) {
      const pj = param[j];
      let g = grad[j];
      if (weightDecay !== 0) g = round(g + weightDecay * pj);
      const mj = round(beta1 * m[j] + c1 * g);
      m[j] = mj;
      v[j] = beta2 * v[j] + c2 * g * g;
      const u = round(mj / bc1);
      param[j] = pj + round(u * s);
    }
  }
}

/**
 * The fused step of Adadelta (`adadeltaUpdate`; `@nablajs/optim-adadelta` calls it through
 * `resolveKernel('adadeltaUpdate', adadeltaUpdateKernel)`), as PyTorch's `torch.optim.Adadelta`, with the
 * operations of its chain `flipIfMaximize, addWeightDecay, scaleByAdadelta, scaleByLearningRate` in their
 * order, and every value rounded to the parameter's type where the chain stores it, so float32 and float64
 * results are the chain's bit for bit. With `g` the gradient (negated when `maximize`, then plus
 * `weightDecay · p`):
 *
 * ```text
 * v ← ρ·v + (1-ρ)·g²
 * Δ ← √(a + ε) / √(v + ε) · g          (a before this step's update)
 * a ← ρ·a + (1-ρ)·Δ²
 * p ← p + Δ · (-lr)
 * ```
 *
 * `squareAvg` is `v` (PyTorch's `square_avg`), `accDelta` is `a` (`acc_delta`). Arrays are float32 or
 * float64, all of `param`'s length.
 *
 * @example
 * ```ts
 * const p = new Float64Array([1]);
 * const squareAvg = new Float64Array(1);
 * const accDelta = new Float64Array(1);
 * adadeltaUpdateKernel(p, new Float64Array([1]), squareAvg, accDelta, 1, 0.9, 1e-6, 0, false);
 * // squareAvg = [0.1], p ≈ [0.99684]: Δ = √1e-6 / √(0.1 + 1e-6) ≈ 0.00316
 * ```
 */
export function adadeltaUpdateKernel(
  param: TypedArray,
  grad: TypedArray,
  squareAvg: TypedArray,
  accDelta: TypedArray,
  lr: number,
  rho: number,
  eps: number,
  weightDecay: number,
  maximize: boolean,
): void {
  const n = param.length;
  checkLength('adadeltaUpdateKernel', 'grad', grad, n);
  checkLength('adadeltaUpdateKernel', 'squareAvg', squareAvg, n);
  checkLength('adadeltaUpdateKernel', 'accDelta', accDelta, n);
  const round = roundingOf(param);
  const sign = maximize ? -1 : 1;
  const decay = 1 - rho;
  const s = -lr;
  for (let j = 0; j < n; j++) {
    const pj = param[j];
    let g = sign * grad[j];
    if (weightDecay !== 0) g = round(g + weightDecay * pj);
    const vj = round(rho * squareAvg[j] + decay * g * g);
    squareAvg[j] = vj;
    // NOTE: eps goes inside both roots, and the old accDelta (before this step's update) is used.
    const delta = round((Math.sqrt(accDelta[j] + eps) / Math.sqrt(vj + eps)) * g);
    accDelta[j] = rho * accDelta[j] + decay * delta * delta;
    param[j] = pj + round(delta * s);
  }
}
