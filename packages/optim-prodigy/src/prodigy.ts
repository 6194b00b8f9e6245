import { allocate, type Tensor, type TypedArray, ValueError } from '@nablajs/core';
import {
  checkBoolean,
  checkNumber,
  checkTuple,
  defineOptimizer,
  type Hyperparams,
  type OptimizerFactory,
  type StepContext,
  type UpdateRule,
} from '@nablajs/optim';
import { adamStep, axpy, ema, emaOfSquares } from './kernels';

const NAME = 'prodigy';

/** The keys of Prodigy's cross-group statistics in `ctx.global` (and in the state dict's `global`). */
export const PRODIGY_KEYS = {
  /** The current estimate `d` (the step size is `lr·d`). */
  d: 'prodigy.d',
  /** The largest `d̂` so far (and at least `d0`): the cap of `d`. */
  dMax: 'prodigy.dMax',
  /** The estimate's numerator `r` (the reference's `d_numerator`). */
  dNumerator: 'prodigy.dNumerator',
  /** The estimate's denominator `‖s‖₁`, summed over every parameter of every group (`d_denom`). */
  dDenom: 'prodigy.dDenom',
  /** The last raw estimate `d̂ = dCoef·r/‖s‖₁` (`d_hat`). */
  dHat: 'prodigy.dHat',
  /** How many steps estimated `d` (the reference's `k`; the bias correction's step count). */
  k: 'prodigy.k',
} as const;

/** The state of one parameter group of {@link scaleByProdigy}: plain data, per parameter (indexed like the updates). */
export interface ProdigyState {
  /** Steps that moved the parameter (the reference's `state['step']`). */
  step: number[];
  /**
   * `x₀`, the parameter at its first step with a gradient, every `sliceP`-th entry; an empty array when
   * the parameter was all zeros then (`x₀ = 0`); `null` before that step.
   */
  p0: (TypedArray | null)[];
  /** `s`, the weighted sum of gradients (every `sliceP`-th entry) whose 1-norm is the estimate's denominator. */
  s: (TypedArray | null)[];
  /** `m`, the running average of `d·g` (`exp_avg`); `null` while `betas[0]` is 0. */
  expAvg: (TypedArray | null)[];
  /** `v`, the running average of `d²·g²` (`exp_avg_sq`). */
  expAvgSq: (TypedArray | null)[];
}

/** What one step has gathered so far (per optimizer, keyed by its `ctx.global`; never saved). */
interface StepScratch {
  /** 'check' after pass 1 started, 'accumulate' after pass 2 started, 'update' after d was updated. */
  phase: 'idle' | 'check' | 'accumulate' | 'update';
  error: string | null;
  groups: number[];
  lrs: number[];
  maxLr: number;
  // The reference reads these from group 0; here, from the first group with a gradient this step.
  beta1: number;
  beta2: number;
  beta3: number;
  useBiasCorrection: boolean;
  dCoef: number;
  growthRate: number;
  decouple: boolean;
  initialD0: number;
  /** The last group's `d0`: the reference compares `d` with it. */
  lastD0: number;
  /** `d` before this step's update, and the step size `d·lr·biasCorrection` built from it. */
  d: number;
  dlr: number;
  deltaNumerator: number;
  dDenom: number;
  /** The reference returns without moving anything when `dDenom` is 0. */
  skip: boolean;
  /** `d` after this step's update. */
  dNew: number;
}

const scratches = new WeakMap<object, StepScratch>();

function scratchOf(global: Record<string, unknown>): StepScratch {
  let sc = scratches.get(global);
  if (sc === undefined) {
    sc = {
      phase: 'idle',
      error: null,
      groups: [],
      lrs: [],
      maxLr: 0,
      beta1: 0,
      beta2: 0,
      beta3: 0,
      useBiasCorrection: false,
      dCoef: 1,
      growthRate: Number.POSITIVE_INFINITY,
      decouple: true,
      initialD0: 0,
      lastD0: 0,
      d: 0,
      dlr: 0,
      deltaNumerator: 0,
      dDenom: 0,
      skip: true,
      dNew: 0,
    };
    scratches.set(global, sc);
  }
  return sc;
}

