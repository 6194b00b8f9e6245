import { matmulKernel } from '../../kernels/cpu/matmul';
import { resolveKernel } from '../../kernels/registry';

// Householder QR kernels in float64, with LAPACK's conventions (`dgeqrf`/`dlarfg` for the
// factorization, `dorgqr` for forming Q, `dormqr` for applying it), so that Q and R come out with
// the same signs as LAPACK's, and so PyTorch's.

// The smallest positive x for which 1/x does not overflow, divided by the unit roundoff: below it a
// reflector's norm is computed after rescaling (LAPACK's `safmin / eps` in `dlarfg`).
const RESCALE_BELOW = 2 ** -1022 / 2 ** -53;

/**
 * `√(x² + y²)` without overflow or harmful underflow (LAPACK's `dlapy2`); NaN if either is NaN.
 *
 * @example
 * ```ts
 * safeHypot(3e300, 4e300); // 5e300
 * ```
 */
export function safeHypot(x: number, y: number): number {
  if (Number.isNaN(x) || Number.isNaN(y)) return Number.NaN;
  const ax = Math.abs(x);
  const ay = Math.abs(y);
  const big = Math.max(ax, ay);
  const small = Math.min(ax, ay);
  if (big === 0 || big === Number.POSITIVE_INFINITY) return big;
  const r = small / big;
  return big * Math.sqrt(1 + r * r);
}

/**
 * The Euclidean norm of `x[offset .. offset + length)`, rescaled when the plain sum of squares would
 * overflow or lose precision to underflow.
 *
 * @example
 * ```ts
 * scaledNorm(new Float64Array([0, 3, 4]), 1, 2); // 5
 * ```
 */
export function scaledNorm(x: Float64Array, offset: number, length: number): number {
  let sum = 0;
  for (let i = 0; i < length; i++) {
    const v = x[offset + i];
    sum += v * v;
  }
  if (sum > 2 ** -900 && sum < 2 ** 900) return Math.sqrt(sum);
  let largest = 0;
  for (let i = 0; i < length; i++) {
    const v = Math.abs(x[offset + i]);
    if (!(v <= largest)) largest = v;
  }
  if (largest === 0 || !Number.isFinite(largest)) return largest;
  sum = 0;
  for (let i = 0; i < length; i++) {
    const v = x[offset + i] / largest;
    sum += v * v;
  }
  return largest * Math.sqrt(sum);
}

/**
 * Make the elementary reflector `H = I - tau·[1; v][1; v]ᵀ` that maps `[alpha; x]` to `[beta; 0]`,
 * with `x = buf[offset + 1 .. offset + length)` and `alpha = buf[offset]` (LAPACK's `dlarfg`):
 * `beta = -sign(alpha)·‖[alpha; x]‖`, and `H = I` (`tau = 0`, `beta = alpha`) when `x` is zero.
 * Overwrites `buf[offset]` with `beta` and `x` with `v`; returns `tau`.
 *
 * @example
 * ```ts
 * const col = new Float64Array([3, 4]);
 * makeReflector(col, 0, 2); // tau = 1.6; col = [-5, 0.5]
 * ```
 */
function makeReflector(buf: Float64Array, offset: number, length: number): number {
  if (length <= 1) return 0;
  let alpha = buf[offset];
  let xnorm = scaledNorm(buf, offset + 1, length - 1);
  if (xnorm === 0) return 0;
  // NOTE: Fortran's SIGN(a, -0.0) is -|a|, so a negative zero alpha counts as negative.
  const negative = alpha < 0 || Object.is(alpha, -0);
  let beta = negative ? safeHypot(alpha, xnorm) : -safeHypot(alpha, xnorm);
  let rescaled = 0;
  if (Math.abs(beta) < RESCALE_BELOW) {
    // beta may be inaccurate: scale x and alpha up (by powers of two, exactly) and recompute.
    const up = 1 / RESCALE_BELOW;
    do {
      rescaled++;
      for (let i = 1; i < length; i++) buf[offset + i] *= up;
      beta *= up;
      alpha *= up;
    } while (Math.abs(beta) < RESCALE_BELOW && rescaled < 20);
    xnorm = scaledNorm(buf, offset + 1, length - 1);
    beta = negative ? safeHypot(alpha, xnorm) : -safeHypot(alpha, xnorm);
  }
  const tau = (beta - alpha) / beta;
  const inv = 1 / (alpha - beta);
  for (let i = 1; i < length; i++) buf[offset + i] *= inv;
  for (let j = 0; j < rescaled; j++) beta *= RESCALE_BELOW;
  buf[offset] = beta;
  return tau;
}

