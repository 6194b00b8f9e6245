// Prodigy's elementwise kernels, internal to the package.
import type { TypedArray } from '@nablajs/core';

// The kernels follow the reference's PyTorch ops one by one, rounding where they
// round: in float32 every op rounds to float32 (a Float32Array store rounds; Math.fround rounds the
// intermediate results and the scalars, which PyTorch converts to float32), and `add_(x, alpha=a)` and
// `addcmul_` are fused multiply-adds (PyTorch's CPU kernels use FMA). The early estimates of d divide by
// the displacement x₀ - x, a few steps of size d0·lr: an ulp of difference in x is a visible change in d.

const SPLIT = 134217729; // 2^27 + 1, Veltkamp's splitter for doubles

/** `a·b + c` rounded once (a fused multiply-add) in double precision, by Dekker's and Knuth's error-free transformations. */
export function fma64(a: number, b: number, c: number): number {
  const p = a * b;
  const s = p + c;
  if (!Number.isFinite(s)) return s;
  const ta = SPLIT * a;
  const ah = ta - (ta - a);
  const al = a - ah;
  const tb = SPLIT * b;
  const bh = tb - (tb - b);
  const bl = b - bh;
  const pe = ah * bh - p + ah * bl + al * bh + al * bl;
  const bb = s - p;
  const se = p - (s - bb) + (c - bb);
  const r = s + (se + pe);
  return Number.isNaN(r) ? s : r;
}

/** `g ← g + a·x`, PyTorch's `g.add_(x, alpha=a)` (the reference's L2 decay). */
export function axpy(g: TypedArray, a: number, x: TypedArray): void {
  if (g instanceof Float32Array) {
    const af = Math.fround(a);
    for (let j = 0; j < g.length; j++) g[j] = af * x[j] + g[j];
  } else for (let j = 0; j < g.length; j++) g[j] = fma64(a, x[j], g[j]);
}

/**
 * `x ← decay·x + alpha·g` on every `stride`-th entry of `g` (`x` holds those entries), PyTorch's
 * `x.mul_(decay).add_(g, alpha=alpha)`. Returns `‖x‖₁` (the reference's `x.abs().sum()`).
 */
export function ema(x: TypedArray, decay: number, alpha: number, g: TypedArray, stride: number): number {
  let norm = 0;
  if (x instanceof Float32Array) {
    const df = Math.fround(decay);
    const af = Math.fround(alpha);
    for (let jj = 0, j = 0; jj < x.length; jj++, j += stride) {
      x[jj] = af * g[j] + Math.fround(x[jj] * df);
      norm += Math.abs(x[jj]);
    }
  } else
    for (let jj = 0, j = 0; jj < x.length; jj++, j += stride) {
      x[jj] = fma64(alpha, g[j], x[jj] * decay);
      norm += Math.abs(x[jj]);
    }
  return norm;
}

/** `v ← decay·v + alpha·g²`, PyTorch's `v.mul_(decay).addcmul_(g, g, value=alpha)` (`fma(alpha·g, g, ·)`). */
export function emaOfSquares(v: TypedArray, decay: number, alpha: number, g: TypedArray): void {
  if (v instanceof Float32Array) {
    const df = Math.fround(decay);
    const af = Math.fround(alpha);
    for (let j = 0; j < v.length; j++) v[j] = Math.fround(af * g[j]) * g[j] + Math.fround(v[j] * df);
  } else for (let j = 0; j < v.length; j++) v[j] = fma64(alpha * g[j], g[j], v[j] * decay);
}

/**
 * The step as the update `u = p₂ - p`, where the reference computes, in place, `p₁ = p + a·p` (its
 * decoupled decay, `a = -weightDecay·d·lr·bc`, skipped when `a` is 0) and then
 * `p₂ = p₁ + (c·m)/(√v + dEps)` (`addcdiv_`). Without decay `u` is that quotient itself.
 */
export function adamStep(
  u: TypedArray,
  p: TypedArray,
  m: TypedArray,
  v: TypedArray,
  c: number,
  dEps: number,
  a: number,
): void {
  if (u instanceof Float32Array) {
    const cf = Math.fround(c);
    const ef = Math.fround(dEps);
    const af = Math.fround(a);
    for (let j = 0; j < u.length; j++) {
      const step = Math.fround(Math.fround(cf * m[j]) / Math.fround(Math.fround(Math.sqrt(v[j])) + ef));
      const pj = p[j];
      // NOTE: p₂ and p are float32 values a small step apart, so u = p₂ - p is exact and p + u lands on p₂.
      u[j] = a === 0 ? step : Math.fround(Math.fround(af * pj + pj) + step) - pj;
    }
  } else
    for (let j = 0; j < u.length; j++) {
      const step = (c * m[j]) / (Math.sqrt(v[j]) + dEps);
      const pj = p[j];
      u[j] = a === 0 ? step : fma64(a, pj, pj) + step - pj;
    }
}
