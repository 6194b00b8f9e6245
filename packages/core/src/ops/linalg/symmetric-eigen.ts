import { applyQKernel, formQKernel, safeHypot, scaledNorm } from './householder';
import { tridiagonalDivideConquer } from './tridiagonal-dc';
import { tridiagonalQL } from './tridiagonal-ql';

// Up to this size the eigenvectors come from QL sweeps applied to the explicit Q; above it from
// divide and conquer on the tridiagonal matrix, then one application of Q.
const DIVIDE_AND_CONQUER_ABOVE = 24;

// Matrices whose largest entry falls outside [SAFE_LOW, SAFE_HIGH] are scaled by a power of two
// first, so that squares of entries (in norms and shifts) neither overflow nor underflow.
const SAFE_LOW = 2 ** -500;
const SAFE_HIGH = 2 ** 500;

/**
 * The eigendecomposition of one real symmetric `n` x `n` matrix, in float64: eigenvalues in
 * ascending order, and (when `vectors` is given) orthonormal eigenvectors.
 *
 * `a` holds the matrix row-major; only its upper triangle (`a[i * n + j]` with `j >= i`) is read,
 * and `a` is overwritten (it keeps the Householder vectors). `values` receives the `n` eigenvalues;
 * `vectors` (`n * n`, row-major) receives the eigenvectors as its columns: column `j` belongs to
 * `values[j]`. If the matrix holds a NaN or an infinity every output is NaN (as LAPACK's `syevd`, and
 * so PyTorch, returns).
 *
 * The method: Householder reduction to a tridiagonal `T = Qᵀ A Q` (one reflector per column, the
 * trailing block updated by a symmetric rank-2 update fused with the next column's product). Above 24
 * rows, `T = Z D Zᵀ` by divide and conquer, then the eigenvectors `Q Z` by applying the reflectors in
 * blocks through the matmul kernel; otherwise `Q` is formed and implicit QL sweeps with Wilkinson
 * shifts rotate its columns. Without vectors, QL alone gives the eigenvalues. Every step is backward
 * stable: the results are exact for a matrix within a small multiple of `n·u·‖A‖` of `A`. About
 * `(4/3) n³` flops for the reduction, `2 n³` for the back-transformation, and up to `(4/3) n³` (less
 * with deflation) for divide and conquer.
 *
 * @example
 * ```ts
 * const values = new Float64Array(2);
 * const vectors = new Float64Array(4);
 * symmetricEigenKernel(new Float64Array([2, 1, 1, 2]), 2, values, vectors);
 * // values = [1, 3]; columns of vectors = ±[1, -1] / √2 and ±[1, 1] / √2
 * ```
 */
export function symmetricEigenKernel(
  a: Float64Array,
  n: number,
  values: Float64Array,
  vectors: Float64Array | null,
): void {
  if (n === 0) return;
  let largest = 0;
  for (let i = 0; i < n; i++) {
    for (let j = i; j < n; j++) {
      const v = Math.abs(a[i * n + j]);
      if (!(v <= largest)) largest = v; // NaN and infinities end up here as well
    }
  }
  if (!Number.isFinite(largest)) {
    values.fill(Number.NaN);
    vectors?.fill(Number.NaN);
    return;
  }
  let scale = 1;
  if (largest > 0 && (largest < SAFE_LOW || largest > SAFE_HIGH)) {
    scale = 2 ** -Math.round(Math.log2(largest));
    for (let i = 0; i < n; i++) for (let j = i; j < n; j++) a[i * n + j] *= scale;
  }
  const d = new Float64Array(n);
  const e = new Float64Array(n);
  const tau = new Float64Array(n);
  tridiagonalize(a, n, d, e, tau);
  if (vectors === null) {
    tridiagonalQL(d, e, n, null);
    const sorted = Float64Array.from(d).sort();
    for (let j = 0; j < n; j++) values[j] = sorted[j] / scale;
    return;
  }
  if (n <= DIVIDE_AND_CONQUER_ABOVE) {
    const z = new Float64Array(n * n);
    formTridiagonalQ(a, n, tau, z);
    tridiagonalQL(d, e, n, z);
    // Ascending order (a stable sort of the indices), the eigenvector columns following.
    const order = Array.from({ length: n }, (_, i) => i).sort((i, j) => d[i] - d[j] || i - j);
    for (let j = 0; j < n; j++) values[j] = d[order[j]] / scale;
    for (let r = 0; r < n; r++) for (let j = 0; j < n; j++) vectors[r * n + j] = z[r * n + order[j]];
    return;
  }
  // T = Z diag(d) Zᵀ (d ascending), then A's eigenvectors are Q Z: Q applied to Z's columns, held as
  // the rows of Zᵀ.
  const z = new Float64Array(n * n);
  tridiagonalDivideConquer(d, e, n, z);
  const zt = new Float64Array(n * n);
  for (let r = 0; r < n; r++) for (let c = 0; c < n; c++) zt[c * n + r] = z[r * n + c];
  const { at, m, k } = shiftedReflectors(a, n);
  applyQKernel(at, m, tau.subarray(0, k), zt, n, n, 1);
  for (let j = 0; j < n; j++) values[j] = d[j] / scale;
  for (let r = 0; r < n; r++) for (let c = 0; c < n; c++) vectors[r * n + c] = zt[c * n + r];
}

