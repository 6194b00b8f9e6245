// SGD with Polyak-Ruppert averaging (Polyak & Juditsky 1992, "Acceleration of stochastic approximation
// by averaging"): train at the SGD iterates, evaluate at their running average. A train/eval rule: it
// keeps two points and `optimizer.eval()` / `optimizer.train()` swap the parameters between them.
import { allocate, type TypedArray } from '@nablajs/core';
import {
  chain,
  checkNumber,
  defineOptimizer,
  scaleByLearningRate,
  traceMomentum,
  type UpdateRule,
} from '@nablajs/optim';

/** The state of {@link polyakAverage}. */
export interface PolyakState {
  /** The average of the iterates after each step (the starting point before the first step). */
  average: TypedArray[];
  /** The training point, kept while the parameters sit at the average (eval mode). */
  train: TypedArray[];
  /** Steps taken by each parameter. */
  steps: number[];
}

/** `x̄ ← x̄ + (x_new - x̄)/n` after every step `n`, chained last; `eval` shows `x̄`, `train` restores `x`. */
export function polyakAverage(): UpdateRule<PolyakState> {
  return {
    init: (params) => ({
      average: params.map((p) => {
        const average = allocate(p.dtype, p.size);
        average.set(p.data);
        return average;
      }),
      train: params.map((p) => allocate(p.dtype, p.size)),
      steps: params.map(() => 0),
    }),
    update(updates, state, ctx) {
      for (let i = 0; i < updates.length; i++) {
        const u = updates[i];
        if (u === null) continue;
        const n = ++state.steps[i];
        const p = ctx.params[i].data;
        const avg = state.average[i];
        for (let j = 0; j < u.length; j++) avg[j] += (p[j] + u[j] - avg[j]) / n;
      }
    },
    setMode(mode, state, ctx) {
      for (let i = 0; i < ctx.params.length; i++) {
        const p = ctx.params[i].data;
        if (mode === 'eval') {
          state.train[i].set(p);
          p.set(state.average[i]);
        } else {
          p.set(state.train[i]);
        }
      }
    },
    couples: { trainEval: true },
  };
}

/** Options of {@link polyakSgd}. */
export interface PolyakSgdOptions {
  /** The learning rate. Default 0.01. */
  lr?: number;
  /** SGD's momentum (PyTorch's buffer), in [0, 1). Default 0. */
  momentum?: number;
}

/** SGD whose `eval()` point is the average of its iterates. */
export const polyakSgd = defineOptimizer<PolyakSgdOptions>({
  name: 'polyakSgd',
  defaults: { lr: 0.01, momentum: 0 },
  validate(hp) {
    checkNumber('polyakSgd', 'momentum', hp.momentum, { min: 0, max: 1, maxInclusive: false });
  },
  rule: chain(traceMomentum(), scaleByLearningRate(), polyakAverage()),
});
