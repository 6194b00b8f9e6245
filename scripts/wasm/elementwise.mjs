// WAT of the wasm backend's elementwise, reduction and softmax kernels (see generate.mjs), float32 only.
//
// Conventions: pointers are byte addresses in the module's memory, counts and strides are in elements.
// Every loop runs over whole f32x4 vectors and finishes with one partial vector: the last 1-3 elements
// are loaded lane by lane, go through the same code, and only their lanes are stored back.
//
// Exactness: add, sub, mul, div, sqrt and the comparisons are exact in float32 (the cpu kernels compute
// in doubles and round once, which gives the same float32 for these operations). Anything whose cpu
// kernel rounds a double more than once (a product with a JavaScript number, `g * y * (1 - y)`, exp) is
// computed in f64x2 halves with the cpu kernel's own operations and demoted once, so it matches too; exp
// is a float64 polynomial accurate to 4e-14, so its float32 result is the cpu's (Math.exp's) except
// within 4e-14 of a rounding boundary. Likewise tanh, elu and softplus, built on this file's expm1 and
// log1p (relative error below 1.3e-13 where Math.tanh, Math.expm1 and Math.log1p have ~1e-16): their
// float32 result is the cpu's except within 1.3e-13 of a rounding boundary, where it is 1 ulp away.
// Sums accumulate in float64 as the cpu kernels do (row sums in four lanes, another order, so their
// float32 result can differ by 1 ulp in rare cases).
// max and min give the cpu kernels' bits, NaN (its payload, quieted) and the sign of a zero included.

// ---- small helpers for the text ------------------------------------------------------------------

export const get = (name) => `(local.get $${name})`;
export const set = (name, expr) => `(local.set $${name} ${expr})`;

function num(x) {
  if (Number.isNaN(x)) return 'nan';
  if (x === Number.POSITIVE_INFINITY) return 'inf';
  if (x === Number.NEGATIVE_INFINITY) return '-inf';
  return Object.is(x, -0) ? '-0' : String(x);
}
export const f32s = (x) => `(v128.const f32x4 ${num(x)} ${num(x)} ${num(x)} ${num(x)})`;
export const f64s = (x) => `(v128.const f64x2 ${num(x)} ${num(x)})`;

/** The f32x4 made of the demoted lanes of two f64x2 values (low half first). */
export const joinHalves = (lo, hi) =>
  `(i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (f32x4.demote_f64x2_zero ${lo}) (f32x4.demote_f64x2_zero ${hi}))`;
/** The two upper f32 lanes of a vector promoted to f64x2 (`f64x2.promote_low_f32x4` gives the lower two). */
export const promoteHigh = (v) =>
  `(f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 8 9 10 11 12 13 14 15 ${v} ${v}))`;

