import { optionNames } from '../../check-options';
import { ShapeError, ValueError } from '../../errors';
import { resolveKernel } from '../../kernels/registry';
import { registerOp } from '../../op';
import { formatShape, shapeSize } from '../../shape';
import { Tensor } from '../../tensor';
import { add } from '../add';
import { div } from '../div';
import { matmul, matmulTransposed } from '../matmul';
import { mul } from '../mul';
import { reshape } from '../reshape';
import { narrow } from '../slice';
import { sub } from '../sub';
import { transpose } from '../transpose';
import { checkMatrix, isAllZero, maskMatrix, optionsOf, outputArray } from './common';
import { symmetricEigenKernel } from './symmetric-eigen';

/** Options of {@link eigh}. */
export interface EighOptions {
  /**
   * Which triangle of `a` is read: `'L'` (default, as in PyTorch) for the lower one, `'U'` for the
   * upper one. The other triangle is ignored, so `a` need not be exactly symmetric.
   */
  uplo?: 'L' | 'U';
}

const EIGH_OPTIONS = optionNames<EighOptions>({ uplo: true });

/** The result of {@link eigh}, like PyTorch's `(eigenvalues, eigenvectors)`. */
export interface EighResult {
  /** The eigenvalues in ascending order, shape `[..., n]`. */
  eigenvalues: Tensor;
  /** The orthonormal eigenvectors as columns, shape `[..., n, n]`: column `j` belongs to eigenvalue `j`. */
  eigenvectors: Tensor;
}

interface EighAttrs {
  readonly uplo: 'L' | 'U';
}

// NOTE: an op has one output, so this op returns both results packed as [..., n + 1, n]: row 0 holds
// the eigenvalues and rows 1..n the eigenvectors. eigh() slices them apart; the slices' VJPs put
// each upstream gradient back in its rows (zeros where a result was not used).
const eighOp = registerOp<EighAttrs>({
  name: 'eigh',
  forward: ([a], { uplo }) => {
    const n = a.shape[a.ndim - 1];
    const batch = a.shape.slice(0, -2);
    const count = shapeSize(batch);
    const out = outputArray(a.dtype, count * (n + 1) * n);
    const src = a.values;
    const work = new Float64Array(n * n);
    const values = new Float64Array(n);
    const vectors = new Float64Array(n * n);
    const kernel = resolveKernel('eigh', symmetricEigenKernel);
    for (let b = 0; b < count; b++) {
      const inOff = b * n * n;
      // The kernel reads the upper triangle: 'U' is copied as is, 'L' transposed into it.
      for (let i = 0; i < n; i++) {
        for (let j = i; j < n; j++) work[i * n + j] = uplo === 'U' ? src[inOff + i * n + j] : src[inOff + j * n + i];
      }
      kernel(work, n, values, vectors);
      const outOff = b * (n + 1) * n;
      for (let j = 0; j < n; j++) out[outOff + j] = values[j];
      for (let i = 0; i < n * n; i++) out[outOff + n + i] = vectors[i];
    }
    return new Tensor(out, [...batch, n + 1, n], a.dtype);
  },
  backward: (g, { inputs: [a], output }) => {
    // PyTorch's formula (linalg_eig_backward with is_hermitian): with A = V diag(L) Vᵀ,
    //   gA = V (diag(gL) + ((VᵀgV - gVᵀV)/2) / E) Vᵀ,   E_ij = L_j - L_i (i != j).
    // The result is symmetric; it is the gradient with respect to a symmetric A.
    const n = a.shape[a.ndim - 1];
    const values = narrow(output, -2, 0, 1);
    const vectors = narrow(output, -2, 1, n + 1);
    const gValues = narrow(g, -2, 0, 1);
    const gVectors = narrow(g, -2, 1, n + 1);
    // NOTE: PyTorch skips the eigenvector term when the eigenvectors were not used (their gradient is
    // undefined there, all zeros here): the eigenvalues' gradient then stays finite for repeated
    // eigenvalues, where E has zeros off the diagonal.
    if (isAllZero(gVectors)) return [matmulTransposed(mul(vectors, gValues), vectors, { transB: true })];
    const identity = maskMatrix(n, a.dtype, (i, j) => i === j);
    const vtgv = matmulTransposed(vectors, gVectors, { transA: true });
    const skew = mul(sub(vtgv, transpose(vtgv, -1, -2)), 0.5);
    const gaps = add(sub(values, transpose(values, -1, -2)), identity);
    const middle = add(div(skew, gaps), mul(gValues, identity));
    return [matmul(vectors, matmulTransposed(middle, vectors, { transB: true }))];
  },
});

