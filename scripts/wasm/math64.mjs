// Float64 math for the wasm backend's WAT generators: exp, expm1, log1p and log, and the logistic
// function built on them, over f64x2 locals (see elementwise.mjs for how exact their results are).
//
// exp is a float64 polynomial accurate to 4e-14; expm1 and log1p (relative error below 1.3e-13 where
// Math.expm1 and Math.log1p have ~1e-16) are what tanh, elu and softplus are built on.

import { f64s, get, num, set } from './wat.mjs';

// ---- exp in float64 --------------------------------------------------------------------------------

// ln 2 split so that k * LN2_HI is exact for |k| < 2^21 (the low 32 bits of its mantissa are zero).
const LN2_HI = (() => {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, Math.LN2);
  view.setUint32(4, 0);
  return view.getFloat64(0);
})();
const LN2_LO = Math.LN2 - LN2_HI;
// Adding 1.5 * 2^52 rounds to an integer and leaves it in the low bits of the mantissa.
const ROUNDER = 6755399441055744;
// exp(x) is +Infinity above EXP_HI and 0 below EXP_LO (for float32 results: both far beyond its range),
// which also keeps k = round(x / ln 2) within the normal exponents of 2^k.
const EXP_HI = 709;
const EXP_LO = -708;
// exp(r) = 1 + r q(r) on |r| <= ln2/2, with q the degree-8 interpolant of (e^r - 1) / r at the Chebyshev
// nodes of that interval (computed once with Math.expm1 in doubles; relative error of 1 + r q below 4e-14,
// and exp(0) = 1 exactly).
const EXP_Q = [
  1.0000000000000002, 0.4999999999979802, 0.16666666666649146, 0.0416666668909206, 0.008333333353340007,
  0.0013888821682150427, 0.00019841209287387227, 0.000024876162393177163, 0.0000027624869300813203,
];

/**
 * Statements reducing the f64x2 local `src` for exp and expm1, using the scratch locals $q0..$q3:
 * x = k ln2 + r with |r| <= ln2/2, leaving r in $q2, q(r) in $q3 (exp(r) = 1 + r q(r), q evaluated by
 * Estrin's scheme: pairs, then r^2, r^4, r^8, a short dependency chain) and 2^k, built in the exponent
 * bits, in $q0.
 */
function expReduce(src) {
  const r = get('q2');
  const pair = (i) => `(f64x2.add ${f64s(EXP_Q[i])} (f64x2.mul ${f64s(EXP_Q[i + 1])} ${r}))`;
  // $q1 holds r^2, then r^4.
  const q03 = `(f64x2.add ${pair(0)} (f64x2.mul ${pair(2)} ${get('q1')}))`;
  const q47 = `(f64x2.add ${pair(4)} (f64x2.mul ${pair(6)} ${get('q1')}))`;
  return [
    set('q0', `(f64x2.add (f64x2.mul ${get(src)} ${f64s(Math.LOG2E)}) ${f64s(ROUNDER)})`),
    set('q1', `(f64x2.sub ${get('q0')} ${f64s(ROUNDER)})`),
    set(
      'q2',
      `(f64x2.sub (f64x2.sub ${get(src)} (f64x2.mul ${get('q1')} ${f64s(LN2_HI)})) (f64x2.mul ${get('q1')} ${f64s(LN2_LO)}))`,
    ),
    set('q0', `(i64x2.shl (i64x2.add ${get('q0')} (v128.const i64x2 1023 1023)) (i32.const 52))`),
    set('q1', `(f64x2.mul ${r} ${r})`),
    set('q3', `(f64x2.add ${q03} (f64x2.mul ${q47} (f64x2.mul ${get('q1')} ${get('q1')})))`),
    set('q1', `(f64x2.mul ${get('q1')} ${get('q1')})`),
    set('q3', `(f64x2.add ${get('q3')} (f64x2.mul ${f64s(EXP_Q[8])} (f64x2.mul ${get('q1')} ${get('q1')})))`),
  ];
}

