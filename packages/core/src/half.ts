/*
 * Conversions between numbers and the 16-bit patterns of the half-precision storage dtypes `float16`
 * (IEEE 754 binary16) and `bfloat16`, matching PyTorch 1.13's CPU conversions bit for bit:
 *
 * - A number is first rounded to float32 (`Math.fround`), then from float32 to the half type, each
 *   time to nearest with ties to even. This double rounding is what PyTorch does for float64 -> float16
 *   and float64 -> bfloat16 (its `.to()` goes through float32); for float32 inputs it is one rounding.
 * - float16: magnitudes from 65520 up (half-way between 65504 and 2^16, rounded to even) become
 *   Infinity; below 2^-14 the result is a subnormal (multiples of 2^-24), and below 2^-25 it is a
 *   signed zero. NaN becomes the quiet NaN 0x7e00 with the sign kept (0xfe00 for a negative NaN).
 * - bfloat16: float32's exponent range, 7 mantissa bits; float32 subnormals round like normal numbers
 *   (the rounding acts on the bit pattern), values from 0x7f7f8000 (in float32 bits) up overflow to
 *   Infinity. NaN becomes the quiet NaN 0x7fc0 with the sign kept (0xffc0); PyTorch itself writes
 *   0x7fc0 in its scalar loop and 0xffff in its vectorised one, so its NaN bits depend on the position.
 *
 * Decoding is exact (every half value is a float32).
 */

const scratchF32 = new Float32Array(1);
const scratchU32 = new Uint32Array(scratchF32.buffer);

/** The float16 bit pattern of a float32 given by its bits `u` (round to nearest, ties to even). */
function f16FromF32Bits(u: number): number {
  const sign = (u >>> 16) & 0x8000;
  const a = u & 0x7fffffff;
  if (a > 0x7f800000) return sign | 0x7e00; // NaN
  if (a >= 0x477ff000) return sign | 0x7c00; // >= 65520: Infinity
  if (a < 0x38800000) {
    // Below 2^-14: a subnormal, n * 2^-24. The scaled value is exact in float64; round it to even.
    scratchU32[0] = a;
    const v = scratchF32[0] * 16777216;
    let n = Math.floor(v);
    const d = v - n;
    if (d > 0.5 || (d === 0.5 && (n & 1) === 1)) n++;
    return sign | n; // n = 1024 is the smallest normal, 0x0400
  }
  // Normal: drop 13 mantissa bits with round-half-even; a carry moves into the exponent.
  return sign | ((a + 0xfff + ((a >>> 13) & 1) - 0x38000000) >>> 13);
}

/** The bfloat16 bit pattern of a float32 given by its bits `u` (round to nearest, ties to even). */
function bf16FromF32Bits(u: number): number {
  if ((u & 0x7fffffff) > 0x7f800000) return ((u >>> 16) & 0x8000) | 0x7fc0; // NaN
  return (u + 0x7fff + ((u >>> 16) & 1)) >>> 16;
}

let f16Table: Float32Array | null = null;
let f16Words: Uint32Array | null = null;

/** All 65536 float16 values, decoded once on first use. */
function float16Table(): Float32Array {
  if (f16Table !== null) return f16Table;
  // NOTE: built as float32 bit patterns, never through a JS number, so that a NaN keeps its sign and
  // payload (sign | 0x7f800000 | mantissa << 13, as PyTorch widens it): engines may canonicalise a NaN
  // that passes through a double.
  const words = new Uint32Array(65536);
  const one = new Float32Array(1);
  const oneBits = new Uint32Array(one.buffer);
  for (let h = 0; h < 65536; h++) {
    const sign = (h & 0x8000) << 16;
    const exp = (h >>> 10) & 0x1f;
    const mant = h & 0x3ff;
    if (exp === 31) words[h] = (sign | 0x7f800000 | (mant << 13)) >>> 0;
    else {
      one[0] = exp === 0 ? mant * 2 ** -24 : (1024 + mant) * 2 ** (exp - 25);
      words[h] = (sign | oneBits[0]) >>> 0;
    }
  }
  f16Table = new Float32Array(words.buffer);
  f16Words = words;
  return f16Table;
}

