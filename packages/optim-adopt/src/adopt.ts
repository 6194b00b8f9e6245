import { ValueError } from '@nablajs/core';
import {
  addWeightDecay,
  chain,
  checkBoolean,
  checkNumber,
  checkTuple,
  defineOptimizer,
  flipIfMaximize,
  type Hyperparams,
  type OptimizerDefinition,
  type ParamsInput,
  type RuleOptimizerFactory,
  scaleByLearningRate,
  withDefinition,
} from '@nablajs/optim';
import { type AdoptClip, defaultAdoptClip, scaleByAdopt } from './scale-by-adopt';

/**
 * Options of {@link adopt}: the keyword arguments of the authors' `ADOPT` (iShohei220/adopt) in
 * lowerCamelCase. Every option but `clipLambda` may also be set per parameter group.
 */
export interface AdoptOptions {
  /** Learning rate. Default `1e-3`. */
  lr?: number;
  /** `[β₁, β₂]`: the decay rates of the first moment and of the second, each in [0, 1). Default `[0.9, 0.9999]`. */
  betas?: readonly number[];
  /** The floor of `√v` in the denominator (`max(√v, ε)`, not `√v + ε`), ≥ 0. Default `1e-6`. */
  eps?: number;
  /**
   * The clipping bound of the normalised gradient as a function of the step count (see {@link AdoptClip}),
   * or `null` for no clipping. Default `step ↦ step^0.25` ({@link defaultAdoptClip}). Optimizer-wide, as the
   * reference's `self.clip_lambda`: not a group hyperparameter, not in `defaults` or `paramGroups`, and not
   * saved in the state dict (a function is not data); give it again when you rebuild the optimizer.
   */
  clipLambda?: AdoptClip | null;
  /** Weight decay `λ ≥ 0`: L2 (`g + λ·p`, before everything) unless `decouple`. Default `0`. */
  weightDecay?: number;
  /** Decay the weights decoupled, `p ← p - lr·λ·p` before each update (not at a parameter's first step). Default `false`. */
  decouple?: boolean;
  /** Maximize the objective (gradient ascent) instead of minimizing it. Default `false`. */
  maximize?: boolean;
}

const NAME = 'adopt';

/** The group hyperparameters of {@link adopt} with their defaults (the reference's). */
const DEFAULTS: Hyperparams = {
  lr: 1e-3,
  betas: [0.9, 0.9999],
  eps: 1e-6,
  weightDecay: 0,
  decouple: false,
  maximize: false,
};

function validateAdopt(hp: Readonly<Hyperparams>): void {
  checkNumber(NAME, 'lr', hp.lr, { min: 0 });
  checkTuple(NAME, 'betas', hp.betas, 2, { min: 0, max: 1, maxInclusive: false });
  checkNumber(NAME, 'eps', hp.eps, { min: 0 });
  checkNumber(NAME, 'weightDecay', hp.weightDecay, { min: 0 });
  checkBoolean(NAME, 'decouple', hp.decouple);
  checkBoolean(NAME, 'maximize', hp.maximize);
}

/**
 * The definition of ADOPT with a given clipping bound, as {@link adopt} builds it: its name (`'adopt'`),
 * group defaults, validation and rule, `chain(flipIfMaximize(), addWeightDecay('decouple'),
 * scaleByAdopt(clipLambda), scaleByLearningRate())`. `defineOptimizer(adoptDefinition(clip))` is a factory
 * of its own that wrappers can find by name once registered, with its clip (wrappers take `'adopt'` with
 * the default clip: see {@link adopt}).
 *
 * @param clipLambda - the clipping bound (see {@link AdoptClip}), or `null` for none; default `t^0.25`.
 *
 * @example
 * ```ts
 * import { defineOptimizer, definePlugin, usePlugin } from '@nablajs/optim';
 * const adoptConstantClip = defineOptimizer(adoptDefinition(() => 1));
 * usePlugin(definePlugin({ name: 'my-adopt', optimizers: { adoptConstantClip } }));
 * const opt = createOptimizer('lookahead', model.parameters(), { inner: 'adoptConstantClip', lr: 1e-3 });
 * ```
 */
export function adoptDefinition(clipLambda: AdoptClip | null = defaultAdoptClip): OptimizerDefinition {
  return {
    name: NAME,
    defaults: DEFAULTS,
    validate: validateAdopt,
    rule: chain(flipIfMaximize(), addWeightDecay('decouple'), scaleByAdopt(clipLambda), scaleByLearningRate()),
  };
}

/** The factories of the two common settings, made once; a custom clipLambda gets one per optimizer. */
const DEFAULT_DEFINITION = adoptDefinition();
const withDefaultClip: RuleOptimizerFactory = defineOptimizer(DEFAULT_DEFINITION);
const withoutClip: RuleOptimizerFactory = defineOptimizer(adoptDefinition(null));

function shown(value: unknown): string {
  return JSON.stringify(value) ?? String(value);
}