/**
 * Statements setting the f64x2 local `dst` to exp of the f64x2 local `src` (`dst` may be `src`), using
 * the scratch locals $q0..$q3: 2^k (1 + r q(r)) from {@link expReduce}. NaN stays NaN; above EXP_HI it
 * is +Infinity, below EXP_LO 0.
 */
export function exp64(src, dst) {
  return [
    ...expReduce(src),
    set('q3', `(f64x2.mul (f64x2.add ${f64s(1)} (f64x2.mul ${get('q2')} ${get('q3')})) ${get('q0')})`),
    set('q3', `(v128.bitselect ${f64s(Number.POSITIVE_INFINITY)} ${get('q3')} (f64x2.gt ${get(src)} ${f64s(EXP_HI)}))`),
    set(dst, `(v128.andnot ${get('q3')} (f64x2.lt ${get(src)} ${f64s(EXP_LO)}))`),
  ].join('\n      ');
}

// Below this |x|, x + x^2/2 (one rounding that counts) is expm1(x) rounded as Math.expm1 rounds it,
// except within 2^-54 relative of a tie: x itself where Math.expm1 gives x.
const EXPM1_SMALL = 2 ** -27;

/**
 * Statements setting the f64x2 local `dst` to exp(x) - 1 of the f64x2 local `src` (`dst` may be `src`),
 * using the scratch locals $q0..$q3, to ~1.3e-13 relative: (2^k - 1) + 2^k r q(r) from
 * {@link expReduce}. Both terms are exact or rounded once and, with |r| <= ln2/2, cancel by at most a
 * factor 2.5 (k = 1, r = -ln2/2), so small x keeps its relative precision where 2^k (1 + r q) - 1 would
 * lose it all. NaN stays NaN, -0 stays -0; above EXP_HI it is +Infinity, below EXP_LO -1.
 */
export function expm164(src, dst) {
  return [
    ...expReduce(src),
    set(
      'q3',
      `(f64x2.add (f64x2.sub ${get('q0')} ${f64s(1)}) (f64x2.mul ${get('q0')} (f64x2.mul ${get('q2')} ${get('q3')})))`,
    ),
    set('q3', `(v128.bitselect ${f64s(Number.POSITIVE_INFINITY)} ${get('q3')} (f64x2.gt ${get(src)} ${f64s(EXP_HI)}))`),
    set('q3', `(v128.bitselect ${f64s(-1)} ${get('q3')} (f64x2.lt ${get(src)} ${f64s(EXP_LO)}))`),
    // NOTE: q(0) is 1 + 2^-52, not 1: r q(r) would turn Math.expm1's exact x into a neighbour, and
    // alpha x exactly halfway between two float32 values (elu with alpha = 2.5, say) would round the
    // other way. x + x^2/2 has the sign of x there but for x = -0 (it gives +0): the sign bit is put back.
    set(
      dst,
      `(v128.bitselect (v128.or (f64x2.add ${get(src)} (f64x2.mul (f64x2.mul ${get(src)} ${get(src)}) ${f64s(0.5)})) (v128.and ${get(src)} ${f64s(-0)})) ${get('q3')} (f64x2.lt (f64x2.abs ${get(src)}) ${f64s(EXPM1_SMALL)}))`,
    ),
  ].join('\n      ');
}

// log1p(u) = 2 atanh(s) with s = u / (2 + u) = s P(s^2), P(w) = sum of 2 w^i / (2i + 1): for u in [0, 1],
// s <= 1/3 and the terms past i = 15 are below 2e-17 of the sum.
const LOG1P_P = Array.from({ length: 16 }, (_, i) => 2 / (2 * i + 1));

/**
 * Statements setting the f64x2 local `dst` to log(1 + u) for the f64x2 local `u` in [0, 1] (to ~1e-16
 * relative, tiny u included: s is u rounded twice, never a difference), using $t2, $q0 and $q1. P runs
 * as two Horner chains in w^2 (even and odd terms), half as long as one.
 */
