// WAT of the wasm backend's convolution and pooling kernels (see generate.mjs), on float32 data:
//
// - conv_im2col unfolds a run of samples into one column matrix [channels·kH·kW, samples·outH·outW],
//   so that a convolution of the whole run is one product (which the threads can share), and
//   conv_col2im folds such a matrix back, adding each entry onto the pixel it came from;
// - conv_permute moves blocks of contiguous floats between the product's [outChannels, samples·P]
//   layout and the tensors' [samples, outChannels, P] one (adding the bias on the way out);
// - pool_max and pool_max_scatter (pool.mjs) are max pooling (the maximum of each window and its argmax)
//   and its gradient.
//
// Every value is copied or added once, in the cpu kernels' order (kernels/cpu/conv2d.ts and pool2d.ts):
// col2im adds a pixel's contributions in the same order, so its sums round the same way.

import { get, set } from './elementwise.mjs';
import { poolWat } from './pool.mjs';

export const i32 = (x) => `(i32.const ${x})`;
export const add = (a, b) => `(i32.add ${a} ${b})`;
export const mul = (a, b) => `(i32.mul ${a} ${b})`;
export const inc = (name, by = i32(1)) => set(name, add(get(name), by));
/** Byte address of element `index` (an i32 expression) of the f32 array at the pointer local `base`. */
export const at = (base, index) => add(get(base), `(i32.shl ${index} (i32.const 2))`);

/** A counted loop: `name` from `start` (0 by default) while below `limit` (i32 expressions). */
export function loop(name, limit, body, start = i32(0)) {
  return `
    ${set(name, start)}
    (block $${name}_done (loop $${name}_loop
      (br_if $${name}_done (i32.ge_s ${get(name)} ${limit}))
      ${body}
      ${inc(name)}
      (br $${name}_loop)))`;
}

/**
 * A loop over f32 elements `[from, to)` of a row: 4 at a time with `vector(i)` (unless it is null), then one
 * at a time with `scalar(i)` (unless it is null: the loop then stops at the last whole vector, $i there).
 */
function rowLoop(label, from, to, vector, scalar) {
  const vectors =
    vector === null
      ? ''
      : `
    (block $${label}_v_done (loop $${label}_v
      (br_if $${label}_v_done (i32.gt_s ${add(get('i'), i32(4))} ${to}))
      ${vector(get('i'))}
      ${inc('i', i32(4))}
      (br $${label}_v)))`;
  const scalars =
    scalar === null
      ? ''
      : `
    (block $${label}_s_done (loop $${label}_s
      (br_if $${label}_s_done (i32.ge_s ${get('i')} ${to}))
      ${scalar(get('i'))}
      ${inc('i')}
      (br $${label}_s)))`;
  return `
    ${set('i', from)}${vectors}${scalars}`;
}

// The parameters of the column matrix functions: the input run (x: the first sample's first channel,
// xSample elements between samples), the column matrix (J elements a row) and the geometry.
const COLUMN_PARAMS = `(param $x i32) (param $cols i32) (param $nb i32) (param $channels i32)
    (param $H i32) (param $W i32) (param $kH i32) (param $kW i32) (param $sH i32) (param $sW i32)
    (param $pH i32) (param $pW i32) (param $dH i32) (param $dW i32) (param $outH i32) (param $outW i32)
    (param $xSample i32) (param $J i32)`;
const COLUMN_LOCALS = `(local $c i32) (local $ki i32) (local $kj i32) (local $s i32) (local $oy i32) (local $i i32)
    (local $row i32) (local $P i32) (local $offY i32) (local $offX i32) (local $iy i32) (local $x0 i32) (local $x1 i32)
    (local $plane i32) (local $d i32) (local $src i32) (local $span i32) (local $y0 i32) (local $y1 i32) (local $lo i32)
    (local $hi i32) (local $e i32)`;

/**
 * The loops shared by im2col and col2im: for every row (c, ki, kj) of the column matrix, sample s and
 * output row oy whose input row iy is inside the image, `inside` runs with $src the byte address of
 * input pixel (iy, offX) (the tap's column offset; only columns [x0, x1) of the output row read inside
 * the image) and $d that of the output row's first column entry; `outside` runs for the other rows.
 */
