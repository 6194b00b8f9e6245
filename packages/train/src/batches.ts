import { type Generator, indexSelect, randperm, Tensor, ValueError } from '@nablajs/core';

/** One batch: the inputs and the targets, with the same number of samples (the first dimension). */
export type Batch = readonly [inputs: Tensor, targets: Tensor];

/** A whole data set as two tensors: `x` (inputs) and `y` (targets), samples along the first dimension. */
export interface TensorData {
  /** The inputs, `[N, ...]`. */
  readonly x: Tensor;
  /** The targets, `[N, ...]`. */
  readonly y: Tensor;
}

/**
 * What the loop trains on: an iterable of `[inputs, targets]` batches that can be iterated again every
 * epoch (an array of batches, a `DataLoader` from `@nablajs/data`), or a pair of tensors `{ x, y }` that the
 * loop batches itself with `batchSize` and `shuffle`.
 */
export type TrainData = Iterable<Batch> | TensorData;

/** How to batch `{ x, y }` data. */
export interface BatchingOptions {
  /** Samples per batch: 1 (stochastic), n (mini-batch) or `'full'` (the default: batch gradient descent). */
  batchSize?: number | 'full';
  /** Reshuffle the samples every epoch (default: true for training data, false for validation). */
  shuffle?: boolean;
}

/** The batches of a data set, epoch after epoch. */
export interface BatchSource {
  /** The number of batches per epoch, when known in advance. */
  readonly batchesPerEpoch: number | null;
  /** The batches of one epoch; `generator` orders them when the source shuffles. */
  epoch(generator: Generator): Iterable<Batch>;
  /**
   * Free a batch this source made itself (the rows gathered from `{ x, y }` data) once the loop is done with
   * it, instead of leaving its memory to the garbage collector; absent for sources whose batches belong to
   * the caller.
   */
  release?(batch: Batch): void;
}

function formatShape(shape: readonly number[]): string {
  return `[${shape.join(',')}]`;
}

/**
 * Whether `data` is `{ x, y }` tensor data (rather than an iterable of batches).
 *
 * @internal
 */
export function isTensorData(data: unknown): data is TensorData {
  return (
    typeof data === 'object' &&
    data !== null &&
    (data as { x?: unknown }).x instanceof Tensor &&
    (data as { y?: unknown }).y instanceof Tensor
  );
}

/**
 * Throw unless `batch` is a pair of tensors with the same number of samples; returns it.
 *
 * @internal
 */
export function checkBatch(fn: string, what: string, batch: unknown, index: number): Batch {
  if (!Array.isArray(batch) || batch.length < 2 || !(batch[0] instanceof Tensor) || !(batch[1] instanceof Tensor))
    throw new ValueError(`${fn}: batch ${index} of ${what} must be an [inputs, targets] pair of tensors`);
  const [inputs, targets] = batch as unknown as Batch;
  if (inputs.ndim === 0 || targets.ndim === 0)
    throw new ValueError(
      `${fn}: batch ${index} of ${what} needs a sample dimension, got inputs ${formatShape(inputs.shape)} and targets ${formatShape(targets.shape)}`,
    );
  if (inputs.shape[0] !== targets.shape[0])
    throw new ValueError(
      `${fn}: batch ${index} of ${what} has ${inputs.shape[0]} inputs but ${targets.shape[0]} targets (shapes ${formatShape(inputs.shape)} and ${formatShape(targets.shape)})`,
    );
  if (inputs.shape[0] === 0) throw new ValueError(`${fn}: batch ${index} of ${what} is empty`);
  return [inputs, targets];
}

/**
 * Turn training or validation data into a {@link BatchSource}, checking everything that can be checked
 * before the first step: sample counts of `x` and `y`, an empty data set, the batch size, and (for an
 * array of batches) every batch.
 *
 * @internal
 *
 * @example
 * ```ts
 * const source = batchSource('fit', 'data', { x, y }, { batchSize: 32, shuffle: true });
 * for (const [inputs, targets] of source.epoch(new Generator(0))) console.log(inputs.shape, targets.shape);
 * ```
 */
