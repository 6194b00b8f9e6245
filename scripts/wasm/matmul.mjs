// WAT source of the float32 matrix product (GotoBLAS-style blocking with packed panels and an
// MR x NR register tile of f32x4 accumulators). The micro-kernel names one local per accumulator, so it is emitted from
// this template rather than written out by hand; everything else is plain WAT.
//
// The tile is 5 x 8 (10 accumulators + 2 B vectors + the broadcast A value + a product: 14 of the 16 xmm
// registers V8 can use on x86-64, one being its scratch); 6 x 8 spills an accumulator inside the loop, and
// unrolling the k loop makes TurboFan hoist the loads of later steps and spill (measured: half the speed).
//
// A second variant (MATMUL_FMA_PARAMS) uses relaxed SIMD's f32x4.relaxed_madd, one fused multiply-add
// (vfmadd on x86-64 with FMA3) where the plain variant needs a multiply and an add. It needs no product
// register, so its tile is 6 x 8 (12 accumulators). Measured here, interleaved in one process at 1024³:
// 39-49 GFLOP/s median (52-54 best) against 31 (44 best) for the plain 5 x 8 tile.
//
// Full A panels are packed by unrolled code (PACK_UNROLL, a parameter so that the two can be compared:
// 1-7% faster on the MLP's products, the same at 1024³). Panels whose source runs across them (a transposed B,
// as Linear's x·Wᵀ has; an A whose rows are contiguous) are packed 4 p at a time through 4 x 4 transposes of
// f32x4 vectors, and A panels whose columns are contiguous (a transposed A) with vector moves. Measured against
// float-by-float packing, interleaved in one process: the MLP's layer-1 forward (128 x 784 x 256, B transposed)
// 6-8% faster, 128 x 256 x 128 10%, 128 x 128 x 10 17%.
// Conventions: pointers are byte addresses in the module's memory, strides and sizes are in elements.
// Element (i, p) of op(A) is a[i * ars + p * acs]; element (p, j) of op(B) is b[p * brs + j * bcs].

import { range, transposeGroup, transposeRows } from './pack-transpose.mjs';

/** Tile and cache-block sizes (elements). MC is a multiple of MR and NC of NR. */
export const MATMUL_PARAMS = { MR: 5, NR: 8, KC: 256, MC: 240, NC: 2048, UNROLL: 1, FMA: false };

/** The same for the relaxed-SIMD variant (fused multiply-add); same block sizes, so the same scratch fits. */
export const MATMUL_FMA_PARAMS = { MR: 6, NR: 8, KC: 256, MC: 240, NC: 2048, UNROLL: 1, FMA: true };

