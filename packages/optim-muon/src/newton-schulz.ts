import { isFloatingDType, matmul, matmulTransposed, maximum, type Tensor, tidy, ValueError } from '@nablajs/core';

/**
 * The quintic Newton-Schulz coefficients `(a, b, c) = (3.4445, -4.775, 2.0315)` of Keller Jordan's Muon,
 * also PyTorch 2.9's defaults: chosen for a steep slope at zero, so that five steps take every
 * singular value that is not tiny (≥ 1e-3 after the normalisation) into about [0.47, 1.2], not to
 * exactly 1.
 *
 * @example
 * ```ts
 * const opt = muon(params, { nsCoefficients: [...MUON_NS_COEFFICIENTS], nsSteps: 6 });
 * ```
 */
export const MUON_NS_COEFFICIENTS: readonly [number, number, number] = Object.freeze([3.4445, -4.775, 2.0315]) as [
  number,
  number,
  number,
];

/**
 * Orthogonalise a matrix approximately with the quintic Newton-Schulz iteration of Muon (Keller Jordan
 * et al. 2024): the "zeroth power" `U·Vᵀ` of `G = U·S·Vᵀ`, or rather `U·S'·Vᵀ` with the diagonal `S'`
 * in about [0.47, 1.2] for the default coefficients (see {@link MUON_NS_COEFFICIENTS}), which favour a
 * steep slope at zero over convergence to exactly 1. With `(a, b, c) = coefficients`, `k = steps`:
 *
 * ```
 * X ← G            (Gᵀ when rows > cols, so that the Gram matrix X·Xᵀ is the smaller one)
 * X ← X / max(‖X‖_F, eps)           (spectral norm at most 1)
 * repeat k times:  A ← X·Xᵀ;  B ← b·A + c·A·A;  X ← a·X + B·X
 * return X         (transposed back when rows > cols)
 * ```
 *
 * The products run on the backend's matmul kernel, in `g`'s dtype (float32 or float64). The references
 * cast `G` to bfloat16 first (nabla has no bfloat16, so this runs at the parameter's precision), and
 * differ in the normalisation: PyTorch 2.9's `torch.optim.Muon` divides by `max(‖X‖_F, eps)` (what
 * nabla does), Keller Jordan's `zeropower_via_newtonschulz5` by `‖X‖_F + 1e-7`. Returns a new tensor
 * of `g`'s shape; `g` is not changed.
 *
 * @param g - a matrix (2-D float32 or float64 tensor)
 * @param coefficients - `(a, b, c)`; default {@link MUON_NS_COEFFICIENTS}
 * @param steps - iterations, an integer ≥ 0; default 5
 * @param eps - floor of the Frobenius norm in the normalisation, > 0; default 1e-7
 *
 * @see https://kellerjordan.github.io/posts/muon/
 * @example
 * ```ts
 * const g = tensor([[3, 0], [0, 0.5]], { dtype: 'float64' });
 * zeropowerViaNewtonSchulz(g).toArray(); // about [[0.714, 0], [0, 1.042]]: singular values near 1, not exactly 1
 * zeropowerViaNewtonSchulz(g, [1.5, -0.5, 0], 30).toArray(); // the cubic iteration: [[1, 0], [0, 1]] to 1e-15
 * ```
 */
export function zeropowerViaNewtonSchulz(
  g: Tensor,
  coefficients: readonly number[] = MUON_NS_COEFFICIENTS,
  steps = 5,
  eps = 1e-7,
): Tensor {
  const fn = 'zeropowerViaNewtonSchulz';
  if (g === null || typeof g !== 'object' || !('shape' in g) || g.ndim !== 2)
    throw new ValueError(
      `${fn}: g must be a matrix (a 2-D tensor), got ${g !== null && typeof g === 'object' && 'shape' in g ? `shape [${g.shape.join(', ')}]` : String(g)}`,
    );
  if (!isFloatingDType(g.dtype)) throw new ValueError(`${fn}: g must be float32 or float64, got ${g.dtype}`);
  if (!Array.isArray(coefficients) || coefficients.length !== 3 || coefficients.some((v) => !Number.isFinite(v)))
    throw new ValueError(`${fn}: coefficients must be 3 finite numbers (a, b, c), got ${JSON.stringify(coefficients)}`);
  if (!Number.isInteger(steps) || steps < 0) throw new ValueError(`${fn}: steps must be an integer >= 0, got ${steps}`);
  if (!(typeof eps === 'number' && eps > 0)) throw new ValueError(`${fn}: eps must be a number > 0, got ${eps}`);
  const [a, b, c] = coefficients;
  const tall = g.shape[0] > g.shape[1];
  // Every temporary of the iteration is released on return (with the wasm backend, back to its pool).
  return tidy(() => {
    let x = tall ? g.T : g;
    // The floor with a tensor op, not a read of the norm: on the webgpu backend the iteration stays on the GPU.
    x = x.div(maximum(x.norm(), eps));
    for (let k = 0; k < steps; k++) {
      const gram = matmulTransposed(x, x, { transB: true });
      const update = gram.mul(b).add(matmul(gram, gram).mul(c));
      x = x.mul(a).add(matmul(update, x));
    }
    return tall ? x.T : x;
  });
}
