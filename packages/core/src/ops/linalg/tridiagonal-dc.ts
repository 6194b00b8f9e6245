import { matmulKernel } from '../../kernels/cpu/matmul';
import { resolveKernel } from '../../kernels/registry';
import { tridiagonalQL } from './tridiagonal-ql';

// Subproblems of at most this size are solved by implicit QL (as LAPACK's `dstedc` does below 25).
const LEAF_SIZE = 24;

// Half the distance from 1 to the next double.
const UNIT_ROUNDOFF = Number.EPSILON / 2;

// Iterations allowed to one root of a secular equation; the safeguarded rational iteration converges
// in a handful, bisection alone in about 110.
const MAX_SECULAR_ITERATIONS = 200;

/**
 * Eigenvalues and eigenvectors of the symmetric tridiagonal matrix with diagonal `d` and
 * off-diagonal `e` (`e[i]` couples `i` and `i+1`) by divide and conquer (Cuppen's method with the
 * Gu–Eisenstat construction of the eigenvectors, as in LAPACK's `dstedc`). On return `d` holds the
 * eigenvalues in ascending order and `z` (`n * n`, row-major) the orthonormal eigenvectors as columns.
 * `e` is destroyed.
 *
 * `T` is split as `diag(T1, T2) + ρ v vᵀ`; with `T1 = Q1 D1 Q1ᵀ` and `T2 = Q2 D2 Q2ᵀ` solved
 * recursively, the eigenproblem of `diag(D1, D2) + ρ z zᵀ` (a secular equation per eigenvalue) gives
 * `T`'s eigenvectors as `diag(Q1, Q2) U`, one matrix product. Eigenpairs whose `z` entry is negligible,
 * or whose diagonal entries (nearly) coincide, are deflated: they pass through unchanged, which is what
 * makes the method fast on matrices with clustered or repeated eigenvalues.
 *
 * @example
 * ```ts
 * const d = new Float64Array([2, 2]);
 * const z = new Float64Array(4);
 * tridiagonalDivideConquer(d, new Float64Array([1, 0]), 2, z); // d = [1, 3]
 * ```
 */
export function tridiagonalDivideConquer(d: Float64Array, e: Float64Array, n: number, z: Float64Array): void {
  z.fill(0, 0, n * n);
  if (n === 0) return;
  solve(d, e, n, z, 0, n);
}

/** Solve the subproblem on indices [lo, hi) into the diagonal block z[lo:hi, lo:hi]. */
function solve(d: Float64Array, e: Float64Array, n: number, z: Float64Array, lo: number, hi: number): void {
  const size = hi - lo;
  if (size <= LEAF_SIZE) {
    leaf(d, e, n, z, lo, hi);
    return;
  }
  const mid = lo + (size >> 1);
  const beta = e[mid - 1];
  const rho = Math.abs(beta);
  // T = diag(T1 - |β| e_last e_lastᵀ, T2 - |β| e_1 e_1ᵀ) + |β| v vᵀ with v = e_last + sign(β) e_1.
  d[mid - 1] -= rho;
  d[mid] -= rho;
  solve(d, e, n, z, lo, mid);
  solve(d, e, n, z, mid, hi);
  merge(d, n, z, lo, mid, hi, beta);
}

/** A small subproblem: implicit QL on a copy, then sorted into place. */
function leaf(d: Float64Array, e: Float64Array, n: number, z: Float64Array, lo: number, hi: number): void {
  const size = hi - lo;
  const ld = d.slice(lo, hi);
  const le = new Float64Array(size);
  for (let i = 0; i < size - 1; i++) le[i] = e[lo + i];
  const lz = new Float64Array(size * size);
  for (let i = 0; i < size; i++) lz[i * size + i] = 1;
  tridiagonalQL(ld, le, size, lz);
  const order = Array.from({ length: size }, (_, i) => i).sort((i, j) => ld[i] - ld[j] || i - j);
  for (let j = 0; j < size; j++) {
    d[lo + j] = ld[order[j]];
    for (let r = 0; r < size; r++) z[(lo + r) * n + lo + j] = lz[r * size + order[j]];
  }
}

/**
 * Merge the solved halves [lo, mid) and [mid, hi): their eigenvalues are in d, their eigenvectors in
 * z's diagonal blocks; `beta` is the coupling removed by the split.
 */
