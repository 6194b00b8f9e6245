// WAT of the content fingerprint's main loop (see packages/core/src/version.ts, which defines the hash
// and computes the same thing in JavaScript): eight lanes per hash family, word i into lane i mod 8, so
// that lanes 0-3 and 4-7 are two i32x4 vectors per family, two independent chains each.
//
// `fingerprint_lanes(ptr, words, state)` runs the lanes over the `words` 32-bit words at byte address
// `ptr` (a multiple of 8 words); `state` is the byte address of 16 int32: the 8 lanes of the first family,
// then the 8 of the second, read at the start and written back at the end. The caller does the rest
// (the last words, the tail bytes, the combination).

export function fingerprintWat() {
  const step = (h, k, op, mulConst, shift) =>
    `(local.set ${h} (i32x4.mul (${op} (local.get ${h}) (local.get ${k})) (local.get ${mulConst})))
      (local.set ${h} (v128.xor (local.get ${h}) (i32x4.shr_u (local.get ${h}) (i32.const ${shift}))))`;
  return `
  (func $fingerprint_lanes (export "fingerprint_lanes") (param $ptr i32) (param $words i32) (param $state i32)
    (local $end i32) (local $w0 v128) (local $w1 v128) (local $p1 v128) (local $p2 v128)
    (local $a1 v128) (local $b1 v128) (local $a2 v128) (local $b2 v128)
    (local.set $p1 (i32x4.splat (i32.const 0x01000193)))
    (local.set $p2 (i32x4.splat (i32.const 0x5bd1e995)))
    (local.set $a1 (v128.load offset=0 (local.get $state)))
    (local.set $b1 (v128.load offset=16 (local.get $state)))
    (local.set $a2 (v128.load offset=32 (local.get $state)))
    (local.set $b2 (v128.load offset=48 (local.get $state)))
    (local.set $end (i32.add (local.get $ptr) (i32.shl (local.get $words) (i32.const 2))))
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $ptr) (local.get $end)))
      (local.set $w0 (v128.load offset=0 (local.get $ptr)))
      (local.set $w1 (v128.load offset=16 (local.get $ptr)))
      ${step('$a1', '$w0', 'v128.xor', '$p1', 15)}
      ${step('$b1', '$w1', 'v128.xor', '$p1', 15)}
      ${step('$a2', '$w0', 'i32x4.add', '$p2', 13)}
      ${step('$b2', '$w1', 'i32x4.add', '$p2', 13)}
      (local.set $ptr (i32.add (local.get $ptr) (i32.const 32)))
      (br $next)))
    (v128.store offset=0 (local.get $state) (local.get $a1))
    (v128.store offset=16 (local.get $state) (local.get $b1))
    (v128.store offset=32 (local.get $state) (local.get $a2))
    (v128.store offset=48 (local.get $state) (local.get $b2)))
`;
}
