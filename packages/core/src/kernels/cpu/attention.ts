import type { TypedArray } from '../../dtype';

/**
 * The attention-softmax kernel: row `r` of the `rows x s` scores `x` (query `r mod l`) becomes
 * `softmax(scale · x + bias)` over its entries, with the entries `j > r mod l` left out (set to 0) when
 * `causal`. `bias` has the layout of `x` or is null; `out` may be `x`. The scaled scores, their max, the
 * exps and their sum are float64; a row whose every score is -Infinity gives NaN (as PyTorch's math
 * path does).
 *
 * @example
 * ```ts
 * const out = new Float64Array(4);
 * attentionSoftmaxKernel(new Float64Array([0, 0, 1, 1]), null, 2, 2, 2, 1, true, out); // out = [1, 0, 0.5, 0.5]
 * ```
 */
export function attentionSoftmaxKernel(
  x: TypedArray,
  bias: TypedArray | null,
  rows: number,
  l: number,
  s: number,
  scale: number,
  causal: boolean,
  out: TypedArray,
): void {
  const row = new Float64Array(s);
  for (let r = 0; r < rows; r++) {
    const o = r * s;
    const valid = causal ? Math.min((r % l) + 1, s) : s;
    let max = Number.NEGATIVE_INFINITY;
    for (let j = 0; j < valid; j++) {
      let v = x[o + j] * scale;
      if (bias !== null) v += bias[o + j];
      row[j] = v;
      if (v > max || Number.isNaN(v)) max = v;
    }
    // NOTE: with max = -Infinity (a fully masked row) every `row[j] - max` is NaN, as in PyTorch.
    let total = 0;
    for (let j = 0; j < valid; j++) {
      const w = Math.exp(row[j] - max);
      row[j] = w;
      total += w;
    }
    for (let j = 0; j < valid; j++) out[o + j] = row[j] / total;
    for (let j = valid; j < s; j++) out[o + j] = 0 / total;
  }
}
