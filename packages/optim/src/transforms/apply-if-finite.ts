import { ValueError } from '@nablajs/core';
import { mergeCouplings } from '../chain';
import { hasPasses } from '../definition';
import { decodeState } from '../state';
import type { Optimizer, UpdateRule } from '../types';
import { checkNumber } from '../validate';

/** The keys of {@link applyIfFinite}'s counters in the optimizer's cross-group state (`global`). */
const KEYS = {
  /** Steps in a row whose updates held a NaN or an infinity (0 after a finite step). */
  notFiniteCount: 'applyIfFinite.notFiniteCount',
  /** Whether the last step's updates were all finite. */
  lastFinite: 'applyIfFinite.lastFinite',
  /** Steps whose updates held a NaN or an infinity since the optimizer was made (never reset). */
  totalNotFinite: 'applyIfFinite.totalNotFinite',
  // Per step: whether every group's updates are finite so far, whether the counters moved, whether the inner rule runs.
  finite: 'applyIfFinite.stepFinite',
  counted: 'applyIfFinite.stepCounted',
  apply: 'applyIfFinite.stepApplies',
} as const;

/** What {@link applyIfFiniteStats} returns: Optax's `ApplyIfFiniteState` counters. */
export interface ApplyIfFiniteStats {
  /** Steps in a row whose gradients held a NaN or an infinity; 0 after a finite step. */
  notFiniteCount: number;
  /** Whether the last step's gradients were all finite (`true` before the first step). */
  lastFinite: boolean;
  /** Steps whose gradients held a NaN or an infinity since the optimizer was made; never reset. */
  totalNotFinite: number;
}

/**
 * Make `inner` skip the steps whose updates (the gradients, when the block comes first) hold a NaN or an
 * infinity, as Optax's `apply_if_finite`: such a step leaves the parameters and `inner`'s state as they
 * were, unless it is the `(maxConsecutiveErrors + 1)`-th non-finite step in a row, which `inner` takes as
 * it is (so that a run that keeps producing NaNs fails visibly instead of standing still). The test is
 * over every parameter of every group: one NaN anywhere skips the whole step.
 *
 * The counters (see {@link applyIfFiniteStats}) live in the optimizer's cross-group state, so
 * `stateDict()` saves them. `inner` may be any rule without passes over the groups (its blocks run inside
 * this one; a rule with passes, such as Prodigy's, is refused). PyTorch's `GradScaler` skips steps with
 * infinite gradients the same way for mixed precision; this block does it for any cause.
 *
 * @param inner - the rule to run on finite steps (usually the whole recipe: `chain(...)`)
 * @param maxConsecutiveErrors - how many non-finite steps in a row are skipped (an integer ≥ 0)
 *
 * @see https://optax.readthedocs.io/en/latest/api/optimizer_wrappers.html#optax.apply_if_finite
 * @example
 * ```ts
 * const safeAdam = defineOptimizer({
 *   name: 'safeAdam',
 *   defaults: { lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0, amsgrad: false, maximize: false },
 *   rule: applyIfFinite(chain(flipIfMaximize(), addWeightDecay(), scaleByAdam(), scaleByLearningRate()), 5),
 * });
 * const opt = safeAdam(model.parameters());
 * // ... after a bad batch:
 * applyIfFiniteStats(opt); // { notFiniteCount: 1, lastFinite: false, totalNotFinite: 1 }
 * ```
 */
export function applyIfFinite<S>(inner: UpdateRule<S>, maxConsecutiveErrors: number): UpdateRule<S> {
  checkNumber('applyIfFinite', 'maxConsecutiveErrors', maxConsecutiveErrors, { min: 0, integer: true });
  if (inner === null || typeof inner !== 'object' || typeof inner.update !== 'function')
    throw new ValueError('applyIfFinite: inner must be an update rule (an object with init and update)');
  if (hasPasses(inner as UpdateRule<unknown>))
    throw new ValueError(
      'applyIfFinite: inner has passes over every group (global statistics such as Prodigy’s or SAM’s); wrap a rule without passes',
    );
  return {
    init: (params, hp) => inner.init(params, hp),
    passes: [
      (_updates, _state, ctx) => {
        ctx.global[KEYS.finite] = true;
        ctx.global[KEYS.counted] = false;
      },
      (updates, _state, ctx) => {
        if (ctx.global[KEYS.finite] === true && !allFinite(updates)) ctx.global[KEYS.finite] = false;
      },
      (_updates, _state, ctx) => {
        const g = ctx.global;
        if (g[KEYS.counted] === true) return;
        const finite = g[KEYS.finite] === true;
        const count = finite ? 0 : ((g[KEYS.notFiniteCount] as number | undefined) ?? 0) + 1;
        g[KEYS.notFiniteCount] = count;
        g[KEYS.lastFinite] = finite;
        g[KEYS.totalNotFinite] = ((g[KEYS.totalNotFinite] as number | undefined) ?? 0) + (finite ? 0 : 1);
        g[KEYS.apply] = finite || count > maxConsecutiveErrors;
        g[KEYS.counted] = true;
      },
    ],
    update(updates, state, ctx) {
      if (ctx.global[KEYS.apply] === true) {
        inner.update(updates, state, ctx);
        return;
      }
      for (const u of updates) u?.fill(0);
    },
    setMode: inner.setMode === undefined ? undefined : (mode, state, ctx) => inner.setMode?.(mode, state, ctx),
    couples: { ...mergeCouplings([inner as UpdateRule<unknown>]), global: true },
  };
}

/** Whether every element of every update is finite. */
function allFinite(updates: readonly (ArrayLike<number> | null)[]): boolean {
  for (const u of updates) {
    if (u === null) continue;
    for (let j = 0; j < u.length; j++) if (!Number.isFinite(u[j])) return false;
  }
  return true;
}

/**
 * The counters of an optimizer built with {@link applyIfFinite}: non-finite steps in a row, whether the
 * last was finite, and non-finite steps in all (Optax's `ApplyIfFiniteState`). Read from `stateDict()`:
 * call it between steps, not in a hot loop.
 *
 * @example
 * ```ts
 * opt.step();
 * if (!applyIfFiniteStats(opt).lastFinite) console.warn('skipped a step with NaN gradients');
 * ```
 */
export function applyIfFiniteStats(optimizer: Optimizer): ApplyIfFiniteStats {
  const sd = optimizer.stateDict();
  const global = (sd.global === undefined ? {} : decodeState(sd.global)) as Record<string, unknown>;
  return {
    notFiniteCount: (global[KEYS.notFiniteCount] as number | undefined) ?? 0,
    lastFinite: (global[KEYS.lastFinite] as boolean | undefined) ?? true,
    totalNotFinite: (global[KEYS.totalNotFinite] as number | undefined) ?? 0,
  };
}
