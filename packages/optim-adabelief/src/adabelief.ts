import {
  addWeightDecay,
  chain,
  checkBoolean,
  checkNumber,
  checkTuple,
  defineOptimizer,
  type OptimizerFactory,
  scaleByLearningRate,
} from '@nablajs/optim';
import { scaleByAdaBelief } from './scale-by-adabelief';
import { shrinkWeights } from './shrink-weights';

/**
 * Options of {@link adabelief}: the keyword arguments of the authors' `AdaBelief` (adabelief-pytorch
 * 0.2.1) in lowerCamelCase. Its `print_change_log` only prints and is not an option here.
 *
 * @example
 * ```ts
 * const options: AdaBeliefOptions = { lr: 1e-3, eps: 1e-8, weightDecay: 5e-4, rectify: false };
 * ```
 */
export interface AdaBeliefOptions {
  /** Learning rate. Default `1e-3`. */
  lr?: number;
  /** Decay rates `[β₁, β₂]` of the running averages of the gradient and of the squared residual, each in [0, 1). Default `[0.9, 0.999]`. */
  betas?: readonly number[];
  /**
   * Added to the running average of `(g - m)²` at every step and again to the denominator. Default `1e-16`
   * (the authors recommend `1e-8` where SGD does better than Adam, such as CNNs for image classification).
   */
  eps?: number;
  /** Weight decay `λ`, decoupled or on the gradient as `weightDecouple` says. Default `0`. */
  weightDecay?: number;
  /** Divide by the running maximum of the second moment (AMSGrad); acts only when `rectify` is false. Default `false`. */
  amsgrad?: boolean;
  /** Decouple the weight decay (AdamW-style `p ← p·(1 - lr·λ)`) instead of adding `λ·p` to the gradient. Default `true`. */
  weightDecouple?: boolean;
  /** With `weightDecouple`: `p ← p·(1 - λ)`, not scaled by the learning rate. Default `false`. */
  fixedDecay?: boolean;
  /** Rectify the step as RAdam does (no adaptive step until `N_sma ≥ 5`). Default `true`. */
  rectify?: boolean;
  /** With `rectify`: take SGD-with-momentum steps while `N_sma < 5` (else no step at all). Default `true`. */
  degeneratedToSgd?: boolean;
}

