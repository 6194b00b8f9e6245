import { ValueError } from '@nablajs/core';
import {
  checkBoolean,
  checkNumber,
  checkTuple,
  defineOptimizer,
  type Hyperparams,
  type OptimizerFactory,
  type UpdateRule,
} from '@nablajs/optim';

import { fusedProdigy, prodigyFusedWhen } from './fused';
import { NAME, scaleByProdigy } from './scale-by-prodigy';

/** Options of {@link prodigy}: the reference's keyword arguments in lowerCamelCase, with its defaults. */
export interface ProdigyOptions {
  /** Multiplier of the estimated step size `d` (not a step size itself). Default `1` (the authors recommend leaving it). */
  lr?: number;
  /** `[β₁, β₂]`, the decay rates of `m` and `v`, each in [0, 1). Default `[0.9, 0.999]`. */
  betas?: readonly number[];
  /** The decay rate β₃ of the estimate's sums `r` and `s`, in [0, 1]; `null` means `√β₂`. Default `null`. */
  beta3?: number | null;
  /** Added to `√v` in the denominator, times `d`: `√v + d·ε`; must be > 0. Default `1e-8`. */
  eps?: number;
  /** Weight decay: decoupled (`p ← p - weightDecay·d·lr·p`) by default, L2 with `decouple: false`. Default `0`. */
  weightDecay?: number;
  /** Decoupled (AdamW-style) weight decay; `false` adds `weightDecay·p` to the gradient instead. Default `true`. */
  decouple?: boolean;
  /** Multiply the step size by Adam's bias correction `√(1-β₂ᵏ⁺¹)/(1-β₁ᵏ⁺¹)`. Default `false`. */
  useBiasCorrection?: boolean;
  /** Leave `lr` (and the bias correction) out of the weights of `s`, against over-estimating `d` during a warm-up. Default `false`. */
  safeguardWarmup?: boolean;
  /** The initial estimate of `d`, > 0. Default `1e-6`. */
  d0?: number;
  /** Multiplies each estimate `d̂`: the authors' preferred knob (0.5 or 2 for a smaller or larger step). Default `1`. */
  dCoef?: number;
  /** Cap on the growth of `d` per step (`d ← min(dMax, d·growthRate)`), ≥ 1; `Infinity` for none. Default `Infinity`. */
  growthRate?: number;
  /** Estimate `d` from every `sliceP`-th entry of each parameter only (less memory, an approximation when > 1); an integer ≥ 1. Default `1`. */
  sliceP?: number;
}

function checkFinitePositive(name: string, value: unknown): void {
  checkNumber(NAME, name, value, { min: 0, minInclusive: false });
  if (!Number.isFinite(value)) throw new ValueError(`${NAME}: ${name} must be a finite number > 0, got ${value}`);
}

/** Check one group's hyperparameters, naming the option (the runtime then checks `lr ≥ 0` and the types). */
function validateProdigy(hp: Readonly<Hyperparams>): void {
  checkTuple(NAME, 'betas', hp.betas, 2, { min: 0, max: 1, maxInclusive: false });
  if (hp.beta3 !== null) checkNumber(NAME, 'beta3', hp.beta3, { min: 0, max: 1 });
  checkFinitePositive('eps', hp.eps);
  checkNumber(NAME, 'weightDecay', hp.weightDecay, { min: 0 });
  checkBoolean(NAME, 'decouple', hp.decouple);
  checkBoolean(NAME, 'useBiasCorrection', hp.useBiasCorrection);
  checkBoolean(NAME, 'safeguardWarmup', hp.safeguardWarmup);
  checkFinitePositive('d0', hp.d0);
  checkFinitePositive('dCoef', hp.dCoef);
  checkNumber(NAME, 'growthRate', hp.growthRate, { min: 1 });
  checkNumber(NAME, 'sliceP', hp.sliceP, { min: 1, integer: true });
}