function merge(d: Float64Array, n: number, z: Float64Array, lo: number, mid: number, hi: number, beta: number): void {
  const size = hi - lo;
  const n1 = mid - lo;
  // The eigenvector matrix of the merged problem so far, diag(Q1, Q2), as a dense size x size copy.
  const q = new Float64Array(size * size);
  for (let r = 0; r < size; r++) {
    const src = (lo + r) * n + lo;
    const [from, to] = r < n1 ? [0, n1] : [n1, size];
    for (let c = from; c < to; c++) q[r * size + c] = z[src + c];
  }
  // z = diag(Q1, Q2)ᵀ v: Q1's last row and ±Q2's first row, normalised (‖v‖² = 2, so ρ = 2|β|).
  const sign = beta < 0 ? -1 : 1;
  const zv = new Float64Array(size);
  for (let c = 0; c < n1; c++) zv[c] = q[(n1 - 1) * size + c] * Math.SQRT1_2;
  for (let c = n1; c < size; c++) zv[c] = sign * q[n1 * size + c] * Math.SQRT1_2;
  const rho = 2 * Math.abs(beta);
  const dv = d.slice(lo, hi);
  // Which rows a column of q is nonzero in: 1 the top block, 2 the bottom one, 3 both.
  const kind = new Uint8Array(size);
  kind.fill(1, 0, n1);
  kind.fill(2, n1, size);

  // The two halves' eigenvalues merged in ascending order.
  const order: number[] = [];
  for (let i = 0, j = n1; i < n1 || j < size; ) {
    if (j >= size || (i < n1 && dv[i] <= dv[j])) order.push(i++);
    else order.push(j++);
  }

  // Deflation (LAPACK's dlaed2): a negligible z entry leaves its pair as it is; two nearly equal
  // diagonal entries are rotated so that one z entry vanishes and that pair deflates.
  let largest = 0;
  for (let i = 0; i < size; i++) largest = Math.max(largest, Math.abs(dv[i]));
  const tol = 8 * UNIT_ROUNDOFF * Math.max(largest, rho);
  const kept: number[] = [];
  const deflated: number[] = [];
  let candidate = -1;
  for (const i of order) {
    if (rho * Math.abs(zv[i]) <= tol) {
      deflated.push(i);
      continue;
    }
    if (candidate < 0) {
      candidate = i;
      continue;
    }
    const j = candidate;
    const t = Math.hypot(zv[j], zv[i]);
    const c = zv[i] / t;
    const s = zv[j] / t;
    if (Math.abs((dv[i] - dv[j]) * c * s) <= tol) {
      // Rotate (j, i) so that z_j = 0: j deflates with eigenvalue c²d_j + s²d_i.
      zv[i] = t;
      zv[j] = 0;
      const dj = dv[j];
      const di = dv[i];
      dv[j] = c * c * dj + s * s * di;
      dv[i] = s * s * dj + c * c * di;
      for (let r = 0; r < size; r++) {
        const x = q[r * size + j];
        const y = q[r * size + i];
        q[r * size + j] = c * x - s * y;
        q[r * size + i] = s * x + c * y;
      }
      kind[i] |= kind[j];
      kind[j] = kind[i];
      deflated.push(j);
    } else {
      kept.push(j);
    }
    candidate = i;
  }
  if (candidate >= 0) kept.push(candidate);

  const k = kept.length;
  const lambda = new Float64Array(k);
  // u[i * k + j] = d_i - λ_j for the kept entries, computed accurately by the secular solver.
  const u = new Float64Array(k * k);
  if (k > 0) {
    const dk = Float64Array.from(kept, (i) => dv[i]);
    const zk = Float64Array.from(kept, (i) => zv[i]);
    secularRoots(dk, zk, rho, k, lambda, u);
    eigenvectorsOfRankOne(dk, zk, rho, k, u);
  }

  // The merged eigenvectors: deflated columns as they are, kept ones q[:, kept] · U in two products
  // (rows of the top block need only the columns nonzero there, and likewise for the bottom).
  const out = new Float64Array(size * k);
  if (k > 0) {
    multiplyKept(q, size, kept, kind, u, k, 1, 0, n1, out);
    multiplyKept(q, size, kept, kind, u, k, 2, n1, size, out);
  }
  // Everything in ascending order of eigenvalue, into z's block and d: column c comes from column
  // source[c] of `out` (a kept pair) or, negated and minus one, of `q` (a deflated one).
  const values: { value: number; source: number }[] = [];
  for (let j = 0; j < k; j++) values.push({ value: lambda[j], source: j });
  for (const i of deflated) values.push({ value: dv[i], source: -1 - i });
  values.sort((a, b) => a.value - b.value);
  const source = values.map((v) => v.source);
  for (let c = 0; c < size; c++) d[lo + c] = values[c].value;
  for (let r = 0; r < size; r++) {
    const row = (lo + r) * n + lo;
    for (let c = 0; c < size; c++) {
      const from = source[c];
      z[row + c] = from >= 0 ? out[r * k + from] : q[r * size - 1 - from];
    }
  }
}

