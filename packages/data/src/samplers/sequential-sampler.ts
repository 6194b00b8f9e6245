import { checkCount, type Sampler } from './sampler';

/**
 * The indices `0, 1, ..., n - 1` in order, every epoch, like `torch.utils.data.SequentialSampler`. PyTorch
 * takes the dataset; pass its length here.
 *
 * See https://pytorch.org/docs/1.13/data.html#torch.utils.data.SequentialSampler
 *
 * @example
 * ```ts
 * const sampler = new SequentialSampler(4);
 * [...sampler]; // [0, 1, 2, 3]
 * sampler.length; // 4
 * ```
 */
export class SequentialSampler implements Sampler {
  /** The number of indices: the dataset's length. */
  readonly n: number;

  /** @param n - the dataset's length: an integer >= 0 */
  constructor(n: number) {
    this.n = checkCount('SequentialSampler', 'n', n, 0);
  }

  /** The number of indices an epoch yields: `n`. */
  get length(): number {
    return this.n;
  }

  /** One epoch: `0` to `n - 1`. */
  *[Symbol.iterator](): IterableIterator<number> {
    for (let i = 0; i < this.n; i++) yield i;
  }
}
