import {
  checkOptions,
  defaultGenerator,
  type Generator,
  IndexError,
  optionNames,
  randperm,
  ValueError,
} from '@nablajs/core';
import { type Collated, defaultCollate } from './collate';
import { isSampler, type Sampler } from './samplers/sampler';
import { Subset } from './subset';
import { TensorDataset } from './tensor-dataset';
import type { Dataset } from './types';
import { checkGenerator } from './util';

/** Options of {@link DataLoader}. */
export interface DataLoaderOptions<T, B> {
  /** Items per batch (default 1); the last batch of an epoch may be smaller unless `dropLast`. */
  batchSize?: number;
  /** Visit the items in a new random order every epoch (default false). */
  shuffle?: boolean;
  /**
   * The generator the permutations are drawn from (default: core's global generator, at the start of
   * each epoch). Its state advances by one permutation per epoch, so restoring a saved state replays
   * the same order. It orders `shuffle`'s epochs only: a `sampler` or `batchSampler` draws from its own
   * generator (accepted here as in PyTorch, where it would also seed workers, and unused).
   */
  generator?: Generator;
  /** Drop the last batch of an epoch when it is smaller than `batchSize` (default false). */
  dropLast?: boolean;
  /** Merge a list of items into a batch (default {@link defaultCollate}). */
  collate?: (items: T[]) => B;
  /**
   * Where each epoch's indices come from, in order, as PyTorch's `sampler`: a {@link RandomSampler}, a
   * {@link WeightedRandomSampler}, ..., or any iterable of indices with a `length` (an array included).
   * The loader groups them into batches of `batchSize` (dropping a smaller last one with `dropLast`).
   * Mutually exclusive with `shuffle: true`.
   */
  sampler?: Sampler;
  /**
   * Where each epoch's batches come from, as arrays of indices, as PyTorch's `batch_sampler`: a
   * {@link BatchSampler}, or any iterable of arrays of indices with a `length`. Mutually exclusive with
   * `batchSize`, `shuffle: true`, `sampler` and `dropLast: true`.
   */
  batchSampler?: Sampler<ArrayLike<number>>;
}

const DATA_LOADER_OPTIONS = optionNames<DataLoaderOptions<unknown, unknown>>({
  batchSize: true,
  shuffle: true,
  generator: true,
  dropLast: true,
  collate: true,
  sampler: true,
  batchSampler: true,
});

/**
 * Iterate over a dataset in batches, like `torch.utils.data.DataLoader`: each epoch (each `for ... of`
 * loop) visits every item once, in order or, with `shuffle`, in a permutation drawn from `generator`,
 * and yields batches of `batchSize` items merged by `collate`. A {@link TensorDataset} (or a
 * {@link Subset} of one) with the default collate is batched by one `indexSelect` per tensor.
 *
 * As in PyTorch, a `sampler` replaces the order (a {@link RandomSampler}, {@link SubsetRandomSampler},
 * {@link WeightedRandomSampler} or your own) and a `batchSampler` the batches too ({@link BatchSampler});
 * the loader starts one iteration of either when an epoch starts, checks every index it yields against
 * the dataset, and its `length` follows from the sampler's.
 *
 * Unlike PyTorch, an empty dataset or sampler, or `dropLast` with fewer items than `batchSize`, is an
 * error here rather than a silent epoch of zero batches; a sampler needs a `length`; an unknown option
 * (`batch_size`) is an error too, as an unexpected keyword argument is in Python.
 *
 * See https://pytorch.org/docs/stable/data.html#torch.utils.data.DataLoader
 *
 * @example
 * ```ts
 * const loader = new DataLoader(new TensorDataset(x, y), { batchSize: 32, shuffle: true, generator: new Generator(0) });
 * loader.length; // batches per epoch: ceil(x.shape[0] / 32)
 * for (const [xb, yb] of loader) {
 *   // xb: [32, ...x.shape.slice(1)], yb: [32, ...]
 * }
 * // over-sample by weight: 256 indices per epoch, in batches of 32
 * const weighted = new DataLoader(dataset, { sampler: new WeightedRandomSampler(weights, 256), batchSize: 32 });
 * weighted.length; // 8
 * ```
 */
export class DataLoader<T, B = Collated<T>> implements Iterable<B> {
  /** The dataset the batches come from. */
  readonly dataset: Dataset<T>;
  /** Items per batch (1, and unused, with a `batchSampler`, which makes the batches). */
  readonly batchSize: number;
  /** Whether each epoch visits the items in a new random order. */
  readonly shuffle: boolean;
  /** Whether a smaller last batch is dropped. */
  readonly dropLast: boolean;
  /** The generator of the permutations, or undefined for core's global one. */
  readonly generator: Generator | undefined;
  /** The function that merges items into a batch, or undefined for the default collate. */
  readonly collate: ((items: T[]) => B) | undefined;
  /** The sampler of each epoch's indices, or undefined (then `shuffle` decides the order). */
  readonly sampler: Sampler | undefined;
  /** The sampler of each epoch's batches, or undefined (then `batchSize` items make a batch). */
  readonly batchSampler: Sampler<ArrayLike<number>> | undefined;

