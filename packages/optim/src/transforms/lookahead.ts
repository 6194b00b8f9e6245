import { allocate, type Tensor, type TypedArray } from '@nablajs/core';
import type { Hyperparams, StepContext, UpdateRule } from '../types';
import { checkNumber } from '../validate';

/** Options of {@link lookahead}. */
export interface LookaheadOptions {
  /** Synchronise the slow weights every `k` steps of the inner rule (an integer ≥ 1). Default 5. */
  k?: number;
  /** The slow weights' step size toward the fast weights, in [0, 1]. Default 0.5. */
  alpha?: number;
}

/** The state of {@link lookahead}: plain data, saved and restored with the optimizer. */
export interface LookaheadState<S> {
  /** Per parameter: the slow weights, in the parameter's dtype (the parameter values at `init`). */
  slow: TypedArray[];
  /** Per parameter: inner steps taken (a parameter without a gradient does not count the step). */
  steps: number[];
  /** The inner rule's state. */
  inner: S;
}

/**
 * Lookahead (Zhang, Lucas, Hinton & Ba, 2019), as a chainable block: the parameters are the *fast*
 * weights, moved by `inner` at every step; the state keeps *slow* weights φ (initialised to the
 * parameters). Every `k`-th step of a parameter, after the inner update θ ← θ + u:
 *
 * `φ ← φ + α (θ - φ)`, then `θ ← φ`,
 *
 * expressed as the update `u ← φ_new - θ_old`, so that the runtime's `θ_old + u` lands on the synced
 * value. The slow weights are then set to exactly that stored value, so fast and slow weights are
 * equal after a sync (they may differ from the paper's `φ + α(θ - φ)` by one rounding).
 *
 * Steps are counted per parameter: one without a gradient this step (`null`) neither moves nor counts.
 * Allocates one buffer per parameter at `init`, nothing per step.
 *
 * @param inner - the fast optimizer's rule, e.g. Adam's chain
 * @param options - `k` (default 5) and `alpha` (default 0.5), the paper's defaults
 *
 * @see https://arxiv.org/abs/1907.08610
 * @example
 * ```ts
 * const lookaheadSgd = defineOptimizer({
 *   name: 'lookaheadSgd',
 *   defaults: { lr: 0.1, maximize: false, weightDecay: 0 },
 *   rule: lookahead(chain(flipIfMaximize(), addWeightDecay(), scaleByLearningRate()), { k: 5, alpha: 0.5 }),
 * });
 * ```
 */
export function lookahead<S>(inner: UpdateRule<S>, options: LookaheadOptions = {}): UpdateRule<LookaheadState<S>> {
  const k = checkNumber('lookahead', 'k', options.k ?? 5, { min: 1, integer: true });
  const alpha = checkNumber('lookahead', 'alpha', options.alpha ?? 0.5, { min: 0, max: 1 });
  return {
    init(params: readonly Tensor[], hp: Readonly<Hyperparams>): LookaheadState<S> {
      const slow = params.map((p) => {
        const s = allocate(p.dtype, p.size);
        s.set(p.data);
        return s;
      });
      return { slow, steps: params.map(() => 0), inner: inner.init(params, hp) };
    },
    update(updates: readonly (TypedArray | null)[], state: LookaheadState<S>, ctx: StepContext): void {
      inner.update(updates, state.inner, ctx);
      const steps = state.steps;
      for (let i = 0; i < updates.length; i++) {
        const u = updates[i];
        if (u === null) continue;
        steps[i] += 1;
        if (steps[i] % k !== 0) continue;
        const p = ctx.params[i].data;
        const s = state.slow[i];
        for (let j = 0; j < u.length; j++) {
          const fast = p[j] + u[j];
          u[j] = s[j] + alpha * (fast - s[j]) - p[j];
          // NOTE: the runtime stores p + u (rounded to the dtype); the slow weights take that exact value.
          s[j] = p[j] + u[j];
        }
      }
    },
  };
}
