import { optionNames } from '../../check-options';
import { allocate } from '../../dtype';
import { AutogradError, ValueError } from '../../errors';
import { resolveKernel } from '../../kernels/registry';
import { registerOp } from '../../op';
import { formatShape, shapeSize } from '../../shape';
import { Tensor } from '../../tensor';
import { add } from '../add';
import { concat } from '../concat';
import { matmul, matmulTransposed } from '../matmul';
import { mul } from '../mul';
import { reshape } from '../reshape';
import { narrow } from '../slice';
import { sub } from '../sub';
import { transpose } from '../transpose';
import { checkMatrix, maskMatrix, optionsOf, outputArray } from './common';
import { formQKernel, householderQRKernel } from './householder';
import { triangularSolve } from './triangular-solve';

/** What {@link qr} computes, as PyTorch's `mode` argument of `torch.linalg.qr`. */
export type QRMode = 'reduced' | 'complete' | 'r';

/** Options of {@link qr}. */
export interface QROptions {
  /**
   * `'reduced'` (default): `q` is `[..., m, k]` and `r` is `[..., k, n]` with `k = min(m, n)`;
   * `'complete'`: `q` is `[..., m, m]` and `r` is `[..., m, n]`; `'r'`: only `r` (`[..., k, n]`),
   * and `q` is an empty tensor of shape `[0]`.
   */
  mode?: QRMode;
}

const QR_OPTIONS = optionNames<QROptions>({ mode: true });

/** The result of {@link qr}, like PyTorch's `(Q, R)`. */
export interface QRResult {
  /** The factor with orthonormal columns (an empty `[0]` tensor in mode `'r'`). */
  q: Tensor;
  /** The upper triangular (upper trapezoidal when `m < n`) factor. */
  r: Tensor;
}

interface QRAttrs {
  readonly mode: QRMode;
}

/** The sizes of Q's and R's matrices for an `m` x `n` input in `mode`. */
function factorShapes(m: number, n: number, mode: QRMode): { qCols: number; rRows: number } {
  const k = Math.min(m, n);
  if (mode === 'complete') return { qCols: m, rRows: m };
  return { qCols: mode === 'r' ? 0 : k, rRows: k };
}

// NOTE: an op has one output, so this op returns Q and R flattened and packed end to end:
// [..., m * qCols + rRows * n]. qr() slices and reshapes them apart.
const qrOp = registerOp<QRAttrs>({
  name: 'qr',
  forward: ([a], { mode }) => {
    const m = a.shape[a.ndim - 2];
    const n = a.shape[a.ndim - 1];
    const k = Math.min(m, n);
    const { qCols, rRows } = factorShapes(m, n, mode);
    const qSize = m * qCols;
    const rSize = rRows * n;
    const batch = a.shape.slice(0, -2);
    const count = shapeSize(batch);
    const out = outputArray(a.dtype, count * (qSize + rSize));
    const src = a.values;
    const at = new Float64Array(n * m);
    const tau = new Float64Array(k);
    const qt = new Float64Array(qCols * m);
    const factor = resolveKernel('qr', householderQRKernel);
    const formQ = resolveKernel('qrFormQ', formQKernel);
    for (let b = 0; b < count; b++) {
      const inOff = b * m * n;
      for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) at[j * m + i] = src[inOff + i * n + j];
      factor(at, m, n, tau);
      const outOff = b * (qSize + rSize);
      if (qCols > 0) {
        formQ(at, m, tau, qt, qCols);
        for (let i = 0; i < m; i++) for (let c = 0; c < qCols; c++) out[outOff + i * qCols + c] = qt[c * m + i];
      }
      const rOff = outOff + qSize;
      for (let i = 0; i < rRows; i++)
        for (let j = 0; j < n; j++) out[rOff + i * n + j] = j >= i && i < m ? at[j * m + i] : 0;
    }
    return new Tensor(out, [...batch, qSize + rSize], a.dtype);
  },
  backward: (g, { inputs: [a], output, attrs: { mode } }) => {
    const m = a.shape[a.ndim - 2];
    const n = a.shape[a.ndim - 1];
    if (mode === 'r')
      throw new AutogradError(
        "qr: the gradient of qr depends on Q, which mode 'r' does not compute; use mode 'reduced' to differentiate through qr",
      );
    if (mode === 'complete' && m > n)
      throw new AutogradError(
        `qr: the QR decomposition is not differentiable in mode 'complete' when a has more rows than columns (got shape ${formatShape(a.shape)}); use mode 'reduced'`,
      );
    const { qCols, rRows } = factorShapes(m, n, mode);
    const batch = a.shape.slice(0, -2);
    const unpack = (t: Tensor) => ({
      q: reshape(narrow(t, -1, 0, m * qCols), [...batch, m, qCols]),
      r: reshape(narrow(t, -1, m * qCols, m * qCols + rRows * n), [...batch, rRows, n]),
    });
    const { q, r } = unpack(output);
    const { q: gq, r: gr } = unpack(g);
    if (m >= n) return [tallBackward(q, r, gq, gr)];
    // A = [X | Y] with X square: X = Q U and Y = Q V for R = [U | V]. X's QR carries the gradient,
    // with gQ picking up Y gVᵀ; Y = Q V gives gY = Q gV.
    const u = narrow(r, -1, 0, m);
    const v = narrow(r, -1, m, n);
    const gu = narrow(gr, -1, 0, m);
    const gv = narrow(gr, -1, m, n);
    const y = matmul(q, v);
    const gx = tallBackward(q, u, add(gq, matmulTransposed(y, gv, { transB: true })), gu);
    return [concat([gx, matmul(q, gv)], -1)];
  },
});