/**
 * Prodigy (Mishchenko & Defazio 2023, "Prodigy: An Expeditiously Adaptive Parameter-Free Learner"),
 * exactly as the authors' `prodigyopt.Prodigy`: Adam whose step size `lr·d` adapts by itself, where `d`
 * estimates the distance from the start `x₀` to the solution. `d` is one number for the whole
 * optimizer, estimated from every parameter of every group. Per step, with `g` each parameter's
 * gradient (plus `weightDecay·p` when `decouple` is false), `k` the number of earlier steps, `lr` the
 * largest group lr, `bc = √(1-β₂ᵏ⁺¹)/(1-β₁ᵏ⁺¹)` with `useBiasCorrection` (else 1), and `γ = d·lr·bc`:
 *
 * ```
 * m ← β₁·m + (1-β₁)·d·g                 v ← β₂·v + (1-β₂)·d²·g²
 * s ← β₃·s + (d/d0)·γ·g                 (safeguardWarmup: (d/d0)·d·g)
 * r ← β₃·r + Σ (d/d0)·γ·⟨g, x₀ - x⟩      (sum over every parameter of every group)
 * d̂ = dCoef·r / Σ‖s‖₁                   dMax ← max(dMax, d̂)
 * d ← max(d, d̂) while d = d0;  then d ← min(dMax, d·growthRate)
 * p ← p - weightDecay·γ·p - γ·m / (√v + d·ε)     (decoupled decay; the new d in d·ε)
 * ```
 *
 * with `β₃ = √β₂` unless given, `x₀` each parameter at its first step with a gradient, `r` and `s` on
 * every `sliceP`-th entry only. Every `d` on the right is the one from before the step, except in
 * `d·ε`, which uses the `d` just updated. With `β₁ = 0` there is no `m` and the step is
 * `γ·d·g / (√v + d·ε)` (`γ` with the old `d`, both other `d` the new one).
 *
 * Defaults (the reference's): `lr 1, betas [0.9, 0.999], beta3 null (√β₂), eps 1e-8, weightDecay 0,
 * decouple true, useBiasCorrection false, safeguardWarmup false, d0 1e-6, dCoef 1, growthRate
 * Infinity, sliceP 1`. Read the current `d` with {@link prodigyD}.
 *
 * **The authors' code and the paper** (nabla follows the code). The paper's Algorithm (Adam version)
 * weighs `r` and `s` by `(1-√β₂)·γ·d²` where the code uses `(d/d0)·γ` with `γ = d·lr` (the constants
 * cancel in `d̂`; dividing by d0 keeps the sums away from underflow); it has no `dCoef`, `growthRate`,
 * `beta3` (it uses `√β₂`), bias correction, weight decay, `safeguardWarmup` or `sliceP`, all additions
 * of the code; it sets `d ← max(d, d̂)` (the code's `growthRate` Infinity; with a finite one, the first
 * estimate still jumps from d0 unbounded); and it puts the step's old `d` in `√v + d·ε`, where the code
 * uses the `d` just updated.
 *
 * **The reference's rules, kept**: the lr of every group must be the largest one or 0, else a
 * `ValueError` (the reference raises mid-step; nabla before changing anything). A group with lr 0 is
 * left out of the estimate and its `m`, `v`, `s` are frozen, but it is still stepped with `γ` from the
 * largest lr: it keeps moving with an `m` it had, by decoupled weight decay, and, with `β₁ = 0`, by
 * `γ·d·g/(√v + d·ε)` (huge while `v` is 0). To freeze parameters, leave them out of the optimizer.
 * `betas`, `beta3`, `useBiasCorrection`, `dCoef`, `growthRate` and `decouple` are the optimizer's,
 * read from the first group (the reference reads group 0; nabla, the first group with a gradient this
 * step); `eps`, `weightDecay`, `d0` (in `d/d0`), `safeguardWarmup` and `sliceP` are per group, and
 * `d = d0` is tested with the last group's `d0` (the last with a gradient, in nabla). A parameter
 * without a gradient is skipped entirely (no share in `d`, no state, no move). A step whose `Σ‖s‖₁` is
 * 0 (no gradient information yet) updates `m`, `v` and `s` but moves nothing and leaves `d` and `k` as
 * they were.
 *
 * **Differences from the reference**: L2 decay goes into nabla's copy of the gradient (the reference adds
 * it to `p.grad` in place); lr 0 is accepted for the optimizer (the reference's constructor wants lr > 0,
 * its groups may have 0); `growthRate < 1`, `dCoef ≤ 0`, `beta3` outside [0, 1], a negative
 * `weightDecay` and a non-integer `sliceP` are rejected (the reference does not check them); `d` starts
 * at the `d0` of the first group with a gradient (the reference: the constructor's `d0`; the same unless
 * groups set their own); the largest lr and the lr check cover the groups that have a gradient this step
 * (the reference's, every group: they differ only when a whole group has none). The arithmetic follows
 * PyTorch's rounding (fused multiply-adds, float32 ops in float32) so that runs match the reference to
 * its last bits: the first estimates of `d` divide by displacements of a few `d0`. `fsdp_in_use`
 * (sharded parameters across devices) does not apply to nabla's single-device optimizers and is not an
 * option.
 *
 * On the webgpu backend the step runs as GPU kernels with `d` kept on the GPU in float32 (its sums as
 * float32 trees: `d` agrees with the cpu backend's within about 1e-6 relative), and {@link prodigyStats}
 * sees the step after the next await; on cpu and wasm the rule below runs, in doubles where the reference
 * is.
 *
 * Recipe: `scaleByProdigy()` (one block: the estimate, the moments and the step).
 *
 * @see https://arxiv.org/abs/2306.06101
 * @see https://github.com/konstmish/prodigy
 * @example
 * ```ts
 * import { prodigy, prodigyD } from '@nablajs/optim-prodigy';
 * const opt = prodigy(model.parameters(), { weightDecay: 0.01 }); // lr stays 1
 * opt.zeroGrad();
 * loss.backward();
 * opt.step();
 * console.log(prodigyD(opt)); // the estimated step size d
 * ```
 */
export const prodigy: OptimizerFactory<ProdigyOptions> = defineOptimizer<ProdigyOptions>({
  name: NAME,
  defaults: {
    lr: 1,
    betas: [0.9, 0.999],
    beta3: null,
    eps: 1e-8,
    weightDecay: 0,
    decouple: true,
    useBiasCorrection: false,
    safeguardWarmup: false,
    d0: 1e-6,
    dCoef: 1,
    growthRate: Number.POSITIVE_INFINITY,
    sliceP: 1,
  },
  validate: validateProdigy,
  rule: scaleByProdigy() as UpdateRule<unknown>,
  fused: fusedProdigy(),
  fusedWhen: prodigyFusedWhen,
});