function columnLoops(inside, outside, block = null) {
  const rows = loop(
    'oy',
    get('outH'),
    `${set('iy', add(mul(get('oy'), get('sH')), get('offY')))}
              (if (i32.and (i32.ge_s ${get('iy')} ${i32(0)}) (i32.lt_s ${get('iy')} ${get('H')}))
                (then
                  ${set('src', add(at('plane', add(mul(get('s'), get('xSample')), mul(get('iy'), get('W')))), `(i32.shl ${get('offX')} (i32.const 2))`))}
                  ${inside})
                (else ${outside}))
              ${set('d', at('d', get('outW')))}`,
  );
  return `
    ${set('P', mul(get('outH'), get('outW')))}
    ${set('row', i32(0))}
    ${loop(
      'c',
      get('channels'),
      `${set('plane', at('x', mul(mul(get('c'), get('H')), get('W'))))}
      ${loop(
        'ki',
        get('kH'),
        `${set('offY', `(i32.sub ${mul(get('ki'), get('dH'))} ${get('pH')})`)}
        ${loop(
          'kj',
          get('kW'),
          `${set('offX', `(i32.sub ${mul(get('kj'), get('dW'))} ${get('pW')})`)}
          ;; x0: the first output column with offX + ox·sW >= 0; x1: one past the last with it < W
          ${set(
            'x0',
            `(if (result i32) (i32.ge_s ${get('offX')} ${i32(0)}) (then ${i32(0)})
            (else (i32.div_u ${add(`(i32.sub ${i32(0)} ${get('offX')})`, `(i32.sub ${get('sW')} ${i32(1)})`)} ${get('sW')})))`,
          )}
          ${set('x1', `(i32.add (i32.div_u (i32.sub (i32.sub ${get('W')} ${i32(1)}) ${get('offX')}) ${get('sW')}) ${i32(1)})`)}
          (if (i32.gt_s ${get('x1')} ${get('outW')}) (then ${set('x1', get('outW'))}))
          (if (i32.le_s (i32.sub ${get('W')} ${get('offX')}) ${i32(0)}) (then ${set('x1', i32(0))}))
          ${set('x0', `(select ${get('x0')} ${get('x1')} (i32.lt_s ${get('x0')} ${get('x1')}))`)}
          ${loop(
            's',
            get('nb'),
            `${set('d', at('cols', add(mul(get('row'), get('J')), mul(get('s'), get('P')))))}
            ${block === null ? rows : `(if ${get('span')} (then ${block}) (else ${rows}))`}`,
          )}
          ${inc('row')}`,
        )}`,
      )}`,
    )}`;
}

/** Zero the f32 elements [from, to) of the row at $d. */
const zeroRow = (label, from, to) =>
  rowLoop(
    label,
    from,
    to,
    (i) => `(v128.store ${at('d', i)} (v128.const i32x4 0 0 0 0))`,
    (i) => `(f32.store ${at('d', i)} (f32.const 0))`,
  );

/**
 * `conv_im2col(x, cols, nb, channels, H, W, kH, kW, sH, sW, pH, pW, dH, dW, outH, outW, xSample, J)`:
 * row (c·kH + ki)·kW + kj of `cols` (J elements a row) holds, at column s·outH·outW + oy·outW + ox, the
 * pixel (oy·sH + ki·dH - pH, ox·sW + kj·dW - pW) of channel c of sample s, or 0 in the padding.
 */