/** Python's `max(a, b)`: `a` unless `b > a` (so a NaN `b` is ignored, as in the reference). */
function pyMax(a: number, b: number): number {
  // biome-ignore lint/complexity/useMathMinMax: Math.max returns NaN for a NaN b; Python's max keeps a.
  return b > a ? b : a;
}

/** Python's `min(a, b)`: `a` unless `b < a`. */
function pyMin(a: number, b: number): number {
  // biome-ignore lint/complexity/useMathMinMax: Math.min returns NaN for a NaN b; Python's min keeps a.
  return b < a ? b : a;
}

function slicedLength(size: number, sliceP: number): number {
  return Math.ceil(size / sliceP);
}

/** Pass 1: read every group's hyperparameters and check what the step needs, changing nothing. */
function checkGroup(updates: readonly (TypedArray | null)[], state: ProdigyState, ctx: StepContext): void {
  const sc = scratchOf(ctx.global);
  const hp = ctx.hp;
  if (sc.phase !== 'check') {
    sc.phase = 'check';
    sc.error = null;
    sc.groups.length = 0;
    sc.lrs.length = 0;
    sc.maxLr = 0;
    const betas = hp.betas as readonly number[];
    sc.beta1 = betas[0];
    sc.beta2 = betas[1];
    sc.beta3 = hp.beta3 === null ? Math.sqrt(betas[1]) : (hp.beta3 as number);
    sc.useBiasCorrection = hp.useBiasCorrection as boolean;
    sc.dCoef = hp.dCoef as number;
    sc.growthRate = hp.growthRate as number;
    sc.decouple = hp.decouple as boolean;
    sc.initialD0 = hp.d0 as number;
  }
  sc.groups.push(ctx.groupIndex);
  sc.lrs.push(hp.lr);
  sc.maxLr = pyMax(sc.maxLr, hp.lr);
  sc.lastD0 = hp.d0 as number;
  if (sc.error !== null) return;
  // NOTE: errors wait for pass 2, so that this pass never throws and the next step always starts afresh.
  const sliceP = hp.sliceP as number;
  for (let i = 0; i < updates.length; i++) {
    const s = state.s[i];
    if (updates[i] === null || s === null) continue;
    const expected = slicedLength(ctx.params[i].size, sliceP);
    if (s.length !== expected) {
      sc.error = `${NAME}: sliceP of parameter group ${ctx.groupIndex} changed after its parameter ${i} was first stepped (its statistics hold ${s.length} entries, sliceP ${sliceP} needs ${expected})`;
      return;
    }
  }
}

/** Start of pass 2: raise what pass 1 found, then set up the step (the reference's prologue). */
function beginAccumulate(sc: StepScratch, global: Record<string, unknown>): void {
  sc.phase = 'accumulate';
  if (sc.error !== null) throw new ValueError(sc.error);
  for (let n = 0; n < sc.lrs.length; n++) {
    const lr = sc.lrs[n];
    if (lr !== sc.maxLr && lr !== 0)
      throw new ValueError(
        `${NAME}: lr of parameter group ${sc.groups[n]} is ${lr}, but Prodigy shares one step size d across groups: every group's lr must be the largest one (${sc.maxLr}) or 0 (a group with lr 0 is left out of the estimate of d)`,
      );
  }
  if (!(PRODIGY_KEYS.d in global)) {
    const d0 = sc.initialD0;
    global[PRODIGY_KEYS.d] = d0;
    global[PRODIGY_KEYS.dMax] = d0;
    global[PRODIGY_KEYS.dNumerator] = 0;
    global[PRODIGY_KEYS.dDenom] = 0;
    global[PRODIGY_KEYS.dHat] = 0;
    global[PRODIGY_KEYS.k] = 0;
  }
  const k = global[PRODIGY_KEYS.k] as number;
  const biasCorrection = sc.useBiasCorrection ? (1 - sc.beta2 ** (k + 1)) ** 0.5 / (1 - sc.beta1 ** (k + 1)) : 1;
  sc.d = global[PRODIGY_KEYS.d] as number;
  sc.dlr = sc.d * sc.maxLr * biasCorrection;
  sc.deltaNumerator = 0;
  sc.dDenom = 0;
}

