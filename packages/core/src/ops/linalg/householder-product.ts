import { eye } from '../../creation';
import { ShapeError } from '../../errors';
import { formatShape } from '../../shape';
import type { Tensor } from '../../tensor';
import { add } from '../add';
import { expand } from '../expand';
import { matmulTransposed } from '../matmul';
import { mul } from '../mul';
import { reshape } from '../reshape';
import { narrow } from '../slice';
import { sub } from '../sub';
import { tril } from '../tril';
import { checkMatrix } from './common';

/**
 * The first `n` columns of the product of Householder reflectors `H₁ H₂ … H_k`, `Hᵢ = I - τᵢ vᵢ vᵢᵀ`, like
 * PyTorch's `torch.linalg.householder_product` (LAPACK's `orgqr`): `vᵢ` is column `i` of `a` (`[..., m, n]`,
 * `m ≥ n`) below the diagonal, with 1 on the diagonal and 0 above; `tau` is `[..., k]`, `k ≤ n`. With the output
 * of a QR factorisation in LAPACK's packed form it gives `Q`. A composite of matrix products, with their
 * gradients (also with respect to `tau`).
 *
 * See https://pytorch.org/docs/stable/generated/torch.linalg.householder_product.html
 *
 * @example
 * ```ts
 * householderProduct(zeros([3, 2]), tensor([2, 0])); // [[-1, 0], [0, 1], [0, 0]]: H₁ reflects e₁
 * ```
 */
export function householderProduct(a: Tensor, tau: Tensor): Tensor {
  const fn = 'householderProduct';
  checkMatrix(fn, 'a', a);
  const m = a.shape[a.ndim - 2];
  const n = a.shape[a.ndim - 1];
  const batch = a.shape.slice(0, -2);
  if (m < n)
    throw new ShapeError(`${fn}: a must have at least as many rows as columns, got shape ${formatShape(a.shape)}`);
  if (
    tau === null ||
    typeof tau !== 'object' ||
    tau.dtype !== a.dtype ||
    tau.ndim !== a.ndim - 1 ||
    tau.shape.slice(0, -1).some((d, i) => d !== batch[i]) ||
    tau.shape[tau.ndim - 1] > n
  )
    throw new ShapeError(
      `${fn}: tau must be a ${a.dtype} tensor [..., k] with a's batch dimensions and k <= ${n}, got ${
        tau && typeof tau === 'object' ? `${tau.dtype} of shape ${formatShape(tau.shape)}` : String(tau)
      }`,
    );
  const k = tau.shape[tau.ndim - 1];
  // The reflectors' vectors: a's strictly lower part with a unit diagonal.
  const v = add(tril(a, -1), eye(m, n, { dtype: a.dtype }));
  // Q = H₁ (H₂ (… (H_k I[:, :n]))): each reflector applied as M - τᵢ vᵢ (vᵢᵀ M).
  let q = expand(eye(m, n, { dtype: a.dtype }), [...batch, m, n]);
  for (let i = k - 1; i >= 0; i--) {
    const vi = narrow(v, -1, i, i + 1); // [..., m, 1]
    const ti = reshape(narrow(tau, -1, i, i + 1), [...batch, 1, 1]);
    const proj = matmulTransposed(vi, q, { transA: true }); // [..., 1, n]
    q = sub(q, mul(ti, matmulTransposed(vi, proj)));
  }
  return q;
}
