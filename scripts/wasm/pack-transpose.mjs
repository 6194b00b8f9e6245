// WAT pieces of the gemm's packing (see matmul.mjs) that copy a panel whose source runs across it: 4 p at a
// time, 4 floats of each row or column loaded as one f32x4 and transposed 4 x 4 with shuffles (an unpack or a
// move of halves each on x86-64), instead of one scalar load and store per float.

/** 0, 1, ..., n - 1. */
export function range(n) {
  return Array.from({ length: n }, (_, i) => i);
}

// i8x16.shuffle lane lists of the 4 x 4 transpose (each an unpack or a move of halves on x86-64).
const INTERLEAVE_LOW = '0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23';
const INTERLEAVE_HIGH = '8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31';
const LOW_HALVES = '0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23';
const HIGH_HALVES = '8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31';

/**
 * Load 4 floats at `$src` into each of `$r0`...`$r{count-1}`, moving `$src` on by the byte stride local `stride`
 * after each but the last (`moveLast`: after the last too).
 */
function loads(count, stride, moveLast = false) {
  return range(count)
    .map(
      (r) =>
        `(local.set $r${r} (v128.load (local.get $src)))${r < count - 1 || moveLast ? ` (local.set $src (i32.add (local.get $src) (local.get ${stride})))` : ''}`,
    )
    .join(' ');
}

/**
 * Transpose `$r0`...`$r3` (4 floats of 4 rows or columns) and store the 4 vectors it gives, vector i (lane j from
 * `$rj`'s lane i) at byte offset `offset(i)` from `$dst`.
 */
function transpose4(offset) {
  const shuffle = (lanes, a, b) => `(i8x16.shuffle ${lanes} (local.get ${a}) (local.get ${b}))`;
  const store = (i, lanes) => `(v128.store offset=${offset(i)} (local.get $dst) ${shuffle(lanes, '$lo', '$hi')})`;
  return [
    // $lo = (r0[0], r1[0], r0[1], r1[1]), $hi = (r2[0], r3[0], r2[1], r3[1]): vectors 0 and 1
    `(local.set $lo ${shuffle(INTERLEAVE_LOW, '$r0', '$r1')}) (local.set $hi ${shuffle(INTERLEAVE_LOW, '$r2', '$r3')})`,
    store(0, LOW_HALVES),
    store(1, HIGH_HALVES),
    // the same from lanes 2 and 3: vectors 2 and 3
    `(local.set $lo ${shuffle(INTERLEAVE_HIGH, '$r0', '$r1')}) (local.set $hi ${shuffle(INTERLEAVE_HIGH, '$r2', '$r3')})`,
    store(2, LOW_HALVES),
    store(3, HIGH_HALVES),
  ];
}

/**
 * One group of 4 columns (group `g`) of a transposed-B panel: load 4 consecutive p of each column (`$src` is
 * column 4g's address on entry and moves on by 4 columns), transpose, store row p + i at float i·NR + 4g of the
 * 4-row slab at `$dst`.
 */
export function transposeGroup(g, NR) {
  return [loads(4, '$bcsb', true), ...transpose4((i) => (i * NR + 4 * g) * 4)].join('\n                ');
}

/**
 * 4 p of a full A panel whose rows are contiguous (`$row`: row 0 at p): load 4 floats of each of the MR rows,
 * store p + i's MR floats at `$dst` + i·MR floats. Rows 0-3 go through a 4 x 4 transpose; a fifth row is
 * stored lane by lane, a fifth and sixth as pairs of 64 bits.
 */
export function transposeRows(MR) {
  const at = (i, floats) => (i * MR + floats) * 4;
  const lines = ['(local.set $src (local.get $row))', loads(MR, '$arsb'), ...transpose4((i) => at(i, 0))];
  if (MR === 5)
    lines.push(
      ...range(4).map(
        (i) => `(f32.store offset=${at(i, 4)} (local.get $dst) (f32x4.extract_lane ${i} (local.get $r4)))`,
      ),
    );
  if (MR === 6)
    lines.push(
      `(local.set $lo (i8x16.shuffle ${INTERLEAVE_LOW} (local.get $r4) (local.get $r5))) (local.set $hi (i8x16.shuffle ${INTERLEAVE_HIGH} (local.get $r4) (local.get $r5)))`,
      ...range(4).map(
        (i) => `(v128.store64_lane offset=${at(i, 4)} ${i % 2} (local.get $dst) (local.get ${i < 2 ? '$lo' : '$hi'}))`,
      ),
    );
  return lines.join('\n                ');
}
