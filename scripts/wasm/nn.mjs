// WAT of the wasm backend's network kernels (see generate.mjs), float32 data computed in f64x2 halves:
// GELU (exact and tanh form) and its gradient (gelu.mjs), layer normalisation forward and backward, the
// softmax of attention scores (scale, additive bias and causal mask fused in), and a linear layer's ReLU
// gradient with its bias gradient.
//
// Layer norm and the attention softmax work on rows whose length is a multiple of 4 (the caller runs
// the cpu kernel otherwise), so every vector of a row is whole. Results follow the cpu kernels'
// arithmetic in float64 and are rounded once; sums run in four lanes (another order than the cpu's
// loops), and exp is the float64 polynomial of elementwise.mjs, so a float32 result can be 1 ulp from
// the cpu's near a rounding boundary.

import { exp64, f32s, f64s, get, joinHalves, laneSum, mapFunction, promoteHigh, SCRATCH, set } from './elementwise.mjs';
import { GELU_MAPS } from './gelu.mjs';

// ---- row loops -------------------------------------------------------------------------------------

/**
 * A loop over whole f32x4 vectors while `$j < limit` (an i32 expression): `body`, then the f32 pointer
 * locals `f32` advance by 16 bytes, the f64 ones `f64` by 32, and $j by 4.
 */
function vectors(label, limit, f32, f64, body) {
  return `
    ${set('j', '(i32.const 0)')}
    (block $${label}_done (loop $${label}
      (br_if $${label}_done (i32.ge_u ${get('j')} ${limit}))
      ${body}
      ${f32.map((p) => set(p, `(i32.add ${get(p)} (i32.const 16))`)).join(' ')}
      ${f64.map((p) => set(p, `(i32.add ${get(p)} (i32.const 32))`)).join(' ')}
      ${set('j', `(i32.add ${get('j')} (i32.const 4))`)}
      (br $${label})))`;
}

/** Statements loading the f32x4 at `$ptr` into the f64x2 locals `lo` and `hi`. */
const load64 = (ptr, lo, hi) =>
  [
    set('v', `(v128.load ${get(ptr)})`),
    set(lo, `(f64x2.promote_low_f32x4 ${get('v')})`),
    set(hi, promoteHigh(get('v'))),
  ].join(' ');

/** Add `a` and `b` (expressions) to the f64x2 accumulators `lo` and `hi`. */
const add64 = (lo, hi, a, b) => `${set(lo, `(f64x2.add ${get(lo)} ${a})`)} ${set(hi, `(f64x2.add ${get(hi)} ${b})`)}`;

/**
 * Statements setting $mean and $rstd (f64x2 splats) of the row at $x0 (n elements, $nf = n as f64):
 * the mean, then the biased variance as the mean of squared deviations, rstd = 1 / sqrt(var + eps).
 */
function rowStats() {
  return `
    ${set('x', get('x0'))} ${set('lo', f64s(0))} ${set('hi', f64s(0))}
    ${vectors('mean', get('n'), ['x'], [], [load64('x', 'a', 'c'), add64('lo', 'hi', get('a'), get('c'))].join(' '))}
    ${set('mean', `(f64x2.splat (f64.div ${laneSum('lo', 'hi')} ${get('nf')}))`)}
    ${set('x', get('x0'))} ${set('lo', f64s(0))} ${set('hi', f64s(0))}
    ${vectors(
      'var',
      get('n'),
      ['x'],
      [],
      [
        load64('x', 'a', 'c'),
        set('a', `(f64x2.sub ${get('a')} ${get('mean')})`),
        set('c', `(f64x2.sub ${get('c')} ${get('mean')})`),
        add64('lo', 'hi', `(f64x2.mul ${get('a')} ${get('a')})`, `(f64x2.mul ${get('c')} ${get('c')})`),
      ].join(' '),
    )}
    ${set('rstd', `(f64x2.splat (f64.div (f64.const 1) (f64.sqrt (f64.add (f64.div ${laneSum('lo', 'hi')} ${get('nf')}) ${get('eps')}))))`)}`;
}