/**
 * The VJP of the QR decomposition of an `m` x `n` matrix with `m >= n` (reduced factors: `q` is
 * `m` x `n`, `r` is `n` x `n`): with `M = R gRᵀ - gQᵀ Q` and `copyltu(M)` the symmetric matrix with
 * `M`'s lower triangle, `gA = (gQ + Q copyltu(M)) R⁻ᵀ`.
 */
function tallBackward(q: Tensor, r: Tensor, gq: Tensor, gr: Tensor): Tensor {
  const n = r.shape[r.ndim - 1];
  const lower = maskMatrix(n, r.dtype, (i, j) => j <= i);
  const strictlyLower = maskMatrix(n, r.dtype, (i, j) => j < i);
  const mm = sub(matmulTransposed(r, gr, { transB: true }), matmulTransposed(gq, q, { transA: true }));
  const sym = add(mul(mm, lower), transpose(mul(mm, strictlyLower), -1, -2));
  const b = add(gq, matmul(q, sym));
  // B R⁻ᵀ = (R⁻¹ Bᵀ)ᵀ
  return transpose(triangularSolve(r, transpose(b, -1, -2), { upper: true, transpose: false }), -1, -2);
}

/**
 * The QR decomposition `a = Q R` of a matrix (or a batch of them), like PyTorch's
 * `torch.linalg.qr`: `Q` has orthonormal columns and `R` is upper triangular.
 *
 * `a` has shape `[..., m, n]` (leading dimensions are a batch); with `k = min(m, n)`, mode
 * `'reduced'` (default) gives `Q: [..., m, k]`, `R: [..., k, n]`; `'complete'` gives
 * `Q: [..., m, m]`, `R: [..., m, n]`; `'r'` gives only `R: [..., k, n]` and an empty `Q` of shape
 * `[0]`, as PyTorch does.
 *
 * Algorithm: Householder reflections with LAPACK's conventions (`geqrf`/`larfg` for the
 * factorization, `orgqr` for `Q`): each reflector maps its column to `-sign(a_jj)·‖column‖·e_j`, so
 * `R`'s diagonal has the sign LAPACK gives it (often negative) and `Q` and `R` are PyTorch's numbers,
 * not merely equal up to signs. A column that is already zero below the diagonal is left as it is
 * (no reflection). Computed in float64, also for float32 input (rounded once at the end). For a
 * rank-deficient `a`, the columns of `Q` past the rank depend on rounding (in any implementation).
 *
 * Gradient (PyTorch's), for modes `'reduced'` and `'complete'` with `m <= n`: for `m >= n`,
 * `gA = (gQ + Q copyltu(M)) R⁻ᵀ` with `M = R gRᵀ − gQᵀ Q` and `copyltu(M)` the symmetric matrix
 * with `M`'s lower triangle; for `m < n`, `a = [X | Y]` with `X` square is differentiated through
 * `X = Q U`, `Y = Q V`. As in PyTorch, mode `'r'` and mode `'complete'` with `m > n` are not
 * differentiable: backpropagating through them throws an {@link AutogradError}. Gradients of
 * gradients work. `R` must be invertible (full rank `a`) for the gradient to be finite.
 *
 * @param a - a float32 or float64 tensor of shape `[..., m, n]`
 * @param options - `mode`: `'reduced'` (default), `'complete'` or `'r'`
 * @returns `{ q, r }` in `a`'s dtype
 * @throws {@link DTypeError} for an integer `a`; {@link ShapeError} if `a` has fewer than 2
 *   dimensions; {@link ValueError} for an unknown option or mode
 *
 * @example
 * ```ts
 * const { q, r } = qr(tensor([[3, 1], [4, 2]], { dtype: 'float64' }));
 * q.toArray(); // ≈ [[-0.6, -0.8], [-0.8, 0.6]]
 * r.toArray(); // ≈ [[-5, -2.2], [0, 0.4]]: R's diagonal keeps LAPACK's (and PyTorch's) signs
 * ```
 */
export function qr(a: Tensor, options?: QROptions): QRResult {
  checkMatrix('qr', 'a', a);
  const { mode = 'reduced' } = optionsOf('qr', options, QR_OPTIONS);
  if (mode !== 'reduced' && mode !== 'complete' && mode !== 'r')
    throw new ValueError(`qr: options.mode must be 'reduced', 'complete' or 'r', got ${JSON.stringify(mode)}`);
  const m = a.shape[a.ndim - 2];
  const n = a.shape[a.ndim - 1];
  const { qCols, rRows } = factorShapes(m, n, mode);
  const batch = a.shape.slice(0, -2);
  const packed = qrOp([a], { mode });
  const qSize = m * qCols;
  const r = reshape(narrow(packed, -1, qSize, qSize + rRows * n), [...batch, rRows, n]);
  if (mode === 'r') return { q: new Tensor(allocate(a.dtype, 0), [0], a.dtype), r };
  return { q: reshape(narrow(packed, -1, 0, qSize), [...batch, m, qCols]), r };
}