export function log1pUnit(u, dst) {
  const chain = (first) => {
    let p = f64s(LOG1P_P[LOG1P_P.length - 2 + first]);
    for (let i = LOG1P_P.length - 4 + first; i >= 0; i -= 2)
      p = `(f64x2.add (f64x2.mul ${p} ${get('q1')}) ${f64s(LOG1P_P[i])})`;
    return p;
  };
  return [
    set('t2', `(f64x2.div ${get(u)} (f64x2.add ${f64s(2)} ${get(u)}))`),
    set('q0', `(f64x2.mul ${get('t2')} ${get('t2')})`),
    set('q1', `(f64x2.mul ${get('q0')} ${get('q0')})`),
    set(dst, `(f64x2.mul ${get('t2')} (f64x2.add ${chain(0)} (f64x2.mul ${get('q0')} ${chain(1)})))`),
  ].join('\n      ');
}

// The largest double whose Math.exp is finite: the cpu's softplus is log1p(Infinity) = Infinity above it.
export const EXP_MAX = 709.782712893384;

/**
 * `$ew_log`: the natural log of a double >= 1 (or NaN or +Infinity, returned as is), to ~1e-16:
 * s = 2^e f with f in [sqrt(1/2), sqrt(2)), log f = 2 atanh(u) with u = (f - 1) / (f + 1), |u| < 0.172,
 * by its series to u^21. Near s = 1, f - 1 is exact, so log s keeps its relative precision there.
 */
export function logFunction() {
  const TERMS = 11;
  let poly = `(f64.const ${num(2 / (2 * TERMS - 1))})`;
  for (let i = TERMS - 2; i >= 0; i--)
    poly = `(f64.add (f64.mul ${poly} ${get('u2')}) (f64.const ${num(2 / (2 * i + 1))}))`;
  return `
  (func $ew_log (param $s f64) (result f64)
    (local $bits i64) (local $e f64) (local $f f64) (local $u f64) (local $u2 f64)
    (if (i32.or (f64.ne ${get('s')} ${get('s')}) (f64.eq ${get('s')} (f64.const inf))) (then (return ${get('s')})))
    ${set('bits', `(i64.reinterpret_f64 ${get('s')})`)}
    ${set('e', `(f64.convert_i64_s (i64.sub (i64.shr_u ${get('bits')} (i64.const 52)) (i64.const 1023)))`)}
    ${set('f', `(f64.reinterpret_i64 (i64.or (i64.and ${get('bits')} (i64.const 0x000fffffffffffff)) (i64.const 0x3ff0000000000000)))`)}
    (if (f64.gt ${get('f')} (f64.const ${num(Math.SQRT2)})) (then
      ${set('f', `(f64.mul ${get('f')} (f64.const 0.5))`)}
      ${set('e', `(f64.add ${get('e')} (f64.const 1))`)}))
    ${set('u', `(f64.div (f64.sub ${get('f')} (f64.const 1)) (f64.add ${get('f')} (f64.const 1)))`)}
    ${set('u2', `(f64.mul ${get('u')} ${get('u')})`)}
    (f64.add (f64.mul ${get('e')} (f64.const ${num(LN2_HI)}))
      (f64.add (f64.mul ${get('u')} ${poly}) (f64.mul ${get('e')} (f64.const ${num(LN2_LO)})))))`;
}

// ---- the logistic function in float64 -------------------------------------------------------------

/** Statements setting $t0 to exp(-|x|) for the f64x2 local `x`: never above 1, so never overflowing. */
export const expNegAbs = (x) => [set('t0', `(f64x2.neg (f64x2.abs ${get(x)}))`), exp64('t0', 't0')];

/** Where the f64x2 local `x` is >= 0 (false for NaN), as the cpu kernels' branch. */
export const nonNegative = (x) => `(f64x2.ge ${get(x)} ${f64s(0)})`;

/** The statements computing the logistic function of the f64x2 local `x` into `dst` (uses $t0). */
export function sigmoid64(x, dst) {
  return [
    ...expNegAbs(x),
    // NOTE: 1 / (1 + e^-x) for x >= 0 and e^x / (1 + e^x) below, as the cpu kernel, so e never overflows.
    set(
      dst,
      `(f64x2.div (v128.bitselect ${f64s(1)} ${get('t0')} ${nonNegative(x)}) (f64x2.add ${f64s(1)} ${get('t0')}))`,
    ),
  ];
}