/** Statements setting $xl/$xh to x̂ = (x - mean) rstd of the vector at $x. */
const xhat = () =>
  [
    load64('x', 'xl', 'xh'),
    set('xl', `(f64x2.mul (f64x2.sub ${get('xl')} ${get('mean')}) ${get('rstd')})`),
    set('xh', `(f64x2.mul (f64x2.sub ${get('xh')} ${get('mean')}) ${get('rstd')})`),
  ].join(' ');

const ROW_LOCALS = `(local $x i32) (local $j i32) (local $nf f64) (local $rowBytes i32)
    (local $v v128) (local $a v128) (local $c v128) (local $lo v128) (local $hi v128) (local $mean v128) (local $rstd v128)
    (local $xl v128) (local $xh v128)`;

/**
 * `nn_layer_norm(x, w, b, out, rows, n, eps, flags)`: each row of n (a multiple of 4) elements becomes
 * (x - mean) rstd, times w when flags & 1, plus b when flags & 2, as the cpu kernel computes it.
 *
 * `nn_layer_norm_backward(g, x, w, dx, acc, rows, n, eps, flags)`: with ĝ = g w (w when flags & 1),
 * dx = rstd ((ĝ - mean ĝ) - x̂ mean(ĝ x̂)) when flags & 2; when flags & 4 adds g x̂ to the f64 sums at
 * acc (n of them), when flags & 8 adds g to those at acc + 8n (the caller zeroes them first).
 */
