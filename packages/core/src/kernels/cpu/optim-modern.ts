// The fused steps of the modern optimizers (Lion, AdEMAMix, Schedule-Free, Adan, LAMB, cautious AdamW): each
// runs its optimizer's chain of update blocks in one kernel, rounding where the chain stores a value. The
// classic ones (SGD, Adam, RMSprop, Adagrad) are in ./optim.ts.

import type { TypedArray } from '../../dtype';
import { checkLength } from './optim';
import { roundingOf } from './rounding';

/**
 * The fused step of Lion (`lionUpdate`; `@nablajs/optim-lion` calls it through
 * `resolveKernel('lionUpdate', lionUpdateKernel)`), with the operations of its chain
 * `flipIfMaximize, scaleByLion, addDecoupledWeightDecay, scaleByLearningRate` in their order, and the
 * update rounded to the parameter's type where the chain stores it, so float64 results are the chain's
 * bit for bit. With `g` the gradient (negated when `maximize`):
 *
 * ```text
 * u ← sign(β₁·m + (1-β₁)·g)
 * m ← β₂·m + (1-β₂)·g
 * u ← u + weightDecay · p          (when weightDecay ≠ 0)
 * p ← p + u · (-lr)
 * ```
 *
 * @example
 * ```ts
 * const p = new Float32Array([1, 2]);
 * lionUpdateKernel(p, new Float32Array([0.5, -0.5]), new Float32Array(2), 0.1, 0.9, 0.99, 0, false);
 * // p ≈ [0.9, 2.1]: every element moves by lr
 * ```
 */
export function lionUpdateKernel(
  param: TypedArray,
  grad: TypedArray,
  m: TypedArray,
  lr: number,
  beta1: number,
  beta2: number,
  weightDecay: number,
  maximize: boolean,
): void {
  const n = param.length;
  checkLength('lionUpdateKernel', 'grad', grad, n);
  checkLength('lionUpdateKernel', 'm', m, n);
  const round = roundingOf(param);
  const sign = maximize ? -1 : 1;
  const c1 = 1 - beta1;
  const c2 = 1 - beta2;
  const s = -lr;
  for (let j = 0; j < n; j++) {
    const g = sign * grad[j];
    let u = Math.sign(beta1 * m[j] + c1 * g);
    m[j] = beta2 * m[j] + c2 * g;
    if (weightDecay !== 0) u = round(u + weightDecay * param[j]);
    param[j] = param[j] + round(u * s);
  }
}

/**
 * The fused step of AdEMAMix (`ademamixUpdate`; `@nablajs/optim-ademamix` calls it through
 * `resolveKernel('ademamixUpdate', ademamixUpdateKernel)` with the step's scalars: the bias corrections
 * `bc1 = 1-β₁ᵗ` and `bc2Sqrt = √(1-β₂ᵗ)`, and the warmed-up `alpha` and `beta3`), with the operations of
 * its chain `scaleByAdemamix, addDecoupledWeightDecay, scaleByLearningRate` in their order and the update
 * rounded where the chain stores it, so results are the chain's bit for bit. With `g` the gradient:
 *
 * ```text
 * m1 ← β₁·m1 + (1-β₁)·g             (m1 null: the fast term is g itself)
 * m2 ← β₃·m2 + (1-β₃)·g
 * ν  ← β₂·ν + (1-β₂)·g²
 * u  ← (m1 / bc1 + α·m2) / (√ν / bc2Sqrt + ε) + weightDecay·p
 * p  ← p + u · (-lr)
 * ```
 *
 * @example
 * ```ts
 * const p = new Float32Array([1]);
 * ademamixUpdateKernel(p, new Float32Array([0.5]), new Float32Array(1), new Float32Array(1), new Float32Array(1),
 *   0.9, 0.999, 0.9999, 5, 0.1, Math.sqrt(0.001), 1e-8, 1e-3, 0);
 * ```
 */
