// WAT of the wasm backend's GELU kernels (see generate.mjs and nn.mjs, which emits them): the exact and
// the tanh form and their gradients, computed in f64x2 halves and rounded once to float32.

import { exp64, expm164, f64s, get, set, via64 } from './elementwise.mjs';

// ---- GELU ------------------------------------------------------------------------------------------

// The Mills ratio R(a) = Φ(-a)/φ(a) of a >= 0 is u · P(2u - 1) with u = 1 / (1 + MILLS_C a) and P of
// degree 14 (coefficients from scripts/wasm/fit-mills.ts: Chebyshev interpolation, relative error below
// 2e-11 on [0, 40] and R/u analytic up to a = Infinity). Then Φ(-|x|) = φ(x) R(|x|) needs one exp, which
// the gradient's density φ(x) shares.
const MILLS_C = 0.2;
const MILLS_P = [
  0.3856162094306328, 0.33357331914407573, 0.2483094124282229, 0.15718221113145564, 0.08272893889206707,
  0.03465099003988818, 0.010425146915978, 0.001500448486485458, -0.0004002176799328794, -0.00027265357357369644,
  -0.00002919809006248405, 0.000024245136487858568, 0.000007574972338867762, -0.0000014917135861954497,
  -7.982180288005717e-7,
];
const INV_SQRT_2PI = 0.3989422804014327;
const GELU_K = Math.sqrt(2 / Math.PI);
const GELU_C = 0.044715;

/**
 * Statements setting the f64x2 local `dst` to the polynomial `coefs` (lowest first, at most 16) of the
 * f64x2 local `s` by Estrin's scheme: pairs `c_2i + c_2i+1 s`, then pairs of those in s², s⁴ and s⁸,
 * a dependency chain of four multiply-adds instead of Horner's fifteen. Uses $q0..$q3 and `dst`.
 */
function estrin(coefs, s, dst) {
  const c = [...coefs, ...new Array(16 - coefs.length).fill(0)];
  const pair = (i) => `(f64x2.add ${f64s(c[i])} (f64x2.mul ${f64s(c[i + 1])} ${get(s)}))`;
  const quad = (i) => `(f64x2.add ${pair(i)} (f64x2.mul ${pair(i + 2)} ${get('q0')}))`;
  const oct = (i) => `(f64x2.add ${quad(i)} (f64x2.mul ${quad(i + 4)} ${get('q1')}))`;
  return [
    set('q0', `(f64x2.mul ${get(s)} ${get(s)})`),
    set('q1', `(f64x2.mul ${get('q0')} ${get('q0')})`),
    set('q2', `(f64x2.mul ${get('q1')} ${get('q1')})`),
    set(dst, `(f64x2.add ${oct(0)} (f64x2.mul ${oct(8)} ${get('q2')}))`),
  ].join('\n      ');
}

/**
 * Statements leaving Φ(x) in $t1 and φ(x) in $t0 for the f64x2 local `x` (uses $t2 and $q0..$q3): Φ(-|x|) = φ(x) R(|x|), and Φ(x) = 1 - Φ(-|x|) for x >= 0.
 */
function normalCdfPdf(x) {
  return [
    set('t1', `(f64x2.div ${f64s(1)} (f64x2.add ${f64s(1)} (f64x2.mul (f64x2.abs ${get(x)}) ${f64s(MILLS_C)})))`),
    set('t2', `(f64x2.sub (f64x2.add ${get('t1')} ${get('t1')}) ${f64s(1)})`),
    estrin(MILLS_P, 't2', 't2'),
    set('t1', `(f64x2.mul ${get('t1')} ${get('t2')})`),
    // NOTE: x² of a float32 value is exact in f64, so exp(-x²/2) keeps its relative precision far out.
    set('t0', `(f64x2.mul (f64x2.mul ${get(x)} ${get(x)}) ${f64s(-0.5)})`),
    exp64('t0', 't0'),
    set('t0', `(f64x2.mul ${get('t0')} ${f64s(INV_SQRT_2PI)})`),
    set('t1', `(f64x2.mul ${get('t0')} ${get('t1')})`),
    set('t1', `(v128.bitselect (f64x2.sub ${f64s(1)} ${get('t1')}) ${get('t1')} (f64x2.ge ${get(x)} ${f64s(0)}))`),
  ].join('\n      ');
}

/**
 * Statements leaving tanh(u) in $t1 for u = k (x + c x³) of the f64x2 local `x`, as the cpu kernel
 * rounds u (uses $t0, $t2 and $q0..$q3): tanh |u| = e / (e + 2) with e = expm1(2 |u|), the sign put back.
 */
function geluTanh(x) {
  return [
    set(
      't2',
      `(f64x2.mul ${f64s(GELU_K)} (f64x2.add ${get(x)} (f64x2.mul (f64x2.mul (f64x2.mul ${f64s(GELU_C)} ${get(x)}) ${get(x)}) ${get(x)})))`,
    ),
    set('t1', `(f64x2.mul (f64x2.min (f64x2.abs ${get('t2')}) ${f64s(22)}) ${f64s(2)})`),
    expm164('t1', 't1'),
    set('t1', `(f64x2.div ${get('t1')} (f64x2.add ${get('t1')} ${f64s(2)}))`),
    set('t1', `(v128.or ${get('t1')} (v128.and ${get('t2')} ${f64s(-0)}))`),
  ].join('\n      ');
}

export const GELU_MAPS = [
  // x Φ(x)
  {
    name: 'gelu',
    inputs: 1,
    body: via64(['v0'], ([x]) => ({ stmts: [normalCdfPdf(x)], expr: `(f64x2.mul ${get(x)} ${get('t1')})` })),
  },
  // g (Φ(x) + x φ(x))
  {
    name: 'gelu_backward',
    inputs: 2,
    body: via64(['v0', 'v1'], ([g, x]) => ({
      stmts: [normalCdfPdf(x)],
      expr: `(f64x2.mul ${get(g)} (f64x2.add ${get('t1')} (f64x2.mul ${get(x)} ${get('t0')})))`,
    })),
  },
  // 0.5 x (1 + t)
  {
    name: 'gelu_tanh',
    inputs: 1,
    body: via64(['v0'], ([x]) => ({
      stmts: [geluTanh(x)],
      expr: `(f64x2.mul (f64x2.mul ${f64s(0.5)} ${get(x)}) (f64x2.add ${f64s(1)} ${get('t1')}))`,
    })),
  },
  // g (0.5 (1 + t) + 0.5 x (1 - t²) k (1 + 3 c x²)), left to right as the cpu kernel
  {
    name: 'gelu_tanh_backward',
    inputs: 2,
    body: via64(['v0', 'v1'], ([g, x]) => ({
      stmts: [geluTanh(x)],
      expr: `(f64x2.mul ${get(g)} (f64x2.add (f64x2.mul ${f64s(0.5)} (f64x2.add ${f64s(1)} ${get('t1')}))
        (f64x2.mul (f64x2.mul (f64x2.mul (f64x2.mul ${f64s(0.5)} ${get(x)}) (f64x2.sub ${f64s(1)} (f64x2.mul ${get('t1')} ${get('t1')}))) ${f64s(GELU_K)})
          (f64x2.add ${f64s(1)} (f64x2.mul (f64x2.mul ${f64s(3 * GELU_C)} ${get(x)}) ${get(x)})))))`,
    })),
  },
];