function layerNormFunctions() {
  const forward = `
  (func $nn_layer_norm (export "nn_layer_norm") (param $x0 i32) (param $w0 i32) (param $b0 i32) (param $out0 i32)
    (param $rows i32) (param $n i32) (param $eps f64) (param $flags i32)
    (local $w i32) (local $b i32) (local $out i32) ${ROW_LOCALS}
    ${set('nf', `(f64.convert_i32_u ${get('n')})`)}
    ${set('rowBytes', `(i32.shl ${get('n')} (i32.const 2))`)}
    (block $rows_done (loop $row
      (br_if $rows_done (i32.eqz ${get('rows')}))
      ${rowStats()}
      ${set('x', get('x0'))} ${set('w', get('w0'))} ${set('b', get('b0'))} ${set('out', get('out0'))}
      ${vectors(
        'y',
        get('n'),
        ['x', 'w', 'b', 'out'],
        [],
        `${xhat()}
        (if (i32.and ${get('flags')} (i32.const 1)) (then
          ${load64('w', 'a', 'c')}
          ${set('xl', `(f64x2.mul ${get('xl')} ${get('a')})`)} ${set('xh', `(f64x2.mul ${get('xh')} ${get('c')})`)}))
        (if (i32.and ${get('flags')} (i32.const 2)) (then
          ${load64('b', 'a', 'c')}
          ${add64('xl', 'xh', get('a'), get('c'))}))
        (v128.store ${get('out')} ${joinHalves(get('xl'), get('xh'))})`,
      )}
      ${set('x0', `(i32.add ${get('x0')} ${get('rowBytes')})`)}
      ${set('out0', `(i32.add ${get('out0')} ${get('rowBytes')})`)}
      ${set('rows', `(i32.sub ${get('rows')} (i32.const 1))`)}
      (br $row))))`;

  // ĝ into $hl/$hh from g (in $gl/$gh) and, with a weight, the vector at $w.
  const ghat = `
        (if (i32.and ${get('flags')} (i32.const 1))
          (then ${load64('w', 'a', 'c')}
            ${set('hl', `(f64x2.mul ${get('gl')} ${get('a')})`)} ${set('hh', `(f64x2.mul ${get('gh')} ${get('c')})`)})
          (else ${set('hl', get('gl'))} ${set('hh', get('gh'))}))`;
  const backward = `
  (func $nn_layer_norm_backward (export "nn_layer_norm_backward") (param $g0 i32) (param $x0 i32) (param $w0 i32)
    (param $dx0 i32) (param $acc i32) (param $rows i32) (param $n i32) (param $eps f64) (param $flags i32)
    (local $g i32) (local $w i32) (local $dx i32) (local $aw i32) (local $ab i32) ${ROW_LOCALS}
    (local $gl v128) (local $gh v128) (local $hl v128) (local $hh v128) (local $s1l v128) (local $s1h v128)
    (local $s2l v128) (local $s2h v128) (local $m1 v128) (local $m2 v128)
    ${set('nf', `(f64.convert_i32_u ${get('n')})`)}
    ${set('rowBytes', `(i32.shl ${get('n')} (i32.const 2))`)}
    (block $rows_done (loop $row
      (br_if $rows_done (i32.eqz ${get('rows')}))
      ${rowStats()}
      ${set('x', get('x0'))} ${set('g', get('g0'))} ${set('w', get('w0'))}
      ${set('aw', get('acc'))} ${set('ab', `(i32.add ${get('acc')} (i32.shl ${get('n')} (i32.const 3)))`)}
      ${['s1l', 's1h', 's2l', 's2h'].map((s) => set(s, f64s(0))).join(' ')}
      ${vectors(
        'sums',
        get('n'),
        ['x', 'g', 'w'],
        ['aw', 'ab'],
        `${load64('g', 'gl', 'gh')}
        ${xhat()}
        ${ghat}
        ${add64('s1l', 's1h', get('hl'), get('hh'))}
        ${add64('s2l', 's2h', `(f64x2.mul ${get('hl')} ${get('xl')})`, `(f64x2.mul ${get('hh')} ${get('xh')})`)}
        (if (i32.and ${get('flags')} (i32.const 4)) (then
          (v128.store ${get('aw')} (f64x2.add (v128.load ${get('aw')}) (f64x2.mul ${get('gl')} ${get('xl')})))
          (v128.store offset=16 ${get('aw')} (f64x2.add (v128.load offset=16 ${get('aw')}) (f64x2.mul ${get('gh')} ${get('xh')})))))
        (if (i32.and ${get('flags')} (i32.const 8)) (then
          (v128.store ${get('ab')} (f64x2.add (v128.load ${get('ab')}) ${get('gl')}))
          (v128.store offset=16 ${get('ab')} (f64x2.add (v128.load offset=16 ${get('ab')}) ${get('gh')}))))`,
      )}
      (if (i32.and ${get('flags')} (i32.const 2)) (then
        ${set('m1', `(f64x2.splat (f64.div ${laneSum('s1l', 's1h')} ${get('nf')}))`)}
        ${set('m2', `(f64x2.splat (f64.div ${laneSum('s2l', 's2h')} ${get('nf')}))`)}
        ${set('x', get('x0'))} ${set('g', get('g0'))} ${set('w', get('w0'))} ${set('dx', get('dx0'))}
        ${vectors(
          'dx',
          get('n'),
          ['x', 'g', 'w', 'dx'],
          [],
          `${load64('g', 'gl', 'gh')}
          ${xhat()}
          ${ghat}
          (v128.store ${get('dx')} ${joinHalves(
            `(f64x2.mul ${get('rstd')} (f64x2.sub (f64x2.sub ${get('hl')} ${get('m1')}) (f64x2.mul ${get('xl')} ${get('m2')})))`,
            `(f64x2.mul ${get('rstd')} (f64x2.sub (f64x2.sub ${get('hh')} ${get('m1')}) (f64x2.mul ${get('xh')} ${get('m2')})))`,
          )})`,
        )}
        ${set('dx0', `(i32.add ${get('dx0')} ${get('rowBytes')})`)}))
      ${set('x0', `(i32.add ${get('x0')} ${get('rowBytes')})`)}
      ${set('g0', `(i32.add ${get('g0')} ${get('rowBytes')})`)}
      ${set('rows', `(i32.sub ${get('rows')} (i32.const 1))`)}
      (br $row))))`;
  return `${forward}\n${backward}`;
}

// ---- attention softmax -------------------------------------------------------------------------------

/**
 * `nn_attention_softmax(x, bias, out, tmp, rows, l, s, scale, flags)`: row r (query r mod l) of the
 * contiguous rows x s scores becomes softmax(scale x + bias) over its first `valid` entries and 0 past
 * them, with valid = min(query + 1, s) when flags & 2 (causal) and s otherwise; the bias (same layout)
 * is added when flags & 1. s is a multiple of 4; tmp holds s f64 values. As the cpu kernel: the scaled
 * scores, their max (NaN if any is NaN), exp(v - max) and their sum in f64, one division, rounded once.
 * `out` may be `x`.
 */