export function ademamixUpdateKernel(
  param: TypedArray,
  grad: TypedArray,
  m1: TypedArray | null,
  m2: TypedArray,
  nu: TypedArray,
  beta1: number,
  beta2: number,
  beta3: number,
  alpha: number,
  bc1: number,
  bc2Sqrt: number,
  eps: number,
  lr: number,
  weightDecay: number,
): void {
  const n = param.length;
  for (const [name, a] of [
    ['grad', grad],
    ['m1', m1],
    ['m2', m2],
    ['nu', nu],
  ] as const)
    checkLength('ademamixUpdateKernel', name, a, n);
  const round = roundingOf(param);
  const s = -lr;
  for (let j = 0; j < n; j++) {
    const g = grad[j];
    let fast = g;
    if (m1 !== null) {
      m1[j] = beta1 * m1[j] + (1 - beta1) * g;
      fast = m1[j];
    }
    m2[j] = beta3 * m2[j] + (1 - beta3) * g;
    nu[j] = beta2 * nu[j] + (1 - beta2) * g * g;
    const denom = Math.sqrt(nu[j]) / bc2Sqrt + eps;
    let u = round((fast / bc1 + alpha * m2[j]) / denom);
    if (weightDecay !== 0) u = round(u + weightDecay * param[j]);
    param[j] = param[j] + round(u * s);
  }
}

/**
 * `torch.lerp(a, b, w)` as PyTorch's CPU kernel computes it: `a + w(b − a)` for `w < 0.5`, else
 * `b − (b − a)(1 − w)`, so that `w = 1` gives `b` exactly.
 */
function lerp(a: number, b: number, w: number): number {
  return w < 0.5 ? a + w * (b - a) : b - (b - a) * (1 - w);
}

/**
 * The fused step of Schedule-Free SGD and AdamW (`scheduleFreeUpdate`; `@nablajs/optim-schedulefree`
 * calls it through `resolveKernel('scheduleFreeUpdate', scheduleFreeUpdateKernel)` with the group's
 * scalars of the step: the warmed-up `lr` (γ), the averaging weight `c` and `coef = γ·(β(1 − c) − 1)`,
 * and for AdamW the bias corrections `bc2 = 1 − β₂ᵏ` and `bc1 = 1 − μᵏ`). It runs the operations of the
 * chains `addWeightDecay, scheduleFree` (SGD: `v` null) and `scaleByScheduleFreeAdam,
 * addDecoupledWeightDecay, scheduleFree` (AdamW) in their order, with the update rounded to the
 * parameter's type where the chains store it, so results are the chains' bit for bit. With `y` the
 * parameter and `g` the gradient:
 *
 * ```text
 * d = g                                          (SGD)
 * v ← β₂·v + (1-β₂)·g²;  d = g / (√(v/bc2) + ε)      (AdamW, m null: no inner momentum)
 * m ← μ·m + (1-μ)·g;     d = m / bc1 / (√(v/bc2) + ε)  (AdamW with inner momentum μ)
 * d ← d + weightDecay·y                          (when weightDecay ≠ 0)
 * y ← lerp(y, z, c) + coef·d;   z ← z − γ·d
 * ```
 *
 * @example
 * ```ts
 * const y = new Float32Array([1, 2]);
 * const z = y.slice(); // z starts as a copy of the parameter
 * scheduleFreeUpdateKernel(y, new Float32Array([0.5, -0.5]), z, null, null, 0.1, 1, 0.1 * (0.9 * 0 - 1), 0, 0, 1, 0, 0, 1);
 * ```
 */
export function scheduleFreeUpdateKernel(
  param: TypedArray,
  grad: TypedArray,
  z: TypedArray,
  v: TypedArray | null,
  m: TypedArray | null,
  lr: number,
  c: number,
  coef: number,
  weightDecay: number,
  beta2: number,
  bc2: number,
  eps: number,
  innerMomentum: number,
  bc1: number,
): void {
  const n = param.length;
  for (const [name, a] of [
    ['grad', grad],
    ['z', z],
    ['v', v],
    ['m', m],
  ] as const)
    checkLength('scheduleFreeUpdateKernel', name, a, n);
  const round = roundingOf(param);
  const mu = innerMomentum;
  for (let j = 0; j < n; j++) {
    const y = param[j];
    let d = grad[j];
    if (v !== null) {
      const g = d;
      v[j] = v[j] * beta2 + (1 - beta2) * g * g;
      if (m === null) d = round(g / (Math.sqrt(v[j] / bc2) + eps));
      else {
        m[j] = m[j] * mu + (1 - mu) * g;
        d = round(m[j] / bc1 / (Math.sqrt(v[j] / bc2) + eps));
      }
    }
    if (weightDecay !== 0) d = round(d + weightDecay * y);
    const zj = z[j];
    const next = lerp(y, zj, c) + coef * d;
    z[j] = zj - lr * d;
    param[j] = y + round(next - y);
  }
}