/**
 * Pass 2, the reference's first loop: L2 decay into the gradient, the state of first-stepped
 * parameters, and, in groups with lr > 0, the moments, `s`, and this group's share of the estimate.
 */
function accumulateGroup(updates: readonly (TypedArray | null)[], state: ProdigyState, ctx: StepContext): void {
  const sc = scratchOf(ctx.global);
  if (sc.phase === 'check') beginAccumulate(sc, ctx.global);
  const hp = ctx.hp;
  const decay = hp.weightDecay as number;
  const groupLr = hp.lr;
  const d0 = hp.d0 as number;
  const sliceP = hp.sliceP as number;
  const { beta1, beta2, beta3, d, dlr } = sc;
  const coupled = decay !== 0 && !sc.decouple;
  const scale = (d / d0) * dlr;
  const sAlpha = hp.safeguardWarmup === true ? (d / d0) * d : scale;
  const mAlpha = d * (1 - beta1);
  const vAlpha = d * d * (1 - beta2);
  for (let i = 0; i < updates.length; i++) {
    const g = updates[i];
    if (g === null) continue;
    const p = ctx.params[i].data;
    if (coupled) axpy(g, decay, p);
    if (state.expAvgSq[i] === null) initParam(state, i, ctx.params[i], sliceP, beta1);
    // NOTE: the reference keys m on beta1 > 0 at the parameter's first step; a later change to beta1 > 0 starts it at 0.
    else if (beta1 > 0 && state.expAvg[i] === null) state.expAvg[i] = allocate(ctx.params[i].dtype, g.length);
    if (!(groupLr > 0)) continue;
    const p0 = state.p0[i] as TypedArray;
    const s = state.s[i] as TypedArray;
    let dot = 0;
    if (p0.length === 0) for (let jj = 0, j = 0; jj < s.length; jj++, j += sliceP) dot += g[j] * (0 - p[j]);
    else for (let jj = 0, j = 0; jj < s.length; jj++, j += sliceP) dot += g[j] * (p0[jj] - p[j]);
    sc.deltaNumerator += scale * dot;
    if (beta1 > 0) ema(state.expAvg[i] as TypedArray, beta1, mAlpha, g, 1);
    emaOfSquares(state.expAvgSq[i] as TypedArray, beta2, vAlpha, g);
    sc.dDenom += ema(s, beta3, sAlpha, g, sliceP);
  }
}

function initParam(state: ProdigyState, i: number, param: Tensor, sliceP: number, beta1: number): void {
  const p = param.data;
  const n = slicedLength(param.size, sliceP);
  let any = false;
  for (let j = 0; j < p.length && !any; j++) any = p[j] !== 0;
  const p0 = allocate(param.dtype, any ? n : 0);
  if (any) for (let jj = 0, j = 0; jj < n; jj++, j += sliceP) p0[jj] = p[j];
  state.step[i] = 0;
  state.p0[i] = p0;
  state.s[i] = allocate(param.dtype, n);
  state.expAvg[i] = beta1 > 0 ? allocate(param.dtype, param.size) : null;
  state.expAvgSq[i] = allocate(param.dtype, param.size);
}