// Blocked Householder (LAPACK's geqrf/orgqr scheme): the reflectors of a block of BLOCK columns are
// combined into one block reflector I - V T Vᵀ (the compact WY form), which updates the remaining
// columns with three matrix products run by the matmul kernel instead of one reflector at a time.
// The block reflector is the same operator, so only rounding differs from the unblocked algorithm.
const BLOCK = 32;
// Below this many updated elements (rows x columns) the unblocked update is cheaper.
const BLOCKED_MIN = 96 * 96;

/** `Σ x[xo + i] · y[yo + i]` for `i < len`, with four partial sums (the dot product's latency chain). */
function dot(x: Float64Array, xo: number, y: Float64Array, yo: number, len: number): number {
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  let i = 0;
  for (; i + 3 < len; i += 4) {
    s0 += x[xo + i] * y[yo + i];
    s1 += x[xo + i + 1] * y[yo + i + 1];
    s2 += x[xo + i + 2] * y[yo + i + 2];
    s3 += x[xo + i + 3] * y[yo + i + 3];
  }
  for (; i < len; i++) s0 += x[xo + i] * y[yo + i];
  return s0 + s1 + (s2 + s3);
}

/** Apply `H = I - t·u uᵀ`, `u = [1; buf[vOff + 1 .. vOff + len)]`, to `col[off .. off + len)`. */
function reflect(buf: Float64Array, vOff: number, len: number, t: number, col: Float64Array, off: number): void {
  let s = col[off] + dot(buf, vOff + 1, col, off + 1, len - 1);
  s *= t;
  if (s === 0) return;
  col[off] -= s;
  for (let i = 1; i < len; i++) col[off + i] -= s * buf[vOff + i];
}

/** Scratch space of the blocked updates, grown on demand and reused. */
interface BlockScratch {
  vt: Float64Array;
  t: Float64Array;
  c: Float64Array;
  w: Float64Array;
  w2: Float64Array;
}

function blockScratch(rows: number, len: number): BlockScratch {
  return {
    vt: new Float64Array(BLOCK * len),
    t: new Float64Array(BLOCK * BLOCK),
    c: new Float64Array(rows * len),
    w: new Float64Array(rows * BLOCK),
    w2: new Float64Array(rows * BLOCK),
  };
}

/**
 * Gather reflectors `j0 .. j0 + nb - 1` (stored as in {@link householderQRKernel}'s output, rows of
 * length `m`) into `sc.vt` as a dense `nb` x `len` matrix `Vᵀ` (`len = m - j0`: ones on the
 * diagonal, zeros before it) and build the upper triangular `T` with `H_j0 ... H_{j0+nb-1} = I - V T Vᵀ`
 * (LAPACK's `dlarft`, forward and columnwise).
 */
function formBlockReflector(at: Float64Array, m: number, j0: number, nb: number, tau: Float64Array, sc: BlockScratch) {
  const len = m - j0;
  const { vt, t } = sc;
  vt.fill(0, 0, nb * len);
  for (let r = 0; r < nb; r++) {
    const src = (j0 + r) * m + j0 + r;
    const dst = r * len + r;
    vt[dst] = 1;
    for (let i = 1; i < len - r; i++) vt[dst + i] = at[src + i];
  }
  t.fill(0, 0, nb * nb);
  for (let j = 0; j < nb; j++) {
    const tj = tau[j0 + j];
    t[j * nb + j] = tj;
    if (tj === 0 || j === 0) continue;
    // T[0:j, j] = -tau_j · T[0:j, 0:j] · (V[:, 0:j]ᵀ v_j); v_j is zero before position j.
    for (let i = 0; i < j; i++) t[i * nb + j] = dot(vt, i * len + j, vt, j * len + j, len - j);
    for (let i = 0; i < j; i++) {
      let s = 0;
      for (let l = i; l < j; l++) s += t[i * nb + l] * t[l * nb + j];
      t[i * nb + j] = -tj * s;
    }
  }
}

