import { ValueError } from '@nablajs/core';
import {
  chain,
  checkBoolean,
  checkNumber,
  checkTuple,
  defineOptimizer,
  type Hyperparams,
  type OptimizerFactory,
} from '@nablajs/optim';
import { scaleByAuxAdamW } from './aux-adamw';
import { fusedMuon } from './fused';
import { MUON_NS_COEFFICIENTS } from './newton-schulz';
import { scaleByMuon } from './scale-by-muon';

/**
 * Options of {@link muon}: PyTorch 2.9's `torch.optim.Muon` keyword arguments in lowerCamelCase, the
 * per-group switch `useMuon` of Keller Jordan's `MuonWithAuxAdam`, and the hyperparameters of the AdamW
 * fallback. Every option may also be set per parameter group.
 */
export interface MuonOptions {
  /** Muon's learning rate `γ` (before the shape scaling of `adjustLrFn`). Default `1e-3` (PyTorch 2.9; Keller Jordan's is `0.02`). */
  lr?: number;
  /** Decoupled weight decay of the Muon path: `p ← p·(1 - lr·weightDecay)` each step. Default `0.1` (PyTorch 2.9; Keller Jordan's is `0`). */
  weightDecay?: number;
  /** Momentum `μ` in [0, 1) of the Muon path (an average: `B ← μ·B + (1-μ)·g`). Default `0.95`. */
  momentum?: number;
  /** Nesterov momentum: orthogonalise `(1-μ)·g + μ·B` instead of `B`. Default `true`. */
  nesterov?: boolean;
  /** The Newton-Schulz coefficients `(a, b, c)`. Default `[3.4445, -4.775, 2.0315]`. */
  nsCoefficients?: readonly number[];
  /** Floor of the Frobenius norm that Newton-Schulz divides by first, > 0. Default `1e-7`. */
  eps?: number;
  /** Newton-Schulz iterations, an integer in [0, 100). Default `5`. */
  nsSteps?: number;
  /**
   * How the learning rate scales with a `rows × cols` matrix: `'original'` (√max(1, rows/cols), Keller
   * Jordan's) or `'match_rms_adamw'` (0.2·√max(rows, cols), Moonshot AI's). Default `null`, which means `'original'`.
   */
  adjustLrFn?: 'original' | 'match_rms_adamw' | null;
  /**
   * Which path the group's parameters take: `true` Muon (every parameter must then have ndim ≥ 2),
   * `false` the AdamW fallback, `null` by ndim (≥ 2: Muon, else AdamW). Default `null`.
   */
  useMuon?: boolean | null;
  /** The AdamW fallback's learning rate. Default `3e-4` (Keller Jordan's aux Adam). */
  adamwLr?: number;
  /** The AdamW fallback's `[β₁, β₂]`, each in [0, 1). Default `[0.9, 0.95]` (Keller Jordan's aux Adam). */
  adamwBetas?: readonly number[];
  /** The AdamW fallback's ε, added to `√v̂`. Default `1e-10` (Keller Jordan's aux Adam). */
  adamwEps?: number;
  /** The AdamW fallback's decoupled weight decay: `p ← p·(1 - adamwLr·adamwWeightDecay)`. Default `0` (Keller Jordan's aux Adam). */
  adamwWeightDecay?: number;
}

const ADJUST_LR_FNS = [null, 'original', 'match_rms_adamw'];

function validateMuon(hp: Readonly<Hyperparams>): void {
  const fn = 'muon';
  checkNumber(fn, 'lr', hp.lr, { min: 0 });
  checkNumber(fn, 'weightDecay', hp.weightDecay, { min: 0 });
  checkNumber(fn, 'momentum', hp.momentum, { min: 0, max: 1, maxInclusive: false });
  checkBoolean(fn, 'nesterov', hp.nesterov);
  checkTuple(fn, 'nsCoefficients', hp.nsCoefficients, 3, { min: -Number.MAX_VALUE, max: Number.MAX_VALUE });
  checkNumber(fn, 'eps', hp.eps, { min: 0, minInclusive: false });
  checkNumber(fn, 'nsSteps', hp.nsSteps, { min: 0, max: 100, maxInclusive: false, integer: true });
  if (!ADJUST_LR_FNS.includes(hp.adjustLrFn as string | null))
    throw new ValueError(
      `${fn}: adjustLrFn must be null, 'original' or 'match_rms_adamw', got ${JSON.stringify(hp.adjustLrFn)}`,
    );
  if (hp.useMuon !== null && typeof hp.useMuon !== 'boolean')
    throw new ValueError(
      `${fn}: useMuon must be true, false or null (by ndim), got ${JSON.stringify(hp.useMuon) ?? String(hp.useMuon)}`,
    );
  checkNumber(fn, 'adamwLr', hp.adamwLr, { min: 0 });
  checkTuple(fn, 'adamwBetas', hp.adamwBetas, 2, { min: 0, max: 1, maxInclusive: false });
  checkNumber(fn, 'adamwEps', hp.adamwEps, { min: 0 });
  checkNumber(fn, 'adamwWeightDecay', hp.adamwWeightDecay, { min: 0 });
}