/** Locals every generated function declares (unused ones cost nothing). */
export const SCRATCH = [
  '(local $r v128) (local $t0 v128) (local $t1 v128) (local $t2 v128)',
  '(local $d0 v128) (local $d1 v128) (local $d2 v128) (local $hlo v128) (local $hhi v128)',
  '(local $q0 v128) (local $q1 v128) (local $q2 v128) (local $q3 v128)',
].join(' ');

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
function log1pUnit(u, dst) {
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
const EXP_MAX = 709.782712893384;

/**
 * `$ew_log`: the natural log of a double >= 1 (or NaN or +Infinity, returned as is), to ~1e-16:
 * s = 2^e f with f in [sqrt(1/2), sqrt(2)), log f = 2 atanh(u) with u = (f - 1) / (f + 1), |u| < 0.172,
 * by its series to u^21. Near s = 1, f - 1 is exact, so log s keeps its relative precision there.
 */
function logFunction() {
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

// ---- float64 halves ----------------------------------------------------------------------------------

/**
 * Statements that compute `dst` (f32x4) from the f32x4 locals `inputs` in two f64x2 halves: each input
 * half is promoted into $d0, $d1, ...; `body(names)` returns { stmts, expr } over those names (it may use
 * $t0..$t2 and, through exp64, $q0..$q3); the two results are demoted once and joined.
 */
export function via64(inputs, body, dst = 'r') {
  const out = [];
  for (const [half, promote] of [
    ['hlo', (v) => `(f64x2.promote_low_f32x4 ${v})`],
    ['hhi', promoteHigh],
  ]) {
    for (const [i, v] of inputs.entries()) out.push(set(`d${i}`, promote(get(v))));
    const { stmts = [], expr } = body(inputs.map((_, i) => `d${i}`));
    out.push(...stmts, set(half, expr));
  }
  out.push(set(dst, joinHalves(get('hlo'), get('hhi'))));
  return out.join('\n      ');
}

/** Statements setting $t0 to exp(-|x|) for the f64x2 local `x`: never above 1, so never overflowing. */
const expNegAbs = (x) => [set('t0', `(f64x2.neg (f64x2.abs ${get(x)}))`), exp64('t0', 't0')];

/** Where the f64x2 local `x` is >= 0 (false for NaN), as the cpu kernels' branch. */
const nonNegative = (x) => `(f64x2.ge ${get(x)} ${f64s(0)})`;

/** The statements computing the logistic function of the f64x2 local `x` into `dst` (uses $t0). */
function sigmoid64(x, dst) {
  return [
    ...expNegAbs(x),
    // NOTE: 1 / (1 + e^-x) for x >= 0 and e^x / (1 + e^x) below, as the cpu kernel, so e never overflows.
    set(
      dst,
      `(f64x2.div (v128.bitselect ${f64s(1)} ${get('t0')} ${nonNegative(x)}) (f64x2.add ${f64s(1)} ${get('t0')}))`,
    ),
  ];
}

// ---- loops -------------------------------------------------------------------------------------------

/**
 * Partial-vector statements for the last `$rem` (1-3) elements: load lanes of `ptr` into `dst`
 * (other lanes `fill`), or store lanes of `src` to `ptr`.
 */
function loadTail(ptr, dst, fill) {
  return [
    set(dst, `(v128.load32_lane 0 ${get(ptr)} ${f32s(fill)})`),
    `(if (i32.gt_u ${get('rem')} (i32.const 1)) (then ${set(dst, `(v128.load32_lane offset=4 1 ${get(ptr)} ${get(dst)})`)}))`,
    `(if (i32.gt_u ${get('rem')} (i32.const 2)) (then ${set(dst, `(v128.load32_lane offset=8 2 ${get(ptr)} ${get(dst)})`)}))`,
  ].join('\n      ');
}
function storeTail(ptr, src) {
  return [
    `(v128.store32_lane 0 ${get(ptr)} ${get(src)})`,
    `(if (i32.gt_u ${get('rem')} (i32.const 1)) (then (v128.store32_lane offset=4 1 ${get(ptr)} ${get(src)})))`,
    `(if (i32.gt_u ${get('rem')} (i32.const 2)) (then (v128.store32_lane offset=8 2 ${get(ptr)} ${get(src)})))`,
  ].join('\n      ');
}

/**
 * A loop over `$count` elements: `streams` are pointer locals advanced by one vector per step, loaded
 * into `loads[i]` (null: not loaded, e.g. an output); `step` is the code per vector (it stores its own
 * results, to `$<ptr>` for whole vectors; `tail` says how a partial vector is loaded and stored).
 * Sets $end and $rem. `fill` is the value of the lanes past the end in partial loads.
 */
function streamLoop({ streams, loads, body, store, fill = 0, label }) {
  const lead = streams[0];
  const loadAll = (partial) =>
    streams
      .map((p, i) =>
        loads[i] === null ? '' : partial ? loadTail(p, loads[i], fill) : set(loads[i], `(v128.load ${get(p)})`),
      )
      .filter(Boolean)
      .join('\n      ');
  const advance = streams.map((p) => set(p, `(i32.add ${get(p)} (i32.const 16))`)).join('\n      ');
  return `
    ${set('end', `(i32.add ${get(lead)} (i32.shl (i32.and ${get('count')} (i32.const -4)) (i32.const 2)))`)}
    (block $${label}_done (loop $${label}
      (br_if $${label}_done (i32.ge_u ${get(lead)} ${get('end')}))
      ${loadAll(false)}
      ${body}
      ${store ? store(false) : ''}
      ${advance}
      (br $${label})))
    ${set('rem', `(i32.and ${get('count')} (i32.const 3))`)}
    (if ${get('rem')} (then
      ${loadAll(true)}
      ${body}
      ${store ? store(true) : ''}))`;
}

/** Store the vector `$src` to the stream `ptr`, whole or partial. */
const storeTo = (ptr, src) => (partial) => (partial ? storeTail(ptr, src) : `(v128.store ${get(ptr)} ${get(src)})`);

export const LOOP_LOCALS = '(local $end i32) (local $rem i32) (local $count i32)';

// ---- elementwise maps over contiguous arrays ----------------------------------------------------------

/**
 * `ew_<name>(in0, ..., out, n, ...params)`: out[i] = f(in0[i], ...) for i < n. `body` returns the
 * statements computing $r from the input vectors $v0, $v1, ... (params are f64 or f32 locals, splatted
 * by `setup` before the loop into $s0, $s1, ...).
 */
export function mapFunction({ name, inputs, params = [], setup = [], body }) {
  const ins = Array.from({ length: inputs }, (_, i) => i);
  return `
  (func $ew_${name} (export "ew_${name}") ${ins.map((i) => `(param $p${i} i32)`).join(' ')} (param $out i32) (param $n i32)
    ${params.map(([p, type]) => `(param $${p} ${type})`).join(' ')}
    ${LOOP_LOCALS} ${ins.map((i) => `(local $v${i} v128)`).join(' ')} (local $s0 v128) (local $s1 v128) ${SCRATCH}
    ${set('count', get('n'))}
    ${setup.join('\n    ')}
    ${streamLoop({
      streams: ['out', ...ins.map((i) => `p${i}`)],
      loads: [null, ...ins.map((i) => `v${i}`)],
      body,
      store: storeTo('out', 'r'),
      label: 'map',
    })})`;
}

export const ZERO = f32s(0);
// Parameters shared by an activation and its gradient, splatted before the loop into $s0 (and $s1).
const SLOPE = { params: [['slope', 'f64']], setup: [set('s0', `(f64x2.splat ${get('slope')})`)] };
const BOUNDS = {
  params: [
    ['lo', 'f32'],
    ['hi', 'f32'],
  ],
  setup: [set('s0', `(f32x4.splat ${get('lo')})`), set('s1', `(f32x4.splat ${get('hi')})`)],
};
const MAPS = [
  {
    name: 'relu',
    inputs: 1,
    // NaN stays NaN, -0 becomes 0, -Infinity becomes 0 (as PyTorch and the cpu kernel).
    body: [
      set(
        'r',
        `(v128.bitselect ${get('v0')} ${ZERO} (v128.or (f32x4.gt ${get('v0')} ${ZERO}) (f32x4.ne ${get('v0')} ${get('v0')})))`,
      ),
    ].join('\n      '),
  },
  {
    name: 'leaky_relu',
    inputs: 1,
    ...SLOPE,
    body: [
      via64(['v0'], ([x]) => ({ expr: `(f64x2.mul ${get(x)} ${get('s0')})` }), 't1'),
      set('r', `(v128.bitselect ${get('v0')} ${get('t1')} (f32x4.gt ${get('v0')} ${ZERO}))`),
    ].join('\n      '),
  },
  {
    name: 'clamp',
    inputs: 1,
    ...BOUNDS,
    // f32x4.max/min order -0 below 0 and propagate NaN, as Math.max/Math.min do.
    body: set('r', `(f32x4.min (f32x4.max ${get('v0')} ${get('s0')}) ${get('s1')})`),
  },
  { name: 'neg', inputs: 1, body: set('r', `(f32x4.neg ${get('v0')})`) },
  { name: 'abs', inputs: 1, body: set('r', `(f32x4.abs ${get('v0')})`) },
  { name: 'square', inputs: 1, body: set('r', `(f32x4.mul ${get('v0')} ${get('v0')})`) },
  { name: 'sqrt', inputs: 1, body: set('r', `(f32x4.sqrt ${get('v0')})`) },
  { name: 'reciprocal', inputs: 1, body: set('r', `(f32x4.div ${f32s(1)} ${get('v0')})`) },
  {
    name: 'rsqrt',
    inputs: 1,
    body: via64(['v0'], ([x]) => ({ expr: `(f64x2.div ${f64s(1)} (f64x2.sqrt ${get(x)}))` })),
  },
  { name: 'exp', inputs: 1, body: via64(['v0'], ([x]) => ({ stmts: [exp64(x, 't0')], expr: get('t0') })) },
  { name: 'sigmoid', inputs: 1, body: via64(['v0'], ([x]) => ({ stmts: sigmoid64(x, 't1'), expr: get('t1') })) },
  {
    name: 'silu',
    inputs: 1,
    body: via64(['v0'], ([x]) => ({
      stmts: [
        ...expNegAbs(x),
        // x / (1 + e^-x) for x >= 0, x e^x / (1 + e^x) below, as the cpu kernel.
        set('t1', `(v128.bitselect ${get(x)} (f64x2.mul ${get(x)} ${get('t0')}) ${nonNegative(x)})`),
      ],
      expr: `(f64x2.div ${get('t1')} (f64x2.add ${f64s(1)} ${get('t0')}))`,
    })),
  },
  {
    name: 'tanh',
    inputs: 1,
    body: via64(['v0'], ([x]) => ({
      stmts: [
        // tanh |x| = e / (e + 2) with e = expm1(2 |x|): no cancellation for small |x|. Past 22 it is 1 in
        // double (as Math.tanh's), and clamping there keeps e finite (Infinity / Infinity would be NaN).
        set('t1', `(f64x2.mul (f64x2.min (f64x2.abs ${get(x)}) ${f64s(22)}) ${f64s(2)})`),
        expm164('t1', 't1'),
        set('t1', `(f64x2.div ${get('t1')} (f64x2.add ${get('t1')} ${f64s(2)}))`),
      ],
      // The sign of x (so -0 stays -0; NaN stays NaN whatever its sign).
      expr: `(v128.or ${get('t1')} (v128.and ${get(x)} ${f64s(-0)}))`,
    })),
  },
  {
    name: 'elu',
    inputs: 1,
    params: [['alpha', 'f64']],
    setup: [set('s0', `(f64x2.splat ${get('alpha')})`)],
    body: [
      via64(['v0'], ([x]) => ({ stmts: [expm164(x, 't0')], expr: `(f64x2.mul ${get('s0')} ${get('t0')})` }), 't1'),
      set('r', `(v128.bitselect ${get('v0')} ${get('t1')} (f32x4.gt ${get('v0')} ${ZERO}))`),
    ].join('\n      '),
  },
  {
    name: 'softplus',
    inputs: 1,
    params: [
      ['beta', 'f64'],
      ['threshold', 'f64'],
    ],
    setup: [set('s0', `(f64x2.splat ${get('beta')})`), set('s1', `(f64x2.splat ${get('threshold')})`)],
    body: via64(['v0'], ([x]) => ({
      stmts: [
        // y = x beta rounded as the cpu kernel's, so that the switch to the linear regime is the same.
        set('t1', `(f64x2.mul ${get(x)} ${get('s0')})`),
        // log(1 + e^y) = max(y, 0) + log1p(e^-|y|): e^-|y| <= 1 never overflows, and for y < 0 the small
        // result keeps its relative precision.
        ...expNegAbs('t1'),
        log1pUnit('t0', 't0'),
        set('t0', `(f64x2.add (f64x2.max ${get('t1')} ${f64s(0)}) ${get('t0')})`),
        // NOTE: where e^y overflows, the cpu kernel's log1p(Infinity) is Infinity (threshold >= 709 only).
        set(
          't0',
          `(v128.bitselect ${f64s(Number.POSITIVE_INFINITY)} ${get('t0')} (f64x2.gt ${get('t1')} ${f64s(EXP_MAX)}))`,
        ),
        set('t0', `(f64x2.div ${get('t0')} ${get('s0')})`),
      ],
      expr: `(v128.bitselect ${get(x)} ${get('t0')} (f64x2.gt ${get('t1')} ${get('s1')}))`,
    })),
  },
  {
    name: 'threshold_backward',
    inputs: 2,
    params: [['threshold', 'f32']],
    setup: [set('s0', `(f32x4.splat ${get('threshold')})`)],
    // 0 where y <= threshold, g elsewhere (NaN in y passes g, as PyTorch's threshold_backward).
    body: set('r', `(v128.andnot ${get('v0')} (f32x4.le ${get('v1')} ${get('s0')}))`),
  },
  {
    name: 'leaky_relu_backward',
    inputs: 2,
    ...SLOPE,
    body: [
      via64(['v0'], ([g]) => ({ expr: `(f64x2.mul ${get(g)} ${get('s0')})` }), 't1'),
      set('r', `(v128.bitselect ${get('v0')} ${get('t1')} (f32x4.gt ${get('v1')} ${ZERO}))`),
    ].join('\n      '),
  },
  {
    name: 'clamp_backward',
    inputs: 2,
    ...BOUNDS,
    body: set(
      'r',
      `(v128.and ${get('v0')} (v128.and (f32x4.ge ${get('v1')} ${get('s0')}) (f32x4.le ${get('v1')} ${get('s1')})))`,
    ),
  },
  {
    name: 'sigmoid_backward',
    inputs: 2,
    body: via64(['v0', 'v1'], ([g, y]) => ({
      expr: `(f64x2.mul (f64x2.mul ${get(g)} ${get(y)}) (f64x2.sub ${f64s(1)} ${get(y)}))`,
    })),
  },
  {
    name: 'tanh_backward',
    inputs: 2,
    body: via64(['v0', 'v1'], ([g, t]) => ({
      expr: `(f64x2.mul ${get(g)} (f64x2.sub ${f64s(1)} (f64x2.mul ${get(t)} ${get(t)})))`,
    })),
  },
  {
    name: 'silu_backward',
    inputs: 2,
    body: via64(['v0', 'v1'], ([g, x]) => ({
      stmts: sigmoid64(x, 't1'),
      // g s (1 + x (1 - s)), evaluated left to right as the cpu kernel.
      expr: `(f64x2.mul (f64x2.mul ${get(g)} ${get('t1')}) (f64x2.add ${f64s(1)} (f64x2.mul ${get(x)} (f64x2.sub ${f64s(1)} ${get('t1')}))))`,
    })),
  },
];

// ---- broadcasting binary ops ---------------------------------------------------------------------------

const extremum = (cmp) => (a, b) => `(v128.bitselect ${a} ${b} (v128.or (${cmp} ${a} ${b}) (f32x4.ne ${a} ${a})))`;
const BINARY = {
  add: (a, b) => `(f32x4.add ${a} ${b})`,
  sub: (a, b) => `(f32x4.sub ${a} ${b})`,
  mul: (a, b) => `(f32x4.mul ${a} ${b})`,
  div: (a, b) => `(f32x4.div ${a} ${b})`,
  // NOTE: NaN in a wins, else a if strictly larger, else b: the cpu kernel's test, so ties of -0 and 0 match.
  maximum: extremum('f32x4.gt'),
  minimum: extremum('f32x4.lt'),
};

/**
 * `ew_<op>(a, ars, acs, b, brs, bcs, out, rows, cols)`: out[r, c] = a[r ars + c acs] op b[r brs + c bcs]
 * for a contiguous rows x cols output, with acs and bcs each 0 (one value per row, splatted) or 1. Same
 * shapes, scalars, row vectors and column vectors on either side all fit.
 */
function binaryFunction(name, op) {
  const variant = (label, aVec, bVec) => {
    const streams = ['po', ...(aVec ? ['pa'] : []), ...(bVec ? ['pb'] : [])];
    const loads = [null, ...(aVec ? ['va'] : []), ...(bVec ? ['vb'] : [])];
    return [
      aVec ? '' : set('va', `(v128.load32_splat ${get('pa')})`),
      bVec ? '' : set('vb', `(v128.load32_splat ${get('pb')})`),
      streamLoop({ streams, loads, body: set('r', op(get('va'), get('vb'))), store: storeTo('po', 'r'), label }),
    ].join('\n      ');
  };
  return `
  (func $ew_${name} (export "ew_${name}") (param $a i32) (param $ars i32) (param $acs i32) (param $b i32) (param $brs i32)
    (param $bcs i32) (param $out i32) (param $rows i32) (param $cols i32)
    ${LOOP_LOCALS} (local $pa i32) (local $pb i32) (local $po i32) (local $va v128) (local $vb v128) (local $r v128)
    ${set('ars', `(i32.shl ${get('ars')} (i32.const 2))`)}
    ${set('brs', `(i32.shl ${get('brs')} (i32.const 2))`)}
    ${set('count', get('cols'))}
    (block $rows_done (loop $row
      (br_if $rows_done (i32.eqz ${get('rows')}))
      ${set('pa', get('a'))} ${set('pb', get('b'))} ${set('po', get('out'))}
      (if (i32.and ${get('acs')} ${get('bcs')})
        (then ${variant('vv', true, true)})
        (else (if ${get('acs')}
          (then ${variant('vs', true, false)})
          (else ${variant('sv', false, true)}))))
      ${set('a', `(i32.add ${get('a')} ${get('ars')})`)}
      ${set('b', `(i32.add ${get('b')} ${get('brs')})`)}
      ${set('out', `(i32.add ${get('out')} (i32.shl ${get('cols')} (i32.const 2)))`)}
      ${set('rows', `(i32.sub ${get('rows')} (i32.const 1))`)}
      (br $row))))`;
}

// ---- sums ----------------------------------------------------------------------------------------------

/** Statements adding the f32x4 local `v`, promoted, to the f64x2 accumulators `lo` and `hi`. */
const accumulate = (v, lo, hi) =>
  [
    set(lo, `(f64x2.add ${get(lo)} (f64x2.promote_low_f32x4 ${get(v)}))`),
    set(hi, `(f64x2.add ${get(hi)} ${promoteHigh(get(v))})`),
  ].join('\n      ');
/** The f64 sum of the four lanes of the f64x2 accumulators `lo` and `hi`. */
export const laneSum = (lo, hi) =>
  `(f64.add (f64x2.extract_lane 0 (f64x2.add ${get(lo)} ${get(hi)})) (f64x2.extract_lane 1 (f64x2.add ${get(lo)} ${get(hi)})))`;

/**
 * `ew_sum_rows(x, out, rows, n, divisor)`: out[r] = (sum of row r of the rows x n array x) / divisor,
 * summed in f64 (in four lanes: the order differs from the cpu kernel's in the last bits of the double).
 * `ew_sum_cols(x, out, outer, n, inner, divisor)`: out[o, j] = sum over r of x[o, r, j] / divisor, in f64
 * and in the cpu kernel's order (row after row), 16 columns at a time.
 */
function sumFunctions() {
  const block = (vectors, label) => {
    const accs = [];
    for (let v = 0; v < vectors; v++) accs.push([`a${v}l`, `a${v}h`]);
    const zero = accs.flat().map((a) => set(a, f64s(0)));
    const load = (v) => set('t0', `(v128.load offset=${v * 16} ${get('p')})`);
    const div = (lo) => `(f64x2.div ${get(lo)} ${get('dv')})`;
    return `
      (block $${label}_done (loop $${label}
        (br_if $${label}_done (i32.gt_u (i32.add ${get('j')} (i32.const ${vectors * 4})) ${get('inner')}))
        ${zero.join(' ')}
        ${set('p', `(i32.add ${get('base')} (i32.shl ${get('j')} (i32.const 2)))`)}
        ${set('r', get('n'))}
        (loop $${label}_rows
          ${accs.map(([lo, hi], v) => `${load(v)}\n          ${accumulate('t0', lo, hi)}`).join('\n          ')}
          ${set('p', `(i32.add ${get('p')} ${get('stride')})`)}
          ${set('r', `(i32.sub ${get('r')} (i32.const 1))`)}
          (br_if $${label}_rows ${get('r')}))
        ${accs
          .map(
            ([lo, hi], v) =>
              `(v128.store offset=${v * 16} (i32.add ${get('ob')} (i32.shl ${get('j')} (i32.const 2))) ${joinHalves(div(lo), div(hi))})`,
          )
          .join('\n        ')}
        ${set('j', `(i32.add ${get('j')} (i32.const ${vectors * 4}))`)}
        (br $${label})))`;
  };
  const accLocals = Array.from({ length: 4 }, (_, v) => `(local $a${v}l v128) (local $a${v}h v128)`).join(' ');
  return `
  (func $ew_sum_rows (export "ew_sum_rows") (param $x i32) (param $out i32) (param $rows i32) (param $n i32) (param $divisor f64)
    ${LOOP_LOCALS} (local $v v128) (local $lo v128) (local $hi v128)
    ${set('count', get('n'))}
    (block $done (loop $row
      (br_if $done (i32.eqz ${get('rows')}))
      ${set('lo', f64s(0))} ${set('hi', f64s(0))}
      ${streamLoop({ streams: ['x'], loads: ['v'], body: accumulate('v', 'lo', 'hi'), label: 'sum' })}
      ;; the tail advanced nothing: step x past it
      ${set('x', `(i32.add ${get('x')} (i32.shl ${get('rem')} (i32.const 2)))`)}
      (f32.store ${get('out')} (f32.demote_f64 (f64.div ${laneSum('lo', 'hi')} ${get('divisor')})))
      ${set('out', `(i32.add ${get('out')} (i32.const 4))`)}
      ${set('rows', `(i32.sub ${get('rows')} (i32.const 1))`)}
      (br $row))))

  (func $ew_sum_cols (export "ew_sum_cols") (param $x i32) (param $out i32) (param $outer i32) (param $n i32) (param $inner i32)
    (param $divisor f64)
    (local $j i32) (local $p i32) (local $r i32) (local $base i32) (local $ob i32) (local $stride i32) (local $rem i32)
    (local $t0 v128) (local $dv v128) ${accLocals}
    ${set('stride', `(i32.shl ${get('inner')} (i32.const 2))`)}
    ${set('dv', `(f64x2.splat ${get('divisor')})`)}
    ${set('base', get('x'))} ${set('ob', get('out'))}
    (block $done (loop $outer
      (br_if $done (i32.eqz ${get('outer')}))
      ${set('j', '(i32.const 0)')}
      ${block(4, 'cols16')}
      ${block(1, 'cols4')}
      ${set('rem', `(i32.sub ${get('inner')} ${get('j')})`)}
      (if ${get('rem')} (then
        ${set('a0l', f64s(0))} ${set('a0h', f64s(0))}
        ${set('p', `(i32.add ${get('base')} (i32.shl ${get('j')} (i32.const 2)))`)}
        ${set('r', get('n'))}
        (loop $tail_rows
          ${loadTail('p', 't0', 0)}
          ${accumulate('t0', 'a0l', 'a0h')}
          ${set('p', `(i32.add ${get('p')} ${get('stride')})`)}
          ${set('r', `(i32.sub ${get('r')} (i32.const 1))`)}
          (br_if $tail_rows ${get('r')}))
        ${set('p', `(i32.add ${get('ob')} (i32.shl ${get('j')} (i32.const 2)))`)}
        ${set('t0', joinHalves(`(f64x2.div ${get('a0l')} ${get('dv')})`, `(f64x2.div ${get('a0h')} ${get('dv')})`))}
        ${storeTail('p', 't0')}))
      ${set('base', `(i32.add ${get('base')} (i32.mul ${get('n')} ${get('stride')}))`)}
      ${set('ob', `(i32.add ${get('ob')} ${get('stride')})`)}
      ${set('outer', `(i32.sub ${get('outer')} (i32.const 1))`)}
      (br $outer))))`;
}

// ---- max and min -----------------------------------------------------------------------------------------

// Setting this bit of a NaN makes it quiet: the cpu kernels' float32 -> double -> float32 round trip
// does that (and keeps the payload), so a signalling NaN comes out of them quiet.
const QUIET_BIT = 0x00400000;

/**
 * `ew_<max|min>_rows(x, out, rows, n)`: out[r] = the max (min) of row r of the rows x n array x, n >= 1,
 * bit for bit the cpu kernel's. That kernel keeps the first element of the row among equal ones and
 * stops at the first NaN, so the result is the first NaN (quieted) if there is one, else the first
 * element equal to the extremum. Only ±0 are equal with different bits: the lanes run f32x4.pmax
 * (pmin), which ignores NaN and settles ties between -0 and 0 in any order, NaN is noted in a mask,
 * and a row whose result is NaN or ±0 is scanned again for its first NaN or zero (it stops there).
 *
 * `ew_<max|min>_cols(x, out, outer, n, inner)`: out[o, j] = the max (min) over r of x[o, r, j], n >= 1,
 * in the cpu kernel's order (row after row) and with its test: the new value replaces the running one
 * when it is strictly larger (smaller) or NaN, so ties keep the earlier value and the last NaN wins
 * (quieted). 16 columns at a time.
 */
function extremumFunctions(kind) {
  const isMax = kind === 'max';
  const pick = isMax ? 'f32x4.pmax' : 'f32x4.pmin';
  const beats = isMax ? 'f32x4.gt' : 'f32x4.lt';
  const fill = isMax ? Number.NEGATIVE_INFINITY : Number.POSITIVE_INFINITY;
  const fold = (acc, v) =>
    [
      set(acc, `(${pick} ${get(acc)} ${get(v)})`),
      set('nan', `(v128.or ${get('nan')} (f32x4.ne ${get(v)} ${get(v)}))`),
    ].join('\n        ');
  const both = (a, b) => `(${pick} ${a} ${b})`;
  // Scan the row from $x for the first element where `test` (on the f32 at $q) holds and store its bits.
  // There is one: the NaN or zero came from the row (past-the-end lanes hold the ±Infinity fill).
  const scan = (test, bitsExpr) => `
          ${set('q', get('x'))}
          (block $found (loop $look
            (br_if $found ${test})
            ${set('q', `(i32.add ${get('q')} (i32.const 4))`)}
            (br $look)))
          (i32.store ${get('out')} ${bitsExpr})`;
  const at = `(f32.load ${get('q')})`;
  const rows = `
  (func $ew_${kind}_rows (export "ew_${kind}_rows") (param $x i32) (param $out i32) (param $rows i32) (param $n i32)
    (local $p i32) (local $q i32) (local $end i32) (local $rem i32) (local $m f32)
    (local $v v128) (local $nan v128) (local $a0 v128) (local $a1 v128) (local $a2 v128) (local $a3 v128)
    ${set('rem', `(i32.and ${get('n')} (i32.const 3))`)}
    (block $done (loop $row
      (br_if $done (i32.eqz ${get('rows')}))
      ${['a0', 'a1', 'a2', 'a3'].map((a) => set(a, f32s(fill))).join(' ')}
      ${set('nan', '(v128.const i32x4 0 0 0 0)')}
      ${set('p', get('x'))}
      ;; four independent accumulators: one would wait for the latency of each pmax
      ${set('end', `(i32.add ${get('x')} (i32.shl (i32.and ${get('n')} (i32.const -16)) (i32.const 2)))`)}
      (block $by16_done (loop $by16
        (br_if $by16_done (i32.ge_u ${get('p')} ${get('end')}))
        ${[0, 1, 2, 3].map((k) => `${set('v', `(v128.load offset=${k * 16} ${get('p')})`)}\n        ${fold(`a${k}`, 'v')}`).join('\n        ')}
        ${set('p', `(i32.add ${get('p')} (i32.const 64))`)}
        (br $by16)))
      ${set('end', `(i32.add ${get('x')} (i32.shl (i32.and ${get('n')} (i32.const -4)) (i32.const 2)))`)}
      (block $by4_done (loop $by4
        (br_if $by4_done (i32.ge_u ${get('p')} ${get('end')}))
        ${set('v', `(v128.load ${get('p')})`)}
        ${fold('a0', 'v')}
        ${set('p', `(i32.add ${get('p')} (i32.const 16))`)}
        (br $by4)))
      (if ${get('rem')} (then
        ${loadTail('p', 'v', fill)}
        ${fold('a0', 'v')}))
      ${set('a0', both(both(get('a0'), get('a1')), both(get('a2'), get('a3'))))}
      ${set('a0', both(get('a0'), `(i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 ${get('a0')} ${get('a0')})`))}
      ${set('a0', both(get('a0'), `(i8x16.shuffle 4 5 6 7 0 1 2 3 12 13 14 15 8 9 10 11 ${get('a0')} ${get('a0')})`))}
      ${set('m', `(f32x4.extract_lane 0 ${get('a0')})`)}
      (if (v128.any_true ${get('nan')})
        (then ${scan(`(f32.ne ${at} ${at})`, `(i32.or (i32.load ${get('q')}) (i32.const ${QUIET_BIT}))`)})
        (else (if (f32.eq ${get('m')} (f32.const 0))
          (then ${scan(`(f32.eq ${at} (f32.const 0))`, `(i32.load ${get('q')})`)})
          (else (f32.store ${get('out')} ${get('m')})))))
      ${set('x', `(i32.add ${get('x')} (i32.shl ${get('n')} (i32.const 2)))`)}
      ${set('out', `(i32.add ${get('out')} (i32.const 4))`)}
      ${set('rows', `(i32.sub ${get('rows')} (i32.const 1))`)}
      (br $row))))`;

  /** Statements folding the f32x4 local `v` into the accumulator `acc` as the cpu kernel's test does. */
  const step = (acc, v) =>
    set(
      acc,
      `(v128.bitselect ${get(v)} ${get(acc)} (v128.or (${beats} ${get(v)} ${get(acc)}) (f32x4.ne ${get(v)} ${get(v)})))`,
    );
  const quiet = (acc) =>
    `(v128.or ${get(acc)} (v128.and (f32x4.ne ${get(acc)} ${get(acc)}) (v128.const i32x4 ${QUIET_BIT} ${QUIET_BIT} ${QUIET_BIT} ${QUIET_BIT})))`;
  const block = (vectors, label) => {
    const accs = Array.from({ length: vectors }, (_, v) => `a${v}`);
    return `
      (block $${label}_done (loop $${label}
        (br_if $${label}_done (i32.gt_u (i32.add ${get('j')} (i32.const ${vectors * 4})) ${get('inner')}))
        ${accs.map((a) => set(a, f32s(fill))).join(' ')}
        ${set('p', `(i32.add ${get('base')} (i32.shl ${get('j')} (i32.const 2)))`)}
        ${set('r', get('n'))}
        (loop $${label}_rows
          ${accs.map((a, v) => `${set('v', `(v128.load offset=${v * 16} ${get('p')})`)}\n          ${step(a, 'v')}`).join('\n          ')}
          ${set('p', `(i32.add ${get('p')} ${get('stride')})`)}
          ${set('r', `(i32.sub ${get('r')} (i32.const 1))`)}
          (br_if $${label}_rows ${get('r')}))
        ${accs
          .map(
            (a, v) =>
              `(v128.store offset=${v * 16} (i32.add ${get('ob')} (i32.shl ${get('j')} (i32.const 2))) ${quiet(a)})`,
          )
          .join('\n        ')}
        ${set('j', `(i32.add ${get('j')} (i32.const ${vectors * 4}))`)}
        (br $${label})))`;
  };
  const cols = `
  (func $ew_${kind}_cols (export "ew_${kind}_cols") (param $x i32) (param $out i32) (param $outer i32) (param $n i32) (param $inner i32)
    (local $j i32) (local $p i32) (local $r i32) (local $base i32) (local $ob i32) (local $stride i32) (local $rem i32)
    (local $v v128) (local $t0 v128) (local $a0 v128) (local $a1 v128) (local $a2 v128) (local $a3 v128)
    ${set('stride', `(i32.shl ${get('inner')} (i32.const 2))`)}
    ${set('base', get('x'))} ${set('ob', get('out'))}
    (block $done (loop $outer
      (br_if $done (i32.eqz ${get('outer')}))
      ${set('j', '(i32.const 0)')}
      ${block(4, 'cols16')}
      ${block(1, 'cols4')}
      ${set('rem', `(i32.sub ${get('inner')} ${get('j')})`)}
      (if ${get('rem')} (then
        ${set('a0', f32s(fill))}
        ${set('p', `(i32.add ${get('base')} (i32.shl ${get('j')} (i32.const 2)))`)}
        ${set('r', get('n'))}
        (loop $tail_rows
          ${loadTail('p', 'v', fill)}
          ${step('a0', 'v')}
          ${set('p', `(i32.add ${get('p')} ${get('stride')})`)}
          ${set('r', `(i32.sub ${get('r')} (i32.const 1))`)}
          (br_if $tail_rows ${get('r')}))
        ${set('p', `(i32.add ${get('ob')} (i32.shl ${get('j')} (i32.const 2)))`)}
        ${set('t0', quiet('a0'))}
        ${storeTail('p', 't0')}))
      ${set('base', `(i32.add ${get('base')} (i32.mul ${get('n')} ${get('stride')}))`)}
      ${set('ob', `(i32.add ${get('ob')} ${get('stride')})`)}
      ${set('outer', `(i32.sub ${get('outer')} (i32.const 1))`)}
      (br $outer))))`;
  return `${rows}\n${cols}`;
}

// ---- softmax ---------------------------------------------------------------------------------------------

/**
 * `ew_softmax(x, out, rows, n, log)`: softmax (log-softmax when `log` is 1) of each row of the contiguous
 * rows x n array, with n >= 1, as the cpu kernel computes it: m = the row max (NaN if any is NaN), e = exp(x - m)
 * in f64, s = sum of e in f64; softmax stores e as float32 and then divides it by s; log-softmax writes
 * (x - m) - log s.
 *
 * `ew_softmax_backward(g, y, out, rows, n, log)`: the VJP from the upstream gradient g and the output y:
 * y (g - sum(g y)) for softmax, g - exp(y) sum(g) for log-softmax, in f64.
 */
function softmaxFunctions() {
  const rowLoop = (inner) => `
    ${set('count', get('n'))}
    ${set('rowBytes', `(i32.shl ${get('n')} (i32.const 2))`)}
    (block $done (loop $row
      (br_if $done (i32.eqz ${get('rows')}))
      ${inner}
      ${set('rows', `(i32.sub ${get('rows')} (i32.const 1))`)}
      (br $row)))`;
  const reset = (names) => names.map((p) => set(p, get(`${p}0`))).join(' ');
  const next = (names) => names.map((p) => set(`${p}0`, `(i32.add ${get(`${p}0`)} ${get('rowBytes')})`)).join(' ');
  const locals = `${LOOP_LOCALS} (local $rowBytes i32) (local $lo v128) (local $hi v128) (local $m v128) (local $s v128)
    (local $sum f64) (local $v v128) (local $w v128) ${SCRATCH}`;
  const forward = rowLoop(`
      ;; the row max, NaN if any element is NaN (f32x4.max propagates NaN)
      ${reset(['x'])}
      ${set('m', f32s(Number.NEGATIVE_INFINITY))}
      ${streamLoop({ streams: ['x'], loads: ['v'], body: set('m', `(f32x4.max ${get('m')} ${get('v')})`), label: 'max', fill: Number.NEGATIVE_INFINITY })}
      ${set('m', `(f32x4.max ${get('m')} (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 ${get('m')} ${get('m')}))`)}
      ${set('m', `(f32x4.max ${get('m')} (i8x16.shuffle 4 5 6 7 0 1 2 3 12 13 14 15 8 9 10 11 ${get('m')} ${get('m')}))`)}
      ${set('m', `(f64x2.promote_low_f32x4 ${get('m')})`)}
      ;; s = sum of exp(x - m); softmax keeps the exps (as float32) in out
      ${reset(['x', 'out'])}
      ${set('lo', f64s(0))} ${set('hi', f64s(0))}
      ${streamLoop({
        streams: ['x', 'out'],
        loads: ['v', null],
        fill: Number.NEGATIVE_INFINITY,
        label: 'exps',
        body: [
          set('d0', `(f64x2.sub (f64x2.promote_low_f32x4 ${get('v')}) ${get('m')})`),
          exp64('d0', 'd0'),
          set('d1', `(f64x2.sub ${promoteHigh(get('v'))} ${get('m')})`),
          exp64('d1', 'd1'),
          set('lo', `(f64x2.add ${get('lo')} ${get('d0')})`),
          set('hi', `(f64x2.add ${get('hi')} ${get('d1')})`),
          set('r', joinHalves(get('d0'), get('d1'))),
        ].join('\n      '),
        store: (partial) => `(if (i32.eqz ${get('log')}) (then ${storeTo('out', 'r')(partial)}))`,
      })}
      ${set('sum', laneSum('lo', 'hi'))}
      ${reset(['x', 'out'])}
      (if ${get('log')}
        (then
          ;; (x - m) - log s
          ${set('s', `(f64x2.splat (call $ew_log ${get('sum')}))`)}
          ${streamLoop({
            streams: ['x', 'out'],
            loads: ['v', null],
            label: 'logs',
            body: via64(['v'], ([x]) => ({ expr: `(f64x2.sub (f64x2.sub ${get(x)} ${get('m')}) ${get('s')})` })),
            store: storeTo('out', 'r'),
          })})
        (else
          ;; e / s
          ${set('s', `(f64x2.splat ${get('sum')})`)}
          ${streamLoop({
            streams: ['out'],
            loads: ['v'],
            label: 'divs',
            body: via64(['v'], ([e]) => ({ expr: `(f64x2.div ${get(e)} ${get('s')})` })),
            store: storeTo('out', 'r'),
          })}))
      ${next(['x', 'out'])}`);
  const backward = rowLoop(`
      ;; s = sum(g y), or sum(g) for log-softmax
      ${reset(['g', 'y'])}
      ${set('lo', f64s(0))} ${set('hi', f64s(0))}
      ${streamLoop({
        streams: ['g', 'y'],
        loads: ['v', 'w'],
        label: 'dots',
        // NOTE: a product of two float32 values is exact in f64 (not always in f32), as in the cpu kernel.
        body: `(if ${get('log')}
        (then ${accumulate('v', 'lo', 'hi')})
        (else
        ${set('lo', `(f64x2.add ${get('lo')} (f64x2.mul (f64x2.promote_low_f32x4 ${get('v')}) (f64x2.promote_low_f32x4 ${get('w')})))`)}
        ${set('hi', `(f64x2.add ${get('hi')} (f64x2.mul ${promoteHigh(get('v'))} ${promoteHigh(get('w'))}))`)}))`,
      })}
      ${set('s', `(f64x2.splat ${laneSum('lo', 'hi')})`)}
      ${reset(['g', 'y', 'out'])}
      (if ${get('log')}
        (then
          ${streamLoop({
            streams: ['out', 'g', 'y'],
            loads: [null, 'v', 'w'],
            label: 'logvjp',
            body: via64(['v', 'w'], ([g, y]) => ({
              stmts: [exp64(y, 't0')],
              expr: `(f64x2.sub ${get(g)} (f64x2.mul ${get('t0')} ${get('s')}))`,
            })),
            store: storeTo('out', 'r'),
          })})
        (else
          ${streamLoop({
            streams: ['out', 'g', 'y'],
            loads: [null, 'v', 'w'],
            label: 'vjp',
            body: via64(['v', 'w'], ([g, y]) => ({
              expr: `(f64x2.mul ${get(y)} (f64x2.sub ${get(g)} ${get('s')}))`,
            })),
            store: storeTo('out', 'r'),
          })}))
      ${next(['g', 'y', 'out'])}`);
  return `
  (func $ew_softmax (export "ew_softmax") (param $x0 i32) (param $out0 i32) (param $rows i32) (param $n i32) (param $log i32)
    (local $x i32) (local $out i32) ${locals}
    ${forward})

  (func $ew_softmax_backward (export "ew_softmax_backward") (param $g0 i32) (param $y0 i32) (param $out0 i32) (param $rows i32)
    (param $n i32) (param $log i32)
    (local $g i32) (local $y i32) (local $out i32) ${locals}
    ${backward})`;
}

/** The functions of the elementwise kernels, as WAT module fields. */
export function elementwiseWat() {
  return [
    logFunction(),
    ...MAPS.map(mapFunction),
    ...Object.entries(BINARY).map(([name, op]) => binaryFunction(name, op)),
    sumFunctions(),
    extremumFunctions('max'),
    extremumFunctions('min'),
    softmaxFunctions(),
  ].join('\n');
}
