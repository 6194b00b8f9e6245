import type { TypedArray } from '../../dtype';

// Register tile of the micro-kernel (MR rows of A times NR columns of B, 16 accumulators in locals)
// and cache blocks: a KC x NC block of B and an MC x KC block of A are packed into contiguous
// float64 panels, so the innermost loop reads two short unit-stride streams whatever the layout
// (plain or transposed) of the operands. The sizes were tuned on a 2-core x86-64 machine.
const MR = 4;
const NR = 4;
const KC = 256;
const MC = 128;
const NC = 512;

// Below this many multiply-adds (or for a degenerate tile dimension) packing does not pay off.
const SMALL_WORK = 4096;

const packedA = new Float64Array(MC * KC);
let packedB = new Float64Array(KC * NC);
let rowScratch = new Float64Array(64);
const tileScratch = new Float64Array(MR * NR);

/**
 * The cpu kernel of matmul: `C = op(A) · op(B)` for one pair of matrices stored row-major inside
 * larger arrays, where `op(X)` is `X` or its transpose.
 *
 * `A` starts at `aOffset` and is stored as `[m, k]`, or as `[k, m]` when `transA`; `B` starts at
 * `bOffset` and is stored as `[k, n]`, or `[n, k]` when `transB`. `C` (`[m, n]`, at `outOffset`)
 * is overwritten, or added to when `accumulate`. Products are summed in doubles whatever the
 * array types, so float32 results are rounded once (per block of 256 products for long sums).
 *
 * @example
 * ```ts
 * const c = new Float64Array(4);
 * matmulKernel(new Float64Array([1, 2, 3, 4]), 0, new Float64Array([5, 6, 7, 8]), 0, c, 0, 2, 2, 2, false, false, false);
 * // c = [19, 22, 43, 50]
 * ```
 */
export function matmulKernel(
  a: TypedArray,
  aOffset: number,
  b: TypedArray,
  bOffset: number,
  out: TypedArray,
  outOffset: number,
  m: number,
  k: number,
  n: number,
  transA: boolean,
  transB: boolean,
  accumulate: boolean,
): void {
  if (m === 0 || n === 0) return;
  // Element (i, p) of op(A) is a[aOffset + i * ars + p * acs]; element (p, j) of op(B) is b[bOffset + p * brs + j * bcs].
  const ars = transA ? 1 : k;
  const acs = transA ? m : 1;
  const brs = transB ? 1 : n;
  const bcs = transB ? k : 1;
  if (k === 0) {
    if (!accumulate) out.fill(0, outOffset, outOffset + m * n);
    return;
  }
  if (m < MR || n < NR || m * n * k < SMALL_WORK) {
    simpleMatmul(a, aOffset, ars, acs, b, bOffset, brs, bcs, out, outOffset, m, k, n, accumulate);
    return;
  }
  // NOTE: with several blocks along k, partial sums are added into C between blocks. For a
  // float32 or int32 C that would round them each time, so they go to a float64 buffer instead.
  const direct = out instanceof Float64Array || k <= KC;
  const c: TypedArray = direct ? out : new Float64Array(m * n);
  const cOffset = direct ? outOffset : 0;
  if (direct && !accumulate) out.fill(0, outOffset, outOffset + m * n);
  packedBlockMatmul(a, aOffset, ars, acs, b, bOffset, brs, bcs, c, cOffset, m, k, n);
  if (!direct) {
    if (accumulate) for (let i = 0; i < m * n; i++) out[outOffset + i] += c[i];
    else for (let i = 0; i < m * n; i++) out[outOffset + i] = c[i];
  }
}

