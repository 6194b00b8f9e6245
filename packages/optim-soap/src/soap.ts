import { ValueError } from '@nablajs/core';
import { checkBoolean, checkNumber, checkTuple, defineOptimizer, type OptimizerFactory } from '@nablajs/optim';
import { fusedSoap } from './fused';
import { scaleBySoap } from './scale-by-soap';

/** Options of {@link soap}: the keyword arguments of the authors' `SOAP` in lowerCamelCase, with their defaults. */
export interface SoapOptions {
  /** Learning rate. Default `3e-3`. */
  lr?: number;
  /** Adam's decay rates `[β₁, β₂]` of the projected gradient's moments, each in [0, 1). Default `[0.95, 0.95]`. */
  betas?: readonly number[];
  /**
   * Decay of the Kronecker factors `GGₖ` (`L` and `R` in the paper), below 1; a negative value means
   * `betas[1]`. Read at a parameter's first step. Default `-1`.
   */
  shampooBeta?: number;
  /** Added to `√v` (before the bias correction) in Adam's denominator. Default `1e-8`. */
  eps?: number;
  /** Decoupled weight decay `λ`: after the step, `p ← p − lr·λ·p`. Default `0.01`. */
  weightDecay?: number;
  /** Refresh the eigenbases every this many steps (an integer ≥ 1). Read at a parameter's first step. Default `10`. */
  preconditionFrequency?: number;
  /** Dimensions larger than this get no preconditioner (Adam along them); an integer ≥ 0. Default `10000`. */
  maxPrecondDim?: number;
  /** Merge consecutive dimensions while their product is at most `maxPrecondDim` (for n-D parameters). Default `false`. */
  mergeDims?: boolean;
  /** Precondition 1-D parameters (biases, norms) too, with one `d × d` factor. Default `false`. */
  precondition1d?: boolean;
  /** Divide each parameter's update by its root mean square. Default `false`. */
  normalizeGrads?: boolean;
  /** Layout of 4-D parameters for `mergeDims`: `'channels_first'` (NCHW) or `'channels_last'` (NHWC). Default `'channels_first'`. */
  dataFormat?: 'channels_first' | 'channels_last';
  /** Fold Adam's bias correction `√(1−β₂ᵗ)/(1−β₁ᵗ)` into the step size. Default `true`. */
  correctBias?: boolean;
}

