import { checkOptions, defaultGenerator, type Generator, optionNames, randperm, ValueError } from '@nablajs/core';
import { type Collated, defaultCollate } from './collate';
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
   * the same order.
   */
  generator?: Generator;
  /** Drop the last batch of an epoch when it is smaller than `batchSize` (default false). */
  dropLast?: boolean;
  /** Merge a list of items into a batch (default {@link defaultCollate}). */
  collate?: (items: T[]) => B;
}

const DATA_LOADER_OPTIONS = optionNames<DataLoaderOptions<unknown, unknown>>({
  batchSize: true,
  shuffle: true,
  generator: true,
  dropLast: true,
  collate: true,
});

/**
 * Iterate over a dataset in batches, like `torch.utils.data.DataLoader`: each epoch (each `for ... of`
 * loop) visits every item once, in order or, with `shuffle`, in a permutation drawn from `generator`,
 * and yields batches of `batchSize` items merged by `collate`. A {@link TensorDataset} (or a
 * {@link Subset} of one) with the default collate is batched by one `indexSelect` per tensor.
 *
 * Unlike PyTorch, an empty dataset, or `dropLast` with fewer items than `batchSize`, is an error here
 * rather than a silent epoch of zero batches; an unknown option (`batch_size`) is an error too, as an
 * unexpected keyword argument is in Python.
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
 * ```
 */
export class DataLoader<T, B = Collated<T>> implements Iterable<B> {
  /** The dataset the batches come from. */
  readonly dataset: Dataset<T>;
  /** Items per batch. */
  readonly batchSize: number;
  /** Whether each epoch visits the items in a new random order. */
  readonly shuffle: boolean;
  /** Whether a smaller last batch is dropped. */
  readonly dropLast: boolean;
  /** The generator of the permutations, or undefined for core's global one. */
  readonly generator: Generator | undefined;
  /** The function that merges items into a batch, or undefined for the default collate. */
  readonly collate: ((items: T[]) => B) | undefined;

  constructor(dataset: Dataset<T>, options: DataLoaderOptions<T, B> = {}) {
    if (!dataset || typeof dataset.get !== 'function' || typeof dataset.length !== 'number')
      throw new ValueError('DataLoader: dataset must have a length and a get(index) method');
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
    this.dataset = dataset;
    this.batchSize = batchSize;
    this.shuffle = shuffle;
    this.dropLast = dropLast;
    this.generator = checkGenerator('DataLoader', options.generator);
    this.collate = collate;
    this.checkSize();
  }

  /** The number of batches per epoch: `ceil(n / batchSize)`, or `floor(n / batchSize)` with `dropLast`. */
  get length(): number {
    const n = this.dataset.length;
    return this.dropLast ? Math.floor(n / this.batchSize) : Math.ceil(n / this.batchSize);
  }

  /** Start an epoch: draw its order now (advancing the generator when shuffling), then yield its batches. */
  [Symbol.iterator](): IterableIterator<B> {
    const n = this.checkSize();
    let order: Int32Array;
    if (this.shuffle) {
      order = randperm(n, { generator: this.generator ?? defaultGenerator() }).values as Int32Array;
    } else {
      order = new Int32Array(n);
      for (let i = 0; i < n; i++) order[i] = i;
    }
    return this.batches(order);
  }

  private *batches(order: Int32Array): IterableIterator<B> {
    const n = order.length;
    const tensors = this.collate === undefined ? tensorSource(this.dataset) : null;
    for (let start = 0; start < n; start += this.batchSize) {
      const end = Math.min(start + this.batchSize, n);
      if (this.dropLast && end - start < this.batchSize) return;
      const indices = order.slice(start, end);
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
    if (this.dropLast && n < this.batchSize)
      throw new ValueError(
        `DataLoader: dropLast with batchSize ${this.batchSize} and a dataset of ${n} items gives no batches`,
      );
    return n;
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