/** `$micro`: C[MR x NR] (row stride ldc) += Apanel (kc x MR) · Bpanel (kc x NR), C loaded into and stored from registers. */
function microKernel({ MR, NR, UNROLL, FMA = false }) {
  const NV = NR / 4;
  const acc = (r, v) => `$c${r}_${v}`;
  const locals = [];
  for (const r of range(MR)) for (const v of range(NV)) locals.push(`(local ${acc(r, v)} v128)`);
  for (const v of range(NV)) locals.push(`(local $b${v} v128)`);
  const step = (u) => {
    const lines = [];
    for (const v of range(NV))
      lines.push(`(local.set $b${v} (v128.load offset=${(u * NR + v * 4) * 4} (local.get $pb)))`);
    for (const r of range(MR)) {
      lines.push(`(local.set $a (v128.load32_splat offset=${(u * MR + r) * 4} (local.get $pa)))`);
      for (const v of range(NV))
        lines.push(
          FMA
            ? `(local.set ${acc(r, v)} (f32x4.relaxed_madd (local.get $a) (local.get $b${v}) (local.get ${acc(r, v)})))`
            : `(local.set ${acc(r, v)} (f32x4.add (local.get ${acc(r, v)}) (f32x4.mul (local.get $a) (local.get $b${v}))))`,
        );
    }
    return lines.join('\n      ');
  };
  const load = [];
  const zero = [];
  const store = [];
  for (const r of range(MR)) {
    for (const v of range(NV)) {
      zero.push(`(local.set ${acc(r, v)} (v128.const i64x2 0 0))`);
      load.push(`(local.set ${acc(r, v)} (v128.load offset=${v * 16} (local.get $cr)))`);
      store.push(`(v128.store offset=${v * 16} (local.get $cr) (local.get ${acc(r, v)}))`);
    }
    if (r < MR - 1) {
      load.push('(local.set $cr (i32.add (local.get $cr) (local.get $ldcb)))');
      store.push('(local.set $cr (i32.add (local.get $cr) (local.get $ldcb)))');
    }
  }
  return `
  ;; The MR x NR tile at $c (row stride $ldc) += the panels' product; with $zero, = the product (C is
  ;; not read).
  (func $micro (param $pa i32) (param $pb i32) (param $kc i32) (param $c i32) (param $ldc i32) (param $zero i32)
    (local $ldcb i32) (local $cr i32) (local $a v128) (local $blocks i32)
    ${locals.join(' ')}
    (local.set $ldcb (i32.shl (local.get $ldc) (i32.const 2)))
    (local.set $cr (local.get $c))
    (if (local.get $zero)
      (then ${zero.join('\n      ')})
      (else ${load.join('\n      ')}))
    (local.set $blocks (i32.div_u (local.get $kc) (i32.const ${UNROLL})))
    (if (local.get $blocks) (then (loop $unrolled
      ${range(UNROLL).map(step).join('\n      ')}
      (local.set $pa (i32.add (local.get $pa) (i32.const ${UNROLL * MR * 4})))
      (local.set $pb (i32.add (local.get $pb) (i32.const ${UNROLL * NR * 4})))
      (local.set $blocks (i32.sub (local.get $blocks) (i32.const 1)))
      (br_if $unrolled (local.get $blocks)))))
    (local.set $blocks (i32.rem_u (local.get $kc) (i32.const ${UNROLL})))
    (if (local.get $blocks) (then (loop $rest
      ${step(0)}
      (local.set $pa (i32.add (local.get $pa) (i32.const ${MR * 4})))
      (local.set $pb (i32.add (local.get $pb) (i32.const ${NR * 4})))
      (local.set $blocks (i32.sub (local.get $blocks) (i32.const 1)))
      (br_if $rest (local.get $blocks)))))
    (local.set $cr (local.get $c))
    ${store.join('\n    ')})`;
}

/**
 * `$epilogue`: a linear layer's bias and ReLU applied to a stored MR x NR tile of C (still in L1), in a function
 * of its own: put in the micro-kernel, its extra registers made V8 spill accumulators in the k loop (the
 * products ran at half speed).
 */
function epilogue({ MR, NR }) {
  const NV = NR / 4;
  const body = [];
  for (const r of range(MR))
    for (const v of range(NV)) {
      const at = v * 16;
      body.push(`(local.set $x (v128.load offset=${at} (local.get $cr)))`);
      body.push(`(if (local.get $bias) (then (local.set $x (f32x4.add (local.get $x) (local.get $b${v})))))`);
      body.push(
        '(if (local.get $relu) (then (local.set $x (v128.bitselect (local.get $x) (v128.const i64x2 0 0) (v128.or (f32x4.gt (local.get $x) (v128.const i64x2 0 0)) (f32x4.ne (local.get $x) (local.get $x)))))))',
      );
      body.push(`(v128.store offset=${at} (local.get $cr) (local.get $x))`);
      if (v === NV - 1 && r < MR - 1) body.push('(local.set $cr (i32.add (local.get $cr) (local.get $ldcb)))');
    }
  return `
  ;; The MR x NR tile at $c (row stride $ldc): with $bias (not 0), the NR floats there added to each row; with
  ;; $relu, ReLU applied (v where v > 0 or v is NaN, else 0, as the relu kernel). The gemm calls it for each
  ;; full tile of the last k block.
  (func $epilogue (param $c i32) (param $ldc i32) (param $bias i32) (param $relu i32)
    (local $ldcb i32) (local $cr i32) (local $x v128) ${range(NV)
      .map((v) => `(local $b${v} v128)`)
      .join(' ')}
    (local.set $ldcb (i32.shl (local.get $ldc) (i32.const 2)))
    (local.set $cr (local.get $c))
    (if (local.get $bias) (then ${range(NV)
      .map((v) => `(local.set $b${v} (v128.load offset=${v * 16} (local.get $bias)))`)
      .join(' ')}))
    ${body.join('\n    ')})`;
}