/**
 * Householder reduction of the symmetric matrix whose upper triangle is in `a` to the tridiagonal
 * `T = Qᵀ A Q` with diagonal `d` and superdiagonal `e` (`e[n-1] = 0`), `Q = H_0 H_1 ... H_{n-3}`.
 * Reflector `H_k = I - tau[k] v vᵀ` acts on indices `k+1..n-1`; its `v` (with `v[0] = 1`) is left in
 * row `k` of `a`, at columns `k+1..n-1`.
 *
 * Step k needs `p = tau_k A22 v_k` on the trailing block and then updates that block by
 * `A22 -= v wᵀ + w vᵀ`; the update of step k and the product of step k+1 are done in one pass over
 * the block (row k+1 is updated first, as step k+1's reflector comes from it).
 */
function tridiagonalize(a: Float64Array, n: number, d: Float64Array, e: Float64Array, tau: Float64Array): void {
  // Vectors indexed by global row/column: v and w of the current step, v and p of the next one.
  let v = new Float64Array(n);
  const w = new Float64Array(n);
  let vNext = new Float64Array(n);
  let p = new Float64Array(n);
  let pNext = new Float64Array(n);
  // Reflector of step 0 and its product, computed on their own.
  let t = n > 2 ? reflectorOfRow(a, n, 0, v) : 0;
  if (n > 2) {
    tau[0] = t;
    e[0] = a[1];
    if (t !== 0) symmetricProduct(a, n, 1, v, p);
  }
  for (let k = 0; k < n - 2; k++) {
    d[k] = a[k * n + k];
    const first = k + 1;
    const hasUpdate = t !== 0;
    if (hasUpdate) {
      // w = t·p - (t/2)(t·pᵀv) v, with p = A22 v unscaled.
      let pv = 0;
      for (let i = first; i < n; i++) {
        p[i] *= t;
        pv += p[i] * v[i];
      }
      const half = 0.5 * t * pv;
      for (let i = first; i < n; i++) w[i] = p[i] - half * v[i];
      // Row k+1 first: step k+1's reflector is made from it.
      const off = first * n;
      const vi = v[first];
      const wi = w[first];
      for (let j = first; j < n; j++) a[off + j] -= vi * w[j] + wi * v[j];
    }
    if (k + 1 >= n - 2) {
      // The last step: no next reflector, just the update of the remaining rows.
      if (hasUpdate)
        for (let i = first + 1; i < n; i++) {
          const off = i * n;
          const vi = v[i];
          const wi = w[i];
          for (let j = i; j < n; j++) a[off + j] -= vi * w[j] + wi * v[j];
        }
      break;
    }
    // Step k+1's reflector (from the updated row k+1), then one pass: update rows k+2.. with
    // (v, w) and accumulate step k+1's product with the updated values.
    const tNext = reflectorOfRow(a, n, first, vNext);
    tau[first] = tNext;
    e[first] = a[first * n + first + 1];
    const start = first + 1;
    pNext.fill(0, start, n);
    for (let i = start; i < n; i++) {
      const off = i * n;
      const vi = hasUpdate ? v[i] : 0;
      const wi = hasUpdate ? w[i] : 0;
      const ui = vNext[i];
      let x = a[off + i];
      if (hasUpdate) {
        x -= vi * w[i] + wi * v[i];
        a[off + i] = x;
      }
      let s = x * ui;
      if (hasUpdate) {
        for (let j = i + 1; j < n; j++) {
          const y = a[off + j] - (vi * w[j] + wi * v[j]);
          a[off + j] = y;
          s += y * vNext[j];
          pNext[j] += y * ui;
        }
      } else {
        for (let j = i + 1; j < n; j++) {
          const y = a[off + j];
          s += y * vNext[j];
          pNext[j] += y * ui;
        }
      }
      pNext[i] += s;
    }
    // Step k+1 becomes the current step.
    [v, vNext] = [vNext, v];
    [p, pNext] = [pNext, p];
    t = tNext;
    if (t === 0) p.fill(0);
  }
  if (n >= 2) {
    d[n - 2] = a[(n - 2) * n + n - 2];
    e[n - 2] = a[(n - 2) * n + n - 1];
  }
  d[n - 1] = a[(n - 1) * n + n - 1];
  e[n - 1] = 0;
  if (n >= 2) tau[n - 2] = 0;
}

