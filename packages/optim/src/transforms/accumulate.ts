import { allocate, type Tensor, type TypedArray } from '@nablajs/core';
import type { Hyperparams, StepContext, UpdateRule } from '../types';
import { checkNumber } from '../validate';

/** The state of {@link accumulateGradients}: plain data, saved and restored with the optimizer. */
export interface AccumulateState<S> {
  /** Micro-steps taken in the current window (0 to k-1). */
  mini: number;
  /** Per parameter: the sum of its gradients over the current window, in the parameter's dtype. */
  acc: TypedArray[];
  /** The inner rule's state. */
  inner: S;
}

/**
 * Gradient accumulation over `k` micro-batches (Optax's `MultiSteps`), as a chainable block: the
 * first `k - 1` steps of every window only add the gradient to a running sum and emit zero updates
 * (the runtime adds them as no-ops, so the parameters do not move) without calling `inner`; the
 * `k`-th step hands the mean of the `k` gradients to `inner`, whose updates are applied:
 *
 * `acc ← acc + g` at every micro-step; at the k-th: `u ← inner(acc / k)`, `acc ← 0`.
 *
 * This is the same as accumulating `.grad` over `k` backward passes in PyTorch, dividing by `k` and
 * calling `step()` once, to the last bit (the sum is kept in the parameter's dtype, in the same order).
 * The inner rule therefore sees one step per window: its step counters, bias corrections and
 * momentum advance once every `k` micro-steps. Optax keeps a running mean instead of a sum; the two
 * differ by rounding only.
 *
 * A micro-step where a parameter has no gradient (`null`) adds nothing to its sum. A parameter without
 * a gradient at the `k`-th micro-step is skipped by `inner` (its counters do not advance) and its
 * partial sum carries over to the next window. A step where no parameter has a gradient is not
 * counted as a micro-step (the runtime does not call the rule).
 *
 * Allocates one buffer per parameter at `init`, nothing per step.
 *
 * @param k - the number of micro-batches per update (an integer ≥ 1; 1 makes it a pass-through)
 * @param inner - the update rule applied to the mean gradient, e.g. an optimizer's chain
 *
 * @see https://optax.readthedocs.io/en/latest/api/optimizer_wrappers.html#optax.MultiSteps
 * @example
 * ```ts
 * // SGD on the mean gradient of 4 micro-batches:
 * const accumulatedSgd = defineOptimizer({
 *   name: 'accumulatedSgd',
 *   defaults: { lr: 0.1, maximize: false, weightDecay: 0 },
 *   rule: accumulateGradients(4, chain(flipIfMaximize(), addWeightDecay(), scaleByLearningRate())),
 * });
 * ```
 */
export function accumulateGradients<S>(k: number, inner: UpdateRule<S>): UpdateRule<AccumulateState<S>> {
  checkNumber('accumulateGradients', 'k', k, { min: 1, integer: true });
  return {
    init(params: readonly Tensor[], hp: Readonly<Hyperparams>): AccumulateState<S> {
      return { mini: 0, acc: params.map((p) => allocate(p.dtype, p.size)), inner: inner.init(params, hp) };
    },
    update(updates: readonly (TypedArray | null)[], state: AccumulateState<S>, ctx: StepContext): void {
      const acc = state.acc;
      for (let i = 0; i < updates.length; i++) {
        const u = updates[i];
        if (u === null) continue;
        const a = acc[i];
        for (let j = 0; j < u.length; j++) a[j] += u[j];
      }
      state.mini += 1;
      if (state.mini < k) {
        for (let i = 0; i < updates.length; i++) updates[i]?.fill(0);
        return;
      }
      state.mini = 0;
      for (let i = 0; i < updates.length; i++) {
        const u = updates[i];
        if (u === null) continue;
        const a = acc[i];
        for (let j = 0; j < u.length; j++) {
          u[j] = a[j] / k;
          a[j] = 0;
        }
      }
      inner.update(updates, state.inner, ctx);
    },
  };
}
