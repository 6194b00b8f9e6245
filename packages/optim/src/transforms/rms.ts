import { allocate, type TypedArray } from '@nablajs/core';
import type { UpdateRule } from '../types';

/** The state of {@link scaleByRms}, per parameter, with PyTorch's `RMSprop` state in camelCase. */
export interface ScaleByRmsState {
  /** PyTorch's `step`: updates so far (starts at 0, is 1 after the first update). */
  step: number[];
  /** PyTorch's `square_avg`: the running average of `g²`. */
  squareAvg: TypedArray[];
  /** PyTorch's `grad_avg`: the running average of `g` (`centered` only; `null` until needed). */
  gradAvg: (TypedArray | null)[];
  /** PyTorch's `momentum_buffer` (`momentum > 0` only; `null` until needed). Starts at zero. */
  momentumBuffer: (TypedArray | null)[];
}

/**
 * RMSprop's scaling (PyTorch's `RMSprop`), reading the group's `alpha`, `eps`, `centered` and
 * `momentum` at every step:
 *
 * - `v ← alpha · v + (1 - alpha) · g²` (no bias correction);
 * - `avg = sqrt(v) + eps`, or with `centered`: `ga ← alpha · ga + (1 - alpha) · g` and
 *   `avg = sqrt(v - ga²) + eps` (eps outside the square root);
 * - `u ← g / avg`, or with `momentum > 0`: `buf ← momentum · buf + g / avg` and `u ← buf`.
 *
 * RMSprop's momentum buffer is its own and **starts at zero** (unlike SGD's, which starts at the
 * first gradient), so it is kept here, not by `traceMomentum()`. The learning rate is not applied
 * here: follow with `scaleByLearningRate()`. Buffers for `centered` and `momentum` are allocated
 * (as zeros) at the first step that needs them.
 *
 * Reference: Hinton, Lecture 6e of "Neural Networks for Machine Learning" (2012); centered variant:
 * Graves 2013, "Generating sequences with recurrent neural networks". nabla follows PyTorch, whose
 * `eps` is added outside the square root and whose momentum accumulates the scaled gradient.
 *
 * @example
 * ```ts
 * const rmspropRule = chain(flipIfMaximize(), addWeightDecay(), scaleByRms(), scaleByLearningRate());
 * ```
 */
export function scaleByRms(): UpdateRule<ScaleByRmsState> {
  return {
    init: (params, hp) => ({
      step: params.map(() => 0),
      squareAvg: params.map((p) => allocate(p.dtype, p.size)),
      gradAvg: params.map((p) => (hp.centered === true ? allocate(p.dtype, p.size) : null)),
      momentumBuffer: params.map((p) => ((hp.momentum as number) > 0 ? allocate(p.dtype, p.size) : null)),
    }),
    update(updates, state, ctx) {
      const alpha = ctx.hp.alpha as number;
      const eps = ctx.hp.eps as number;
      const momentum = (ctx.hp.momentum as number | undefined) ?? 0;
      const centered = ctx.hp.centered === true;
      const decay = 1 - alpha;
      for (let i = 0; i < updates.length; i++) {
        const u = updates[i];
        if (u === null) continue;
        state.step[i]++;
        const sq = state.squareAvg[i];
        for (let j = 0; j < u.length; j++) sq[j] = alpha * sq[j] + decay * u[j] * u[j];
        if (centered) {
          let ga = state.gradAvg[i];
          if (ga === null) ga = state.gradAvg[i] = allocate(ctx.params[i].dtype, u.length);
          for (let j = 0; j < u.length; j++) {
            ga[j] = alpha * ga[j] + decay * u[j];
            u[j] /= Math.sqrt(sq[j] - ga[j] * ga[j]) + eps;
          }
        } else {
          for (let j = 0; j < u.length; j++) u[j] /= Math.sqrt(sq[j]) + eps;
        }
        if (momentum > 0) {
          let buf = state.momentumBuffer[i];
          if (buf === null) buf = state.momentumBuffer[i] = allocate(ctx.params[i].dtype, u.length);
          for (let j = 0; j < u.length; j++) buf[j] = momentum * buf[j] + u[j];
          u.set(buf);
        }
      }
    },
  };
}