function attentionSoftmaxFunction() {
  // The scaled (and biased) scores of the vector at $x in $vl/$vh, lanes past $valid set to -Infinity;
  // the lane masks in $ml/$mh.
  const scores = `
        ${load64('x', 'vl', 'vh')}
        ${set('vl', `(f64x2.mul ${get('vl')} ${get('sc')})`)} ${set('vh', `(f64x2.mul ${get('vh')} ${get('sc')})`)}
        (if (i32.and ${get('flags')} (i32.const 1)) (then
          ${load64('bias', 'a', 'c')}
          ${set('vl', `(f64x2.add ${get('vl')} ${get('a')})`)} ${set('vh', `(f64x2.add ${get('vh')} ${get('c')})`)}))
        ${set('mask', `(i32x4.lt_s (i32x4.add (i32x4.splat ${get('j')}) (v128.const i32x4 0 1 2 3)) (i32x4.splat ${get('valid')}))`)}
        ${set('ml', `(i64x2.extend_low_i32x4_s ${get('mask')})`)} ${set('mh', `(i64x2.extend_high_i32x4_s ${get('mask')})`)}
        ${set('vl', `(v128.bitselect ${get('vl')} ${f64s(Number.NEGATIVE_INFINITY)} ${get('ml')})`)}
        ${set('vh', `(v128.bitselect ${get('vh')} ${f64s(Number.NEGATIVE_INFINITY)} ${get('mh')})`)}`;
  return `
  (func $nn_attention_softmax (export "nn_attention_softmax") (param $x0 i32) (param $bias0 i32) (param $out0 i32)
    (param $tmp i32) (param $rows i32) (param $l i32) (param $s i32) (param $scale f64) (param $flags i32)
    (local $x i32) (local $bias i32) (local $out i32) (local $t i32) (local $j i32) (local $i i32) (local $valid i32)
    (local $rowBytes i32) (local $v v128) (local $a v128) (local $c v128) (local $vl v128) (local $vh v128)
    (local $sc v128) (local $mask v128) (local $ml v128) (local $mh v128) (local $lo v128) (local $hi v128) (local $m v128)
    (local $max f64) ${SCRATCH}
    ${set('sc', `(f64x2.splat ${get('scale')})`)}
    ${set('rowBytes', `(i32.shl ${get('s')} (i32.const 2))`)}
    (block $rows_done (loop $row
      (br_if $rows_done (i32.eqz ${get('rows')}))
      ${set('valid', get('s'))}
      (if (i32.and ${get('flags')} (i32.const 2)) (then
        (if (i32.lt_u (i32.add ${get('i')} (i32.const 1)) ${get('s')}) (then ${set('valid', `(i32.add ${get('i')} (i32.const 1))`)}))))
      ;; the max of the valid scores
      ${set('x', get('x0'))} ${set('bias', get('bias0'))}
      ${set('lo', f64s(Number.NEGATIVE_INFINITY))} ${set('hi', f64s(Number.NEGATIVE_INFINITY))}
      ${vectors(
        'max',
        get('valid'),
        ['x', 'bias'],
        [],
        `${scores}
        ${set('lo', `(f64x2.max ${get('lo')} ${get('vl')})`)} ${set('hi', `(f64x2.max ${get('hi')} ${get('vh')})`)}`,
      )}
      ${set('lo', `(f64x2.max ${get('lo')} ${get('hi')})`)}
      ${set('max', `(f64.max (f64x2.extract_lane 0 ${get('lo')}) (f64x2.extract_lane 1 ${get('lo')}))`)}
      ${set('m', `(f64x2.splat ${get('max')})`)}
      ;; exp(v - max) into tmp, and their sum
      ${set('x', get('x0'))} ${set('bias', get('bias0'))} ${set('t', get('tmp'))}
      ${set('lo', f64s(0))} ${set('hi', f64s(0))}
      ${vectors(
        'exps',
        get('valid'),
        ['x', 'bias'],
        ['t'],
        `${scores}
        ${set('d0', `(f64x2.sub ${get('vl')} ${get('m')})`)}
        ${exp64('d0', 'd0')}
        ${set('d0', `(v128.and ${get('d0')} ${get('ml')})`)}
        ${set('d1', `(f64x2.sub ${get('vh')} ${get('m')})`)}
        ${exp64('d1', 'd1')}
        ${set('d1', `(v128.and ${get('d1')} ${get('mh')})`)}
        (v128.store ${get('t')} ${get('d0')})
        (v128.store offset=16 ${get('t')} ${get('d1')})
        ${add64('lo', 'hi', get('d0'), get('d1'))}`,
      )}
      ${set('m', `(f64x2.splat ${laneSum('lo', 'hi')})`)}
      ;; e / sum for the valid entries, 0 / sum past them (NaN when the sum is)
      ${set('t', get('tmp'))} ${set('out', get('out0'))}
      ${vectors(
        'div',
        get('s'),
        ['out'],
        ['t'],
        `(if (i32.lt_u ${get('j')} ${get('valid')})
          (then ${set('d0', `(v128.load ${get('t')})`)} ${set('d1', `(v128.load offset=16 ${get('t')})`)})
          (else ${set('d0', f64s(0))} ${set('d1', f64s(0))}))
        (v128.store ${get('out')} ${joinHalves(`(f64x2.div ${get('d0')} ${get('m')})`, `(f64x2.div ${get('d1')} ${get('m')})`)})`,
      )}
      ${set('x0', `(i32.add ${get('x0')} ${get('rowBytes')})`)}
      ${set('bias0', `(i32.add ${get('bias0')} ${get('rowBytes')})`)}
      ${set('out0', `(i32.add ${get('out0')} ${get('rowBytes')})`)}
      ${set('i', `(i32.add ${get('i')} (i32.const 1))`)}
      (if (i32.eq ${get('i')} ${get('l')}) (then ${set('i', '(i32.const 0)')}))
      ${set('rows', `(i32.sub ${get('rows')} (i32.const 1))`)}
      (br $row))))`;
}

