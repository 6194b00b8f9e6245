import { ValueError } from '@nablajs/core';
import {
  chain,
  checkBoolean,
  checkNumber,
  defineOptimizer,
  flipIfMaximize,
  type Hyperparams,
  type OptimizerFactory,
} from '@nablajs/optim';
import { scaleByAdafactor } from './scale-by-adafactor';

export { type AdafactorState, scaleByAdafactor } from './scale-by-adafactor';

const NAME = 'adafactor';

/** Options of {@link adafactor}: the keyword arguments of PyTorch's `torch.optim.Adafactor` in lowerCamelCase. */
export interface AdafactorOptions {
  /**
   * Learning rate. Not the step size itself: it caps the relative step size `ρ = min(lr, 1/√t)` and scales
   * the decoupled weight decay (`p·(1 - lr·weightDecay)`). Default `1e-2` (the paper's cap on `ρ`).
   */
  lr?: number;
  /**
   * Exponent `τ ≤ 0` of the decay schedule of the second-moment averages: the new squared gradient gets
   * the weight `t^τ` at step `t` (so `β₂ = 1 - t^τ` grows towards 1). Default `-0.8` (the paper's).
   */
  beta2Decay?: number;
  /**
   * `[ε₁, ε₂]`, each ≥ 0. `ε₁` bounds from below the variance estimate (as `ε₁²`) and the mean of the row
   * factor it is divided by; `null` (the default) takes the machine epsilon of each parameter's dtype
   * (float32: 2⁻²³, float64: 2⁻⁵²). `ε₂` bounds from below the parameter scale `RMS(p)` that multiplies
   * the relative step. Default `[null, 1e-3]` (PyTorch's `(None, 1e-3)`).
   */
  eps?: readonly [number | null, number];
  /** Clipping threshold `d ≥ 1`: the update is divided by `max(1, RMS(update)/d)`. Default `1`. */
  d?: number;
  /** Decoupled weight decay `λ ≥ 0`: `p ← p·(1 - lr·λ)` before the step. Default `0`. */
  weightDecay?: number;
  /** Maximize the objective (ascend the gradient) instead of minimizing it. Default `false`. */
  maximize?: boolean;
}

/** Check `eps`: an array `[ε₁, ε₂]` with `ε₁` null or ≥ 0 and `ε₂` ≥ 0. */
function checkEps(eps: unknown): void {
  if (!Array.isArray(eps) || eps.length !== 2)
    throw new ValueError(
      `${NAME}: eps must be an array [eps1, eps2] (eps1 may be null), got ${JSON.stringify(eps) ?? String(eps)}`,
    );
  if (eps[0] !== null) checkNumber(NAME, 'eps[0]', eps[0], { min: 0 });
  checkNumber(NAME, 'eps[1]', eps[1], { min: 0 });
}

/** PyTorch's checks, with messages that name the optimizer, the option and the value. */
function validate(hp: Readonly<Hyperparams>): void {
  checkNumber(NAME, 'lr', hp.lr, { min: 0 });
  checkNumber(NAME, 'beta2Decay', hp.beta2Decay, { max: 0 });
  checkEps(hp.eps);
  checkNumber(NAME, 'd', hp.d, { min: 1 });
  checkNumber(NAME, 'weightDecay', hp.weightDecay, { min: 0 });
  checkBoolean(NAME, 'maximize', hp.maximize);
}

/**
 * Adafactor (Shazeer & Stern 2018, "Adafactor: Adaptive Learning Rates with Sublinear Memory Cost"), as
 * PyTorch's `torch.optim.Adafactor` (PyTorch 2.5+) computes it. Adam-like scaling by the square root of a
 * running second moment, but for a matrix the second moment is kept as the running means of `g²` over
 * its rows and over its columns, so a `[m, n]` weight costs `m + n` numbers of state instead of `m·n`;
 * the step is relative to the parameter's own scale and the update is clipped by its RMS. No first
 * moment (momentum) is kept.
 *
 * Per parameter `p` with gradient `g` (negated when `maximize`) and its own step count `t`, advanced first:
 *
 * ```
 * β̂ = t^beta2Decay
 * ρ = min(lr, 1/√t)
 * α = max(ε₂, RMS(p)) · ρ                           RMS(p) = ‖p‖/√numel(p), p before the decay
 * p ← p·(1 - lr·weightDecay)
 * if p has ≥ 2 dimensions [...b, m, n]:              factored along the last two; leading dims are a batch
 *   R ← R + β̂·(mean_n(g²) - R)                       row factor [...b, m, 1]
 *   C ← C + β̂·(mean_m(g²) - C)                       column factor [...b, 1, n]
 *   V̂ = R·C / max(mean_m(R), ε₁)                     outer product, [...b, m, n]
 * else (vectors and 0-d scalars):
 *   V ← V + β̂·(g² - V);  V̂ = V
 * U = g / √max(V̂, ε₁²)
 * p ← p - α · U / max(1, RMS(U)/d)
 * ```
 *
 * with `ε₁ = eps[0]`, or the machine epsilon of `p`'s dtype when it is `null`, and `ε₂ = eps[1]`.
 *
 * Defaults (PyTorch's): `lr 1e-2, beta2Decay -0.8, eps [null, 1e-3], d 1, weightDecay 0, maximize false`;
 * `eps` is written as PyTorch's tuple (`[1e-30, 1e-3]`, or `null` first for the machine epsilon). PyTorch's
 * `foreach` chooses among implementations of the same rule and does not apply.
 *
 * Where PyTorch (and so nabla) differs from the paper:
 * - the paper has no learning rate: its relative step is `min(0.01, 1/√t)`. PyTorch's `lr` takes the
 *   place of that 0.01 and also scales the decoupled weight decay, which the paper does not specify;
 * - the paper adds `ε₁` (1e-30) to `g²` before the factors are averaged; PyTorch leaves the factors
 *   alone and applies `ε₁` afterwards, as a floor on the row factor's mean, on the variance estimate
 *   (`ε₁²`) and so on the update, with the dtype's machine epsilon as its default;
 * - the factors hold means over rows and columns where the paper writes sums (the estimate `V̂` is
 *   the same, and the means stay in range for large matrices);
 * - the paper's optional first moment (`β₁`) is not offered.
 *
 * Recipe: `chain(flipIfMaximize(), scaleByAdafactor())`; see {@link scaleByAdafactor} for the numerics.
 *
 * @see https://arxiv.org/abs/1804.04235
 * @example
 * ```ts
 * import { adafactor } from '@nablajs/optim-adafactor';
 * const opt = adafactor(model.parameters(), { lr: 1e-2, weightDecay: 1e-2 });
 * opt.zeroGrad();
 * loss.backward();
 * opt.step();
 * // An explicit ε₁ instead of the dtype's machine epsilon, and a looser clipping threshold:
 * const other = adafactor(model.parameters(), { eps: [1e-30, 1e-3], d: 2 });
 * ```
 */
export const adafactor: OptimizerFactory<AdafactorOptions> = defineOptimizer<AdafactorOptions>({
  name: NAME,
  defaults: { lr: 1e-2, beta2Decay: -0.8, eps: [null, 1e-3], d: 1, weightDecay: 0, maximize: false },
  validate,
  rule: chain(flipIfMaximize(), scaleByAdafactor()),
});