/**
 * Apply the block reflector in `sc` (`nb` reflectors over `len` rows) from the left to the columns
 * stored as rows `first .. first + count - 1` of `buf` (row length `stride`, entries `from .. from +
 * len`): `C <- (I - V Tᵀ Vᵀ) C` when `adjoint` (the factorization's update, `Qᵀ C`), else
 * `C <- (I - V T Vᵀ) C` (forming `Q`). Works on `Cᵀ`: `Cᵀ -= (Cᵀ V) op(T) Vᵀ`, three matmuls.
 */
function applyBlockReflector(
  buf: Float64Array,
  stride: number,
  first: number,
  count: number,
  from: number,
  len: number,
  nb: number,
  adjoint: boolean,
  sc: BlockScratch,
): void {
  const { vt, t, c, w, w2 } = sc;
  const matmul = resolveKernel('matmul', matmulKernel);
  for (let r = 0; r < count; r++) {
    const src = (first + r) * stride + from;
    for (let i = 0; i < len; i++) c[r * len + i] = buf[src + i];
  }
  matmul(c, 0, vt, 0, w, 0, count, len, nb, false, true, false);
  matmul(w, 0, t, 0, w2, 0, count, nb, nb, false, !adjoint, false);
  for (let i = 0; i < count * nb; i++) w2[i] = -w2[i];
  matmul(w2, 0, vt, 0, c, 0, count, nb, len, false, false, true);
  for (let r = 0; r < count; r++) {
    const dst = (first + r) * stride + from;
    for (let i = 0; i < len; i++) buf[dst + i] = c[r * len + i];
  }
}

/**
 * Householder QR of one `m` x `n` matrix stored by columns: `at` is `Aᵀ` row-major (`n` rows of
 * length `m`, row `j` = column `j` of `A`), so every reflector works on contiguous memory. On return,
 * row `j` holds `R`'s column `j` in its first `min(j + 1, m)` entries and reflector `j`'s vector
 * below the diagonal (LAPACK's `dgeqrf` layout, transposed); `tau` gets the `min(m, n)` scalars.
 * Blocks of 32 reflectors update the remaining columns through the matmul kernel.
 *
 * @example
 * ```ts
 * const at = new Float64Array([3, 4]); // A = [[3], [4]]
 * const tau = new Float64Array(1);
 * householderQRKernel(at, 2, 1, tau); // R = [[-5]], tau = [1.6]
 * ```
 */
export function householderQRKernel(at: Float64Array, m: number, n: number, tau: Float64Array): void {
  const k = Math.min(m, n);
  let sc: BlockScratch | null = null;
  for (let j0 = 0; j0 < k; j0 += BLOCK) {
    const j1 = Math.min(j0 + BLOCK, k);
    // Factor the block's columns, updating only the block.
    for (let j = j0; j < j1; j++) {
      const t = makeReflector(at, j * m + j, m - j);
      tau[j] = t;
      if (t !== 0) for (let c = j + 1; c < j1; c++) reflect(at, j * m + j, m - j, t, at, c * m + j);
    }
    if (j1 >= n) continue;
    const len = m - j0;
    if ((n - j1) * len >= BLOCKED_MIN && j1 - j0 > 1) {
      sc ??= blockScratch(n, m);
      formBlockReflector(at, m, j0, j1 - j0, tau, sc);
      applyBlockReflector(at, m, j1, n - j1, j0, len, j1 - j0, true, sc);
    } else {
      for (let c = j1; c < n; c++)
        for (let j = j0; j < j1; j++) if (tau[j] !== 0) reflect(at, j * m + j, m - j, tau[j], at, c * m + j);
    }
  }
}

