import { noGrad, Tensor, ValueError } from '@nablajs/core';
import { BatchNorm1d, BatchNorm2d, BatchNorm3d } from './layers/batch-norm';
import { Module } from './module';

/**
 * One batch for {@link updateBn}: the model's input, or an array whose first element is the input (the
 * `[inputs, targets]` pairs a DataLoader yields; the rest is ignored).
 *
 * @example
 * ```ts
 * const batch: UpdateBnBatch = [x, y]; // the model sees x
 * ```
 */
export type UpdateBnBatch = Tensor | readonly [Tensor, ...unknown[]];

type AnyBatchNorm = BatchNorm1d | BatchNorm2d | BatchNorm3d;

/** What a BatchNorm layer had before the pass, to put back afterwards (momentum) or on error (all of it). */
interface Saved {
  bn: AnyBatchNorm;
  momentum: number | null;
  mean: Tensor;
  variance: Tensor;
  count: Tensor | null;
}

/** Set a layer's momentum for the pass (as PyTorch's update_bn assigns `module.momentum`). */
function setMomentum(bn: AnyBatchNorm, momentum: number | null): void {
  bn.momentum = momentum;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value))
    return value.length === 0 ? 'an empty array' : `an array whose first element is ${describe(value[0])}`;
  if (value instanceof Tensor) return 'a Tensor';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

/** The input of batch `index`: the batch itself, or its first element when it is an array. */
function inputOf(fn: string, batch: unknown, index: number): Tensor {
  const input = Array.isArray(batch) ? batch[0] : batch;
  if (!(input instanceof Tensor))
    throw new ValueError(
      `${fn}: batch ${index} is ${describe(batch)}; expected a Tensor or an array whose first element is a Tensor`,
    );
  return input;
}

/**
 * The pass, in three parts: `start` resets the statistics (null when the model has no BatchNorm layer with
 * running statistics: nothing to do), `run` feeds one batch, `end` restores the momenta and the model's
 * mode, and on error the statistics too.
 */
function session(fn: string, model: unknown) {
  if (!(model instanceof Module)) throw new ValueError(`${fn}: model must be a Module, got ${describe(model)}`);
  const layers = model
    .modules()
    .filter(
      (m): m is AnyBatchNorm =>
        (m instanceof BatchNorm1d || m instanceof BatchNorm2d || m instanceof BatchNorm3d) &&
        m.runningMean !== null &&
        m.runningVar !== null,
    );
  if (layers.length === 0) return null;
  const wasTraining = model.training;
  const saved: Saved[] = noGrad(() =>
    layers.map((bn) => ({
      bn,
      momentum: bn.momentum,
      mean: (bn.runningMean as Tensor).clone(),
      variance: (bn.runningVar as Tensor).clone(),
      count: bn.numBatchesTracked?.clone() ?? null,
    })),
  );
  noGrad(() => {
    for (const { bn } of saved) {
      bn.runningMean?.zero_();
      bn.runningVar?.fill_(1);
      bn.numBatchesTracked?.zero_();
      setMomentum(bn, null);
    }
  });
  model.train();
  return {
    run(batch: unknown, index: number): void {
      const input = inputOf(fn, batch, index);
      noGrad(() => model.forward(input));
    },
    end(failed: boolean): void {
      noGrad(() => {
        for (const s of saved) {
          setMomentum(s.bn, s.momentum);
          if (failed) {
            s.bn.runningMean?.copy_(s.mean);
            s.bn.runningVar?.copy_(s.variance);
            if (s.count !== null) s.bn.numBatchesTracked?.copy_(s.count);
          }
          s.mean.dispose();
          s.variance.dispose();
          s.count?.dispose();
        }
      });
      model.train(wasTraining);
    },
  };
}

function isIterable(value: unknown): value is Iterable<unknown> {
  return (
    value !== null &&
    (typeof value === 'object' || typeof value === 'function') &&
    typeof (value as Iterable<unknown>)[Symbol.iterator] === 'function'
  );
}