/**
 * Make step k's reflector from row k of `a` (entries k+1..n-1, LAPACK's `dlarfg` convention): leaves
 * `v` in the row (with `v[0] = 1`) and in `v[k+1..n-1]`, the new superdiagonal entry `beta` in
 * `a[k][k+1]`'s place is returned through `a` (read by the caller as `e[k]` before the overwrite) and
 * returns `tau`.
 */
function reflectorOfRow(a: Float64Array, n: number, k: number, v: Float64Array): number {
  const row = k * n;
  const alpha = a[row + k + 1];
  const rest = scaledNorm(a, row + k + 2, n - k - 2);
  if (rest === 0) {
    // The row is already reduced: H_k = I.
    v.fill(0);
    return 0;
  }
  const beta = alpha >= 0 ? -safeHypot(alpha, rest) : safeHypot(alpha, rest);
  const t = (beta - alpha) / beta;
  const inv = 1 / (alpha - beta);
  v.fill(0, 0, k + 1);
  v[k + 1] = 1;
  for (let j = k + 2; j < n; j++) {
    const x = a[row + j] * inv;
    a[row + j] = x;
    v[j] = x;
  }
  // NOTE: a[k][k+1] keeps beta (the tridiagonal entry) for the caller; v's leading 1 is implicit.
  a[row + k + 1] = beta;
  return t;
}

/** `p[first..n-1] = A22 v` for the trailing block from `first`, read from the upper triangle. */
function symmetricProduct(a: Float64Array, n: number, first: number, v: Float64Array, p: Float64Array): void {
  p.fill(0);
  for (let i = first; i < n; i++) {
    const off = i * n;
    const vi = v[i];
    let s = a[off + i] * vi;
    for (let j = i + 1; j < n; j++) {
      const x = a[off + j];
      s += x * v[j];
      p[j] += x * vi;
    }
    p[i] += s;
  }
}

/**
 * The reflectors left in `a` by {@link tridiagonalize}, laid out as the QR kernels expect: `Q =
 * diag(1, Q')` where `Q'` (order `m = n - 1`) is the product of `k = n - 2` reflectors of a QR
 * factorization, reflector j acting on indices j..m-1 of `Q'` (j+1..n-1 of `Q`).
 */
function shiftedReflectors(a: Float64Array, n: number): { at: Float64Array; m: number; k: number } {
  const m = n - 1;
  const k = Math.max(n - 2, 0);
  const at = new Float64Array(k * m);
  for (let j = 0; j < k; j++) {
    const src = j * n + j + 1;
    const dst = j * m + j;
    for (let i = 1; i < m - j; i++) at[dst + i] = a[src + i];
  }
  return { at, m, k };
}

/** Form `Q = H_0 H_1 ... H_{n-3}` row-major in `z` from the reflectors left in `a` by {@link tridiagonalize}. */
function formTridiagonalQ(a: Float64Array, n: number, tau: Float64Array, z: Float64Array): void {
  z.fill(0);
  z[0] = 1;
  if (n === 1) return;
  const { at, m, k } = shiftedReflectors(a, n);
  const qt = new Float64Array(m * m);
  formQKernel(at, m, tau.subarray(0, k), qt, m);
  // Q[r][c] = Q'[r-1][c-1] = qt[(c-1) m + (r-1)].
  for (let c = 1; c < n; c++) {
    const src = (c - 1) * m;
    for (let r = 1; r < n; r++) z[r * n + c] = qt[src + r - 1];
  }
}
