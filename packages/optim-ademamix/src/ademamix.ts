import { ValueError } from '@nablajs/core';
import {
  addDecoupledWeightDecay,
  chain,
  checkNumber,
  checkTuple,
  defineOptimizer,
  type OptimizerFactory,
  scaleByLearningRate,
} from '@nablajs/optim';
import { fusedAdemamix } from './fused';
import { scaleByAdemamix } from './scale-by-ademamix';

/** Options of {@link ademamix}: the keyword arguments of the authors' PyTorch `AdEMAMix` in lowerCamelCase. */
export interface AdemamixOptions {
  /** Learning rate. Default `1e-3`. */
  lr?: number;
  /**
   * Decay rates `[β₁, β₂, β₃]` of the fast EMA, of the squared-gradient EMA and of the slow EMA, each in
   * [0, 1). Default `[0.9, 0.999, 0.9999]`.
   */
  betas?: readonly number[];
  /** The weight `α ≥ 0` of the slow EMA in the mixture. Default `2` (the authors' PyTorch code). */
  alpha?: number;
  /** Warm up `β₃` from `β₁` over this many steps (half-life interpolation), or `null` for none. Default `null`. */
  beta3Warmup?: number | null;
  /** Warm up `α` linearly from 0 over this many steps, or `null` for none. Default `null`. */
  alphaWarmup?: number | null;
  /** Added to the bias-corrected `√ν` in the denominator. Default `1e-8`. */
  eps?: number;
  /** Decoupled weight decay `λ` (AdamW's, scaled by `lr`). Default `0`. */
  weightDecay?: number;
}

function checkWarmup(name: string, value: unknown): void {
  if (value === null) return;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0)
    throw new ValueError(
      `ademamix: ${name} must be null or an integer in [0, inf), got ${typeof value === 'number' ? value : JSON.stringify(value)}`,
    );
}

/**
 * AdEMAMix (Pagliardini, Ablin & Grangier 2024, "The AdEMAMix Optimizer: Better, Faster, Older"):
 * Adam whose numerator mixes a fast EMA of the gradient with a slow one that remembers gradients for
 * thousands of steps, exactly as the authors' PyTorch code (apple/ml-ademamix, `pytorch/ademamix.py`).
 * Per parameter, with its step count `t` and `g` its gradient:
 *
 * ```
 * α_t  = alphaWarmup  === null ? α  : linearWarmup(t, α, 0, alphaWarmup)            (linear from 0)
 * β₃,t = beta3Warmup === null ? β₃ : linearHalfLifeWarmup(t, β₃, β₁, beta3Warmup)   (half-life from β₁)
 * m₁ ← β₁·m₁ + (1-β₁)·g;   m₂ ← β₃,t·m₂ + (1-β₃,t)·g;   ν ← β₂·ν + (1-β₂)·g²
 * p  ← p - lr·((m₁/(1-β₁ᵗ) + α_t·m₂) / (√ν/√(1-β₂ᵗ) + ε) + λ·p)
 * ```
 *
 * Defaults (the authors' PyTorch code): `lr 1e-3, betas [0.9, 0.999, 0.9999], alpha 2, beta3Warmup
 * null, alphaWarmup null, eps 1e-8, weightDecay 0`. The warm-ups (integers ≥ 0, or `null`) should be
 * set for long memories (`β₃` close to 1): the authors' README warms both up over the whole run.
 *
 * Paper and code: the slow EMA is not bias corrected in either. The paper writes the warm-ups as
 * `α(t) = min(t·α/T_α, α)` and a closed form of the half-life interpolation capped at `β₃`; the code
 * evaluates them at the parameter's step `t` (from 1), adds `1e-8` inside the logarithm of the `β₃`
 * schedule and does not cap it (see {@link linearHalfLifeWarmup}); nabla follows the code. The same
 * authors' Optax version differs from their PyTorch code, which nabla follows: its default `alpha` is
 * 5 (the README's examples use 8), and it evaluates the schedules at the step count before the
 * increment (`t - 1`). With `β₁ = 0` the fast EMA is the gradient itself and no buffer is kept. The
 * weight decay is AdamW's: `λ·p` added to the update and scaled by `lr`, not by the schedule alone as
 * in Loshchilov & Hutter.
 *
 * Recipe: `chain(scaleByAdemamix(), addDecoupledWeightDecay(), scaleByLearningRate())`, run as one fused
 * kernel per parameter (`ademamixUpdate`, which the webgpu backend runs on the GPU).
 *
 * @see https://arxiv.org/abs/2409.03137
 * @see https://github.com/apple/ml-ademamix
 * @example
 * ```ts
 * import { ademamix } from '@nablajs/optim-ademamix';
 * const steps = 100_000;
 * const opt = ademamix(model.parameters(), {
 *   lr: 1e-3,
 *   alpha: 8,
 *   alphaWarmup: steps,
 *   beta3Warmup: steps,
 *   weightDecay: 0.1,
 * });
 * ```
 */
export const ademamix: OptimizerFactory<AdemamixOptions> = defineOptimizer<AdemamixOptions>({
  name: 'ademamix',
  defaults: {
    lr: 1e-3,
    betas: [0.9, 0.999, 0.9999],
    alpha: 2,
    beta3Warmup: null,
    alphaWarmup: null,
    eps: 1e-8,
    weightDecay: 0,
  },
  validate: (hp) => {
    checkNumber('ademamix', 'lr', hp.lr, { min: 0 });
    checkTuple('ademamix', 'betas', hp.betas, 3, { min: 0, max: 1, maxInclusive: false });
    checkNumber('ademamix', 'alpha', hp.alpha, { min: 0 });
    checkWarmup('beta3Warmup', hp.beta3Warmup);
    checkWarmup('alphaWarmup', hp.alphaWarmup);
    checkNumber('ademamix', 'eps', hp.eps, { min: 0 });
    checkNumber('ademamix', 'weightDecay', hp.weightDecay, { min: 0 });
  },
  rule: chain(scaleByAdemamix(), addDecoupledWeightDecay(), scaleByLearningRate()),
  fused: fusedAdemamix(0),
});