/**
 * The float16 bit pattern of `x`, as PyTorch's `torch.tensor(x).to(torch.float16)` stores it: `x`
 * is rounded to float32 and then to float16, to nearest with ties to even (see the module notes).
 *
 * @example
 * ```ts
 * float16Bits(1); // 0x3c00
 * float16Bits(65520); // 0x7c00 (Infinity)
 * float16Bits(2 ** -24); // 0x0001 (the smallest subnormal)
 * ```
 */
export function float16Bits(x: number): number {
  scratchF32[0] = x;
  return f16FromF32Bits(scratchU32[0]);
}

/**
 * The bfloat16 bit pattern of `x`, as PyTorch's `torch.tensor(x).to(torch.bfloat16)` stores it: `x`
 * is rounded to float32 and then to bfloat16, to nearest with ties to even (see the module notes).
 *
 * @example
 * ```ts
 * bfloat16Bits(1); // 0x3f80
 * bfloat16Bits(1 + 2 ** -8); // 0x3f80 (a tie, to even)
 * ```
 */
export function bfloat16Bits(x: number): number {
  scratchF32[0] = x;
  return bf16FromF32Bits(scratchU32[0]);
}

/**
 * The number that the float16 bit pattern `bits` (0 to 0xffff) stands for.
 *
 * @example
 * ```ts
 * float16Value(0x3c00); // 1
 * float16Value(0x0001); // 5.960464477539063e-8 (2^-24)
 * ```
 */
export function float16Value(bits: number): number {
  return float16Table()[bits & 0xffff];
}

/**
 * The number that the bfloat16 bit pattern `bits` (0 to 0xffff) stands for.
 *
 * @example
 * ```ts
 * bfloat16Value(0x3f80); // 1
 * bfloat16Value(0x7f80); // Infinity
 * ```
 */
export function bfloat16Value(bits: number): number {
  scratchU32[0] = (bits & 0xffff) << 16;
  return scratchF32[0];
}

/**
 * Encode numbers as half bit patterns of `dtype` (`'float16'` or `'bfloat16'`) into `out` (a new
 * `Uint16Array` by default), each rounded as {@link float16Bits} / {@link bfloat16Bits} do.
 *
 * @example
 * ```ts
 * encodeHalf(new Float32Array([1, -2]), 'bfloat16'); // Uint16Array [0x3f80, 0xc000]
 * ```
 */
export function encodeHalf(
  values: ArrayLike<number>,
  dtype: 'float16' | 'bfloat16',
  out: Uint16Array = new Uint16Array(values.length),
): Uint16Array {
  const n = values.length;
  const f16 = dtype === 'float16';
  if (values instanceof Float32Array && values.byteOffset % 4 === 0) {
    const bits = new Uint32Array(values.buffer, values.byteOffset, n);
    if (f16) for (let i = 0; i < n; i++) out[i] = f16FromF32Bits(bits[i]);
    else for (let i = 0; i < n; i++) out[i] = bf16FromF32Bits(bits[i]);
    return out;
  }
  if (f16) for (let i = 0; i < n; i++) out[i] = float16Bits(values[i]);
  else for (let i = 0; i < n; i++) out[i] = bfloat16Bits(values[i]);
  return out;
}

/**
 * Decode half bit patterns of `dtype` into numbers, in `out` (a new `Float32Array` by default; every
 * half value is exactly a float32).
 *
 * @example
 * ```ts
 * decodeHalf(new Uint16Array([0x3c00, 0x7c00]), 'float16'); // Float32Array [1, Infinity]
 * ```
 */
export function decodeHalf<T extends Float32Array | Float64Array = Float32Array>(
  bits: Uint16Array,
  dtype: 'float16' | 'bfloat16',
  out?: T,
): T {
  const n = bits.length;
  const dst = (out ?? new Float32Array(n)) as T;
  if (dtype === 'float16') {
    const table = float16Table();
    if (dst instanceof Float32Array && dst.byteOffset % 4 === 0 && f16Words !== null) {
      const words = new Uint32Array(dst.buffer, dst.byteOffset, n);
      const table32 = f16Words;
      for (let i = 0; i < n; i++) words[i] = table32[bits[i]];
    } else for (let i = 0; i < n; i++) dst[i] = table[bits[i]];
  } else if (dst instanceof Float32Array && dst.byteOffset % 4 === 0) {
    const words = new Uint32Array(dst.buffer, dst.byteOffset, n);
    for (let i = 0; i < n; i++) words[i] = bits[i] << 16;
  } else for (let i = 0; i < n; i++) dst[i] = bfloat16Value(bits[i]);
  return dst;
}