/**
 * AdaBelief (Zhuang, Tang, Ding, Tatikonda, Dvornek, Papademetris & Duncan 2020, "AdaBelief Optimizer:
 * Adapting Stepsizes by the Belief in Observed Gradients", NeurIPS 2020): Adam whose second moment is the
 * running average of `(g - m)²`, the squared gap between the gradient and its prediction `m`, so it takes
 * large steps where the gradient is as expected and small ones where it is not. Exactly the authors'
 * PyPI package adabelief-pytorch 0.2.1 (juntang-zhuang/Adabelief-Optimizer), whose defaults turn on the
 * RAdam-style rectification and the decoupled weight decay. Per parameter, with its step count `t`:
 *
 * ```
 * weightDecouple (default):  p ← p·(1 - lr·λ)      (fixedDecay: p ← p·(1 - λ))
 * otherwise:                 g ← g + λ·p
 * m ← β₁·m + (1-β₁)·g
 * s ← β₂·s + (1-β₂)·(g - m)² + ε                  (amsgrad: ŝ ← max(ŝ, s))
 * rectify false:  p ← p - lr/(1-β₁ᵗ) · m / (√(amsgrad ? ŝ : s)/√(1-β₂ᵗ) + ε)
 * rectify (default):
 *   N_max = 2/(1-β₂) - 1,   N_sma = N_max - 2·t·β₂ᵗ/(1-β₂ᵗ)
 *   N_sma ≥ 5:  p ← p - lr·r_t · m / (√s + ε),
 *               r_t = √((1-β₂ᵗ)·(N_sma-4)/(N_max-4)·(N_sma-2)/N_sma·N_max/(N_max-2)) / (1-β₁ᵗ)
 *   N_sma < 5:  p ← p - lr·m/(1-β₁ᵗ) when degeneratedToSgd (default), else p is left as the decay left it
 * ```
 *
 * With `β₂ = 0.999`, `N_sma` reaches 5 at step 6 (`N_sma ≈ 4.996` at step 5, `5.994` at step 6): the first
 * five steps are unnormalised momentum steps `lr·m̂`, which scale with the gradient.
 *
 * Defaults (the reference's): `lr 1e-3, betas [0.9, 0.999], eps 1e-16, weightDecay 0, amsgrad false,
 * weightDecouple true, fixedDecay false, rectify true, degeneratedToSgd true`.
 *
 * What the reference does, and nabla matches:
 * - ε is added to `s` in place at every step, so it accumulates in the state, and added again in the
 *   denominator; AMSGrad's maximum is taken over `s` with its ε;
 * - with `rectify` on, `amsgrad` keeps its maximum (the state has it) but the step divides by `√s + ε`, never
 *   by the maximum: AMSGrad changes the trajectory only when `rectify` is false;
 * - the threshold is `N_sma ≥ 5` and `r_t` is the formula of RAdam's original code, not PyTorch RAdam's;
 * - with `degeneratedToSgd` false and `N_sma < 5` there is no step, but the moments advance and the
 *   decoupled decay still shrinks the parameters;
 * - the decay comes before the moments; the step counter is per parameter.
 *
 * Where nabla differs:
 * - the reference reads `weightDecouple`, `fixedDecay`, `rectify` and `degeneratedToSgd` from its
 *   constructor (optimizer-wide) and the rest per group; nabla reads all of them per group, which is the same
 *   when no group overrides the four flags;
 * - the reference caches `N_sma` and `r_t` by step number in a buffer shared by the groups that keep the
 *   constructor's betas; a group added later (`add_param_group`) with other betas then reads the first group's
 *   values. nabla computes them per group at every step: the same as the reference everywhere else;
 * - the coupled decay adds `λ·p` to the update, not to `p.grad` in place as the reference does (nabla
 *   leaves gradients untouched);
 * - switching `amsgrad` on after the first step starts the maximum from zeros (the reference fails);
 * - a negative `weightDecay` is rejected (the reference does not check it). The reference's float16
 *   handling (casting to float32 for the step) does not apply.
 *
 * Recipe: `chain(addWeightDecay('weightDecouple'), scaleByAdaBelief(), scaleByLearningRate(), shrinkWeights())`.
 * No fused kernel: on the webgpu backend its steps run on the host.
 *
 * @see https://arxiv.org/abs/2010.07468
 * @see https://github.com/juntang-zhuang/Adabelief-Optimizer
 * @example
 * ```ts
 * import { adabelief } from '@nablajs/optim-adabelief';
 * const opt = adabelief(model.parameters(), { lr: 1e-3, eps: 1e-16, weightDecay: 1e-2 });
 * opt.zeroGrad();
 * loss.backward();
 * opt.step();
 * ```
 */
export const adabelief: OptimizerFactory<AdaBeliefOptions> = defineOptimizer<AdaBeliefOptions>({
  name: 'adabelief',
  defaults: {
    lr: 1e-3,
    betas: [0.9, 0.999],
    eps: 1e-16,
    weightDecay: 0,
    amsgrad: false,
    weightDecouple: true,
    fixedDecay: false,
    rectify: true,
    degeneratedToSgd: true,
  },
  validate: (hp) => {
    checkNumber('adabelief', 'lr', hp.lr, { min: 0 });
    checkTuple('adabelief', 'betas', hp.betas, 2, { min: 0, max: 1, maxInclusive: false });
    checkNumber('adabelief', 'eps', hp.eps, { min: 0 });
    checkNumber('adabelief', 'weightDecay', hp.weightDecay, { min: 0 });
    for (const flag of ['amsgrad', 'weightDecouple', 'fixedDecay', 'rectify', 'degeneratedToSgd'])
      checkBoolean('adabelief', flag, hp[flag]);
  },
  rule: chain(addWeightDecay('weightDecouple'), scaleByAdaBelief(), scaleByLearningRate(), shrinkWeights()),
});
