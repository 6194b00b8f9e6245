import { allocate, keep, type TypedArray, tidy } from '@nablajs/core';
import type { Hyperparams, StepContext, UpdateRule } from '@nablajs/optim';
import { marsNewtonSchulz } from './newton-schulz';

/**
 * The state of {@link scaleByMars}: one entry per parameter of the group, indexed like the updates, with
 * the reference's per-parameter keys (`step`, `exp_avg`, `exp_avg_sq`, `last_grad`, `max_exp_avg_sq`).
 */
export interface MarsState {
  /** Steps taken by each parameter; 1 during its first update. */
  step: number[];
  /** The running average of `c_t` (MARS branch) or of the gradient (AdamW branch): `exp_avg`. */
  expAvg: TypedArray[];
  /** The running average of `c_t²` or of `g²` (`exp_avg_sq`); stays zero for MARS-Lion and MARS-Shampoo's matrices. */
  expAvgSq: TypedArray[];
  /** The previous step's gradient (`last_grad`): zeros before a parameter's first step. */
  lastGrad: TypedArray[];
  /** The running maximum of `expAvgSq` (`max_exp_avg_sq`) with `amsgrad`, else `null`. */
  maxExpAvgSq: (TypedArray | null)[];
  /**
   * The group's `lr` when the group was made: the AdamW branch steps with `lr · lr1d / initialLr` (the
   * reference's `lr_1d_factor`), so a scheduled `lr` scales the 1-D learning rate too.
   */
  initialLr: number;
}

/** The hyperparameters of one step, read from the group at every step. */
interface MarsHp {
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
  amsgrad: boolean;
  gamma: number;
  marsType: string;
  optimize1d: boolean;
  lr1d: number;
  beta1d1: number;
  beta1d2: number;
  weightDecay1d: number;
}

/** Read the group's hyperparameters into `into` (one object per rule, reused: a step allocates nothing). */
function readHp(hp: Readonly<Hyperparams>, into: MarsHp): MarsHp {
  const betas = hp.betas as readonly number[];
  const betas1d = hp.betas1d as readonly number[];
  into.lr = hp.lr;
  into.beta1 = betas[0];
  into.beta2 = betas[1];
  into.eps = hp.eps as number;
  into.weightDecay = hp.weightDecay as number;
  into.amsgrad = hp.amsgrad === true;
  into.gamma = hp.gamma as number;
  into.marsType = hp.marsType as string;
  into.optimize1d = hp.optimize1d === true;
  into.lr1d = hp.lr1d as number;
  into.beta1d1 = betas1d[0];
  into.beta1d2 = betas1d[1];
  into.weightDecay1d = hp.weightDecay1d as number;
  return into;
}

/**
 * The whole MARS step (Yuan, Liu, Wu, Zhou & Gu 2024, "MARS: Unleashing the Power of Variance Reduction
 * for Training Large Models") as one rule block, exactly as the authors' approximate version
 * (AGI-Arena/MARS, `mars.py`, `is_approx=True`): per parameter, with its own step count `t`, `g` its
 * gradient, `g_prev` the previous step's (zero at the first step) and `p` its value before the step.
 *
 * MARS branch (2-D parameters, or every parameter with `optimize1d`), `β₁, β₂ = betas`, `λ = weightDecay`:
 *
 * ```
 * c = g + γ·β₁/(1-β₁)·(g - g_prev);   c ← c/‖c‖ when ‖c‖ > 1    (‖·‖ over the whole tensor)
 * m ← β₁·m + (1-β₁)·c
 * mars-adamw (and mars-shampoo on non-matrices):
 *   v ← β₂·v + (1-β₂)·c²   (v̂ = max over steps of v with amsgrad)
 *   u = -lr·(λ·p + m / ((√v̂ / √(1-β₂ᵗ) + eps)·(1-β₁ᵗ)))
 * mars-lion:      u = -lr·(λ·p + sign(m))
 * mars-shampoo:   u = -lr·(√max(1, rows/cols)·NS(m/(1-β₁); eps) + λ·p)     (see marsNewtonSchulz)
 * ```
 *
 * AdamW branch (any parameter whose ndim is not 2, unless `optimize1d`), `β₁', β₂' = betas1d`,
 * `λ' = weightDecay1d` (not the group's `weightDecay`), `lr' = lr · lr1d / initialLr`:
 *
 * ```
 * m ← β₁'·m + (1-β₁')·g;   v ← β₂'·v + (1-β₂')·g²
 * u = -lr'·(λ'·p + m / ((√v̂ / √(1-β₂'ᵗ) + eps)·(1-β₁'ᵗ)))
 * ```
 *
 * `g_prev ← g` for every parameter. The update is final (learning rate and decay applied here): do not
 * follow the block with `scaleByLearningRate()`. Reads every hyperparameter of the group at every step;
 * `initialLr` is the group's `lr` when the group was made (see {@link MarsState}). Parameters without a
 * gradient are skipped and do not advance. MARS-Shampoo's orthogonalisation runs on
 * `ctx.updateTensor(i)` with core Tensor ops.
 *
 * @see https://arxiv.org/abs/2411.10438
 * @see https://github.com/AGI-Arena/MARS
 * @example
 * ```ts
 * const rule = chain(scaleByMars()); // what mars() runs
 * ```
 */