/**
 * ADOPT, ADaptive gradient method with the OPTimal convergence rate (Taniguchi, Harada, Minegishi, Oshima,
 * Jeong, Nagahara, Iiyama, Suzuki, Iwasawa & Matsuo 2024, "ADOPT: Modified Adam Can Converge with Any β₂
 * with the Optimal Rate", NeurIPS 2024), exactly as the authors' PyTorch code (iShohei220/adopt,
 * `src/adopt/adopt.py`). Adam normalises the gradient by a second moment that already contains it, which
 * is why it can diverge unless β₂ suits the problem; ADOPT divides by the moment of the previous
 * gradients only and applies the momentum after the normalisation. Per parameter, with `t` the steps it
 * took before this one and `g` its gradient:
 *
 * ```
 * g ← -g                      (maximize)
 * g ← g + λ·p                 (weightDecay λ, unless decouple)
 * t = 0:  v ← g²              (nothing else: p and m do not move at a parameter's first step)
 * t ≥ 1:  p ← p - lr·λ·p      (decouple)
 *         n = clamp(g / max(√v, ε), -c, c),   c = clipLambda(t)
 *         m ← m + (1-β₁)·(n - m)
 *         p ← p - lr·m
 *         v ← β₂·v + (1-β₂)·g²
 * t ← t + 1
 * ```
 *
 * Defaults (the reference's): `lr 1e-3, betas [0.9, 0.9999], eps 1e-6, clipLambda step ↦ step^0.25,
 * weightDecay 0, decouple false, maximize false`. The reference's `foreach`, `capturable`,
 * `differentiable` and `fused` choose among its implementations (`fused` is not implemented there) and do
 * not apply.
 *
 * What the reference does that is easy to miss, and nabla matches:
 * - the first step of each parameter moves nothing and only sets `v ← g²` (with L2 decay and maximize
 *   already applied), yet counts as a step: `clipLambda` first sees `t = 1`, at the second step;
 * - the denominator is a floor, `max(√v, ε)`, not Adam's `√v + ε`, and there is no bias correction;
 * - `v` takes the current gradient after the parameter moved, so a step never divides by its own gradient;
 * - the decoupled decay is `p ← p - lr·λ·p` before the update and is skipped at the first step.
 *
 * `clipLambda` is optimizer-wide, as the reference's `self.clip_lambda`: a function cannot be a
 * parameter-group hyperparameter in nabla (groups are plain data, saved in the state dict), so it is not in
 * `defaults`, `paramGroups` or `stateDict()` (PyTorch does not save it either). For the same reason `adopt`
 * is a factory of its own around `defineOptimizer`, declared (`withDefinition`) with the definition of the
 * default clip: wrappers (`lookahead`, `sam`) wrap `'adopt'` by name with the default clip, and reject a
 * `clipLambda` among the inner options; to wrap another clip, register
 * `defineOptimizer(adoptDefinition(clip))` under a name of your own (see {@link adoptDefinition}). The reference calls `clip_lambda` with the step as a float (`3.0`) on its
 * single-tensor path, the one it runs on CPU, and with the step's 0-d tensor on its multi-tensor path;
 * nabla passes the number, and computes the default `t^0.25` in double precision as the single-tensor path
 * does. The reference keeps one step per parameter (skipping parameters without a gradient), as nabla does.
 *
 * Paper and code: the NeurIPS version of the paper has no clipping; the authors added it to the code in
 * November 2024 (and to the arXiv version), against the near-zero divisions that made early steps unstable
 * (a gradient close to zero at the first step gives a tiny `v`). `clipLambda: null` is the original
 * algorithm.
 *
 * Recipe: `chain(flipIfMaximize(), addWeightDecay('decouple'), scaleByAdopt(clipLambda),
 * scaleByLearningRate())`. No fused kernel: on the webgpu backend its steps run on the host.
 *
 * @see https://arxiv.org/abs/2411.02853
 * @see https://github.com/iShohei220/adopt
 * @example
 * ```ts
 * import { adopt } from '@nablajs/optim-adopt';
 * const opt = adopt(model.parameters(), { lr: 1e-3, weightDecay: 0.01, decouple: true });
 * const unclipped = adopt(model.parameters(), { clipLambda: null });
 * const custom = adopt(model.parameters(), { clipLambda: (step) => Math.min(10, step ** 0.25) });
 * opt.zeroGrad();
 * loss.backward();
 * opt.step();
 * ```
 */
export const adopt: RuleOptimizerFactory<AdoptOptions> = withDefinition(
  (params: ParamsInput, options?: AdoptOptions) => {
    if (options === null || typeof options !== 'object' || !Object.hasOwn(options, 'clipLambda'))
      return withDefaultClip(params, options as Partial<Hyperparams> | undefined);
    const { clipLambda, ...rest } = options;
    if (clipLambda === undefined) return withDefaultClip(params, rest as Partial<Hyperparams>);
    if (clipLambda === null) return withoutClip(params, rest as Partial<Hyperparams>);
    if (typeof clipLambda !== 'function')
      throw new ValueError(
        `${NAME}: clipLambda must be a function of the step count (step) => number, or null for no clipping, got ${shown(clipLambda)}`,
      );
    return defineOptimizer(adoptDefinition(clipLambda))(params, rest as Partial<Hyperparams>);
  },
  DEFAULT_DEFINITION,
);
