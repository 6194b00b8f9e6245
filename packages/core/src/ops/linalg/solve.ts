import { ShapeError, ValueError } from '../../errors';
import { formatShape } from '../../shape';
import type { Tensor } from '../../tensor';
import { matmulTransposed } from '../matmul';
import { reshape } from '../reshape';
import { checkMatrix } from './common';
import { qr } from './qr';
import { triangularSolve } from './triangular-solve';

/**
 * The solution `x` of `a x = b` for square `a` (`[..., n, n]`), like PyTorch's `torch.linalg.solve`: `b` is
 * `[..., n, k]` (several right-hand sides) or `[..., n]` (one vector, and so is `x`), with `a`'s batch
 * dimensions. Solved through a QR factorisation (`x = R⁻¹ Qᵀ b`; PyTorch uses LU with partial pivoting: the same
 * solution, to rounding), with gradients for `a` and `b`. An `a` singular to working precision (a pivot of `R` at
 * most `n ε` times the largest) is a `ValueError`, as PyTorch's error for a singular matrix, not a matrix of
 * infinities or of rounding noise.
 *
 * See https://pytorch.org/docs/stable/generated/torch.linalg.solve.html
 *
 * @example
 * ```ts
 * solve(tensor([[2, 0], [1, 1]], { dtype: 'float64' }), tensor([4, 3], { dtype: 'float64' })); // [2, 1], to rounding
 * ```
 */
export function solve(a: Tensor, b: Tensor): Tensor {
  const fn = 'solve';
  checkMatrix(fn, 'a', a);
  const n = a.shape[a.ndim - 1];
  if (a.shape[a.ndim - 2] !== n)
    throw new ShapeError(`${fn}: a must be square matrices [..., n, n], got shape ${formatShape(a.shape)}`);
  const batch = a.shape.slice(0, -2);
  if (b === null || typeof b !== 'object' || b.dtype !== a.dtype)
    throw new ValueError(`${fn}: b must be a tensor of a's dtype ${a.dtype}`);
  const vector = b.ndim === a.ndim - 1;
  const bBatch = b.shape.slice(0, vector ? -1 : -2);
  if (
    (!vector && b.ndim !== a.ndim) ||
    b.shape[vector ? b.ndim - 1 : b.ndim - 2] !== n ||
    bBatch.some((d, i) => d !== batch[i])
  )
    throw new ShapeError(
      `${fn}: b must be [..., ${n}] or [..., ${n}, k] with a's batch dimensions ${formatShape(batch)}, got shape ${formatShape(b.shape)}`,
    );
  const { q, r } = qr(a);
  // Singular to working precision: a pivot of R at rounding level next to the largest (PyTorch's LU stops at an
  // exactly zero pivot; QR's rounding leaves ~1e-16 where LU would find 0).
  const rv = r.detach().values;
  const eps = a.dtype === 'float64' ? 2 ** -52 : 2 ** -23;
  for (let m = 0; m < rv.length; m += n * n) {
    let largest = 0;
    for (let i = 0; i < n; i++) largest = Math.max(largest, Math.abs(rv[m + i * n + i]));
    for (let i = 0; i < n; i++)
      if (!(Math.abs(rv[m + i * n + i]) > n * eps * largest))
        throw new ValueError(
          `${fn}: a is singular to working precision (a pivot of its QR factorisation is ${rv[m + i * n + i]} against a largest of ${largest}), so a x = b has no unique solution`,
        );
  }
  const rhs = vector ? reshape(b, [...b.shape, 1]) : b;
  const x = triangularSolve(r, matmulTransposed(q, rhs, { transA: true }), { upper: true, transpose: false });
  return vector ? reshape(x, b.shape) : x;
}