function im2colFunction() {
  const copy4 = (i) => `(v128.store ${at('d', i)} (v128.load ${at('src', i)}))`;
  const copy = `
    ${zeroRow('zl', i32(0), get('x0'))}
    (if (i32.eq ${get('sW')} ${i32(1)})
      (then
        (if (i32.ge_s (i32.sub ${get('x1')} ${get('x0')}) ${i32(4)})
          (then
            ${rowLoop('cp', get('x0'), get('x1'), copy4, null)}
            ;; the rest as one vector ending at x1, over entries already copied (the same values)
            (if (i32.lt_s ${get('i')} ${get('x1')}) (then ${copy4(`(i32.sub ${get('x1')} ${i32(4)})`)})))
          (else ${rowLoop('c1', get('x0'), get('x1'), null, (i) => `(f32.store ${at('d', i)} (f32.load ${at('src', i)}))`)})))
      (else ${rowLoop(
        'cs',
        get('x0'),
        get('x1'),
        null,
        (i) => `(f32.store ${at('d', i)} (f32.load ${at('src', mul(i, get('sW')))}))`,
      )}))
    ${zeroRow('zr', get('x1'), get('outW'))}`;
  // With stride 1 and as many output columns as input columns ("same" padding), the input rows a block
  // reads follow each other in memory as its output rows do: one copy of the whole span (the entries
  // that wrap around from the neighbouring rows are the padding columns, zeroed after).
  const block = `
    ${set('y0', `(select (i32.sub ${i32(0)} ${get('offY')}) ${i32(0)} (i32.lt_s ${get('offY')} ${i32(0)}))`)}
    ${set('y1', `(i32.sub ${get('H')} ${get('offY')})`)}
    (if (i32.gt_s ${get('y1')} ${get('outH')}) (then ${set('y1', get('outH'))}))
    (if (i32.lt_s ${get('y1')} ${get('y0')}) (then ${set('y1', get('y0'))}))
    ${zeroRow('zt', i32(0), mul(get('y0'), get('outW')))}
    ${zeroRow('zb', mul(get('y1'), get('outW')), get('P'))}
    ;; the span: input elements (y0 + offY)·W + offX + [0, (y1 - y0)·W), clipped to the plane
    ${set('e', add(mul(add(get('y0'), get('offY')), get('W')), get('offX')))}
    ${set('lo', `(select (i32.sub ${i32(0)} ${get('e')}) ${i32(0)} (i32.lt_s ${get('e')} ${i32(0)}))`)}
    ${set('hi', mul(`(i32.sub ${get('y1')} ${get('y0')})`, get('W')))}
    (if (i32.gt_s ${add(get('e'), get('hi'))} ${mul(get('H'), get('W'))})
      (then ${set('hi', `(i32.sub ${mul(get('H'), get('W'))} ${get('e')})`)}))
    ${set('src', at('plane', add(mul(get('s'), get('xSample')), get('e'))))}
    ${set('d', at('d', mul(get('y0'), get('outW'))))}
    (if (i32.ge_s (i32.sub ${get('hi')} ${get('lo')}) ${i32(4)})
      (then
        ${rowLoop('sp', get('lo'), get('hi'), copy4, null)}
        (if (i32.lt_s ${get('i')} ${get('hi')}) (then ${copy4(`(i32.sub ${get('hi')} ${i32(4)})`)})))
      (else ${rowLoop('s1', get('lo'), get('hi'), null, (i) => `(f32.store ${at('d', i)} (f32.load ${at('src', i)}))`)}))
    ;; the padding columns of every copied row, and the span's clipped ends (which are among them)
    ${set('oy', get('y0'))}
    (block $edges_done (loop $edges
      (br_if $edges_done (i32.ge_s ${get('oy')} ${get('y1')}))
      ${zeroRow('el', i32(0), get('x0'))}
      ${zeroRow('er', get('x1'), get('outW'))}
      ${set('d', at('d', get('outW')))}
      ${inc('oy')}
      (br $edges)))`;
  return `
  (func $conv_im2col (export "conv_im2col") ${COLUMN_PARAMS}
    ${COLUMN_LOCALS}
    ${set('span', `(i32.and (i32.and (i32.eq ${get('sW')} ${i32(1)}) (i32.eq ${get('sH')} ${i32(1)})) (i32.eq ${get('W')} ${get('outW')}))`)}
    ${columnLoops(copy, zeroRow('zo', i32(0), get('outW')), block)})`;
}

/**
 * `conv_col2im(cols, x, ...)` with the parameters of conv_im2col: the adjoint, adding every entry of
 * `cols` onto the pixel conv_im2col read it from (padding entries are dropped). Rows are added in order,
 * so each pixel sums its contributions in the cpu kernel's order.
 */
function col2imFunction() {
  const accumulate = `
    (if (i32.eq ${get('sW')} ${i32(1)})
      (then ${rowLoop(
        'ap',
        get('x0'),
        get('x1'),
        (i) => `(v128.store ${at('src', i)} (f32x4.add (v128.load ${at('src', i)}) (v128.load ${at('d', i)})))`,
        (i) => `(f32.store ${at('src', i)} (f32.add (f32.load ${at('src', i)}) (f32.load ${at('d', i)})))`,
      )})
      (else ${rowLoop(
        'as',
        get('x0'),
        get('x1'),
        null,
        (i) =>
          `(f32.store ${at('src', mul(i, get('sW')))} (f32.add (f32.load ${at('src', mul(i, get('sW')))}) (f32.load ${at('d', i)})))`,
      )}))`;
  // The same loops with the roles of x and cols swapped: $d walks the column matrix, $src the image.
  return `
  (func $conv_col2im (export "conv_col2im") ${COLUMN_PARAMS.replace('(param $x i32) (param $cols i32)', '(param $cols i32) (param $x i32)')}
    ${COLUMN_LOCALS}
    ${columnLoops(accumulate, '')})`;
}

/**
 * `conv_permute(src, dst, bias, A, B, P, sA, sB, dA, dB)`: for a < A and b < B, the P floats at element
 * a·sA + b·sB of `src` go to a·dA + b·dB of `dst`, plus bias[a] when `bias` is not 0.
 */
