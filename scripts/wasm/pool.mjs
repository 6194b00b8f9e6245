// WAT of the wasm backend's max pooling kernels (see conv.mjs, which assembles them with the convolution's):
// pool_max, the maximum of each window and its argmax (2x2 windows at stride 2 four at a time), and
// pool_max_scatter, its gradient. Both follow the cpu kernels of kernels/cpu/pool2d.ts to the bit.

import { add, at, i32, inc, loop, mul } from './conv.mjs';
import { get, set } from './elementwise.mjs';

const EVENS = 'i8x16.shuffle 0 1 2 3 8 9 10 11 16 17 18 19 24 25 26 27';
const ODDS = 'i8x16.shuffle 4 5 6 7 12 13 14 15 20 21 22 23 28 29 30 31';

/**
 * The 2x2, stride 2 windows of output row $oy, 4 at a time from column 0, in the scalar loop's order of
 * taps ((y, x), (y, x + 1), (y + 1, x), (y + 1, x + 1)) and with its rule (a later tap wins when it is
 * greater or NaN), for rows of at least 4 windows: leaves $ox at the row's end, $out and $idx past it.
 */
function poolPairs() {
  // Tap (dy, dx) of the 4 windows: the even or odd columns of the 8 floats at row $r0 + dy.
  const tap = (dy, dx) =>
    [
      set('lo', `(v128.load ${add(get('r0'), mul(get('W'), i32(4 * dy)))})`),
      set('hi', `(v128.load offset=16 ${add(get('r0'), mul(get('W'), i32(4 * dy)))})`),
      set('v4', `(${dx === 0 ? EVENS : ODDS} ${get('lo')} ${get('hi')})`),
      set('i4', `(i32x4.add ${get('idx4')} (i32x4.splat ${add(mul(get('W'), i32(dy)), i32(dx))}))`),
    ].join(' ');
  const better = `
    ${set('take4', `(v128.or (f32x4.gt ${get('v4')} ${get('best4')}) (f32x4.ne ${get('v4')} ${get('v4')}))`)}
    ${set('best4', `(v128.bitselect ${get('v4')} ${get('best4')} ${get('take4')})`)}
    ${set('i0', `(v128.bitselect ${get('i4')} ${get('i0')} ${get('take4')})`)}`;
  return `
    (block $pairs_done (loop $pairs_loop
      (br_if $pairs_done (i32.ge_s ${get('ox')} ${get('outW')}))
      ;; a last partial block of the row steps back to end at the row's end: it recomputes a few windows
      ;; (the same values) instead of leaving them to the scalar loop
      (if (i32.gt_s ${add(get('ox'), i32(4))} ${get('outW')})
        (then
          ${set('back', `(i32.sub ${add(get('ox'), i32(4))} ${get('outW')})`)}
          ${set('ox', `(i32.sub ${get('ox')} ${get('back')})`)}
          ${set('out', `(i32.sub ${get('out')} (i32.shl ${get('back')} ${i32(2)}))`)}
          ${set('idx', `(i32.sub ${get('idx')} (i32.shl ${get('back')} ${i32(2)}))`)}))
      ${set('r0', at('plane', add(mul(mul(get('oy'), i32(2)), get('W')), mul(get('ox'), i32(2)))))}
      ;; the first tap's positions: y·W + x for the 4 windows
      ${set('idx4', `(i32x4.add (i32x4.splat ${add(mul(mul(get('oy'), i32(2)), get('W')), mul(get('ox'), i32(2)))}) (v128.const i32x4 0 2 4 6))`)}
      ${tap(0, 0)} ${set('best4', get('v4'))} ${set('i0', get('i4'))}
      ${tap(0, 1)} ${better}
      ${tap(1, 0)} ${better}
      ${tap(1, 1)} ${better}
      (v128.store ${get('out')} ${get('best4')})
      (v128.store ${get('idx')} ${get('i0')})
      ${inc('out', i32(16))}
      ${inc('idx', i32(16))}
      ${inc('ox', i32(4))}
      (br $pairs_loop)))`;
}

/**
 * `pool_max(x, out, idx, planes, H, W, outH, outW, kH, kW, sH, sW, pH, pW, dH, dW)`: the maximum of
 * each window (padding is -Infinity; the first maximum wins a tie, a NaN wins over numbers) and, in the
 * int32 array `idx`, its position y·W + x in the plane (-1 when every tap is in the padding).
 */