/**
 * The eigenvalues and eigenvectors of a real symmetric matrix (or a batch of them), like PyTorch's
 * `torch.linalg.eigh`: `a = V diag(L) Vᵀ` with `L` ascending and `V` orthogonal.
 *
 * `a` has shape `[..., n, n]` (leading dimensions are a batch); only the triangle named by `uplo`
 * (default `'L'`) is read. Each eigenvector is determined up to its sign (and, for a repeated
 * eigenvalue, up to a rotation within its eigenspace); nabla's signs need not be LAPACK's, so compare
 * eigenvectors with PyTorch's column by column up to sign.
 *
 * Algorithm (O(n³), as LAPACK's `syevd` that PyTorch calls): Householder reduction to a tridiagonal
 * matrix; then, above 24 rows, divide and conquer on it (Cuppen's splitting, deflation of negligible
 * and coinciding components, secular equations solved relative to the nearer pole, eigenvectors by
 * the Gu–Eisenstat construction so that they are orthogonal), with the matrix products and the final
 * application of the Householder reflectors run by the matmul kernel; at 24 rows or fewer, implicit
 * QL sweeps with Wilkinson shifts. Everything runs in float64, also for float32 input, whose results
 * are rounded once at the end: float32 results are then as accurate as float32 can store, a little
 * more accurate than PyTorch's (which computes in float32), and agree with them to PyTorch's own
 * float32 error. A matrix holding a NaN or an infinity gives NaN everywhere, as in PyTorch.
 *
 * Gradient (PyTorch's): `gA = V (diag(gL) + F ∘ (VᵀgV − gVᵀV)/2) Vᵀ` with `F_ij = 1 / (L_j − L_i)`
 * off the diagonal. It is symmetric: the gradient with respect to a symmetric `a` (perturbing one
 * triangle alone is not what it describes). When the eigenvectors are used and two eigenvalues are
 * equal, `F` is infinite and the gradient is not finite, exactly as in PyTorch: eigenvectors of a
 * repeated eigenvalue are not differentiable functions of `a`. A loss of the eigenvalues alone has a
 * finite gradient (`V diag(gL) Vᵀ`) in every case. Gradients of gradients work.
 *
 * @param a - a float32 or float64 tensor of shape `[..., n, n]`
 * @param options - `uplo`: the triangle to read, `'L'` (default) or `'U'`
 * @returns `{ eigenvalues: [..., n], eigenvectors: [..., n, n] }` in `a`'s dtype
 * @throws {@link DTypeError} for an integer `a`; {@link ShapeError} if `a` has fewer than 2 dimensions
 *   or is not square; {@link ValueError} for an unknown option or `uplo`
 *
 * @example
 * ```ts
 * const { eigenvalues, eigenvectors } = eigh(tensor([[2, 1], [1, 2]], { dtype: 'float64' }));
 * eigenvalues.toArray(); // ≈ [1, 3]
 * eigenvectors.toArray(); // ≈ [[0.7071, 0.7071], [-0.7071, 0.7071]] (each column up to its sign)
 * ```
 */
export function eigh(a: Tensor, options?: EighOptions): EighResult {
  checkMatrix('eigh', 'a', a);
  const { uplo = 'L' } = optionsOf('eigh', options, EIGH_OPTIONS);
  if (uplo !== 'L' && uplo !== 'U')
    throw new ValueError(`eigh: options.uplo must be 'L' or 'U', got ${JSON.stringify(uplo)}`);
  const n = a.shape[a.ndim - 1];
  if (a.shape[a.ndim - 2] !== n)
    throw new ShapeError(`eigh: a must be square in its last two dimensions, got shape ${formatShape(a.shape)}`);
  const packed = eighOp([a], { uplo });
  const batch = a.shape.slice(0, -2);
  return {
    eigenvalues: reshape(narrow(packed, -2, 0, 1), [...batch, n]),
    eigenvectors: narrow(packed, -2, 1, n + 1),
  };
}
