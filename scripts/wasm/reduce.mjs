// WAT of the wasm backend's reduction kernels (see generate.mjs, which takes them through
// elementwise.mjs): sums and means over rows or columns, max and min over rows or columns, float32 only.
//
// Sums accumulate in float64 as the cpu kernels do (row sums in four lanes, another order, so their
// float32 result can differ by 1 ulp in rare cases).
// max and min give the cpu kernels' bits, NaN (its payload, quieted) and the sign of a zero included.

import { f32s, f64s, get, joinHalves, LOOP_LOCALS, loadTail, promoteHigh, set, storeTail, streamLoop } from './wat.mjs';

// ---- sums ----------------------------------------------------------------------------------------------

/** Statements adding the f32x4 local `v`, promoted, to the f64x2 accumulators `lo` and `hi`. */
export const accumulate = (v, lo, hi) =>
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
export function sumFunctions() {
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
export function extremumFunctions(kind) {
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
