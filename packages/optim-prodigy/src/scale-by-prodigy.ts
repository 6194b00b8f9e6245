import { allocate, type Tensor, type TypedArray, ValueError } from '@nablajs/core';
import type { StepContext, UpdateRule } from '@nablajs/optim';
import { adamStep, axpy, ema, emaOfSquares } from './kernels';

export const NAME = 'prodigy';

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
export interface StepScratch {
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

export function scratchOf(global: Record<string, unknown>): StepScratch {
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

export function slicedLength(size: number, sliceP: number): number {
  return Math.ceil(size / sliceP);
}

/** Pass 1: read every group's hyperparameters and check what the step needs, changing nothing. */
export function checkGroup(updates: readonly (TypedArray | null)[], state: ProdigyState, ctx: StepContext): void {
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

/** Raise what pass 1 found: a changed sliceP, or groups whose lr is neither the largest nor 0. */
export function raiseChecks(sc: StepScratch): void {
  if (sc.error !== null) throw new ValueError(sc.error);
  for (let n = 0; n < sc.lrs.length; n++) {
    const lr = sc.lrs[n];
    if (lr !== sc.maxLr && lr !== 0)
      throw new ValueError(
        `${NAME}: lr of parameter group ${sc.groups[n]} is ${lr}, but Prodigy shares one step size d across groups: every group's lr must be the largest one (${sc.maxLr}) or 0 (a group with lr 0 is left out of the estimate of d)`,
      );
  }
}

/** Put the statistics of a first step into `global` (`d = d0` of the first group with a gradient). */
export function ensureGlobals(sc: StepScratch, global: Record<string, unknown>): void {
  if (PRODIGY_KEYS.d in global) return;
  const d0 = sc.initialD0;
  global[PRODIGY_KEYS.d] = d0;
  global[PRODIGY_KEYS.dMax] = d0;
  global[PRODIGY_KEYS.dNumerator] = 0;
  global[PRODIGY_KEYS.dDenom] = 0;
  global[PRODIGY_KEYS.dHat] = 0;
  global[PRODIGY_KEYS.k] = 0;
}

/** Start of pass 2: raise what pass 1 found, then set up the step (the reference's prologue). */
function beginAccumulate(sc: StepScratch, global: Record<string, unknown>): void {
  sc.phase = 'accumulate';
  raiseChecks(sc);
  ensureGlobals(sc, global);
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
    const p = ctx.params[i].values;
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
  const p = param.values;
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
        adamStep(u, ctx.params[i].values, m, state.expAvgSq[i] as TypedArray, c, dEps, decoupled ? -decay * sc.dlr : 0);
      }
    },
    couples: { global: true },
  };
}
