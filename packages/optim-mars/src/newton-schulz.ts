import { isFloatingDType, matmul, matmulTransposed, type Tensor, tidy, ValueError } from '@nablajs/core';

/**
 * The quintic Newton-Schulz coefficients `(a, b, c) = (3.4445, -4.775, 2.0315)` that MARS-Shampoo's
 * orthogonalisation uses (the authors' code has them fixed, as Keller Jordan's Muon).
 *
 * @example
 * ```ts
 * const [a, b, c] = MARS_NS_COEFFICIENTS; // 3.4445, -4.775, 2.0315
 * ```
 */
export const MARS_NS_COEFFICIENTS: readonly [number, number, number] = Object.freeze([3.4445, -4.775, 2.0315]) as [
  number,
  number,
  number,
];

/** The number of Newton-Schulz iterations of MARS-Shampoo (fixed in the authors' code). */
export const MARS_NS_STEPS = 5;

/**
 * MARS-Shampoo's orthogonalisation of a matrix `M` (the authors' `NewtonSchulz`, AGI-Arena/MARS): five
 * quintic Newton-Schulz iterations with {@link MARS_NS_COEFFICIENTS}, from `M` divided by its Frobenius
 * norm plus `eps`:
 *
 * ```
 * X ← M / (‖M‖_F + eps)          (then Xᵀ when M has more rows than columns)
 * repeat 5 times:  A ← X·Xᵀ;  B ← A·X;  X ← a·X + b·B + (c·A)·B
 * return X                        (transposed back when M is tall)
 * ```
 *
 * The normalisation is the authors' `‖M‖ + eps`, not the `max(‖M‖, eps)` of `zeropowerViaNewtonSchulz`
 * in `@nablajs/optim-muon`, and MARS passes its own `eps` (default `1e-8`). The authors' code casts `M`
 * to bfloat16 and compiles the function with `torch.compile`; nabla has no bfloat16 and runs the
 * iteration in `M`'s dtype (float32 or float64) on the backend's matmul, so its result is the exact
 * arithmetic iteration's up to float32/float64 rounding, not bfloat16's. Returns a new tensor of `M`'s
 * shape; `M` is not changed.
 *
 * @param m - a matrix (2-D float32 or float64 tensor)
 * @param eps - added to the Frobenius norm, ≥ 0; default `1e-7` (the authors' default; MARS passes its `eps`)
 *
 * @see https://github.com/AGI-Arena/MARS
 * @example
 * ```ts
 * const m = tensor([[3, 0], [0, 0.5]], { dtype: 'float64' });
 * marsNewtonSchulz(m, 1e-8).toArray(); // about [[0.71, 0], [0, 1.04]]: singular values pushed towards 1
 * ```
 */
export function marsNewtonSchulz(m: Tensor, eps = 1e-7): Tensor {
  const fn = 'marsNewtonSchulz';
  if (m === null || typeof m !== 'object' || !('shape' in m) || m.ndim !== 2)
    throw new ValueError(
      `${fn}: m must be a matrix (a 2-D tensor), got ${m !== null && typeof m === 'object' && 'shape' in m ? `shape [${m.shape.join(', ')}]` : String(m)}`,
    );
  if (!isFloatingDType(m.dtype)) throw new ValueError(`${fn}: m must be float32 or float64, got ${m.dtype}`);
  if (!(typeof eps === 'number' && eps >= 0)) throw new ValueError(`${fn}: eps must be a number >= 0, got ${eps}`);
  const [a, b, c] = MARS_NS_COEFFICIENTS;
  const tall = m.shape[0] > m.shape[1];
  // Every temporary of the iteration is released on return (with the wasm backend, back to its pool).
  return tidy(() => {
    let x = m.div(m.norm().add(eps));
    if (tall) x = x.T;
    for (let k = 0; k < MARS_NS_STEPS; k++) {
      const gram = matmulTransposed(x, x, { transB: true });
      const cubic = matmul(gram, x);
      x = x
        .mul(a)
        .add(cubic.mul(b))
        .add(matmul(gram.mul(c), cubic));
    }
    return tall ? x.T : x;
  });
}