/**
 * Rows [rowFrom, rowTo) of q[:, kept] · U into `out` (size x k), using only the kept columns that are
 * nonzero in those rows (`kind` has bit `half`).
 */
function multiplyKept(
  q: Float64Array,
  size: number,
  kept: readonly number[],
  kind: Uint8Array,
  u: Float64Array,
  k: number,
  half: number,
  rowFrom: number,
  rowTo: number,
  out: Float64Array,
): void {
  const rows = rowTo - rowFrom;
  const cols: number[] = [];
  for (let j = 0; j < k; j++) if (kind[kept[j]] & half) cols.push(j);
  const p = cols.length;
  if (rows === 0) return;
  if (p === 0) {
    out.fill(0, rowFrom * k, rowTo * k);
    return;
  }
  const a = new Float64Array(rows * p);
  for (let r = 0; r < rows; r++) {
    const src = (rowFrom + r) * size;
    for (let c = 0; c < p; c++) a[r * p + c] = q[src + kept[cols[c]]];
  }
  const b = new Float64Array(p * k);
  for (let c = 0; c < p; c++) b.set(u.subarray(cols[c] * k, cols[c] * k + k), c * k);
  resolveKernel('matmul', matmulKernel)(a, 0, b, 0, out, rowFrom * k, rows, p, k, false, false, false);
}

/**
 * The roots `λ_0 < ... < λ_{k-1}` of the secular equation `1 + ρ Σ z_i² / (d_i - λ) = 0` for strictly
 * increasing `d`, nonzero `z` and `ρ > 0`: `λ_j` lies in `(d_j, d_{j+1})` (the last one in
 * `(d_{k-1}, d_{k-1} + ρ‖z‖²)`). Each root is found relative to its nearer pole `d_o` as `λ = d_o + τ`,
 * so that the differences `d_i - λ_j = (d_i - d_o) - τ` written to `diff[i * k + j]` keep their
 * relative accuracy (what makes the eigenvectors orthogonal).
 */