/**
 * SOAP, ShampoO with Adam in the Preconditioner's eigenbasis (Vyas, Morwani, Zhao, Shapira,
 * Brandfonbrener, Janson & Kakade 2024, "SOAP: Improving and Stabilizing Shampoo using Adam",
 * arXiv:2409.11321), exactly as the authors' code (github.com/nikhilvyas/SOAP, `soap.py`): Adam run in
 * the eigenbasis of Shampoo's Kronecker-factored preconditioner, refreshed every few steps.
 *
 * Per parameter, viewed with (possibly merged) dimensions `d₀ … dₙ₋₁`, gradient `G`, `G₍ₖ₎` its
 * mode-k unfolding (`[dₖ, rest]`), `βₛ = shampooBeta` (or `β₂` when negative) and `Qₖ` the basis of
 * dimension k (none for a dimension larger than `maxPrecondDim`, or for a 1-D parameter without
 * `precondition1d`):
 *
 * ```
 * first step:  GGₖ ← (1−βₛ)·G₍ₖ₎G₍ₖ₎ᵀ;  Qₖ ← eigenvectors of GGₖ (eigh, by decreasing eigenvalue);  p unchanged
 * then, with t = 1, 2, ...:
 *   G′ = G ×₀ Q₀ᵀ ×₁ Q₁ᵀ …                  (a matrix: Q_Lᵀ·G·Q_R)
 *   m ← β₁m + (1−β₁)G′;   v ← β₂v + (1−β₂)G′²
 *   N = (m / (√v + ε)) ×₀ Q₀ ×₁ Q₁ …         (a matrix: Q_L·(m/(√v+ε))·Q_Rᵀ)
 *   N ← N / (1e-30 + rms(N))                  (normalizeGrads)
 *   p ← p − lr·√(1−β₂ᵗ)/(1−β₁ᵗ)·N             (correctBias; lr alone otherwise)
 *   p ← p − lr·λ·p                            (weightDecay λ > 0, on the updated p)
 *   GGₖ ← βₛ·GGₖ + (1−βₛ)·G₍ₖ₎G₍ₖ₎ᵀ
 *   if t is a multiple of preconditionFrequency, for each k: sort Qₖ's columns by diag(QₖᵀGGₖQₖ),
 *     decreasing, and v along dimension k the same way; then Qₖ ← qr(GGₖ·Qₖ).Q
 *   m stays in the current eigenbasis (moved to the new one when Qₖ changes)
 * ```
 *
 * Defaults (the reference's): `lr 3e-3, betas [0.95, 0.95], shampooBeta -1, eps 1e-8, weightDecay 0.01,
 * preconditionFrequency 10, maxPrecondDim 10000, mergeDims false, precondition1d false,
 * normalizeGrads false, dataFormat 'channels_first', correctBias true`.
 *
 * The eigenbasis: `eigh` at a parameter's first step, then one step of power iteration followed
 * by a QR decomposition (`qr`) at each refresh, as the authors' `get_orthogonal_matrix_QR`. The
 * power step starts from the current basis, so it costs two products and one QR instead of a full
 * eigendecomposition, and it is stable to what eigh leaves undetermined: the result (and the whole
 * trajectory) does not depend on the signs of the basis' columns, and the re-sorting by estimated
 * eigenvalue, with `v` permuted alongside, keeps the Adam statistics attached to their directions
 * whatever order the columns came in. What SOAP does depend on is the basis eigh picks inside a
 * repeated eigenvalue: a Kronecker factor of a non-square matrix starts rank-deficient (`L = GGᵀ` of a
 * `[6, 4]` gradient has a 2-dimensional null space), any orthonormal basis of that space is an
 * eigenbasis, and Adam's per-coordinate step is not invariant to rotations within it; so two correct
 * eigensolvers (PyTorch's LAPACK and nabla's) give different, equally valid trajectories there.
 *
 * Where the paper and the authors' code differ, nabla follows the code: the paper's pseudo-code
 * (Algorithm 3) keeps Adam's first moment in the parameter's space and rotates it at every step, the
 * code keeps it in the eigenbasis and re-expresses it when the basis changes (the same in exact
 * arithmetic; like the code, nabla rotates it back and forth at every step). The code adds what the
 * pseudo-code leaves out: a parameter's first step only builds its factors and their eigenbases with
 * eigh (no update and no weight decay, "so that we never use the current gradients in the
 * projection"); the bias correction is folded into the step size and `ε` is added to the uncorrected
 * `√v`; weight decay is decoupled, scaled by `lr` and applied to the already-updated parameter; the
 * refresh re-sorts the columns by estimated eigenvalue and permutes `v`; `maxPrecondDim`, `mergeDims`,
 * `precondition1d`, `normalizeGrads` and `dataFormat`. Also as in the code, `shampooBeta` and
 * `preconditionFrequency` are read once, at a parameter's first step (the code stores them in the
 * parameter's state), and so is the layout (`maxPrecondDim`, `mergeDims`, `precondition1d`,
 * `dataFormat`), which fixes the shapes of the factors. Two differences of precision: the code casts
 * float64 factors to float32 for eigh and QR (a cast meant for bf16 factors), nabla keeps the
 * parameter's dtype; the code retries a float32 eigh that fails in float64, nabla's `eigh`
 * always computes in float64.
 *
 * On the webgpu backend (float32 parameters) the step stays on the GPU, with the decompositions (eigh at a
 * parameter's first step, QR every `preconditionFrequency` steps) as host tasks at the next await; on cpu and
 * wasm the rule runs.
 *
 * @see https://arxiv.org/abs/2409.11321
 * @see https://github.com/nikhilvyas/SOAP
 * @example
 * ```ts
 * import { soap } from '@nablajs/optim-soap';
 * const opt = soap(model.parameters(), { lr: 3e-3, betas: [0.95, 0.95], weightDecay: 0.01, preconditionFrequency: 10 });
 * opt.zeroGrad();
 * loss.backward();
 * opt.step(); // the first step of each parameter only builds its preconditioner
 * ```
 */
export const soap: OptimizerFactory<SoapOptions> = defineOptimizer<SoapOptions>({
  name: 'soap',
  defaults: {
    lr: 3e-3,
    betas: [0.95, 0.95],
    shampooBeta: -1,
    eps: 1e-8,
    weightDecay: 0.01,
    preconditionFrequency: 10,
    maxPrecondDim: 10000,
    mergeDims: false,
    precondition1d: false,
    normalizeGrads: false,
    dataFormat: 'channels_first',
    correctBias: true,
  },
  validate: (hp) => {
    checkNumber('soap', 'lr', hp.lr, { min: 0 });
    checkTuple('soap', 'betas', hp.betas, 2, { min: 0, max: 1, maxInclusive: false });
    checkNumber('soap', 'shampooBeta', hp.shampooBeta, { max: 1, maxInclusive: false });
    checkNumber('soap', 'eps', hp.eps, { min: 0 });
    checkNumber('soap', 'weightDecay', hp.weightDecay, { min: 0 });
    checkNumber('soap', 'preconditionFrequency', hp.preconditionFrequency, { min: 1, integer: true });
    checkNumber('soap', 'maxPrecondDim', hp.maxPrecondDim, { min: 0, integer: true });
    checkBoolean('soap', 'mergeDims', hp.mergeDims);
    checkBoolean('soap', 'precondition1d', hp.precondition1d);
    checkBoolean('soap', 'normalizeGrads', hp.normalizeGrads);
    checkBoolean('soap', 'correctBias', hp.correctBias);
    if (hp.dataFormat !== 'channels_first' && hp.dataFormat !== 'channels_last')
      throw new ValueError(
        `soap: dataFormat must be 'channels_first' or 'channels_last', got ${JSON.stringify(hp.dataFormat)}`,
      );
  },
  rule: scaleBySoap(),
  fused: fusedSoap(),
});
