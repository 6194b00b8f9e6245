import { allocate, type TypedArray } from '@nablajs/core';
import type { UpdateRule } from '../types';

/** The state of {@link scaleByAdagrad}, per parameter, with PyTorch's `Adagrad` state in camelCase. */
export interface ScaleByAdagradState {
  /** PyTorch's `step`: updates so far (starts at 0, is 1 after the first update). */
  step: number[];
  /** PyTorch's `sum`: the running sum of `g²`, starting at `initialAccumulatorValue`. */
  sum: TypedArray[];
}

/**
 * Adagrad's scaling (PyTorch's `Adagrad`), reading the group's `lrDecay` and `eps` at every step
 * (and `initialAccumulatorValue` when the state is built):
 *
 * - `sum ← sum + g²`, with `sum` starting at `initialAccumulatorValue`;
 * - `u ← g / (sqrt(sum) + eps) / (1 + (t - 1) · lrDecay)`, where `t` counts this parameter's steps
 *   from 1 (eps outside the square root).
 *
 * The learning rate itself is applied by `scaleByLearningRate()`, so the recipe's step is
 * PyTorch's `clr = lr / (1 + (t - 1) · lr_decay)` times `g / (sqrt(sum) + eps)`.
 *
 * Reference: Duchi, Hazan & Singer 2011, "Adaptive Subgradient Methods for Online Learning and
 * Stochastic Optimization". nabla follows PyTorch (the paper has neither `eps` nor `lr_decay`).
 *
 * @example
 * ```ts
 * const adagradRule = chain(flipIfMaximize(), addWeightDecay(), scaleByAdagrad(), scaleByLearningRate());
 * ```
 */
export function scaleByAdagrad(): UpdateRule<ScaleByAdagradState> {
  return {
    init: (params, hp) => {
      const initial = (hp.initialAccumulatorValue as number | undefined) ?? 0;
      return {
        step: params.map(() => 0),
        sum: params.map((p) => allocate(p.dtype, p.size).fill(initial)),
      };
    },
    update(updates, state, ctx) {
      const lrDecay = (ctx.hp.lrDecay as number | undefined) ?? 0;
      const eps = ctx.hp.eps as number;
      for (let i = 0; i < updates.length; i++) {
        const u = updates[i];
        if (u === null) continue;
        const t = ++state.step[i];
        const decay = 1 / (1 + (t - 1) * lrDecay);
        const sum = state.sum[i];
        for (let j = 0; j < u.length; j++) {
          sum[j] += u[j] * u[j];
          u[j] = (decay * u[j]) / (Math.sqrt(sum[j]) + eps);
        }
      }
    },
  };
}