  constructor(dataset: Dataset<T>, options: DataLoaderOptions<T, B> = {}) {
    if (!dataset || typeof dataset.get !== 'function' || typeof dataset.length !== 'number')
      throw new ValueError(
        'DataLoader: dataset must have a length and a get(index) method' +
          (dataset !== null && typeof (dataset as { [Symbol.iterator]?: unknown })[Symbol.iterator] === 'function'
            ? "; for an iterable dataset (PyTorch's IterableDataset) use IterableDataLoader"
            : ''),
      );
    checkOptions('DataLoader', options, DATA_LOADER_OPTIONS);
    const { batchSize = 1, shuffle = false, dropLast = false, collate } = options;
    if (typeof batchSize !== 'number' || !Number.isInteger(batchSize) || batchSize < 1)
      throw new ValueError(`DataLoader: batchSize must be a positive integer, got ${String(batchSize)}`);
    if (typeof shuffle !== 'boolean')
      throw new ValueError(`DataLoader: shuffle must be a boolean, got ${String(shuffle)}`);
    if (typeof dropLast !== 'boolean')
      throw new ValueError(`DataLoader: dropLast must be a boolean, got ${String(dropLast)}`);
    if (collate !== undefined && typeof collate !== 'function')
      throw new ValueError('DataLoader: collate must be a function from a list of items to a batch');
    const { sampler, batchSampler } = options;
    if (sampler !== undefined && !isSampler(sampler))
      throw new ValueError(
        'DataLoader: sampler must be an iterable of indices with a length (a RandomSampler, say, or an array of indices)',
      );
    if (batchSampler !== undefined && !isSampler(batchSampler))
      throw new ValueError(
        'DataLoader: batchSampler must be an iterable of arrays of indices with a length (a BatchSampler, say)',
      );
    if (batchSampler !== undefined) {
      // As PyTorch: batchSize may stay at its default of 1, shuffle and dropLast at false.
      const clashes: string[] = [];
      if (batchSize !== 1) clashes.push(`batchSize (${batchSize})`);
      if (shuffle) clashes.push('shuffle: true');
      if (sampler !== undefined) clashes.push('sampler');
      if (dropLast) clashes.push('dropLast: true');
      if (clashes.length > 0)
        throw new ValueError(
          `DataLoader: batchSampler is mutually exclusive with batchSize, shuffle, sampler and dropLast (the batch ` +
            `sampler makes the batches), got batchSampler with ${clashes.join(', ')}`,
        );
    }
    if (sampler !== undefined && shuffle)
      throw new ValueError(
        'DataLoader: sampler is mutually exclusive with shuffle: true (the sampler decides the order; ' +
          'pass a RandomSampler to shuffle)',
      );
    this.dataset = dataset;
    this.batchSize = batchSize;
    this.shuffle = shuffle;
    this.dropLast = dropLast;
    this.generator = checkGenerator('DataLoader', options.generator);
    this.collate = collate;
    this.sampler = sampler;
    this.batchSampler = batchSampler;
    this.checkSize();
  }

  /**
   * The number of batches per epoch: `ceil(n / batchSize)`, or `floor(n / batchSize)` with `dropLast`, where
   * `n` is the number of items, or the sampler's `length` when there is one; with a batch sampler, its `length`.
   */
  get length(): number {
    if (this.batchSampler !== undefined) return this.batchSampler.length;
    const n = this.sampler !== undefined ? this.sampler.length : this.dataset.length;
    return this.dropLast ? Math.floor(n / this.batchSize) : Math.ceil(n / this.batchSize);
  }

  /**
   * Start an epoch: draw its order now (advancing the generator when shuffling) or start an iteration of the
   * sampler, then yield its batches.
   */
  [Symbol.iterator](): IterableIterator<B> {
    const n = this.checkSize();
    if (this.batchSampler !== undefined) return this.gather(checkedBatches(this.batchSampler[Symbol.iterator](), n));
    if (this.sampler !== undefined)
      return this.gather(groupIndices(this.sampler[Symbol.iterator](), n, this.batchSize, this.dropLast));
    let order: Int32Array;
    if (this.shuffle) {
      order = randperm(n, { generator: this.generator ?? defaultGenerator() }).values as Int32Array;
    } else {
      order = new Int32Array(n);
      for (let i = 0; i < n; i++) order[i] = i;
    }
    return this.gather(slices(order, this.batchSize, this.dropLast));
  }

  /** Turn each array of dataset indices into a batch. */
  private *gather(batches: Iterable<Int32Array>): IterableIterator<B> {
    const tensors = this.collate === undefined ? tensorSource(this.dataset) : null;
    for (const indices of batches) {
      if (tensors) {
        const map = tensors.map;
        const rows = map ? indices.map((i) => map[i]) : indices;
        yield tensors.dataset.getBatch(rows) as unknown as B;
      } else {
        const items = Array.from(indices, (i) => this.dataset.get(i));
        yield this.collate ? this.collate(items) : (defaultCollate(items) as B);
      }
    }
  }