// ---- ReLU's gradient and the bias gradient ---------------------------------------------------------------

/**
 * `nn_relu_backward_bias(g, y, dz, acc, rows, n)`: dz = 0 where y <= 0, else g (the threshold backward of
 * elementwise.mjs: g cleared where y <= 0, so NaN in y passes g, as in PyTorch), for the contiguous
 * rows x n arrays, n a multiple of 4; and acc[j] += dz[r, j] for every row r in order, in f64 (n doubles,
 * zeroed by the caller). One pass for a linear layer's ReLU gradient and its bias gradient, whose sums are those of
 * ew_sum_cols (f64, row after row), so their rounding to float32 is the same.
 */
function reluBackwardBiasFunction() {
  return `
  (func $nn_relu_backward_bias (export "nn_relu_backward_bias") (param $g i32) (param $y i32) (param $dz i32)
    (param $acc0 i32) (param $rows i32) (param $n i32)
    (local $j i32) (local $a i32) (local $v v128)
    (block $rows_done (loop $row
      (br_if $rows_done (i32.eqz ${get('rows')}))
      ${set('a', get('acc0'))}
      ${vectors(
        'cols',
        get('n'),
        ['g', 'y', 'dz'],
        ['a'],
        `${set('v', `(v128.andnot (v128.load ${get('g')}) (f32x4.le (v128.load ${get('y')}) ${f32s(0)}))`)}
        (v128.store ${get('dz')} ${get('v')})
        (v128.store ${get('a')} (f64x2.add (v128.load ${get('a')}) (f64x2.promote_low_f32x4 ${get('v')})))
        (v128.store offset=16 ${get('a')} (f64x2.add (v128.load offset=16 ${get('a')}) ${promoteHigh(get('v'))}))`,
      )}
      ${set('rows', `(i32.sub ${get('rows')} (i32.const 1))`)}
      (br $row))))`;
}

/** The functions of the network kernels, as WAT module fields. */
export function nnWat() {
  return [
    ...GELU_MAPS.map(mapFunction),
    layerNormFunctions(),
    attentionSoftmaxFunction(),
    reluBackwardBiasFunction(),
  ].join('\n');
}
