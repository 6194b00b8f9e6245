import { type Tensor, ValueError } from '@nablajs/core';
import type { Hyperparams } from '@nablajs/optim';

/**
 * Whether parameter `p` of a group with hyperparameters `hp` takes the Muon path (else the AdamW
 * fallback): the group's `useMuon` when it is `true` or `false`, and when it is `null` (the default),
 * "by ndim" — matrices and higher (`ndim >= 2`) go to Muon, vectors and scalars to AdamW.
 *
 * @example
 * ```ts
 * routesToMuon(zeros([8, 4]), { lr: 1e-3, useMuon: null }); // true
 * routesToMuon(zeros([8]), { lr: 1e-3, useMuon: null }); // false
 * routesToMuon(zeros([8, 4]), { lr: 1e-3, useMuon: false }); // false
 * ```
 */
export function routesToMuon(p: Tensor, hp: Readonly<Hyperparams>): boolean {
  const use = hp.useMuon;
  return use === null || use === undefined ? p.ndim >= 2 : use === true;
}

/**
 * How Muon sees a parameter of shape `shape` (ndim ≥ 2) as matrices: `[batch, rows, cols]`. A matrix is
 * itself (`[1, rows, cols]`); a 4-D convolution weight `[out, in, kh, kw]` is flattened to one matrix
 * `[out, in·kh·kw]` (Keller Jordan's `g.view(len(g), -1)`); any other shape is a batch of matrices over
 * its last two dimensions, orthogonalised one by one (Keller Jordan's batched Newton-Schulz).
 *
 * @example
 * ```ts
 * muonMatrixShape([6, 4]); // [1, 6, 4]
 * muonMatrixShape([16, 3, 3, 3]); // [1, 16, 27]
 * muonMatrixShape([5, 8, 4]); // [5, 8, 4]
 * ```
 */
export function muonMatrixShape(shape: readonly number[]): [number, number, number] {
  if (shape.length < 2) throw new ValueError(`muonMatrixShape: Muon needs ndim >= 2, got shape [${shape.join(', ')}]`);
  if (shape.length === 4) return [1, shape[0], shape[1] * shape[2] * shape[3]];
  let batch = 1;
  for (let d = 0; d < shape.length - 2; d++) batch *= shape[d];
  return [batch, shape[shape.length - 2], shape[shape.length - 1]];
}

/**
 * The factor PyTorch 2.9's `_adjust_lr` applies to Muon's learning rate for a `rows × cols` matrix:
 * `√max(1, rows/cols)` for `'original'` (or `null`; Keller Jordan's scale of the update), and
 * `0.2·√max(rows, cols)` for `'match_rms_adamw'` (Moonshot AI, "Muon is Scalable for LLM Training",
 * 2025: an update RMS like AdamW's, so that AdamW's learning rate and weight decay carry over).
 *
 * @example
 * ```ts
 * muonLrScale(6, 4, null); // √1.5 ≈ 1.2247
 * muonLrScale(3, 8, 'match_rms_adamw'); // 0.2·√8 ≈ 0.5657
 * ```
 */
export function muonLrScale(rows: number, cols: number, adjustLrFn: string | null): number {
  if (adjustLrFn === 'match_rms_adamw') return 0.2 * Math.sqrt(Math.max(rows, cols));
  return Math.sqrt(Math.max(1, rows / cols));
}