export function batchSource(fn: string, what: string, data: unknown, options: BatchingOptions = {}): BatchSource {
  if (isTensorData(data)) return tensorSource(fn, what, data, options);
  if (typeof data !== 'object' || data === null || typeof (data as Iterable<Batch>)[Symbol.iterator] !== 'function')
    throw new ValueError(
      `${fn}: ${what} must be an iterable of [inputs, targets] batches (an array, a DataLoader) or { x, y } tensors, got ${data === null ? 'null' : typeof data}`,
    );
  if (options.batchSize !== undefined)
    throw new ValueError(`${fn}: batchSize applies to { x, y } data only; ${what} is already batched`);
  if (options.shuffle !== undefined)
    throw new ValueError(`${fn}: shuffle applies to { x, y } data only; shuffle ${what} in its DataLoader`);
  if (Array.isArray(data)) {
    if (data.length === 0) throw new ValueError(`${fn}: ${what} is empty (no batches)`);
    const batches = data.map((b, i) => checkBatch(fn, what, b, i));
    return { batchesPerEpoch: batches.length, epoch: () => batches };
  }
  const iterable = data as Iterable<Batch>;
  const length = (data as { length?: unknown }).length;
  const known = typeof length === 'number' && Number.isInteger(length) && length >= 0 ? length : null;
  if (known === 0) throw new ValueError(`${fn}: ${what} is empty (no batches)`);
  return {
    batchesPerEpoch: known,
    *epoch() {
      let i = 0;
      for (const batch of iterable) yield checkBatch(fn, what, batch, i++);
      if (i === 0) throw new ValueError(`${fn}: ${what} is empty (it yielded no batches)`);
    },
  };
}

function tensorSource(fn: string, what: string, data: TensorData, options: BatchingOptions): BatchSource {
  const { x, y } = data;
  if (x.ndim === 0 || y.ndim === 0)
    throw new ValueError(
      `${fn}: ${what}.x and ${what}.y need a sample dimension, got shapes ${formatShape(x.shape)} and ${formatShape(y.shape)}`,
    );
  const n = x.shape[0];
  if (n !== y.shape[0])
    throw new ValueError(
      `${fn}: ${what}.x has ${n} samples but ${what}.y has ${y.shape[0]} (shapes ${formatShape(x.shape)} and ${formatShape(y.shape)})`,
    );
  if (n === 0) throw new ValueError(`${fn}: ${what} is empty (x has shape ${formatShape(x.shape)})`);
  const requested = options.batchSize ?? 'full';
  if (requested !== 'full' && (typeof requested !== 'number' || !Number.isInteger(requested) || requested < 1))
    throw new ValueError(`${fn}: batchSize must be a positive integer or 'full', got ${JSON.stringify(requested)}`);
  if (options.shuffle !== undefined && typeof options.shuffle !== 'boolean')
    throw new ValueError(`${fn}: shuffle must be true or false, got ${JSON.stringify(options.shuffle)}`);
  // As Keras, a batch size above the sample count means one batch of everything.
  const size = requested === 'full' ? n : Math.min(requested, n);
  const batches = Math.ceil(n / size);
  // Shuffling a single full batch only reorders a sum: skip it (and keep the generator untouched).
  const shuffle = (options.shuffle ?? false) && batches > 1;
  return {
    batchesPerEpoch: batches,
    *epoch(generator: Generator) {
      if (batches === 1) {
        yield [x, y];
        return;
      }
      let order = sequence(n);
      if (shuffle) {
        const perm = randperm(n, { generator });
        order = Int32Array.from(perm.values as Int32Array);
        perm.dispose();
      }
      for (let b = 0; b < batches; b++) {
        const start = b * size;
        const end = Math.min(start + size, n);
        const index = new Tensor(order.slice(start, end), [end - start], 'int32');
        const batch: Batch = [indexSelect(x, 0, index), indexSelect(y, 0, index)];
        index.dispose();
        yield batch;
      }
    },
    // The gathered rows are this source's own (a single full batch is x and y themselves: never freed).
    release:
      batches === 1
        ? undefined
        : ([inputs, targets]: Batch) => {
            inputs.dispose();
            targets.dispose();
          },
  };
}

function sequence(n: number): Int32Array {
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) out[i] = i;
  return out;
}