/** The packing routines and the blocked driver `gemm`. */
function driver({ MR, NR, KC, MC, NC, PACK_UNROLL = true }) {
  return `
  ;; Copy an mc x kc block of op(A) (starting at $a) into panels of MR rows: panel, then p, then row; zero-padded.
  (func $packA (param $a i32) (param $ars i32) (param $acs i32) (param $mc i32) (param $kc i32) (param $dst i32)
    (local $ir i32) (local $mr i32) (local $p i32) (local $r i32) (local $row i32) (local $src i32)
    (local $arsb i32) (local $acsb i32)
    ${range(MR)
      .map((r) => `(local $r${r} v128)`)
      .join(' ')} (local $lo v128) (local $hi v128)
    (local.set $arsb (i32.shl (local.get $ars) (i32.const 2)))
    (local.set $acsb (i32.shl (local.get $acs) (i32.const 2)))
    (local.set $ir (i32.const 0))
    (block $done (loop $panels
      (br_if $done (i32.ge_u (local.get $ir) (local.get $mc)))
      (local.set $mr (i32.sub (local.get $mc) (local.get $ir)))
      (if (i32.gt_u (local.get $mr) (i32.const ${MR})) (then (local.set $mr (i32.const ${MR}))))
      (local.set $row (i32.add (local.get $a) (i32.mul (local.get $ir) (local.get $arsb))))
      (local.set $p (i32.const 0))
      (if (i32.eq (local.get $mr) (i32.const ${PACK_UNROLL ? MR : -1}))
        (then
          ${
            MR >= 4 && MR <= 6
              ? `(if (i32.eq (local.get $acs) (i32.const 1))
            (then
              ;; Rows of op(A) are contiguous (A not transposed, as x in x·Wᵀ): 4 p at a time, load 4 floats of
              ;; each of the MR rows and transpose them into the panel's next 4 p.
              (block $tdone (loop $ts
                (br_if $tdone (i32.gt_u (i32.add (local.get $p) (i32.const 4)) (local.get $kc)))
                ${transposeRows(MR)}
                (local.set $dst (i32.add (local.get $dst) (i32.const ${4 * MR * 4})))
                (local.set $row (i32.add (local.get $row) (i32.const 16)))
                (local.set $p (i32.add (local.get $p) (i32.const 4)))
                (br $ts)))))
          (if (i32.eq (local.get $ars) (i32.const 1))
            (then
              ;; The MR floats of each p are contiguous (A transposed, as Gᵀ in a weight gradient): vector moves.
              (block $cdone (loop $cs
                (br_if $cdone (i32.ge_u (local.get $p) (local.get $kc)))
                (v128.store (local.get $dst) (v128.load (local.get $row)))
                ${MR === 6 ? '(i64.store offset=16 (local.get $dst) (i64.load offset=16 (local.get $row)))' : ''}
                ${MR === 5 ? '(f32.store offset=16 (local.get $dst) (f32.load offset=16 (local.get $row)))' : ''}
                (local.set $dst (i32.add (local.get $dst) (i32.const ${MR * 4})))
                (local.set $row (i32.add (local.get $row) (local.get $acsb)))
                (local.set $p (i32.add (local.get $p) (i32.const 1)))
                (br $cs)))))`
              : ''
          }
          ;; A full panel: the MR loads and stores of each p unrolled (no inner loop, no padding).
          (block $fdone (loop $fs
            (br_if $fdone (i32.ge_u (local.get $p) (local.get $kc)))
            (local.set $src (local.get $row))
            ${range(MR)
              .map(
                (r) =>
                  `(f32.store offset=${r * 4} (local.get $dst) (f32.load (local.get $src)))${r < MR - 1 ? '\n            (local.set $src (i32.add (local.get $src) (local.get $arsb)))' : ''}`,
              )
              .join('\n            ')}
            (local.set $dst (i32.add (local.get $dst) (i32.const ${MR * 4})))
            (local.set $row (i32.add (local.get $row) (local.get $acsb)))
            (local.set $p (i32.add (local.get $p) (i32.const 1)))
            (br $fs)))))
      (block $pdone (loop $ps
        (br_if $pdone (i32.ge_u (local.get $p) (local.get $kc)))
        (local.set $src (local.get $row))
        (local.set $r (i32.const 0))
        (block $rdone (loop $rs
          (br_if $rdone (i32.ge_u (local.get $r) (local.get $mr)))
          (f32.store (local.get $dst) (f32.load (local.get $src)))
          (local.set $dst (i32.add (local.get $dst) (i32.const 4)))
          (local.set $src (i32.add (local.get $src) (local.get $arsb)))
          (local.set $r (i32.add (local.get $r) (i32.const 1)))
          (br $rs)))
        (block $zdone (loop $zs
          (br_if $zdone (i32.ge_u (local.get $r) (i32.const ${MR})))
          (f32.store (local.get $dst) (f32.const 0))
          (local.set $dst (i32.add (local.get $dst) (i32.const 4)))
          (local.set $r (i32.add (local.get $r) (i32.const 1)))
          (br $zs)))
        (local.set $row (i32.add (local.get $row) (local.get $acsb)))
        (local.set $p (i32.add (local.get $p) (i32.const 1)))
        (br $ps)))
      (local.set $ir (i32.add (local.get $ir) (i32.const ${MR})))
      (br $panels))))

  ;; Copy a kc x nc block of op(B) (starting at $b) into panels of NR columns: panel, then p, then column; zero-padded.
  (func $packB (param $b i32) (param $brs i32) (param $bcs i32) (param $kc i32) (param $nc i32) (param $dst i32)
    (local $jr i32) (local $nr i32) (local $p i32) (local $q i32) (local $col i32) (local $src i32)
    (local $brsb i32) (local $bcsb i32)
    (local $r0 v128) (local $r1 v128) (local $r2 v128) (local $r3 v128) (local $lo v128) (local $hi v128)
    (local.set $brsb (i32.shl (local.get $brs) (i32.const 2)))
    (local.set $bcsb (i32.shl (local.get $bcs) (i32.const 2)))
    (local.set $jr (i32.const 0))
    (block $done (loop $panels
      (br_if $done (i32.ge_u (local.get $jr) (local.get $nc)))
      (local.set $nr (i32.sub (local.get $nc) (local.get $jr)))
      (if (i32.gt_u (local.get $nr) (i32.const ${NR})) (then (local.set $nr (i32.const ${NR}))))
      (local.set $col (i32.add (local.get $b) (i32.mul (local.get $jr) (local.get $bcsb))))
      (local.set $p (i32.const 0))
      (if (i32.and (i32.eq (local.get $bcs) (i32.const 1)) (i32.eq (local.get $nr) (i32.const ${NR})))
        (then
          ;; Rows of op(B) are contiguous: copy NR floats per p with vector moves.
          (block $vdone (loop $vs
            (br_if $vdone (i32.ge_u (local.get $p) (local.get $kc)))
            ${range(NR / 4)
              .map(
                (v) => `(v128.store offset=${v * 16} (local.get $dst) (v128.load offset=${v * 16} (local.get $col)))`,
              )
              .join('\n            ')}
            (local.set $dst (i32.add (local.get $dst) (i32.const ${NR * 4})))
            (local.set $col (i32.add (local.get $col) (local.get $brsb)))
            (local.set $p (i32.add (local.get $p) (i32.const 1)))
            (br $vs))))
        (else
          (if (i32.and (i32.eq (local.get $brs) (i32.const 1)) (i32.eq (local.get $nr) (i32.const ${NR})))
            (then
              ;; Columns of op(B) are contiguous (a transposed B, as Linear's x·Wᵀ has): 4 p at a time, load 4
              ;; floats of each of the NR columns and transpose them 4 x 4 into 4 rows of the panel.
              (block $tdone (loop $ts
                (br_if $tdone (i32.gt_u (i32.add (local.get $p) (i32.const 4)) (local.get $kc)))
                (local.set $src (local.get $col))
                ${range(NR / 4)
                  .map((g) => transposeGroup(g, NR))
                  .join('\n                ')}
                (local.set $dst (i32.add (local.get $dst) (i32.const ${4 * NR * 4})))
                (local.set $col (i32.add (local.get $col) (i32.const 16)))
                (local.set $p (i32.add (local.get $p) (i32.const 4)))
                (br $ts)))))
          ;; Any other layout, an edge panel (zero-padded) and the last p of a transposed one: float by float.
          (block $pdone (loop $ps
            (br_if $pdone (i32.ge_u (local.get $p) (local.get $kc)))
            (local.set $src (local.get $col))
            (local.set $q (i32.const 0))
            (block $qdone (loop $qs
              (br_if $qdone (i32.ge_u (local.get $q) (local.get $nr)))
              (f32.store (local.get $dst) (f32.load (local.get $src)))
              (local.set $dst (i32.add (local.get $dst) (i32.const 4)))
              (local.set $src (i32.add (local.get $src) (local.get $bcsb)))
              (local.set $q (i32.add (local.get $q) (i32.const 1)))
              (br $qs)))
            (block $zdone (loop $zs
              (br_if $zdone (i32.ge_u (local.get $q) (i32.const ${NR})))
              (f32.store (local.get $dst) (f32.const 0))
              (local.set $dst (i32.add (local.get $dst) (i32.const 4)))
              (local.set $q (i32.add (local.get $q) (i32.const 1)))
              (br $zs)))
            (local.set $col (i32.add (local.get $col) (local.get $brsb)))
            (local.set $p (i32.add (local.get $p) (i32.const 1)))
            (br $ps)))))
      (local.set $jr (i32.add (local.get $jr) (i32.const ${NR})))
      (br $panels))))

  ;; C (m x n, row stride ldc) += op(A) · op(B), or with $overwrite, C = op(A) · op(B) (C is not read,
  ;; so it needs no zero-filling first; k must then be above 0). $pa, $pb: packing buffers of ${MC * KC}
  ;; and ${KC * NC} floats, followed by ${MR * NR} floats of scratch for edge tiles. Then, as each tile of
  ;; the last k block is stored: with $bias (not 0), bias[j] (n floats there) added to column j; with $relu,
  ;; ReLU applied (v where v > 0 or v is NaN, else 0): a linear layer's output in the product's own pass.
  (func $gemm (export "gemm")
    (param $a i32) (param $ars i32) (param $acs i32) (param $b i32) (param $brs i32) (param $bcs i32)
    (param $c i32) (param $ldc i32) (param $m i32) (param $k i32) (param $n i32)
    (param $pa i32) (param $pb i32) (param $overwrite i32) (param $bias i32) (param $relu i32)
    (local $jc i32) (local $nc i32) (local $pc i32) (local $kc i32) (local $ic i32) (local $mc i32)
    (local $jr i32) (local $nr i32) (local $ir i32) (local $mr i32) (local $cptr i32) (local $r i32) (local $q i32)
    (local $t i32) (local $o i32) (local $tile i32) (local $first i32) (local $eb i32) (local $er i32) (local $v f32)
    (local.set $tile (i32.add (local.get $pb) (i32.const ${KC * NC * 4})))
    (local.set $jc (i32.const 0))
    (block $jdone (loop $jloop
      (br_if $jdone (i32.ge_u (local.get $jc) (local.get $n)))
      (local.set $nc (i32.sub (local.get $n) (local.get $jc)))
      (if (i32.gt_u (local.get $nc) (i32.const ${NC})) (then (local.set $nc (i32.const ${NC}))))
      (local.set $pc (i32.const 0))
      (block $pdone (loop $ploop
        (br_if $pdone (i32.ge_u (local.get $pc) (local.get $k)))
        (local.set $kc (i32.sub (local.get $k) (local.get $pc)))
        (if (i32.gt_u (local.get $kc) (i32.const ${KC})) (then (local.set $kc (i32.const ${KC}))))
        ;; The first k block writes C when overwriting; the later ones add to it.
        (local.set $first (i32.and (local.get $overwrite) (i32.eqz (local.get $pc))))
        ;; The epilogue's bias and ReLU, for the last k block only.
        (local.set $eb (select (local.get $bias) (i32.const 0)
          (i32.ge_u (i32.add (local.get $pc) (local.get $kc)) (local.get $k))))
        (local.set $er (i32.and (local.get $relu)
          (i32.ge_u (i32.add (local.get $pc) (local.get $kc)) (local.get $k))))
        (call $packB
          (i32.add (local.get $b) (i32.shl (i32.add (i32.mul (local.get $pc) (local.get $brs))
            (i32.mul (local.get $jc) (local.get $bcs))) (i32.const 2)))
          (local.get $brs) (local.get $bcs) (local.get $kc) (local.get $nc) (local.get $pb))
        (local.set $ic (i32.const 0))
        (block $idone (loop $iloop
          (br_if $idone (i32.ge_u (local.get $ic) (local.get $m)))
          (local.set $mc (i32.sub (local.get $m) (local.get $ic)))
          (if (i32.gt_u (local.get $mc) (i32.const ${MC})) (then (local.set $mc (i32.const ${MC}))))
          (call $packA
            (i32.add (local.get $a) (i32.shl (i32.add (i32.mul (local.get $ic) (local.get $ars))
              (i32.mul (local.get $pc) (local.get $acs))) (i32.const 2)))
            (local.get $ars) (local.get $acs) (local.get $mc) (local.get $kc) (local.get $pa))
          (local.set $jr (i32.const 0))
          (block $jrdone (loop $jrloop
            (br_if $jrdone (i32.ge_u (local.get $jr) (local.get $nc)))
            (local.set $nr (i32.sub (local.get $nc) (local.get $jr)))
            (if (i32.gt_u (local.get $nr) (i32.const ${NR})) (then (local.set $nr (i32.const ${NR}))))
            (local.set $ir (i32.const 0))
            (block $irdone (loop $irloop
              (br_if $irdone (i32.ge_u (local.get $ir) (local.get $mc)))
              (local.set $mr (i32.sub (local.get $mc) (local.get $ir)))
              (if (i32.gt_u (local.get $mr) (i32.const ${MR})) (then (local.set $mr (i32.const ${MR}))))
              (local.set $cptr (i32.add (local.get $c) (i32.shl (i32.add
                (i32.mul (i32.add (local.get $ic) (local.get $ir)) (local.get $ldc))
                (i32.add (local.get $jc) (local.get $jr))) (i32.const 2))))
              (if (i32.and (i32.eq (local.get $mr) (i32.const ${MR})) (i32.eq (local.get $nr) (i32.const ${NR})))
                (then
                  (call $micro
                    (i32.add (local.get $pa) (i32.shl (i32.mul (local.get $ir) (local.get $kc)) (i32.const 2)))
                    (i32.add (local.get $pb) (i32.shl (i32.mul (local.get $jr) (local.get $kc)) (i32.const 2)))
                    (local.get $kc) (local.get $cptr) (local.get $ldc) (local.get $first))
                  (if (i32.or (local.get $eb) (local.get $er))
                    (then (call $epilogue (local.get $cptr) (local.get $ldc)
                      (select (i32.add (local.get $eb) (i32.shl (i32.add (local.get $jc) (local.get $jr)) (i32.const 2)))
                        (i32.const 0) (local.get $eb))
                      (local.get $er)))))
                (else
                  ;; An edge tile: compute the full tile into scratch, then write (first block when
                  ;; overwriting) or add its valid part to C.
                  (call $micro
                    (i32.add (local.get $pa) (i32.shl (i32.mul (local.get $ir) (local.get $kc)) (i32.const 2)))
                    (i32.add (local.get $pb) (i32.shl (i32.mul (local.get $jr) (local.get $kc)) (i32.const 2)))
                    (local.get $kc) (local.get $tile) (i32.const ${NR}) (i32.const 1))
                  (local.set $r (i32.const 0))
                  (block $rdone (loop $rloop
                    (br_if $rdone (i32.ge_u (local.get $r) (local.get $mr)))
                    (local.set $t (i32.add (local.get $tile) (i32.mul (local.get $r) (i32.const ${NR * 4}))))
                    (local.set $o (i32.add (local.get $cptr) (i32.shl (i32.mul (local.get $r) (local.get $ldc)) (i32.const 2))))
                    (local.set $q (i32.const 0))
                    (block $qdone (loop $qloop
                      (br_if $qdone (i32.ge_u (local.get $q) (local.get $nr)))
                      (local.set $v (if (result f32) (local.get $first)
                        (then (f32.load (local.get $t)))
                        (else (f32.add (f32.load (local.get $o)) (f32.load (local.get $t))))))
                      (if (local.get $eb) (then (local.set $v (f32.add (local.get $v) (f32.load (i32.add (local.get $eb)
                        (i32.shl (i32.add (i32.add (local.get $jc) (local.get $jr)) (local.get $q)) (i32.const 2))))))))
                      (if (local.get $er) (then (local.set $v (select (local.get $v) (f32.const 0)
                        (i32.or (f32.gt (local.get $v) (f32.const 0)) (f32.ne (local.get $v) (local.get $v)))))))
                      (f32.store (local.get $o) (local.get $v))
                      (local.set $o (i32.add (local.get $o) (i32.const 4)))
                      (local.set $t (i32.add (local.get $t) (i32.const 4)))
                      (local.set $q (i32.add (local.get $q) (i32.const 1)))
                      (br $qloop)))
                    (local.set $r (i32.add (local.get $r) (i32.const 1)))
                    (br $rloop)))))
              (local.set $ir (i32.add (local.get $ir) (i32.const ${MR})))
              (br $irloop)))
            (local.set $jr (i32.add (local.get $jr) (i32.const ${NR})))
            (br $jrloop)))
          (local.set $ic (i32.add (local.get $ic) (i32.const ${MC})))
          (br $iloop)))
        (local.set $pc (i32.add (local.get $pc) (i32.const ${KC})))
        (br $ploop)))
      (local.set $jc (i32.add (local.get $jc) (i32.const ${NC})))
      (br $jloop))))`;
}

/** The WAT functions of the matrix product for the given tile and block sizes. */
export function matmulWat(params = MATMUL_PARAMS) {
  return `${microKernel(params)}\n${epilogue(params)}\n${driver(params)}`;
}
