import { allocate, type TypedArray } from '@nablajs/core';
import type { UpdateRule } from '@nablajs/optim';

/** The state of {@link scaleByAdadelta}, per parameter, with PyTorch's `Adadelta` state in camelCase. */
export interface AdadeltaState {
  /** PyTorch's `step`: updates so far (starts at 0, is 1 after the first update). */
  step: number[];
  /** PyTorch's `square_avg`: the running average of `g²`. */
  squareAvg: TypedArray[];
  /** PyTorch's `acc_delta`: the running average of the squared updates `Δ²`. */
  accDelta: TypedArray[];
}

/**
 * Adadelta's scaling (PyTorch's `Adadelta`), reading the group's `rho` and `eps` at every step,
 * with eps inside both square roots:
 *
 * ```text
 * v ← rho · v + (1 - rho) · g²
 * Δ = sqrt(a + eps) / sqrt(v + eps) · g
 * a ← rho · a + (1 - rho) · Δ²       (after computing Δ)
 * u ← Δ
 * ```
 *
 * The learning rate is not applied here: follow with `scaleByLearningRate()` (PyTorch multiplies
 * `Δ` by `lr`, default 1).
 *
 * @example
 * ```ts
 * const adadeltaRule = chain(flipIfMaximize(), addWeightDecay(), scaleByAdadelta(), scaleByLearningRate());
 * ```
 */
export function scaleByAdadelta(): UpdateRule<AdadeltaState> {
  return {
    init: (params) => ({
      step: params.map(() => 0),
      squareAvg: params.map((p) => allocate(p.dtype, p.size)),
      accDelta: params.map((p) => allocate(p.dtype, p.size)),
    }),
    update(updates, state, ctx) {
      const rho = ctx.hp.rho as number;
      const eps = ctx.hp.eps as number;
      const decay = 1 - rho;
      for (let i = 0; i < updates.length; i++) {
        const u = updates[i];
        if (u === null) continue;
        state.step[i]++;
        const v = state.squareAvg[i];
        const a = state.accDelta[i];
        for (let j = 0; j < u.length; j++) {
          const g = u[j];
          v[j] = rho * v[j] + decay * g * g;
          // NOTE: eps goes inside both roots, and the old a (before this step's update) is used.
          u[j] = (Math.sqrt(a[j] + eps) / Math.sqrt(v[j] + eps)) * g;
          const delta = u[j];
          a[j] = rho * a[j] + decay * delta * delta;
        }
      }
    },
  };
}
