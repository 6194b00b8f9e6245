// WAT pieces of the gemm's packing (see matmul.mjs) that copy a panel whose source runs across it: 4 p at a
// time, 4 floats of each row or column loaded as one f32x4 and transposed 4 x 4 with shuffles (an unpack or a
// move of halves each on x86-64), instead of one scalar load and store per float.

function range(n) {
  return Array.from({ length: n }, (_, i) => i);
}

// i8x16.shuffle lane lists of the 4 x 4 transpose (each an unpack or a move of halves on x86-64).
const INTERLEAVE_LOW = '0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23';
const INTERLEAVE_HIGH = '8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31';
const LOW_HALVES = '0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23';
const HIGH_HALVES = '8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31';

/**
 * One group of 4 columns (group `g`) of a transposed-B panel: load 4 consecutive p of each column (`$src` is
 * column 4g's address on entry and moves on by 4 columns), transpose, store row p + i at float i·NR + 4g of the
 * 4-row slab at `$dst`.
 */
export function transposeGroup(g, NR) {
  const load = (r) =>
    `(local.set $r${r} (v128.load (local.get $src))) (local.set $src (i32.add (local.get $src) (local.get $bcsb)))`;
  const shuffle = (lanes, a, b) => `(i8x16.shuffle ${lanes} (local.get ${a}) (local.get ${b}))`;
  const row = (i, lanes, x, y) =>
    `(v128.store offset=${(i * NR + 4 * g) * 4} (local.get $dst) ${shuffle(lanes, x, y)})`;
  return [
    [0, 1, 2, 3].map(load).join(' '),
    // $lo = (c0[0], c1[0], c0[1], c1[1]), $hi = (c2[0], c3[0], c2[1], c3[1]): rows p and p + 1
    `(local.set $lo ${shuffle(INTERLEAVE_LOW, '$r0', '$r1')}) (local.set $hi ${shuffle(INTERLEAVE_LOW, '$r2', '$r3')})`,
    row(0, LOW_HALVES, '$lo', '$hi'),
    row(1, HIGH_HALVES, '$lo', '$hi'),
    // the same from lanes 2 and 3: rows p + 2 and p + 3
    `(local.set $lo ${shuffle(INTERLEAVE_HIGH, '$r0', '$r1')}) (local.set $hi ${shuffle(INTERLEAVE_HIGH, '$r2', '$r3')})`,
    row(2, LOW_HALVES, '$lo', '$hi'),
    row(3, HIGH_HALVES, '$lo', '$hi'),
  ].join('\n                ');
}

/**
 * 4 p of a full A panel whose rows are contiguous (`$row`: row 0 at p): load 4 floats of each of the MR rows,
 * store p + i's MR floats at `$dst` + i·MR floats. Rows 0-3 go through a 4 x 4 transpose; a fifth row is
 * stored lane by lane, a fifth and sixth as pairs of 64 bits.
 */
export function transposeRows(MR) {
  const shuffle = (lanes, a, b) => `(i8x16.shuffle ${lanes} (local.get ${a}) (local.get ${b}))`;
  const at = (i, floats) => (i * MR + floats) * 4;
  const lines = [
    '(local.set $src (local.get $row))',
    range(MR)
      .map(
        (r) =>
          `(local.set $r${r} (v128.load (local.get $src)))${r < MR - 1 ? ' (local.set $src (i32.add (local.get $src) (local.get $arsb)))' : ''}`,
      )
      .join(' '),
    `(local.set $lo ${shuffle(INTERLEAVE_LOW, '$r0', '$r1')}) (local.set $hi ${shuffle(INTERLEAVE_LOW, '$r2', '$r3')})`,
    `(v128.store offset=${at(0, 0)} (local.get $dst) ${shuffle(LOW_HALVES, '$lo', '$hi')})`,
    `(v128.store offset=${at(1, 0)} (local.get $dst) ${shuffle(HIGH_HALVES, '$lo', '$hi')})`,
    `(local.set $lo ${shuffle(INTERLEAVE_HIGH, '$r0', '$r1')}) (local.set $hi ${shuffle(INTERLEAVE_HIGH, '$r2', '$r3')})`,
    `(v128.store offset=${at(2, 0)} (local.get $dst) ${shuffle(LOW_HALVES, '$lo', '$hi')})`,
    `(v128.store offset=${at(3, 0)} (local.get $dst) ${shuffle(HIGH_HALVES, '$lo', '$hi')})`,
  ];
  if (MR === 5)
    lines.push(
      ...range(4).map(
        (i) => `(f32.store offset=${at(i, 4)} (local.get $dst) (f32x4.extract_lane ${i} (local.get $r4)))`,
      ),
    );
  if (MR === 6)
    lines.push(
      `(local.set $lo ${shuffle(INTERLEAVE_LOW, '$r4', '$r5')}) (local.set $hi ${shuffle(INTERLEAVE_HIGH, '$r4', '$r5')})`,
      ...range(4).map(
        (i) => `(v128.store64_lane offset=${at(i, 4)} ${i % 2} (local.get $dst) (local.get ${i < 2 ? '$lo' : '$hi'}))`,
      ),
    );
  return lines.join('\n                ');
}