/** The reference's update of d, once per step, after every group's share is in. */
function updateD(sc: StepScratch, global: Record<string, unknown>): void {
  sc.phase = 'update';
  sc.skip = sc.dDenom === 0;
  if (sc.skip) return;
  const numerator = (global[PRODIGY_KEYS.dNumerator] as number) * sc.beta3 + sc.deltaNumerator;
  const dHat = (sc.dCoef * numerator) / sc.dDenom;
  let d = sc.d;
  if (d === sc.lastD0) d = pyMax(d, dHat);
  const dMax = pyMax(global[PRODIGY_KEYS.dMax] as number, dHat);
  d = pyMin(dMax, d * sc.growthRate);
  global[PRODIGY_KEYS.dNumerator] = numerator;
  global[PRODIGY_KEYS.dDenom] = sc.dDenom;
  global[PRODIGY_KEYS.d] = d;
  global[PRODIGY_KEYS.dMax] = dMax;
  global[PRODIGY_KEYS.dHat] = dHat;
  global[PRODIGY_KEYS.k] = (global[PRODIGY_KEYS.k] as number) + 1;
  sc.dNew = d;
}

/**
 * Prodigy's whole step as one rule block (Mishchenko & Defazio 2023; the authors' `prodigyopt`):
 * it turns the gradients into the final parameter deltas, learning rate and weight decay included,
 * so it is {@link prodigy}'s entire recipe. One pass gathers every group's hyperparameters, a second
 * accumulates the estimate of `d` over every parameter of every group (the reference's first loop),
 * and `update` then updates `d` once and steps each group with it (the reference's second loop). The
 * cross-group statistics live in `ctx.global` under the keys `prodigy.d`, `prodigy.dMax`,
 * `prodigy.dNumerator`, `prodigy.dDenom`, `prodigy.dHat` and `prodigy.k`, so an optimizer holds at most
 * one Prodigy block. The equations, defaults and the differences from the paper are on {@link prodigy}.
 *
 * @see https://arxiv.org/abs/2306.06101
 * @see https://github.com/konstmish/prodigy
 * @example
 * ```ts
 * // prodigy is this rule with its defaults and checks; here it follows a clipping of the global norm:
 * const clippedProdigy = defineOptimizer({
 *   name: 'clippedProdigy',
 *   defaults: { ...definitionOf(prodigy)!.defaults },
 *   rule: chain(clipByGlobalNorm(1), scaleByProdigy()),
 * });
 * ```
 */
export function scaleByProdigy(): UpdateRule<ProdigyState> {
  return {
    init(params: readonly Tensor[]): ProdigyState {
      return {
        step: params.map(() => 0),
        p0: params.map(() => null),
        s: params.map(() => null),
        expAvg: params.map(() => null),
        expAvgSq: params.map(() => null),
      };
    },
    passes: [checkGroup, accumulateGroup],
    update(updates: readonly (TypedArray | null)[], state: ProdigyState, ctx: StepContext): void {
      const sc = scratchOf(ctx.global);
      if (sc.phase === 'accumulate') updateD(sc, ctx.global);
      if (sc.skip) {
        for (const u of updates) if (u !== null) u.fill(0);
        return;
      }
      const hp = ctx.hp;
      const decay = hp.weightDecay as number;
      const decoupled = decay !== 0 && sc.decouple;
      const dEps = sc.dNew * (hp.eps as number);
      const useM = sc.beta1 > 0;
      const c = useM ? -sc.dlr : -sc.dlr * sc.dNew;
      for (let i = 0; i < updates.length; i++) {
        const u = updates[i];
        if (u === null) continue;
        state.step[i] += 1;
        // With beta1 = 0 the reference steps along the gradient itself (L2 decay included).
        const m = useM ? (state.expAvg[i] as TypedArray) : u;
        adamStep(u, ctx.params[i].data, m, state.expAvgSq[i] as TypedArray, c, dEps, decoupled ? -decay * sc.dlr : 0);
      }
    },
    couples: { global: true },
  };
}

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
});