/**
 * Form the first `cols` columns of `Q = H_0 H_1 ... H_{k-1}` (`k = tau.length`, `k <= cols <= m`)
 * from the reflectors left in `at` by {@link householderQRKernel} (LAPACK's `dorgqr`), into `qt`:
 * `Qᵀ` row-major, `cols` rows of length `m`.
 *
 * @example
 * ```ts
 * const qt = new Float64Array(2);
 * formQKernel(new Float64Array([-5, 0.5]), 2, new Float64Array([1.6]), qt, 1); // Q = [[-0.6], [-0.8]]
 * ```
 */
export function formQKernel(at: Float64Array, m: number, tau: Float64Array, qt: Float64Array, cols: number): void {
  const k = tau.length;
  qt.fill(0, 0, cols * m);
  for (let j = k; j < cols; j++) qt[j * m + j] = 1;
  let sc: BlockScratch | null = null;
  // Blocks of reflectors last to first: first to the columns after the block, then, one reflector
  // at a time, within the block (as dorg2r does).
  for (let j0 = Math.floor(Math.max(k - 1, 0) / BLOCK) * BLOCK; j0 >= 0 && k > 0; j0 -= BLOCK) {
    const j1 = Math.min(j0 + BLOCK, k);
    const len = m - j0;
    if (j1 < cols) {
      if ((cols - j1) * len >= BLOCKED_MIN && j1 - j0 > 1) {
        sc ??= blockScratch(cols, m);
        formBlockReflector(at, m, j0, j1 - j0, tau, sc);
        applyBlockReflector(qt, m, j1, cols - j1, j0, len, j1 - j0, false, sc);
      } else {
        for (let c = j1; c < cols; c++)
          for (let j = j1 - 1; j >= j0; j--) if (tau[j] !== 0) reflect(at, j * m + j, m - j, tau[j], qt, c * m + j);
      }
    }
    for (let j = j1 - 1; j >= j0; j--) {
      const vOff = j * m + j;
      const jl = m - j;
      const t = tau[j];
      if (t !== 0) for (let c = j + 1; c < j1; c++) reflect(at, vOff, jl, t, qt, c * m + j);
      // Column j itself: H_j e_j.
      const off = j * m + j;
      qt[off] = 1 - t;
      for (let i = 1; i < jl; i++) qt[off + i] = -t * at[vOff + i];
    }
  }
}

/**
 * Apply `Q = H_0 H_1 ... H_{k-1}` (`k = tau.length`, reflectors over vectors of length `m` left in
 * `at` by {@link householderQRKernel}) from the left to `count` vectors stored as rows of `buf`: row
 * `r` is the vector `buf[r * stride + offset .. + m)`. LAPACK's `dormqr` ('L', 'N'), with blocks of
 * reflectors applied through the matmul kernel.
 *
 * @example
 * ```ts
 * const buf = new Float64Array([1, 0]); // e_0
 * applyQKernel(new Float64Array([-5, 0.5]), 2, new Float64Array([1.6]), buf, 1, 2, 0); // buf = Q e_0 = [-0.6, -0.8]
 * ```
 */
export function applyQKernel(
  at: Float64Array,
  m: number,
  tau: Float64Array,
  buf: Float64Array,
  count: number,
  stride: number,
  offset: number,
): void {
  const k = tau.length;
  let sc: BlockScratch | null = null;
  for (let j0 = Math.floor(Math.max(k - 1, 0) / BLOCK) * BLOCK; j0 >= 0 && k > 0; j0 -= BLOCK) {
    const j1 = Math.min(j0 + BLOCK, k);
    const len = m - j0;
    if (count * len >= BLOCKED_MIN && j1 - j0 > 1) {
      sc ??= blockScratch(count, m);
      formBlockReflector(at, m, j0, j1 - j0, tau, sc);
      applyBlockReflector(buf, stride, 0, count, offset + j0, len, j1 - j0, false, sc);
    } else {
      for (let r = 0; r < count; r++)
        for (let j = j1 - 1; j >= j0; j--)
          if (tau[j] !== 0) reflect(at, j * m + j, m - j, tau[j], buf, r * stride + offset + j);
    }
  }
}
