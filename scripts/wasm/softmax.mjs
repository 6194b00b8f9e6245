// WAT of the wasm backend's softmax and log-softmax kernels, forward and backward (see generate.mjs,
// which takes them through elementwise.mjs), float32 only. exp is math64.mjs's float64 polynomial and
// the sums accumulate in float64, as in the cpu kernel.

import { exp64 } from './math64.mjs';
import { accumulate, laneSum } from './reduce.mjs';
import {
  f32s,
  f64s,
  get,
  joinHalves,
  LOOP_LOCALS,
  promoteHigh,
  SCRATCH,
  set,
  storeTo,
  streamLoop,
  via64,
} from './wat.mjs';

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
export function softmaxFunctions() {
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