function isAsyncIterable(value: unknown): value is AsyncIterable<unknown> {
  return (
    value !== null &&
    (typeof value === 'object' || typeof value === 'function') &&
    typeof (value as AsyncIterable<unknown>)[Symbol.asyncIterator] === 'function'
  );
}

/**
 * Recompute the running statistics of every BatchNorm layer of `model` with one pass over `batches`:
 * the step after stochastic weight averaging, since running statistics gathered along training do not
 * belong to the averaged weights.
 *
 * For each `BatchNorm1d`, `BatchNorm2d` and `BatchNorm3d` with running statistics, the running mean is
 * reset to 0, the running variance to 1 and the batch counter to 0, and the momentum is set to `null`
 * (a cumulative average, so that every batch counts equally); then the model runs in training mode on
 * each batch, without recording gradients, and afterwards every momentum and the model's mode are put
 * back (`model.train(wasTraining)`: like PyTorch, this sets every submodule to the model's mode). The
 * statistics are reset in place (PyTorch replaces the buffers by new tensors). A model without such a
 * layer returns at once, without reading `batches`; with no batch at all, the statistics stay reset.
 *
 * A batch is a tensor or an array whose first element is the input (`[x, y]` pairs, as a DataLoader
 * yields them). A batch that is neither, or an error thrown by the model, stops the pass: the statistics,
 * momenta and mode are then restored as they were before the call, and the error is rethrown.
 *
 * `updateBn` is synchronous and takes an iterable (an array, a DataLoader, a generator); for an async
 * iterable use {@link updateBnAsync}. Follows `torch.optim.swa_utils.update_bn(loader, model)` (without its
 * `device` argument). BatchNorm layers without running statistics (`trackRunningStats: false`) are left
 * alone (PyTorch fails on them).
 *
 * @param batches - the data to estimate the statistics on, read once
 * @param model - the model whose BatchNorm layers to update (usually holding the averaged weights)
 *
 * @example
 * ```ts
 * const swa = swaWeights(model.parameters());
 * // ... train, calling swa.update() ...
 * swa.swap(); // the averaged weights into the model
 * updateBn(trainLoader, model); // trainLoader yields [inputs, targets]
 * const accuracy = evaluate(model);
 * ```
 */
export function updateBn(batches: Iterable<UpdateBnBatch>, model: Module): void {
  const fn = 'updateBn';
  if (!isIterable(batches))
    throw new ValueError(
      isAsyncIterable(batches)
        ? `${fn}: batches is an async iterable; use updateBnAsync, which returns a Promise`
        : `${fn}: batches must be an iterable of batches, got ${describe(batches)}`,
    );
  const pass = session(fn, model);
  if (pass === null) return;
  let failed = true;
  try {
    let index = 0;
    for (const batch of batches) pass.run(batch, index++);
    failed = false;
  } finally {
    pass.end(failed);
  }
}

/**
 * {@link updateBn} over an async iterable (or a plain iterable) of batches: the same pass, one batch per
 * iteration, resolving when it is done.
 *
 * Between batches other code may run while the model is in training mode with its BatchNorm momenta set
 * to `null`; do not use the model elsewhere until the Promise settles. On error the statistics, momenta
 * and mode are restored and the Promise rejects.
 *
 * @param batches - an async iterable (a stream of batches) or an iterable
 * @param model - the model whose BatchNorm layers to update
 *
 * @example
 * ```ts
 * async function* stream() {
 *   for (const file of shards) yield await loadBatch(file);
 * }
 * await updateBnAsync(stream(), model);
 * ```
 */
export async function updateBnAsync(
  batches: AsyncIterable<UpdateBnBatch> | Iterable<UpdateBnBatch>,
  model: Module,
): Promise<void> {
  const fn = 'updateBnAsync';
  if (!isAsyncIterable(batches) && !isIterable(batches))
    throw new ValueError(`${fn}: batches must be an iterable or async iterable of batches, got ${describe(batches)}`);
  const pass = session(fn, model);
  if (pass === null) return;
  let failed = true;
  try {
    let index = 0;
    for await (const batch of batches) pass.run(batch, index++);
    failed = false;
  } finally {
    pass.end(failed);
  }
}