function secularRoots(
  d: Float64Array,
  z: Float64Array,
  rho: number,
  k: number,
  lambda: Float64Array,
  diff: Float64Array,
): void {
  const z2 = new Float64Array(k);
  let norm2 = 0;
  for (let i = 0; i < k; i++) {
    z2[i] = rho * z[i] * z[i];
    norm2 += z2[i];
  }
  const delta = new Float64Array(k);
  for (let j = 0; j < k; j++) {
    const last = j === k - 1;
    // Choose the origin: the pole nearer to the root, decided by the sign of f at the midpoint.
    let origin = j;
    let lo = 0;
    let hi = last ? norm2 : (d[j + 1] - d[j]) / 2;
    if (!last) {
      const mid = hi;
      let f = 1;
      for (let i = 0; i < k; i++) f += z2[i] / (d[i] - d[j] - mid);
      if (f < 0) {
        origin = j + 1;
        lo = -mid;
        hi = 0;
      }
    }
    const dOrigin = d[origin];
    for (let i = 0; i < k; i++) delta[i] = d[i] - dOrigin;
    // The two poles around the root, relative to the origin.
    const left = delta[j];
    const right = last ? Number.POSITIVE_INFINITY : delta[j + 1];
    let tau = (lo + hi) / 2;
    for (let iter = 0; iter < MAX_SECULAR_ITERATIONS; iter++) {
      // g(τ) split into the poles at or left of the root (ψ) and right of it (φ), with derivatives.
      let psi = 0;
      let dpsi = 0;
      let phi = 0;
      let dphi = 0;
      for (let i = 0; i <= j; i++) {
        const t = z2[i] / (delta[i] - tau);
        psi += t;
        dpsi += t / (delta[i] - tau);
      }
      for (let i = j + 1; i < k; i++) {
        const t = z2[i] / (delta[i] - tau);
        phi += t;
        dphi += t / (delta[i] - tau);
      }
      const g = 1 + psi + phi;
      if (g < 0) lo = tau;
      else hi = tau;
      // Converged when g is within its rounding error (that of the sums, and of τ itself in the
      // differences), or the bracket is a few ulps wide.
      const err = UNIT_ROUNDOFF * (8 * (1 + phi - psi) + 2 * Math.abs(tau) * (dpsi + dphi));
      if (Math.abs(g) <= err || hi - lo <= 4 * UNIT_ROUNDOFF * Math.max(Math.abs(lo), Math.abs(hi))) break;
      // Model ψ by a + b/(left - y) and φ by c + e/(right - y), matching values and slopes at τ, and
      // take the model's root in the bracket; bisect when it falls outside. The unknown y is measured
      // from the origin pole, so a root next to it keeps its relative accuracy.
      const b1 = dpsi * (left - tau) * (left - tau);
      const a1 = psi - dpsi * (left - tau);
      let next: number;
      if (last) {
        // 1 + a1 + b1/(0 - y) = 0.
        const c0 = 1 + a1;
        next = c0 > 0 ? b1 / c0 : Number.NaN;
      } else {
        const b2 = dphi * (right - tau) * (right - tau);
        const a2 = phi - dphi * (right - tau);
        const c0 = 1 + a1 + a2;
        const gap = right - left;
        // Origin at the left pole (left = 0, right = gap): c0 y² - (c0·gap + b1 + b2) y + b1·gap = 0.
        // At the right pole (left = -gap, right = 0): c0 y² + (c0·gap - b1 - b2) y - b2·gap = 0.
        const bq = origin === j ? -(c0 * gap + b1 + b2) : c0 * gap - b1 - b2;
        const cq = origin === j ? b1 * gap : -b2 * gap;
        const disc = Math.sqrt(Math.max(bq * bq - 4 * c0 * cq, 0));
        const qq = -0.5 * (bq + (bq >= 0 ? disc : -disc));
        const y1 = qq !== 0 ? cq / qq : Number.NaN;
        const y2 = c0 !== 0 ? qq / c0 : Number.NaN;
        next = y1 > lo && y1 < hi ? y1 : y2;
      }
      if (next === tau) break;
      tau = next > lo && next < hi ? next : (lo + hi) / 2;
    }
    lambda[j] = dOrigin + tau;
    for (let i = 0; i < k; i++) diff[i * k + j] = delta[i] - tau;
  }
}

/**
 * Overwrite `diff` (`d_i - λ_j`) with the orthonormal eigenvectors (columns) of `diag(d) + ρ ẑ ẑᵀ`,
 * where `ẑ` is recomputed from the roots (Gu and Eisenstat) so that the computed eigenvalues are exact
 * for it: `ẑ_i² = Π_j (λ_j - d_i) / (ρ Π_{j≠i} (d_j - d_i))`, in ratios that each lie in (0, 1].
 */
function eigenvectorsOfRankOne(d: Float64Array, z: Float64Array, rho: number, k: number, diff: Float64Array): void {
  const zh = new Float64Array(k);
  for (let i = 0; i < k; i++) {
    // λ_j - d_i = -diff[i][j].
    let prod = -diff[i * k + k - 1] / rho;
    for (let j = 0; j < i; j++) prod *= diff[i * k + j] / (d[i] - d[j]);
    for (let j = i; j < k - 1; j++) prod *= -diff[i * k + j] / (d[j + 1] - d[i]);
    const mag = Math.sqrt(Math.max(prod, 0));
    zh[i] = z[i] < 0 ? -mag : mag;
  }
  for (let j = 0; j < k; j++) {
    let norm = 0;
    for (let i = 0; i < k; i++) {
      const v = zh[i] / diff[i * k + j];
      diff[i * k + j] = v;
      norm += v * v;
    }
    const inv = 1 / Math.sqrt(norm);
    for (let i = 0; i < k; i++) diff[i * k + j] *= inv;
  }
}
