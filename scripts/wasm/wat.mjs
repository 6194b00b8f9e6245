// Text helpers and loop skeletons shared by the wasm backend's WAT generators (elementwise.mjs,
// reduce.mjs, softmax.mjs, nn.mjs, conv.mjs, ...), float32 data only.
//
// Conventions: pointers are byte addresses in the module's memory, counts and strides are in elements.
// Every loop runs over whole f32x4 vectors and finishes with one partial vector: the last 1-3 elements
// are loaded lane by lane, go through the same code, and only their lanes are stored back.

// ---- small helpers for the text ------------------------------------------------------------------

export const get = (name) => `(local.get $${name})`;
export const set = (name, expr) => `(local.set $${name} ${expr})`;

export function num(x) {
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

// ---- loops -------------------------------------------------------------------------------------------

/**
 * Partial-vector statements for the last `$rem` (1-3) elements: load lanes of `ptr` into `dst`
 * (other lanes `fill`), or store lanes of `src` to `ptr`.
 */
export function loadTail(ptr, dst, fill) {
  return [
    set(dst, `(v128.load32_lane 0 ${get(ptr)} ${f32s(fill)})`),
    `(if (i32.gt_u ${get('rem')} (i32.const 1)) (then ${set(dst, `(v128.load32_lane offset=4 1 ${get(ptr)} ${get(dst)})`)}))`,
    `(if (i32.gt_u ${get('rem')} (i32.const 2)) (then ${set(dst, `(v128.load32_lane offset=8 2 ${get(ptr)} ${get(dst)})`)}))`,
  ].join('\n      ');
}
export function storeTail(ptr, src) {
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
export function streamLoop({ streams, loads, body, store, fill = 0, label }) {
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
export const storeTo = (ptr, src) => (partial) =>
  partial ? storeTail(ptr, src) : `(v128.store ${get(ptr)} ${get(src)})`;

export const LOOP_LOCALS = '(local $end i32) (local $rem i32) (local $count i32)';
