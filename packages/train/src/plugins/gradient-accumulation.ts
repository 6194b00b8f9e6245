import { ValueError } from '@nablajs/core';
import { canDeferZeroGrad } from '../context';
import type { TrainPlugin } from '../types';
import { needsClosure } from './optimizer-step';

/**
 * Accumulate gradients over `k` batches and take one optimizer step per `k` batches, for an effective
 * batch `k` times larger than what fits at once. Follows PyTorch Lightning's `accumulate_grad_batches`:
 *
 * - the loss is divided by `k` before backward (the logged loss is not), so the accumulated gradient is
 *   the mean of the `k` batch gradients, as one batch of `k` times the size would give with a mean loss;
 * - gradients are zeroed only before the first batch of each window of `k` (batches `0, k, 2k, ...` of the
 *   epoch), and the step is skipped (`ctx.skipStep()`) on every other batch, so `globalStep` counts
 *   optimizer steps;
 * - windows restart every epoch, and the last batch of the epoch always steps (a shorter last window, its
 *   loss still divided by `k`, as in Lightning), when the loop knows the number of batches.
 *
 * Other plugins see the skipped steps: gradient clipping and the gradient monitor act only on the batches
 * that step, i.e. on the accumulated gradient. An optimizer that re-evaluates the loss in its step (SAM, L-BFGS:
 * `requiresClosure`) is refused with `k > 1`: its closure would re-run only the window's last batch. See
 * https://lightning.ai/docs/pytorch/stable/common/trainer.html#accumulate-grad-batches.
 *
 * @example
 * ```ts
 * // batches of 16, one update per 64 samples
 * await fit({ model, data: { x, y }, batchSize: 16, loss, optimizer, epochs: 5, plugins: [gradientAccumulation(4)] });
 * ```
 */
export function gradientAccumulation(k: number): TrainPlugin {
  const fn = 'gradientAccumulation';
  if (typeof k !== 'number' || !Number.isInteger(k) || k < 1)
    throw new ValueError(`${fn}: k must be a positive integer, got ${k}`);
  return {
    name: 'gradientAccumulation',
    trainStart(ctx) {
      // NOTE: a closure re-runs only the current micro-batch, at 1/k of the window's loss scale and without the
      // others: the second gradient of SAM or L-BFGS's line search would not be the window's.
      const optimizer = ctx.optimizer;
      if (k !== 1 && optimizer !== null && needsClosure(optimizer))
        throw new ValueError(
          `${fn}: ${optimizer.name} re-evaluates the loss during its step (a closure), which would re-run only the ` +
            `last of the ${k} accumulated batches; use a larger batch size instead of accumulating with it`,
        );
    },
    batchStart(ctx) {
      if (k === 1) return;
      if (!canDeferZeroGrad(ctx))
        throw new ValueError(`${fn}: needs the context of @nablajs/train's fit (with deferZeroGrad)`);
      const b = ctx.batch;
      if (b % k !== 0) ctx.deferZeroGrad();
      const last = ctx.batchesPerEpoch !== null && b + 1 >= ctx.batchesPerEpoch;
      if ((b + 1) % k !== 0 && !last) ctx.skipStep();
    },
    beforeBackward(ctx) {
      if (k !== 1 && ctx.loss !== null) ctx.loss = ctx.loss.div(k);
    },
  };
}
