import { ValueError } from '@nablajs/core';
import { checkBoolean, checkCount, isSampler, type Sampler } from './sampler';

/**
 * Group another sampler's indices into batches of `batchSize`, like `torch.utils.data.BatchSampler`: each
 * epoch iterates `sampler` once (so a random sampler draws a new order) and yields arrays of indices, the
 * last one smaller unless `dropLast`. Give it to a {@link DataLoader} as `batchSampler`, or write your own
 * (any iterable of arrays of indices with a `length`) to make batches by other rules, such as items of
 * similar length together.
 *
 * See https://pytorch.org/docs/1.13/data.html#torch.utils.data.BatchSampler
 *
 * @example
 * ```ts
 * [...new BatchSampler(new SequentialSampler(10), 3, false)]; // [[0, 1, 2], [3, 4, 5], [6, 7, 8], [9]]
 * [...new BatchSampler(new SequentialSampler(10), 3, true)]; // [[0, 1, 2], [3, 4, 5], [6, 7, 8]]
 * const batches = new BatchSampler(new RandomSampler(10, { generator: new Generator(0) }), 4, false);
 * const loader = new DataLoader(dataset, { batchSampler: batches }); // 3 batches, reshuffled every epoch
 * ```
 */
export class BatchSampler implements Sampler<number[]> {
  /** The sampler whose indices are grouped (any iterable of indices with a length, an array included). */
  readonly sampler: Sampler;
  /** Indices per batch. */
  readonly batchSize: number;
  /** Whether a smaller last batch is dropped. */
  readonly dropLast: boolean;

  /**
   * @param sampler - where the indices come from: a sampler, or an array of indices
   * @param batchSize - indices per batch: an integer >= 1
   * @param dropLast - drop the last batch when it is smaller than `batchSize`
   */
  constructor(sampler: Sampler, batchSize: number, dropLast: boolean) {
    if (!isSampler(sampler))
      throw new ValueError(
        'BatchSampler: sampler must be an iterable of indices with a length (a sampler, or an array of indices)',
      );
    this.sampler = sampler;
    this.batchSize = checkCount('BatchSampler', 'batchSize', batchSize, 1);
    this.dropLast = checkBoolean('BatchSampler', 'dropLast', dropLast);
  }

  /** The number of batches per epoch: `ceil(sampler.length / batchSize)`, or `floor(...)` with `dropLast`. */
  get length(): number {
    const n = this.sampler.length;
    return this.dropLast ? Math.floor(n / this.batchSize) : Math.ceil(n / this.batchSize);
  }

  /** Start an epoch: start one iteration of the sampler now, then yield its indices in batches. */
  [Symbol.iterator](): IterableIterator<number[]> {
    return this.batches(this.sampler[Symbol.iterator]());
  }

  private *batches(indices: Iterator<number>): IterableIterator<number[]> {
    let batch: number[] = [];
    for (const index of { [Symbol.iterator]: () => indices }) {
      batch.push(index);
      if (batch.length === this.batchSize) {
        yield batch;
        batch = [];
      }
    }
    if (batch.length > 0 && !this.dropLast) yield batch;
  }
}
