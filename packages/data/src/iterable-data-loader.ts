import { checkOptions, optionNames, ValueError } from '@nablajs/core';
import { type Collated, defaultCollate } from './collate';

/**
 * A dataset read in its own order, like PyTorch's `torch.utils.data.IterableDataset`: any iterable whose
 * `[Symbol.iterator]()` starts a new pass over its items (a class with a generator method, an array, a Set).
 * A numeric `length`, when it has one, gives {@link IterableDataLoader.length}.
 *
 * @example
 * ```ts
 * class Lines implements IterableDataset<string> {
 *   constructor(private readonly text: string) {}
 *   *[Symbol.iterator]() {
 *     yield* this.text.split('\n');
 *   }
 * }
 * ```
 */
export interface IterableDataset<T> extends Iterable<T> {
  /** The number of items, when it is known (it gives {@link IterableDataLoader.length}). */
  readonly length?: number;
}

/** Options of {@link IterableDataLoader}. */
export interface IterableDataLoaderOptions<T, B = Collated<T>> {
  /** Items per batch (default 1). */
  batchSize?: number;
  /** Drop the last batch of a pass when it is smaller than `batchSize` (default false). */
  dropLast?: boolean;
  /** Merge a list of items into a batch (default {@link defaultCollate}). */
  collate?: (items: T[]) => B;
}

const OPTIONS = optionNames<IterableDataLoaderOptions<unknown, unknown>>({
  batchSize: true,
  dropLast: true,
  collate: true,
});

/** The DataLoader options that fix an order, which an iterable dataset has of its own. */
const ORDER_OPTIONS = ['shuffle', 'sampler', 'batchSampler', 'generator'];

/**
 * Batches of an {@link IterableDataset}, like PyTorch's `DataLoader` given an `IterableDataset`: each pass
 * (each `for ... of`, each epoch of `fit()`) starts a new iteration of the dataset and groups its items, in
 * order, into batches of `batchSize`, merged by `collate` (the last one smaller unless `dropLast`). Its order
 * is the dataset's own: `shuffle`, `sampler` and `batchSampler` are refused, as PyTorch refuses them with an
 * iterable dataset, and so is `generator`, which would have nothing to order. {@link DataLoader} is the loader of datasets with a `length` and `get(index)`.
 *
 * A pass that yields no item is an error: a generator object (`gen()` rather than an object whose
 * `[Symbol.iterator]` is a generator method) can be read only once, and a second epoch would be silently
 * empty.
 *
 * See https://pytorch.org/docs/stable/data.html#iterable-style-datasets
 *
 * @example
 * ```ts
 * const stream = { *[Symbol.iterator]() { for (let i = 0; i < 10; i++) yield [tensor([i]), tensor([2 * i])] as const; } };
 * const loader = new IterableDataLoader(stream, { batchSize: 4 });
 * for (const [x, y] of loader) x.shape; // [4, 1], [4, 1], then [2, 1]
 * ```
 */
export class IterableDataLoader<T, B = Collated<T>> implements Iterable<B> {
  /** The dataset the batches come from. */
  readonly dataset: IterableDataset<T>;
  /** Items per batch. */
  readonly batchSize: number;
  /** Whether a smaller last batch is dropped. */
  readonly dropLast: boolean;
  /** The function that merges items into a batch, or undefined for the default collate. */
  readonly collate: ((items: T[]) => B) | undefined;

  constructor(dataset: IterableDataset<T>, options: IterableDataLoaderOptions<T, B> = {}) {
    const fn = 'IterableDataLoader';
    if (dataset === null || typeof dataset !== 'object' || typeof dataset[Symbol.iterator] !== 'function')
      throw new ValueError(`${fn}: dataset must be iterable (an object with a [Symbol.iterator]() method)`);
    if (options !== null && typeof options === 'object')
      for (const key of Object.keys(options))
        if (ORDER_OPTIONS.includes(key))
          throw new ValueError(
            `${fn}: ${key} does not apply: an iterable dataset is read in its own order (PyTorch's DataLoader refuses shuffle and samplers with an IterableDataset too); shuffle inside the dataset, or use DataLoader with a map-style dataset`,
          );
    checkOptions(fn, options, OPTIONS);
    const { batchSize = 1, dropLast = false, collate } = options;
    if (typeof batchSize !== 'number' || !Number.isInteger(batchSize) || batchSize < 1)
      throw new ValueError(`${fn}: batchSize must be a positive integer, got ${String(batchSize)}`);
    if (typeof dropLast !== 'boolean')
      throw new ValueError(`${fn}: dropLast must be a boolean, got ${String(dropLast)}`);
    if (collate !== undefined && typeof collate !== 'function')
      throw new ValueError(`${fn}: collate must be a function from a list of items to a batch`);
    this.dataset = dataset;
    this.batchSize = batchSize;
    this.dropLast = dropLast;
    this.collate = collate;
  }

  /**
   * The number of batches per pass when the dataset has a numeric `length` (`ceil(length / batchSize)`, or
   * `floor` with `dropLast`, as PyTorch's `len(loader)`), else null: an iterable's length is known only by
   * reading it.
   */
  get length(): number | null {
    const n = (this.dataset as { length?: unknown }).length;
    if (typeof n !== 'number' || !Number.isInteger(n) || n < 0) return null;
    return this.dropLast ? Math.floor(n / this.batchSize) : Math.ceil(n / this.batchSize);
  }

  /** Start a pass over the dataset and yield its batches. */
  *[Symbol.iterator](): IterableIterator<B> {
    let items: T[] = [];
    let seen = 0;
    for (const item of this.dataset) {
      seen++;
      items.push(item);
      if (items.length === this.batchSize) {
        yield this.merge(items);
        items = [];
      }
    }
    if (seen === 0)
      throw new ValueError(
        'IterableDataLoader: the dataset yielded no items in this pass; a generator object can be read only once, so pass an object whose [Symbol.iterator]() starts a new pass (a class with a *[Symbol.iterator]() method)',
      );
    if (items.length > 0 && !this.dropLast) yield this.merge(items);
  }

  private merge(items: T[]): B {
    return this.collate ? this.collate(items) : (defaultCollate(items) as B);
  }
}