function permuteFunction() {
  return `
  (func $conv_permute (export "conv_permute") (param $src i32) (param $dst i32) (param $bias i32) (param $A i32)
    (param $B i32) (param $P i32) (param $sA i32) (param $sB i32) (param $dA i32) (param $dB i32)
    (local $a i32) (local $b i32) (local $i i32) (local $s i32) (local $d i32) (local $bv f32) (local $bvec v128)
    ${loop(
      'a',
      get('A'),
      `${set('bv', `(if (result f32) ${get('bias')} (then (f32.load ${at('bias', get('a'))})) (else (f32.const 0)))`)}
      ${set('bvec', `(f32x4.splat ${get('bv')})`)}
      ${loop(
        'b',
        get('B'),
        `${set('s', at('src', add(mul(get('a'), get('sA')), mul(get('b'), get('sB')))))}
        ${set('d', at('dst', add(mul(get('a'), get('dA')), mul(get('b'), get('dB')))))}
        (if ${get('bias')}
          (then ${rowLoop(
            'pb',
            i32(0),
            get('P'),
            (i) => `(v128.store ${at('d', i)} (f32x4.add (v128.load ${at('s', i)}) ${get('bvec')}))`,
            (i) => `(f32.store ${at('d', i)} (f32.add (f32.load ${at('s', i)}) ${get('bv')}))`,
          )})
          (else ${rowLoop(
            'pc',
            i32(0),
            get('P'),
            (i) => `(v128.store ${at('d', i)} (v128.load ${at('s', i)}))`,
            (i) => `(f32.store ${at('d', i)} (f32.load ${at('s', i)}))`,
          )}))`,
      )}`,
    )})`;
}

/**
 * `ew_sum_mid(x, out, A, C, B, divisor)`: out[c] = (sum over a < A, b < B of x[a, c, b]) / divisor, the sum
 * of every axis but a middle one (a convolution's bias gradient: `sum(grad, [0, 2, 3])`), in f64 and in the
 * cpu kernel's order (a then b, one chain per channel), so its float32 results are the cpu kernel's to the
 * bit: the chains of 4 channels run side by side in two f64x2 accumulators, then one channel at a time.
 */
function sumMidFunction() {
  // The f32 at byte address `ptr` promoted, as the lane of an f64x2 (lane 1 replaced by `second`).
  const pair = (first, second) =>
    `(f64x2.replace_lane 1 (f64x2.splat (f64.promote_f32 (f32.load ${first}))) (f64.promote_f32 (f32.load ${second})))`;
  const row = (k) => add(get('q'), mul(get('rb'), i32(k)));
  return `
  (func $ew_sum_mid (export "ew_sum_mid") (param $x i32) (param $out i32) (param $A i32) (param $C i32) (param $B i32)
    (param $divisor f64)
    (local $c i32) (local $a i32) (local $b i32) (local $q i32) (local $rb i32) (local $lo v128) (local $hi v128)
    (local $s f64)
    ${set('rb', `(i32.shl ${get('B')} ${i32(2)})`)}
    ${set('c', i32(0))}
    (block $quads_done (loop $quads
      (br_if $quads_done (i32.gt_s ${add(get('c'), i32(4))} ${get('C')}))
      ${set('lo', '(v128.const f64x2 0 0)')} ${set('hi', '(v128.const f64x2 0 0)')}
      ${loop(
        'a',
        get('A'),
        `${set('q', at('x', mul(add(mul(get('a'), get('C')), get('c')), get('B'))))}
        ${loop(
          'b',
          get('B'),
          `${set('lo', `(f64x2.add ${get('lo')} ${pair(row(0), row(1))})`)}
          ${set('hi', `(f64x2.add ${get('hi')} ${pair(row(2), row(3))})`)}
          ${inc('q', i32(4))}`,
        )}`,
      )}
      ${[0, 1, 2, 3]
        .map(
          (k) =>
            `(f32.store offset=${4 * k} ${at('out', get('c'))} (f32.demote_f64 (f64.div (f64x2.extract_lane ${k % 2} ${get(k < 2 ? 'lo' : 'hi')}) ${get('divisor')})))`,
        )
        .join('\n      ')}
      ${inc('c', i32(4))}
      (br $quads)))
    (block $ones_done (loop $ones
      (br_if $ones_done (i32.ge_s ${get('c')} ${get('C')}))
      ${set('s', '(f64.const 0)')}
      ${loop(
        'a',
        get('A'),
        `${set('q', at('x', mul(add(mul(get('a'), get('C')), get('c')), get('B'))))}
        ${loop('b', get('B'), `${set('s', `(f64.add ${get('s')} (f64.promote_f32 (f32.load ${get('q')})))`)} ${inc('q', i32(4))}`)}`,
      )}
      (f32.store ${at('out', get('c'))} (f32.demote_f64 (f64.div ${get('s')} ${get('divisor')})))
      ${inc('c')}
      (br $ones))))`;
}

/** The functions of the convolution and pooling kernels, as WAT module fields. */
export function convWat() {
  return [im2colFunction(), col2imFunction(), permuteFunction(), sumMidFunction(), ...poolWat()].join('\n');
}