export function scaleByMars(): UpdateRule<MarsState> {
  const scratch: MarsHp = {
    lr: 0,
    beta1: 0,
    beta2: 0,
    eps: 0,
    weightDecay: 0,
    amsgrad: false,
    gamma: 0,
    marsType: '',
    optimize1d: false,
    lr1d: 0,
    beta1d1: 0,
    beta1d2: 0,
    weightDecay1d: 0,
  };
  return {
    init(params, hp) {
      return {
        step: params.map(() => 0),
        expAvg: params.map((p) => allocate(p.dtype, p.size)),
        expAvgSq: params.map((p) => allocate(p.dtype, p.size)),
        lastGrad: params.map((p) => allocate(p.dtype, p.size)),
        maxExpAvgSq: params.map((p) => (hp.amsgrad === true ? allocate(p.dtype, p.size) : null)),
        initialLr: hp.lr,
      };
    },
    update(updates, state, ctx) {
      const hp = readHp(ctx.hp, scratch);
      for (let i = 0; i < updates.length; i++) {
        const u = updates[i];
        if (u === null) continue;
        const t = ++state.step[i];
        // NOTE: the reference allocates max_exp_avg_sq at a parameter's first step; amsgrad switched on
        // later would fail there, and starts from zeros here.
        if (hp.amsgrad && state.maxExpAvgSq[i] === null) state.maxExpAvgSq[i] = allocate(ctx.params[i].dtype, u.length);
        if (hp.optimize1d || ctx.params[i].ndim === 2) marsBranch(u, i, t, state, ctx, hp);
        else adamwBranch(u, i, t, state, ctx, hp);
      }
    },
  };
}

/** `u ← (λ·p + m/denom)·scale` with the reference's bias-corrected denominator. */
function adamDirection(
  u: TypedArray,
  p: TypedArray,
  m: TypedArray,
  v: TypedArray,
  max: TypedArray | null,
  beta1: number,
  beta2: number,
  t: number,
  eps: number,
  decay: number,
  scale: number,
): void {
  const bc1 = 1 - beta1 ** t;
  const invSqrtBc2 = 1 / Math.sqrt(1 - beta2 ** t);
  for (let j = 0; j < u.length; j++) {
    let second = v[j];
    if (max !== null) {
      if (second > max[j]) max[j] = second;
      second = max[j];
    }
    const denom = (Math.sqrt(second) * invSqrtBc2 + eps) * bc1;
    u[j] = (p[j] * decay + m[j] / denom) * scale;
  }
}

/** The MARS branch: `c_t`, its norm clip, the momentum and the mars-adamw / -lion / -shampoo update. */
function marsBranch(u: TypedArray, i: number, t: number, state: MarsState, ctx: StepContext, hp: MarsHp): void {
  const { beta1, beta2 } = hp;
  const param = ctx.params[i];
  const p = param.values;
  const last = state.lastGrad[i];
  const coef = hp.gamma * (beta1 / (1 - beta1));
  // c_t into u (rounded to the parameter's dtype, as the reference's tensor), the gradient into last_grad.
  let sq = 0;
  for (let j = 0; j < u.length; j++) {
    const g = u[j];
    u[j] = (g - last[j]) * coef + g;
    last[j] = g;
    sq += u[j] * u[j];
  }
  let norm = Math.sqrt(sq);
  if (u instanceof Float32Array) norm = Math.fround(norm);
  // NOTE: the norm of the whole tensor, and only when above 1: c_t is never scaled up.
  if (norm > 1) for (let j = 0; j < u.length; j++) u[j] = u[j] / norm;
  const m = state.expAvg[i];
  for (let j = 0; j < u.length; j++) m[j] = m[j] * beta1 + u[j] * (1 - beta1);
  const lr = hp.lr;
  const decay = hp.weightDecay;
  const matrix = param.ndim === 2;
  if (hp.marsType === 'mars-lion') {
    for (let j = 0; j < u.length; j++) u[j] = (p[j] * decay + Math.sign(m[j])) * -lr;
  } else if (hp.marsType === 'mars-shampoo' && matrix) {
    const [rows, cols] = param.shape;
    const scale = Math.max(1, rows / cols) ** 0.5;
    const unbias = 1 / (1 - beta1);
    for (let j = 0; j < u.length; j++) u[j] = m[j] * unbias;
    // NOTE: keep() the runtime's view: a step taken inside the caller's tidy() must not dispose it.
    const view = keep(ctx.updateTensor(i));
    tidy(() => u.set(marsNewtonSchulz(view, hp.eps).values));
    for (let j = 0; j < u.length; j++) u[j] = (u[j] * scale + p[j] * decay) * -lr;
  } else {
    const v = state.expAvgSq[i];
    for (let j = 0; j < u.length; j++) v[j] = v[j] * beta2 + u[j] * u[j] * (1 - beta2);
    adamDirection(u, p, m, v, hp.amsgrad ? state.maxExpAvgSq[i] : null, beta1, beta2, t, hp.eps, decay, -lr);
  }
}

/** The AdamW branch of the parameters MARS leaves out (ndim ≠ 2 unless `optimize1d`). */
function adamwBranch(u: TypedArray, i: number, t: number, state: MarsState, ctx: StepContext, hp: MarsHp): void {
  const { beta1d1: beta1, beta1d2: beta2 } = hp;
  const m = state.expAvg[i];
  const v = state.expAvgSq[i];
  const last = state.lastGrad[i];
  for (let j = 0; j < u.length; j++) {
    const g = u[j];
    m[j] = m[j] * beta1 + g * (1 - beta1);
    v[j] = v[j] * beta2 + g * g * (1 - beta2);
    last[j] = g;
  }
  // NOTE: the reference's lr_1d_factor = lr_1d / lr is taken when the optimizer is made, so a schedule
  // of lr moves the 1-D learning rate with it. A group made with lr 0 keeps its 1-D parameters still.
  const factor = state.initialLr > 0 ? hp.lr1d / state.initialLr : 0;
  const max = hp.amsgrad ? state.maxExpAvgSq[i] : null;
  adamDirection(u, ctx.params[i].values, m, v, max, beta1, beta2, t, hp.eps, hp.weightDecay1d, -hp.lr * factor);
}
