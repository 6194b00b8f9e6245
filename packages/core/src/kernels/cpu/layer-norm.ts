import type { TypedArray } from '../../dtype';

/**
 * The mean and `1 / sqrt(var + eps)` of row `r` (n elements from `r * n`) of `x`, both in float64: the
 * mean first, then the biased variance as the mean of squared deviations (two passes, no cancellation).
 * Written into `stats[0]` and `stats[1]`.
 */
function rowStats(x: TypedArray, start: number, n: number, eps: number, stats: Float64Array): void {
  let sum = 0;
  for (let j = 0; j < n; j++) sum += x[start + j];
  const mean = sum / n;
  let sq = 0;
  for (let j = 0; j < n; j++) {
    const d = x[start + j] - mean;
    sq += d * d;
  }
  stats[0] = mean;
  stats[1] = 1 / Math.sqrt(sq / n + eps);
}

/**
 * The cpu kernel of `layerNorm`: each of the `rows` contiguous rows of `n` elements of `x` becomes
 * `(x - mean) · rstd · w + b` (`w`, `b` of length n, each optional), with the mean, the biased
 * variance and `rstd = 1 / sqrt(var + eps)` in float64 and the result rounded once into `out`.
 *
 * @example
 * ```ts
 * const out = new Float64Array(3);
 * layerNormKernel(new Float64Array([1, 2, 3]), null, null, 1, 3, 0, out); // out ≈ [-1.2247, 0, 1.2247]
 * ```
 */
export function layerNormKernel(
  x: TypedArray,
  w: TypedArray | null,
  b: TypedArray | null,
  rows: number,
  n: number,
  eps: number,
  out: TypedArray,
): void {
  const stats = new Float64Array(2);
  for (let r = 0; r < rows; r++) {
    const start = r * n;
    rowStats(x, start, n, eps, stats);
    const mean = stats[0];
    const rstd = stats[1];
    for (let j = 0; j < n; j++) {
      let y = (x[start + j] - mean) * rstd;
      if (w !== null) y *= w[j];
      if (b !== null) y += b[j];
      out[start + j] = y;
    }
  }
}

/**
 * The cpu kernel of `layerNorm`'s backward, from the upstream gradient `g` and the input `x` (the row
 * statistics are recomputed): with `x̂ = (x - mean) · rstd` and `ĝ = g · w` (or `g`),
 * `dx = rstd · (ĝ - mean(ĝ) - x̂ · mean(ĝ · x̂))` per row, and summed over the rows `dw = Σ g · x̂`,
 * `db = Σ g` (each null when not wanted), accumulated in float64.
 *
 * @example
 * ```ts
 * const dx = new Float64Array(2);
 * layerNormBackwardKernel(new Float64Array([1, 0]), new Float64Array([0, 2]), null, 1, 2, 0, dx, null, null);
 * // dx = [0, 0]: a two-element row normalises to [-1, 1] whatever its scale
 * ```
 */
export function layerNormBackwardKernel(
  g: TypedArray,
  x: TypedArray,
  w: TypedArray | null,
  rows: number,
  n: number,
  eps: number,
  dx: TypedArray | null,
  dw: TypedArray | null,
  db: TypedArray | null,
): void {
  const stats = new Float64Array(2);
  const accW = dw === null ? null : new Float64Array(n);
  const accB = db === null ? null : new Float64Array(n);
  for (let r = 0; r < rows; r++) {
    const start = r * n;
    rowStats(x, start, n, eps, stats);
    const mean = stats[0];
    const rstd = stats[1];
    let s1 = 0;
    let s2 = 0;
    for (let j = 0; j < n; j++) {
      const gj = g[start + j];
      const xhat = (x[start + j] - mean) * rstd;
      const gh = w === null ? gj : gj * w[j];
      s1 += gh;
      s2 += gh * xhat;
      if (accW !== null) accW[j] += gj * xhat;
      if (accB !== null) accB[j] += gj;
    }
    if (dx === null) continue;
    const m1 = s1 / n;
    const m2 = s2 / n;
    for (let j = 0; j < n; j++) {
      const xhat = (x[start + j] - mean) * rstd;
      const gh = w === null ? g[start + j] : g[start + j] * w[j];
      dx[start + j] = rstd * (gh - m1 - xhat * m2);
    }
  }
  if (dw !== null && accW !== null) dw.set(accW);
  if (db !== null && accB !== null) db.set(accB);
}
