import { eye } from '../../creation';
import { ShapeError, ValueError } from '../../errors';
import { formatShape } from '../../shape';
import type { Tensor } from '../../tensor';
import { abs } from '../abs';
import { add } from '../add';
import { div } from '../div';
import { matmul } from '../matmul';
import { max } from '../max';
import { sum } from '../sum';
import { checkMatrix } from './common';

/** The degree of the Taylor polynomial: past it, the series' terms of a matrix of norm 1/2 are below 1e-20. */
const DEGREE = 18;

/**
 * The matrix exponential `exp(A) = Σ Aᵏ / k!` of square matrices `a` (`[..., n, n]`), like PyTorch's
 * `torch.linalg.matrix_exp`: scaling and squaring, `exp(A) = exp(A / 2ˢ)^(2ˢ)` with `s` chosen so that the
 * largest 1-norm of the batch's matrices scaled is at most 1/2, and the Taylor polynomial of degree 18 of the
 * scaled matrix. It is a composite of matrix products and sums, so its gradient (the Fréchet derivative, to
 * rounding) and its gradient's gradient are those ops'. Choosing `s` reads the norms on the host.
 *
 * See https://pytorch.org/docs/stable/generated/torch.linalg.matrix_exp.html
 *
 * @example
 * ```ts
 * matrixExp(tensor([[0, 1], [-1, 0]], { dtype: 'float64' })); // [[cos 1, sin 1], [-sin 1, cos 1]]
 * matrixExp(zeros([3, 3])); // the identity
 * ```
 */
export function matrixExp(a: Tensor): Tensor {
  const fn = 'matrixExp';
  checkMatrix(fn, 'a', a);
  const n = a.shape[a.ndim - 1];
  if (a.shape[a.ndim - 2] !== n)
    throw new ShapeError(`${fn}: a must be square matrices [..., n, n], got shape ${formatShape(a.shape)}`);
  const id = eye(n, n, { dtype: a.dtype });
  if (a.size === 0) return add(a, 0);
  // The 1-norm (largest column sum of |a|) of the batch's largest matrix decides the scaling.
  const norm = max(sum(abs(a.detach()), -2)).item();
  if (!Number.isFinite(norm))
    throw new ValueError(`${fn}: a holds a non-finite value (its 1-norm is ${norm}); the exponential would be NaN`);
  const squarings = norm > 0.5 ? Math.ceil(Math.log2(norm / 0.5)) : 0;
  const x = squarings === 0 ? a : div(a, 2 ** squarings);
  // Horner: I + X (I + X/2 (I + X/3 (... (I + X/18)))).
  let p = add(id, div(x, DEGREE));
  for (let k = DEGREE - 1; k >= 1; k--) p = add(id, div(matmul(x, p), k));
  for (let i = 0; i < squarings; i++) p = matmul(p, p);
  return p;
}
