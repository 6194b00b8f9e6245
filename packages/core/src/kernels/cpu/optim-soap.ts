// The elementwise parts of SOAP's step (Vyas et al. 2024), as kernels: Adam in the eigenbasis, the EMA of
// a Kronecker factor, and the move of the parameter. `@nablajs/optim-soap`'s rule calls the first two in
// JavaScript; its fused step, which runs where the values live on the GPU (webgpu), calls all three through
// `resolveKernel`, with the rotations as matmuls and the refresh of the bases (QR, eigh) as host tasks.
// Each value is computed in doubles and rounded once where it is stored, as the rule's loops do.

import type { TypedArray } from '../../dtype';
import { checkLength } from './optim';

/**
 * Adam's moments of the projected gradient `g` and their ratio (`soapAdam`):
 * `m ← β₁·m + (1-β₁)·g`, `v ← β₂·v + (1-β₂)·g²`, `ratio = m/(√v + ε)`.
 *
 * @example
 * ```ts
 * const [m, v, ratio] = [new Float32Array(2), new Float32Array(2), new Float32Array(2)];
 * soapAdamKernel(new Float32Array([0.5, -1]), m, v, ratio, 0.95, 0.95, 1e-8);
 * ```
 */
export function soapAdamKernel(
  g: TypedArray,
  m: TypedArray,
  v: TypedArray,
  ratio: TypedArray,
  beta1: number,
  beta2: number,
  eps: number,
): void {
  const n = g.length;
  for (const [name, a] of [
    ['m', m],
    ['v', v],
    ['ratio', ratio],
  ] as const)
    checkLength('soapAdamKernel', name, a, n, 'g');
  for (let j = 0; j < n; j++) {
    const gj = g[j];
    m[j] = m[j] * beta1 + (1 - beta1) * gj;
    v[j] = v[j] * beta2 + (1 - beta2) * (gj * gj);
    ratio[j] = m[j] / (Math.sqrt(v[j]) + eps);
  }
}

/**
 * `x ← lerp(x, end, w)` with PyTorch's formula (`soapLerp`; its two branches by `|w| < 0.5` round
 * differently): the EMA of a Kronecker factor, `GG ← βₛ·GG + (1-βₛ)·G Gᵀ` with `w = 1 - βₛ`.
 *
 * @example
 * ```ts
 * const gg = new Float32Array([1, 0, 0, 1]);
 * soapLerpKernel(gg, new Float32Array([2, 1, 1, 2]), 0.05); // gg = [1.05, 0.05, 0.05, 1.05]
 * ```
 */
export function soapLerpKernel(x: TypedArray, end: TypedArray, w: number): void {
  checkLength('soapLerpKernel', 'end', end, x.length, 'x');
  if (Math.abs(w) < 0.5) for (let j = 0; j < x.length; j++) x[j] = x[j] + w * (end[j] - x[j]);
  else for (let j = 0; j < x.length; j++) x[j] = end[j] - (end[j] - x[j]) * (1 - w);
}

/**
 * The move of a SOAP step (`soapApply`): `p₁ = p - stepSize·direction`, then `p ← p₁ + decay·p₁` (the
 * decoupled weight decay, `decay = -lr·weightDecay`; skipped when `decay` is 0).
 *
 * @example
 * ```ts
 * const p = new Float32Array([1, 2]);
 * soapApplyKernel(p, new Float32Array([0.5, -0.5]), 0.1, -0.001); // p ≈ [0.949, 2.048]
 * ```
 */
export function soapApplyKernel(param: TypedArray, direction: TypedArray, stepSize: number, decay: number): void {
  checkLength('soapApplyKernel', 'direction', direction, param.length);
  for (let j = 0; j < param.length; j++) {
    const p1 = param[j] - stepSize * direction[j];
    param[j] = decay !== 0 ? p1 + decay * p1 : p1;
  }
}