/**
 * The fused step of Adan (`adanUpdate`; `@nablajs/optim-adan` calls it through
 * `resolveKernel('adanUpdate', adanUpdateKernel)` with the parameter's scalars of the step: `invBc1 =
 * 1/(1-β₁ᵗ)`, `diffScale = β₂/(1-β₂ᵗ)`, `bc3Sqrt = √(1-β₃ᵗ)` and the proximal `shrink = 1/(1 + lr·λ)`, or 1
 * with `noProx`), with the operations of its chain `scaleByAdan, addProximalWeightDecay,
 * scaleByLearningRate` in their order (without gradient clipping) and the update rounded where the chain
 * stores it, so results are the chain's bit for bit. With `g` the gradient and `g'` the previous one:
 *
 * ```text
 * d = g − g';  m ← β₁·m + (1-β₁)·g;  v ← β₂·v + (1-β₂)·d;  n ← β₃·n + (1-β₃)·(g + β₂·d)²
 * u = (m / (√n / bc3Sqrt + ε))·invBc1 + (v / (√n / bc3Sqrt + ε))·diffScale;  g' ← g
 * u ← (u + λ·p)·shrink            (when λ ≠ 0; without the factor when shrink = 1)
 * p ← p + u·(−lr)
 * ```
 *
 * @example
 * ```ts
 * const p = new Float32Array([1]);
 * const g = new Float32Array([0.5]);
 * adanUpdateKernel(p, g, new Float32Array(1), new Float32Array(1), new Float32Array(1), g.slice(),
 *   0.98, 0.92, 0.99, 1 / 0.02, 0.92 / 0.08, Math.sqrt(0.01), 1e-8, 0, 1, 1e-3);
 * ```
 */
export function adanUpdateKernel(
  param: TypedArray,
  grad: TypedArray,
  m: TypedArray,
  v: TypedArray,
  n: TypedArray,
  prev: TypedArray,
  beta1: number,
  beta2: number,
  beta3: number,
  invBc1: number,
  diffScale: number,
  bc3Sqrt: number,
  eps: number,
  weightDecay: number,
  shrink: number,
  lr: number,
): void {
  const size = param.length;
  for (const [name, a] of [
    ['grad', grad],
    ['m', m],
    ['v', v],
    ['n', n],
    ['prev', prev],
  ] as const)
    checkLength('adanUpdateKernel', name, a, size);
  const round = roundingOf(param);
  const s = -lr;
  for (let j = 0; j < size; j++) {
    const g = grad[j];
    const d = g - prev[j];
    m[j] = beta1 * m[j] + (1 - beta1) * g;
    v[j] = beta2 * v[j] + (1 - beta2) * d;
    const nesterov = d * beta2 + g;
    n[j] = beta3 * n[j] + (1 - beta3) * nesterov * nesterov;
    const denom = Math.sqrt(n[j]) / bc3Sqrt + eps;
    let u = round((m[j] / denom) * invBc1 + (v[j] / denom) * diffScale);
    prev[j] = g;
    if (weightDecay !== 0)
      u = shrink === 1 ? round(u + weightDecay * param[j]) : round((u + weightDecay * param[j]) * shrink);
    param[j] = param[j] + round(u * s);
  }
}

/**
 * The fused step of LAMB (`lambUpdate`; `@nablajs/optim-lamb` calls it through
 * `resolveKernel('lambUpdate', lambUpdateKernel)` with the step's bias corrections, or 1 without them),
 * with the operations of its chain `scaleByAdam, addDecoupledWeightDecay, scaleByTrustRatio,
 * scaleByLearningRate` in their order and the update rounded where the chain stores it, so results are the
 * chain's bit for bit. `u` is scratch of the parameter's size and type (it holds the direction). With `g`
 * the gradient:
 *
 * ```text
 * m ← β₁·m + (1-β₁)·g;  v ← β₂·v + (1-β₂)·g²
 * u = (m·invBc1) / (√v·invBc2Sqrt + ε) + λ·p          (the decay when λ ≠ 0)
 * r = ‖p‖ / ‖u‖  (1 when either norm is 0; at most 1 with trustClip)
 * p ← p + (r·u)·(−lr)
 * ```
 *
 * @example
 * ```ts
 * const p = new Float32Array([1, 2]);
 * lambUpdateKernel(p, new Float32Array([0.5, -0.5]), new Float32Array(2), new Float32Array(2), new Float32Array(2),
 *   0.9, 0.999, 1 / 0.1, 1 / Math.sqrt(0.001), 1e-6, 0, false, 1e-3);
 * ```
 */
