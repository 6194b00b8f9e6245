import { allocate, type TypedArray } from '@nablajs/core';
import type { UpdateRule } from '@nablajs/optim';

/** The state of {@link scaleByRprop}, per parameter, with PyTorch's `Rprop` state in camelCase. */
export interface RpropState {
  /** PyTorch's `step`: updates so far (starts at 0, is 1 after the first update). */
  step: number[];
  /** PyTorch's `prev`: the gradient of the previous step, zeroed where its sign flipped. */
  prev: TypedArray[];
  /** PyTorch's `step_size`: the per-element step sizes, starting at the group's `lr`. */
  stepSize: TypedArray[];
}

/**
 * Rprop's sign-based step (PyTorch's `Rprop`), reading the group's `etas = [etaminus, etaplus]` and
 * `stepSizes = [min, max]` at every step, and `lr` once per parameter, as the initial step size.
 * Per element, with `s = sign(g · prev)`:
 *
 * ```text
 * step ← clamp(step · (etaplus if s > 0, etaminus if s < 0, 1 if s = 0), min, max)
 * g ← 0 where s < 0        (that element does not move, and the next step sees s = 0)
 * prev ← g;  u ← sign(g) · step
 * ```
 *
 * The update is the ascent direction with its magnitude already set: the recipe follows it with a
 * sign flip (`descend()`), not with `scaleByLearningRate()`, since `lr` is only the initial step size.
 *
 * @example
 * ```ts
 * const rpropRule = chain(flipIfMaximize(), scaleByRprop(), descend());
 * ```
 */
export function scaleByRprop(): UpdateRule<RpropState> {
  return {
    init: (params) => ({
      step: params.map(() => 0),
      prev: params.map((p) => allocate(p.dtype, p.size)),
      stepSize: params.map((p) => allocate(p.dtype, p.size)),
    }),
    update(updates, state, ctx) {
      const etas = ctx.hp.etas as readonly number[];
      const stepSizes = ctx.hp.stepSizes as readonly number[];
      const etaminus = etas[0];
      const etaplus = etas[1];
      const lo = stepSizes[0];
      const hi = stepSizes[1];
      for (let i = 0; i < updates.length; i++) {
        const u = updates[i];
        if (u === null) continue;
        const size = state.stepSize[i];
        const prev = state.prev[i];
        // PyTorch fills the step sizes with the group's lr when the parameter's state is first built.
        if (state.step[i]++ === 0) size.fill(ctx.hp.lr);
        for (let j = 0; j < u.length; j++) {
          let g = u[j];
          const s = g * prev[j];
          let factor = 1;
          if (s > 0) factor = etaplus;
          else if (s < 0) factor = etaminus;
          else if (s !== 0) factor = Number.NaN; // NaN gradients poison the step size, as in PyTorch
          size[j] = Math.min(Math.max(size[j] * factor, lo), hi);
          // NOTE: where the sign flipped, the gradient is zeroed: no move now, and s = 0 next step.
          if (s < 0) g = 0;
          prev[j] = g;
          u[j] = Math.sign(g) * size[j];
        }
      }
    },
  };
}