  private checkSize(): number {
    const n = this.dataset.length;
    if (!Number.isInteger(n) || n < 0)
      throw new ValueError(`DataLoader: dataset.length must be a non-negative integer, got ${n}`);
    if (n === 0) throw new ValueError('DataLoader: the dataset is empty (length 0); there is nothing to iterate over');
    if (this.batchSampler !== undefined) {
      if (samplerLength('batchSampler', this.batchSampler) === 0)
        throw new ValueError('DataLoader: the batchSampler is empty (length 0); there is nothing to iterate over');
    } else if (this.sampler !== undefined) {
      const count = samplerLength('sampler', this.sampler);
      if (count === 0)
        throw new ValueError('DataLoader: the sampler is empty (length 0); there is nothing to iterate over');
      if (this.dropLast && count < this.batchSize)
        throw new ValueError(
          `DataLoader: dropLast with batchSize ${this.batchSize} and a sampler of ${count} indices gives no batches`,
        );
    } else if (this.dropLast && n < this.batchSize)
      throw new ValueError(
        `DataLoader: dropLast with batchSize ${this.batchSize} and a dataset of ${n} items gives no batches`,
      );
    return n;
  }
}

/** The `length` of a sampler, or a ValueError naming the option when it is not a non-negative integer. */
function samplerLength(option: string, sampler: Sampler<unknown>): number {
  const length = sampler.length;
  if (!Number.isInteger(length) || length < 0)
    throw new ValueError(`DataLoader: ${option}.length must be a non-negative integer, got ${String(length)}`);
  return length;
}

/** Throw unless `value`, yielded by the sampler named `option`, is an index of a dataset of `n` items. */
function checkIndex(option: string, value: unknown, n: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value >= n)
    throw new IndexError(
      `DataLoader: ${option} yielded ${typeof value === 'number' ? value : typeof value}, which is not an index ` +
        `of the dataset (an integer in [0, ${n}))`,
    );
  return value;
}

/** An iterator as an iterable, so that `for ... of` closes it when the loop stops early. */
function iterate<V>(iterator: Iterator<V>): Iterable<V> {
  return { [Symbol.iterator]: () => iterator };
}

/** The consecutive runs of `batchSize` entries of `order`, the last one shorter (or dropped with `dropLast`). */
function* slices(order: Int32Array, batchSize: number, dropLast: boolean): IterableIterator<Int32Array> {
  const n = order.length;
  for (let start = 0; start < n; start += batchSize) {
    const end = Math.min(start + batchSize, n);
    if (dropLast && end - start < batchSize) return;
    yield order.slice(start, end);
  }
}

/** A sampler's indices, checked, in batches of `batchSize`, the last one shorter (or dropped with `dropLast`). */
function* groupIndices(
  indices: Iterator<number>,
  n: number,
  batchSize: number,
  dropLast: boolean,
): IterableIterator<Int32Array> {
  let batch = new Int32Array(batchSize);
  let size = 0;
  for (const index of iterate(indices)) {
    batch[size++] = checkIndex('sampler', index, n);
    if (size === batchSize) {
      yield batch;
      batch = new Int32Array(batchSize);
      size = 0;
    }
  }
  if (size > 0 && !dropLast) yield batch.slice(0, size);
}

/** A batch sampler's batches, each checked and copied into an Int32Array. */
function* checkedBatches(batches: Iterator<ArrayLike<number>>, n: number): IterableIterator<Int32Array> {
  let k = 0;
  for (const batch of iterate(batches)) {
    if (batch === null || typeof batch !== 'object' || typeof batch.length !== 'number')
      throw new ValueError(
        `DataLoader: batchSampler yielded ${String(batch)} as batch ${k}; it must yield arrays of indices`,
      );
    if (batch.length === 0) throw new ValueError(`DataLoader: batchSampler yielded an empty batch (batch ${k})`);
    const indices = new Int32Array(batch.length);
    for (let i = 0; i < batch.length; i++) indices[i] = checkIndex('batchSampler', batch[i], n);
    yield indices;
    k++;
  }
}

/**
 * The TensorDataset behind `dataset` and the map from `dataset`'s indices to its rows (null for the
 * identity), when `dataset` is a TensorDataset or a chain of Subsets of one; otherwise null.
 */
function tensorSource(dataset: Dataset<unknown>): { dataset: TensorDataset; map: Int32Array | null } | null {
  let map: Int32Array | null = null;
  let current: Dataset<unknown> = dataset;
  while (current instanceof Subset) {
    const indices: Int32Array = current.indices;
    map = map === null ? indices : map.map((i) => indices[i]);
    current = current.dataset;
  }
  return current instanceof TensorDataset ? { dataset: current, map } : null;
}