function poolMaxFunction() {
  return `
  (func $pool_max (export "pool_max") (param $x i32) (param $out i32) (param $idx i32) (param $planes i32)
    (param $H i32) (param $W i32) (param $outH i32) (param $outW i32) (param $kH i32) (param $kW i32)
    (param $sH i32) (param $sW i32) (param $pH i32) (param $pW i32) (param $dH i32) (param $dW i32)
    (local $p i32) (local $oy i32) (local $ox i32) (local $y i32) (local $xx i32) (local $y0 i32) (local $yEnd i32)
    (local $x0 i32) (local $xEnd i32) (local $plane i32) (local $best f32) (local $bestIndex i32) (local $v f32)
    (local $k i32) (local $take i32) (local $pairs i32) (local $r0 i32)
    (local $lo v128) (local $hi v128) (local $best4 v128) (local $idx4 v128) (local $v4 v128) (local $i4 v128) (local $take4 v128) (local $i0 v128) (local $back i32)
    ;; 2x2 windows at stride 2 without padding or dilation (nn.MaxPool2d(2)): 4 outputs at a time
    ${set('pairs', `(i32.and (i32.and (i32.and (i32.eq ${get('kH')} ${i32(2)}) (i32.eq ${get('kW')} ${i32(2)})) (i32.and (i32.eq ${get('sH')} ${i32(2)}) (i32.eq ${get('sW')} ${i32(2)}))) (i32.and (i32.eqz (i32.or ${get('pH')} ${get('pW')})) (i32.and (i32.eq ${get('dH')} ${i32(1)}) (i32.eq ${get('dW')} ${i32(1)}))))`)}
    ${loop(
      'p',
      get('planes'),
      `${set('plane', at('x', mul(mul(get('p'), get('H')), get('W'))))}
      ${loop(
        'oy',
        get('outH'),
        `${set('y0', `(i32.sub ${mul(get('oy'), get('sH'))} ${get('pH')})`)}
        ${set('yEnd', add(add(get('y0'), mul(`(i32.sub ${get('kH')} ${i32(1)})`, get('dH'))), i32(1)))}
        ${set('yEnd', `(select ${get('yEnd')} ${get('H')} (i32.lt_s ${get('yEnd')} ${get('H')}))`)}
        (block $y0_done (loop $y0_loop
          (br_if $y0_done (i32.ge_s ${get('y0')} ${i32(0)}))
          ${inc('y0', get('dH'))}
          (br $y0_loop)))
        ${set('ox', i32(0))}
        (if (i32.and ${get('pairs')} (i32.ge_s ${get('outW')} ${i32(4)})) (then ${poolPairs()}))
        ${loop(
          'ox',
          get('outW'),
          `${set('x0', `(i32.sub ${mul(get('ox'), get('sW'))} ${get('pW')})`)}
          ${set('xEnd', add(add(get('x0'), mul(`(i32.sub ${get('kW')} ${i32(1)})`, get('dW'))), i32(1)))}
          ${set('xEnd', `(select ${get('xEnd')} ${get('W')} (i32.lt_s ${get('xEnd')} ${get('W')}))`)}
          (block $x0_done (loop $x0_loop
            (br_if $x0_done (i32.ge_s ${get('x0')} ${i32(0)}))
            ${inc('x0', get('dW'))}
            (br $x0_loop)))
          ${set('best', '(f32.const -inf)')}
          ${set(
            'bestIndex',
            `(select ${add(mul(get('y0'), get('W')), get('x0'))} ${i32(-1)}
              (i32.and (i32.lt_s ${get('y0')} ${get('yEnd')}) (i32.lt_s ${get('x0')} ${get('xEnd')})))`,
          )}
          ${set('y', get('y0'))}
          (block $y_done (loop $y_loop
            (br_if $y_done (i32.ge_s ${get('y')} ${get('yEnd')}))
            ${set('xx', get('x0'))}
            (block $xx_done (loop $xx_loop
              (br_if $xx_done (i32.ge_s ${get('xx')} ${get('xEnd')}))
              ${set('k', add(mul(get('y'), get('W')), get('xx')))}
              ${set('v', `(f32.load ${at('plane', get('k'))})`)}
              ;; without a branch (random data would mispredict half of them)
              ${set('take', `(i32.or (f32.gt ${get('v')} ${get('best')}) (f32.ne ${get('v')} ${get('v')}))`)}
              ${set('best', `(f32.reinterpret_i32 (select (i32.reinterpret_f32 ${get('v')}) (i32.reinterpret_f32 ${get('best')}) ${get('take')}))`)}
              ${set('bestIndex', `(select ${get('k')} ${get('bestIndex')} ${get('take')})`)}
              ${inc('xx', get('dW'))}
              (br $xx_loop)))
            ${inc('y', get('dH'))}
            (br $y_loop)))
          (f32.store ${get('out')} ${get('best')})
          (i32.store ${get('idx')} ${get('bestIndex')})
          ${inc('out', i32(4))}
          ${inc('idx', i32(4))}`,
          get('ox'),
        )}`,
      )}`,
    )})`;
}

/**
 * `pool_max_scatter(grad, idx, gin, planes, inPlane, outPlane)`: gin[plane, idx[plane, i]] += grad[plane, i]
 * for every output position i in order (entries of idx below 0 are skipped).
 */
function poolMaxScatterFunction() {
  return `
  (func $pool_max_scatter (export "pool_max_scatter") (param $grad i32) (param $idx i32) (param $gin i32)
    (param $planes i32) (param $inPlane i32) (param $outPlane i32)
    (local $p i32) (local $i i32) (local $j i32) (local $dst i32)
    ${loop(
      'p',
      get('planes'),
      `${set('dst', at('gin', mul(get('p'), get('inPlane'))))}
      ${loop(
        'i',
        get('outPlane'),
        `${set('j', `(i32.load ${get('idx')})`)}
        (if (i32.ge_s ${get('j')} ${i32(0)})
          (then (f32.store ${at('dst', get('j'))} (f32.add (f32.load ${at('dst', get('j'))}) (f32.load ${get('grad')})))))
        ${inc('idx', i32(4))}
        ${inc('grad', i32(4))}`,
      )}`,
    )})`;
}

/** The pooling functions, as WAT module fields. */
export function poolWat() {
  return [poolMaxFunction(), poolMaxScatterFunction()];
}