/** Plain loops for small or thin products: an axpy form when rows of op(B) are contiguous, a dot form otherwise. */
function simpleMatmul(
  a: TypedArray,
  aOffset: number,
  ars: number,
  acs: number,
  b: TypedArray,
  bOffset: number,
  brs: number,
  bcs: number,
  out: TypedArray,
  outOffset: number,
  m: number,
  k: number,
  n: number,
  accumulate: boolean,
): void {
  if (bcs === 1) {
    if (rowScratch.length < n) rowScratch = new Float64Array(n);
    const row = rowScratch;
    for (let i = 0; i < m; i++) {
      row.fill(0, 0, n);
      const ai = aOffset + i * ars;
      for (let p = 0; p < k; p++) {
        const av = a[ai + p * acs];
        const bo = bOffset + p * brs;
        let j = 0;
        for (; j + 3 < n; j += 4) {
          row[j] += av * b[bo + j];
          row[j + 1] += av * b[bo + j + 1];
          row[j + 2] += av * b[bo + j + 2];
          row[j + 3] += av * b[bo + j + 3];
        }
        for (; j < n; j++) row[j] += av * b[bo + j];
      }
      const o = outOffset + i * n;
      if (accumulate) for (let j = 0; j < n; j++) out[o + j] += row[j];
      else for (let j = 0; j < n; j++) out[o + j] = row[j];
    }
  } else {
    // Here op(B) is a transposed matrix: its column j is contiguous along p.
    for (let i = 0; i < m; i++) {
      const ai = aOffset + i * ars;
      const o = outOffset + i * n;
      for (let j = 0; j < n; j++) {
        const bj = bOffset + j * bcs;
        let s = 0;
        for (let p = 0; p < k; p++) s += a[ai + p * acs] * b[bj + p];
        if (accumulate) out[o + j] += s;
        else out[o + j] = s;
      }
    }
  }
}

/** The blocked product `C += op(A) · op(B)` over packed panels (C at cOffset with row stride n). */
function packedBlockMatmul(
  a: TypedArray,
  aOffset: number,
  ars: number,
  acs: number,
  b: TypedArray,
  bOffset: number,
  brs: number,
  bcs: number,
  c: TypedArray,
  cOffset: number,
  m: number,
  k: number,
  n: number,
): void {
  const ncMax = Math.min(NC, roundUp(n, NR));
  if (packedB.length < KC * ncMax) packedB = new Float64Array(KC * ncMax);
  const bp = packedB;
  const ap = packedA;
  for (let jc = 0; jc < n; jc += NC) {
    const nc = Math.min(NC, n - jc);
    for (let pc = 0; pc < k; pc += KC) {
      const kc = Math.min(KC, k - pc);
      packB(b, bOffset + pc * brs + jc * bcs, brs, bcs, kc, nc, bp);
      for (let ic = 0; ic < m; ic += MC) {
        const mc = Math.min(MC, m - ic);
        packA(a, aOffset + ic * ars + pc * acs, ars, acs, mc, kc, ap);
        for (let jr = 0; jr < nc; jr += NR) {
          const nr = Math.min(NR, nc - jr);
          for (let ir = 0; ir < mc; ir += MR) {
            const mr = Math.min(MR, mc - ir);
            microKernel(ap, ir * kc, bp, jr * kc, kc, c, cOffset + (ic + ir) * n + jc + jr, n, mr, nr);
          }
        }
      }
    }
  }
}

/** Copy an mc x kc block of op(A) into panels of MR rows: panel-major, then p, then the row (zero-padded). */
function packA(a: TypedArray, start: number, ars: number, acs: number, mc: number, kc: number, ap: Float64Array): void {
  for (let ir = 0; ir < mc; ir += MR) {
    const base = ir * kc;
    const mr = Math.min(MR, mc - ir);
    for (let r = 0; r < MR; r++) {
      if (r < mr) {
        const src = start + (ir + r) * ars;
        for (let p = 0; p < kc; p++) ap[base + p * MR + r] = a[src + p * acs];
      } else for (let p = 0; p < kc; p++) ap[base + p * MR + r] = 0;
    }
  }
}