/**
 * Muon, MomentUm Orthogonalized by Newton-Schulz (Keller Jordan, Yuchen Jin, Vlado Boza, You Jiacheng,
 * Franz Cesista, Laker Newhouse and Jeremy Bernstein, 2024, "Muon: An optimizer for hidden layers in
 * neural networks"), as PyTorch 2.9's `torch.optim.Muon`, with an AdamW fallback for the parameters that
 * are not matrices, as Keller Jordan's `MuonWithAuxAdam`: one optimizer for a whole model.
 *
 * Muon path (ndim ≥ 2), per parameter `p` with gradient `g`, `μ = momentum`, `γ = lr`, `λ = weightDecay`:
 *
 * ```
 * B ← μ·B + (1-μ)·g                                  (B starts at 0)
 * M = (1-μ)·g + μ·B   (nesterov)   or   M = B
 * O = NS(M)    per [rows, cols] matrix: X ← M/max(‖M‖_F, eps); k = nsSteps times
 *              A ← X·Xᵀ; X ← a·X + (b·A + c·A²)·X     (on Mᵀ when rows > cols)
 * p ← p·(1 - γ·λ) - γ·s·O,   s = √max(1, rows/cols)   (adjustLrFn 'original' or null)
 *                            s = 0.2·√max(rows, cols)  (adjustLrFn 'match_rms_adamw')
 * ```
 *
 * A 4-D convolution weight `[out, in, kh, kw]` is one matrix `[out, in·kh·kw]`; any other ndim ≥ 3 is a
 * batch of matrices over its last two dimensions (see {@link muonMatrixShape}). AdamW path (ndim < 2, or a
 * group with `useMuon: false`), with `adamwLr`, `adamwBetas`, `adamwEps`, `adamwWeightDecay` (see
 * {@link scaleByAuxAdamW}): `p ← p·(1 - γ'λ') - γ'·m̂/(√v̂ + ε')`.
 *
 * Defaults (PyTorch 2.9's for its names): `lr 1e-3, weightDecay 0.1, momentum 0.95, nesterov true,
 * nsCoefficients [3.4445, -4.775, 2.0315], eps 1e-7, nsSteps 5, adjustLrFn null ('original')`; the
 * fallback's are Keller Jordan's aux-Adam defaults: `adamwLr 3e-4, adamwBetas [0.9, 0.95],
 * adamwEps 1e-10, adamwWeightDecay 0` (not `torch.optim.AdamW`'s 1e-3, [0.9, 0.999], 1e-8, 0.01);
 * `useMuon null` (by ndim).
 *
 * Where the post, Keller Jordan's code (KellerJordan/Muon, muon.py) and PyTorch 2.9 differ, and what
 * nabla does:
 * - Momentum. The post's Algorithm 1 and PyTorch's documented formula sum: `B ← μ·B + g`, Nesterov
 *   `g + μ·B` (Keller Jordan's code did too until January 2025: `buf.mul_(momentum).add_(g)`, Nesterov
 *   `g.add(buf, alpha=momentum)`). Both codes now average: `buf.lerp_(g, 1-μ)` (`μ·B + (1-μ)·g`),
 *   Nesterov `g.lerp(buf, μ)` (`(1-μ)·g + μ·B`). The averaged direction is the summed one times
 *   `(1-μ)`, a factor the normalisation removes, so the two differ only through `eps` and rounding.
 *   nabla follows the codes (the buffer holds the average, and `lerp` is evaluated as PyTorch's).
 * - Nesterov: the post's Algorithm 1 has plain momentum; Keller Jordan's `Muon` always uses Nesterov (no
 *   option); PyTorch has `nesterov`, default true. nabla follows PyTorch.
 * - Defaults: Keller Jordan's `Muon` has `lr 0.02, weight_decay 0, momentum 0.95` and a fixed 5 steps
 *   with no `eps` option; nabla follows PyTorch 2.9 (`lr 1e-3, weightDecay 0.1`).
 * - Normalisation: Keller Jordan divides by `‖X‖_F + 1e-7`, PyTorch by `max(‖X‖_F, eps)`; nabla follows
 *   PyTorch.
 * - Precision: both codes run Newton-Schulz in bfloat16 (`G.bfloat16()`); nabla has no bfloat16 and runs
 *   it in the parameter's dtype (float32 or float64) on the backend's matmul, so its updates are the
 *   exact-arithmetic iteration's up to float32/float64 rounding, not bfloat16's.
 * - Scaling: Keller Jordan multiplies the update by `√max(1, rows/cols)`; PyTorch multiplies the
 *   learning rate by the same factor, or by `0.2·√max(rows, cols)` with `'match_rms_adamw'` (Moonshot
 *   AI, "Muon is Scalable for LLM Training", 2025). Weight decay uses the unscaled `lr` in both.
 * - Shapes: PyTorch accepts only 2-D parameters. Keller Jordan flattens 4-D ones to `[out, in·kh·kw]`
 *   but takes the scale's `rows/cols` from the gradient's last two dimensions (`kh/kw` for a 4-D weight);
 *   nabla takes it from the matrix it orthogonalises (`out / (in·kh·kw)`), as PyTorch's docs describe
 *   ("A and B are dimensions of the matrix being optimized").
 * - Missing gradients: Keller Jordan's code steps a parameter whose `grad` is None with a zero gradient
 *   (to keep ranks in sync); PyTorch and nabla skip it (no move, no state change).
 * - The AdamW fallback is Keller Jordan's `adam_update` with decoupled decay (its aux-Adam groups);
 *   PyTorch's `Muon` has none (it rejects non-matrices). Its learning rate is `adamwLr`, which a
 *   learning-rate scheduler (writing `lr`) does not change: schedule `adamwLr` yourself if needed.
 *
 * A group with `useMuon: true` that holds a parameter of ndim < 2 is rejected when the optimizer (or
 * the group) is made, naming the parameter's index and shape. The state per parameter is PyTorch's:
 * `momentumBuffer` on the Muon path; `step`, `expAvg`, `expAvgSq` on the AdamW path. Recipe:
 * `chain(scaleByMuon(), scaleByAuxAdamW())` (each block finishes its own parameters' updates).
 *
 * @see https://kellerjordan.github.io/posts/muon/
 * @see https://github.com/KellerJordan/Muon
 * @see https://docs.pytorch.org/docs/stable/generated/torch.optim.Muon.html
 * @example
 * ```ts
 * import { muon } from '@nablajs/optim-muon';
 * // Matrices take Muon, biases and gains the AdamW fallback:
 * const opt = muon(model.parameters(), { lr: 0.02, weightDecay: 0.01, adamwLr: 3e-4 });
 * // or route by hand, as MuonWithAuxAdam's groups do (the embedding is a matrix but takes AdamW):
 * const opt2 = muon([
 *   { params: hiddenMatrices },
 *   { params: [embedding.weight, ...gainsAndBiases], useMuon: false, adamwLr: 0.01 },
 * ], { lr: 0.02 });
 * opt.zeroGrad();
 * loss.backward();
 * opt.step();
 * ```
 */
export const muon: OptimizerFactory<MuonOptions> = defineOptimizer<MuonOptions>({
  name: 'muon',
  defaults: {
    lr: 1e-3,
    weightDecay: 0.1,
    momentum: 0.95,
    nesterov: true,
    nsCoefficients: [...MUON_NS_COEFFICIENTS],
    eps: 1e-7,
    nsSteps: 5,
    adjustLrFn: null,
    useMuon: null,
    adamwLr: 3e-4,
    adamwBetas: [0.9, 0.95],
    adamwEps: 1e-10,
    adamwWeightDecay: 0,
  },
  validate: validateMuon,
  rule: chain(scaleByMuon(), scaleByAuxAdamW()),
  fused: fusedMuon(),
});
