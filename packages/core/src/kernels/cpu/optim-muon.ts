// The elementwise parts of Muon's fused step (`@nablajs/optim-muon`): the momentum that gives the direction
// Newton-Schulz orthogonalises, the update with the orthogonalised matrix, and the AdamW fallback of the
// parameters that are not matrices. Each computes in doubles and rounds where Muon's chain of update blocks
// stores a value, so the fused step is the chain's bit for bit.

import type { TypedArray } from '../../dtype';
import { checkLength } from './optim';
import { roundingOf } from './rounding';

/** PyTorch's `lerp(start, end, weight)`: `start + w·(end - start)` for |w| < 0.5, else `end - (end - start)·(1 - w)`. */
function lerp(start: number, end: number, weight: number): number {
  return Math.abs(weight) < 0.5 ? start + weight * (end - start) : end - (end - start) * (1 - weight);
}

/**
 * Muon's momentum (`muonMomentum`): `B ← lerp(B, g, 1-μ)` in place of the buffer, then the direction
 * Newton-Schulz orthogonalises, `lerp(g, B, μ)` (Nesterov, from the unrounded `B`) or `B`, into `direction`.
 *
 * @example
 * ```ts
 * const buf = new Float32Array(2);
 * const dir = new Float32Array(2);
 * muonMomentumKernel(new Float32Array([1, -2]), buf, dir, 0.95, true); // buf = [0.05, -0.1], dir ≈ [0.0975, -0.195]
 * ```
 */
export function muonMomentumKernel(
  grad: TypedArray,
  buf: TypedArray,
  direction: TypedArray,
  momentum: number,
  nesterov: boolean,
): void {
  const n = grad.length;
  checkLength('muonMomentumKernel', 'buf', buf, n);
  checkLength('muonMomentumKernel', 'direction', direction, n);
  const keep = 1 - momentum;
  for (let j = 0; j < n; j++) {
    const g = grad[j];
    const b = lerp(buf[j], g, keep);
    buf[j] = b;
    direction[j] = nesterov ? lerp(g, b, momentum) : b;
  }
}

/**
 * Muon's update with the orthogonalised direction `o` (`muonUpdate`): `u = -decay·p - step·o` rounded to the
 * parameter's type, then `p ← p + u`, where `decay = lr·weightDecay` and `step = lr·scale` (the shape scaling
 * of `adjustLrFn`).
 *
 * @example
 * ```ts
 * const p = new Float32Array([1, 1]);
 * muonUpdateKernel(p, new Float32Array([0.5, -0.5]), 0.01, 0.1); // p = [0.94, 1.04]
 * ```
 */
export function muonUpdateKernel(param: TypedArray, o: TypedArray, decay: number, step: number): void {
  const n = param.length;
  checkLength('muonUpdateKernel', 'o', o, n);
  const round = roundingOf(param);
  for (let j = 0; j < n; j++) {
    const u = decay === 0 ? round(-step * o[j]) : round(-decay * param[j] - step * o[j]);
    param[j] = param[j] + u;
  }
}

/**
 * The AdamW fallback of Muon for parameters that are not matrices (`muonAdamwUpdate`), as Keller Jordan's
 * `adam_update` with decoupled decay: `m ← lerp(m, g, 1-β₁)`, `v ← lerp(v, g², 1-β₂)`,
 * `u = -decay·p - lr·(m/bc1)/(√(v/bc2) + eps)` rounded to the parameter's type, `p ← p + u`, where `bc1 = 1-β₁ᵗ`,
 * `bc2 = 1-β₂ᵗ` and `decay = lr·weightDecay`.
 *
 * @example
 * ```ts
 * const p = new Float32Array([1]);
 * muonAdamwUpdateKernel(p, new Float32Array([2]), new Float32Array(1), new Float32Array(1), 0.1, 0.9, 0.95, 1e-10, 0, 0.1, 0.05);
 * // p ≈ [0.9]: the first step moves by lr
 * ```
 */
export function muonAdamwUpdateKernel(
  param: TypedArray,
  grad: TypedArray,
  m: TypedArray,
  v: TypedArray,
  lr: number,
  beta1: number,
  beta2: number,
  eps: number,
  decay: number,
  bc1: number,
  bc2: number,
): void {
  const n = param.length;
  checkLength('muonAdamwUpdateKernel', 'grad', grad, n);
  checkLength('muonAdamwUpdateKernel', 'm', m, n);
  checkLength('muonAdamwUpdateKernel', 'v', v, n);
  const round = roundingOf(param);
  for (let j = 0; j < n; j++) {
    const g = grad[j];
    m[j] = lerp(m[j], g, 1 - beta1);
    v[j] = lerp(v[j], g * g, 1 - beta2);
    const direction = m[j] / bc1 / (Math.sqrt(v[j] / bc2) + eps);
    const u = round(decay === 0 ? -lr * direction : -decay * param[j] - lr * direction);
    param[j] = param[j] + u;
  }
}
