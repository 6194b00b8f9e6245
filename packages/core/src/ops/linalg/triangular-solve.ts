import { registerOp } from '../../op';
import { shapeSize } from '../../shape';
import { Tensor } from '../../tensor';
import { matmulTransposed } from '../matmul';
import { mul } from '../mul';
import { neg } from '../neg';
import { maskMatrix, outputArray } from './common';

/** How {@link triangularSolve} reads its matrix. */
export interface TriangularSolveAttrs {
  /** `a` is upper triangular (its strictly lower part is ignored); otherwise lower triangular. */
  readonly upper: boolean;
  /** Solve `aᵀ x = b` instead of `a x = b`. */
  readonly transpose: boolean;
}

/**
 * Solve `op(A) X = B` for one triangular `n` x `n` matrix (`A` at `aOff` of `a`, `B` and `X` of `p`
 * columns at `bOff`/`xOff`), by substitution in float64.
 */
function substitute(
  a: ArrayLike<number>,
  aOff: number,
  b: ArrayLike<number>,
  bOff: number,
  x: Float64Array,
  n: number,
  p: number,
  { upper, transpose }: TriangularSolveAttrs,
): void {
  // op(A) is upper triangular when exactly one of `upper` and `transpose` holds: solve bottom-up.
  const backwards = upper !== transpose;
  for (let step = 0; step < n; step++) {
    const i = backwards ? n - 1 - step : step;
    const row = i * p;
    for (let c = 0; c < p; c++) x[row + c] = b[bOff + row + c];
    const from = backwards ? i + 1 : 0;
    const to = backwards ? n : i;
    for (let j = from; j < to; j++) {
      const coef = transpose ? a[aOff + j * n + i] : a[aOff + i * n + j];
      if (coef === 0) continue;
      const other = j * p;
      for (let c = 0; c < p; c++) x[row + c] -= coef * x[other + c];
    }
    const pivot = a[aOff + i * n + i];
    for (let c = 0; c < p; c++) x[row + c] /= pivot;
  }
}

const triangularSolveOp: (inputs: readonly Tensor[], attrs: TriangularSolveAttrs) => Tensor =
  registerOp<TriangularSolveAttrs>({
    name: 'triangularSolve',
    forward: ([a, b], attrs) => {
      const n = a.shape[a.ndim - 1];
      const p = b.shape[b.ndim - 1];
      const count = shapeSize(a.shape.slice(0, -2));
      const out = outputArray(b.dtype, count * n * p);
      const x = new Float64Array(n * p);
      for (let k = 0; k < count; k++) {
        substitute(a.values, k * n * n, b.values, k * n * p, x, n, p, attrs);
        out.set(x, k * n * p);
      }
      return new Tensor(out, b.shape, b.dtype);
    },
    backward: (g, { inputs: [a], output: x, attrs }) => {
      // X = op(A)⁻¹ B: gB = op(A)⁻ᵀ gX; g(op(A)) = -gB Xᵀ, transposed back when A was read
      // transposed, and kept on the triangle that is read.
      const gb = triangularSolveOp([a, g], { upper: attrs.upper, transpose: !attrs.transpose });
      if (!a.requiresGrad) return [null, gb];
      const n = a.shape[a.ndim - 1];
      const triangle = maskMatrix(n, a.dtype, (i, j) => (attrs.upper ? j >= i : j <= i));
      const outer = attrs.transpose
        ? matmulTransposed(x, gb, { transB: true })
        : matmulTransposed(gb, x, { transB: true });
      return [neg(mul(outer, triangle)), gb];
    },
  });

/**
 * `X = op(a)⁻¹ b` for a triangular `a` (`[..., n, n]`, only the triangle named by `upper` is read)
 * and `b` (`[..., n, p]`, the same batch), where `op(a)` is `a` or `aᵀ`: like
 * `torch.linalg.solve_triangular`. Internal to the linear-algebra ops (the QR gradient); its own
 * gradient is again a triangular solve, so it differentiates twice.
 *
 * @example
 * ```ts
 * triangularSolve(tensor([[2, 1], [0, 4]]), tensor([[4], [8]]), { upper: true, transpose: false }).toArray(); // [[1], [2]]
 * ```
 */
export function triangularSolve(a: Tensor, b: Tensor, attrs: TriangularSolveAttrs): Tensor {
  return triangularSolveOp([a, b], attrs);
}
