// One layer of a recurrent network in one direction, over a whole (padded or packed) sequence: the loop of
// RNNBase's forward, kept apart from the module's checks and bookkeeping.

import { add, cat, slice, split, type Tensor } from '@nablajs/core';
import { linear } from '../functional/linear';
import { gruStep, lstmStep, rnnStep } from './cell-functions';
import type { RNNMode } from './rnn-base';

/** The parameters of one layer and direction (null where absent). */
export interface DirectionWeights {
  weightIh: Tensor;
  weightHh: Tensor;
  biasIh: Tensor | null;
  biasHh: Tensor | null;
  weightHr: Tensor | null;
}

/**
 * Split `x`, `[sum of sizes, features]`, into its time steps of `[sizes[t], features]` by halving recursively.
 * NOTE: splitting into all steps at once makes the backward pass scatter every step's gradient into a zero
 * tensor of the whole sequence (O(seq²) work); halving costs O(seq log seq).
 */
function splitSteps(x: Tensor, sizes: readonly number[], from: number, to: number, out: Tensor[]): void {
  if (to - from === 1) {
    out.push(x);
    return;
  }
  const mid = from + Math.ceil((to - from) / 2);
  let left = 0;
  for (let t = from; t < mid; t++) left += sizes[t];
  const [first, second] = split(x, [left, x.shape[0] - left], 0);
  splitSteps(first, sizes, from, mid, out);
  splitSteps(second, sizes, mid, to, out);
}

/**
 * One layer in one direction over the whole sequence. `flat` is the layer input as `[rows, features]`, time
 * step after time step, `sizes[t]` rows at step t, the running sequences first (so a step updates the first
 * `sizes[t]` states and leaves the others: they ended, or in reverse start later); the output is flat in the
 * same order. `h0` and `c0` are `[batch, size]`.
 */
export function runDirection(
  mode: RNNMode,
  hiddenSize: number,
  flat: Tensor,
  w: DirectionWeights,
  h0: Tensor,
  c0: Tensor | null,
  sizes: readonly number[],
  reverse: boolean,
): { output: Tensor; h: Tensor; c: Tensor | null } {
  // NOTE: RNN and LSTM add b_hh outside the recurrence (summed once with b_ih); GRU cannot, because
  // r multiplies (h W_hnᵀ + b_hn).
  const inputBias = mode === 'GRU' || w.biasIh === null || w.biasHh === null ? w.biasIh : add(w.biasIh, w.biasHh);
  const projected = linear(flat, w.weightIh, inputBias);
  const seqLen = sizes.length;
  const batch = h0.shape[0];
  const steps: Tensor[] = [];
  splitSteps(projected, sizes, 0, seqLen, steps);
  const outputs = new Array<Tensor>(seqLen);
  let h = h0;
  let c = c0;
  for (let i = 0; i < seqLen; i++) {
    const t = reverse ? seqLen - 1 - i : i;
    const xg = steps[t];
    const n = sizes[t];
    const hPrev = n === batch ? h : slice(h, [[0, n]]);
    let hNext: Tensor;
    if (mode === 'LSTM') {
      const cAll = c as Tensor;
      const next = lstmStep(xg, hPrev, n === batch ? cAll : slice(cAll, [[0, n]]), w.weightHh, w.weightHr, hiddenSize);
      hNext = next.h;
      c = n === batch ? next.c : cat([next.c, slice(cAll, [[n, batch]])], 0);
    } else if (mode === 'GRU') hNext = gruStep(xg, hPrev, w.weightHh, w.biasHh, hiddenSize);
    else hNext = rnnStep(xg, hPrev, w.weightHh, mode === 'RNN_TANH' ? 'tanh' : 'relu');
    h = n === batch ? hNext : cat([hNext, slice(h, [[n, batch]])], 0);
    outputs[t] = hNext;
  }
  return { output: outputs.length === 1 ? outputs[0] : cat(outputs, 0), h, c };
}