/** Copy a kc x nc block of op(B) into panels of NR columns: panel-major, then p, then the column (zero-padded). */
function packB(b: TypedArray, start: number, brs: number, bcs: number, kc: number, nc: number, bp: Float64Array): void {
  for (let jr = 0; jr < nc; jr += NR) {
    const base = jr * kc;
    const nr = Math.min(NR, nc - jr);
    if (bcs === 1 && nr === NR) {
      for (let p = 0; p < kc; p++) {
        const src = start + p * brs + jr;
        const dst = base + p * NR;
        bp[dst] = b[src];
        bp[dst + 1] = b[src + 1];
        bp[dst + 2] = b[src + 2];
        bp[dst + 3] = b[src + 3];
      }
    } else {
      for (let q = 0; q < NR; q++) {
        if (q < nr) {
          const src = start + (jr + q) * bcs;
          for (let p = 0; p < kc; p++) bp[base + p * NR + q] = b[src + p * brs];
        } else for (let p = 0; p < kc; p++) bp[base + p * NR + q] = 0;
      }
    }
  }
}

/** `C[0:mr, 0:nr] += Apanel · Bpanel` for one MR x NR tile, accumulating in 16 local doubles. */
function microKernel(
  ap: Float64Array,
  aBase: number,
  bp: Float64Array,
  bBase: number,
  kc: number,
  c: TypedArray,
  cOffset: number,
  ldc: number,
  mr: number,
  nr: number,
): void {
  let c00 = 0;
  let c01 = 0;
  let c02 = 0;
  let c03 = 0;
  let c10 = 0;
  let c11 = 0;
  let c12 = 0;
  let c13 = 0;
  let c20 = 0;
  let c21 = 0;
  let c22 = 0;
  let c23 = 0;
  let c30 = 0;
  let c31 = 0;
  let c32 = 0;
  let c33 = 0;
  for (let p = 0; p < kc; p++) {
    const ao = aBase + p * MR;
    const bo = bBase + p * NR;
    const a0 = ap[ao];
    const a1 = ap[ao + 1];
    const a2 = ap[ao + 2];
    const a3 = ap[ao + 3];
    const b0 = bp[bo];
    const b1 = bp[bo + 1];
    const b2 = bp[bo + 2];
    const b3 = bp[bo + 3];
    c00 += a0 * b0;
    c01 += a0 * b1;
    c02 += a0 * b2;
    c03 += a0 * b3;
    c10 += a1 * b0;
    c11 += a1 * b1;
    c12 += a1 * b2;
    c13 += a1 * b3;
    c20 += a2 * b0;
    c21 += a2 * b1;
    c22 += a2 * b2;
    c23 += a2 * b3;
    c30 += a3 * b0;
    c31 += a3 * b1;
    c32 += a3 * b2;
    c33 += a3 * b3;
  }
  if (mr === MR && nr === NR) {
    let o = cOffset;
    c[o] += c00;
    c[o + 1] += c01;
    c[o + 2] += c02;
    c[o + 3] += c03;
    o += ldc;
    c[o] += c10;
    c[o + 1] += c11;
    c[o + 2] += c12;
    c[o + 3] += c13;
    o += ldc;
    c[o] += c20;
    c[o + 1] += c21;
    c[o + 2] += c22;
    c[o + 3] += c23;
    o += ldc;
    c[o] += c30;
    c[o + 1] += c31;
    c[o + 2] += c32;
    c[o + 3] += c33;
    return;
  }
  const t = tileScratch;
  t[0] = c00;
  t[1] = c01;
  t[2] = c02;
  t[3] = c03;
  t[4] = c10;
  t[5] = c11;
  t[6] = c12;
  t[7] = c13;
  t[8] = c20;
  t[9] = c21;
  t[10] = c22;
  t[11] = c23;
  t[12] = c30;
  t[13] = c31;
  t[14] = c32;
  t[15] = c33;
  for (let r = 0; r < mr; r++) for (let q = 0; q < nr; q++) c[cOffset + r * ldc + q] += t[r * NR + q];
}

function roundUp(x: number, multiple: number): number {
  return Math.ceil(x / multiple) * multiple;
}