export function lambUpdateKernel(
  param: TypedArray,
  grad: TypedArray,
  m: TypedArray,
  v: TypedArray,
  u: TypedArray,
  beta1: number,
  beta2: number,
  invBc1: number,
  invBc2Sqrt: number,
  eps: number,
  weightDecay: number,
  trustClip: boolean,
  lr: number,
): void {
  const n = param.length;
  for (const [name, a] of [
    ['grad', grad],
    ['m', m],
    ['v', v],
    ['u', u],
  ] as const)
    checkLength('lambUpdateKernel', name, a, n);
  const round = roundingOf(param);
  let pSq = 0;
  let uSq = 0;
  for (let j = 0; j < n; j++) {
    const g = grad[j];
    m[j] = beta1 * m[j] + (1 - beta1) * g;
    v[j] = beta2 * v[j] + (1 - beta2) * g * g;
    let uj = round((m[j] * invBc1) / (Math.sqrt(v[j]) * invBc2Sqrt + eps));
    if (weightDecay !== 0) uj = round(uj + weightDecay * param[j]);
    u[j] = uj;
    pSq += param[j] * param[j];
    uSq += uj * uj;
  }
  const pNorm = Math.sqrt(pSq);
  const uNorm = Math.sqrt(uSq);
  let ratio = pNorm > 0 && uNorm > 0 ? pNorm / uNorm : 1;
  if (trustClip && ratio > 1) ratio = 1;
  const s = -lr;
  for (let j = 0; j < n; j++) {
    const uj = ratio === 1 ? u[j] : round(u[j] * ratio);
    param[j] = param[j] + round(uj * s);
  }
}

/**
 * The fused step of cautious AdamW (`cautiousAdamwUpdate`; `@nablajs/optim-adam` calls it through
 * `resolveKernel('cautiousAdamwUpdate', cautiousAdamwUpdateKernel)` with the step's `stepScale =
 * √(1-β₂ᵗ)/(1-β₁ᵗ)`, or 1 without bias correction), with the operations of its chain `scaleByEfficientAdam,
 * cautious, addDecoupledWeightDecay, scaleByLearningRate` in their order and the update rounded where the
 * chain stores it, so results are the chain's bit for bit. `u` is scratch of the parameter's size and type.
 * With `g` the gradient:
 *
 * ```text
 * m ← β₁·m + (1-β₁)·g;  v ← β₂·v + (1-β₂)·g²;  u = m / (√v + ε) · stepScale
 * k = #{j : u_j·g_j > 0};  u_j ← u_j / max(k/n, 0.001) where u_j·g_j > 0, else 0
 * p ← p + (u + λ·p)·(−lr)
 * ```
 *
 * @example
 * ```ts
 * const p = new Float32Array([1, 2]);
 * cautiousAdamwUpdateKernel(p, new Float32Array([0.5, -0.5]), new Float32Array(2), new Float32Array(2),
 *   new Float32Array(2), 0.9, 0.999, Math.sqrt(0.001) / 0.1, 1e-6, 0, 1e-3);
 * ```
 */
export function cautiousAdamwUpdateKernel(
  param: TypedArray,
  grad: TypedArray,
  m: TypedArray,
  v: TypedArray,
  u: TypedArray,
  beta1: number,
  beta2: number,
  stepScale: number,
  eps: number,
  weightDecay: number,
  lr: number,
): void {
  const n = param.length;
  for (const [name, a] of [
    ['grad', grad],
    ['m', m],
    ['v', v],
    ['u', u],
  ] as const)
    checkLength('cautiousAdamwUpdateKernel', name, a, n);
  const round = roundingOf(param);
  const agrees = (a: number, b: number) => (a > 0 && b > 0) || (a < 0 && b < 0);
  let kept = 0;
  for (let j = 0; j < n; j++) {
    const g = grad[j];
    m[j] = beta1 * m[j] + (1 - beta1) * g;
    v[j] = beta2 * v[j] + (1 - beta2) * g * g;
    u[j] = (m[j] / (Math.sqrt(v[j]) + eps)) * stepScale;
    if (agrees(u[j], g)) kept++;
  }
  const scale = 1 / Math.max(kept / n, 1e-3);
  const s = -lr;
  for (let j = 0; j < n; j++) {
    let uj = agrees(u[j], grad[j]) ? round(u[j] * scale) : round(u[j] * 0);
    if (weightDecay !== 0) uj = round(uj + weightDecay * param[j]);
    param[j] = param[j] + round(uj * s);
  }
}
