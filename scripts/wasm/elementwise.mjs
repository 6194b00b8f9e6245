// WAT of the wasm backend's elementwise kernels (see generate.mjs), float32 only: the unary maps
// (activations and their gradients, neg, sqrt, exp, ...) and the broadcasting binary ops, here; the
// reductions (sums, max, min) in reduce.mjs and softmax in softmax.mjs, which elementwiseWat collects
// too. The text helpers and loop skeletons are in wat.mjs, exp, expm1, log1p and log in math64.mjs.
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
// within 4e-14 of a rounding boundary. Likewise tanh, elu and softplus, built on math64.mjs's expm1 and
// log1p (relative error below 1.3e-13 where Math.tanh, Math.expm1 and Math.log1p have ~1e-16): their
// float32 result is the cpu's except within 1.3e-13 of a rounding boundary, where it is 1 ulp away.
// Sums accumulate in float64 as the cpu kernels do (row sums in four lanes, another order, so their
// float32 result can differ by 1 ulp in rare cases).
// max and min give the cpu kernels' bits, NaN (its payload, quieted) and the sign of a zero included.

import { EXP_MAX, exp64, expm164, expNegAbs, log1pUnit, logFunction, nonNegative, sigmoid64 } from './math64.mjs';
import { extremumFunctions, sumFunctions } from './reduce.mjs';
import { softmaxFunctions } from './softmax.mjs';
import { f32s, f64s, get, LOOP_LOCALS, SCRATCH, set, storeTo, streamLoop, via64 } from './wat.mjs';

// The helpers the other generators (nn.mjs, gelu.mjs, conv.mjs, pool.mjs) take from this file.
export { exp64, expm164 } from './math64.mjs';
export { laneSum } from './reduce.mjs';
export { f32s, f64s, get, joinHalves, LOOP_LOCALS, promoteHigh, SCRATCH, set, via64 } from './wat.mjs';

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
