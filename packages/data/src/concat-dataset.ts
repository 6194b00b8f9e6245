import { IndexError, ValueError } from '@nablajs/core';
import type { Dataset } from './types';

/**
 * Several datasets one after another, like `torch.utils.data.ConcatDataset`: item `i` is item `i` of the
 * first dataset while `i` is below its length, then the items of the second, and so on. The lengths are read
 * once, here ({@link ConcatDataset.cumulativeSizes}); the datasets themselves are not copied.
 *
 * See https://pytorch.org/docs/stable/data.html#torch.utils.data.ConcatDataset
 *
 * @example
 * ```ts
 * const both = new ConcatDataset([train, extra]); // train.length 100, extra.length 20
 * both.length; // 120
 * both.get(105); // extra.get(5)
 * new DataLoader(both, { batchSize: 32, shuffle: true }); // batches mix the two
 * ```
 */
export class ConcatDataset<T> implements Dataset<T> {
  /** The datasets, in order (the array is a copy; the datasets are not). */
  readonly datasets: readonly Dataset<T>[];
  /** The running totals of the datasets' lengths: `cumulativeSizes[k]` items come from the first `k + 1`. */
  readonly cumulativeSizes: readonly number[];

  constructor(datasets: readonly Dataset<T>[]) {
    if (!Array.isArray(datasets))
      throw new ValueError(`ConcatDataset: datasets must be an array of datasets, got ${typeof datasets}`);
    if (datasets.length === 0) throw new ValueError('ConcatDataset: datasets must not be empty');
    let total = 0;
    const sizes: number[] = [];
    datasets.forEach((d, i) => {
      if (!d || typeof d.get !== 'function' || !Number.isInteger(d.length) || d.length < 0)
        throw new ValueError(`ConcatDataset: datasets[${i}] must have an integer length >= 0 and a get(index) method`);
      total += d.length;
      sizes.push(total);
    });
    this.datasets = [...datasets];
    this.cumulativeSizes = sizes;
  }

  /** The number of items: the sum of the datasets' lengths. */
  get length(): number {
    return this.cumulativeSizes[this.cumulativeSizes.length - 1];
  }

  /** Item `index` of the concatenation: an item of the dataset whose range holds it. */
  get(index: number): T {
    if (!Number.isInteger(index) || index < 0 || index >= this.length)
      throw new IndexError(`ConcatDataset.get: index ${index} is out of range for ${this.length} items`);
    // the first dataset whose running total exceeds index (a binary search, as PyTorch's bisect_right)
    const sizes = this.cumulativeSizes;
    let lo = 0;
    let hi = sizes.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (sizes[mid] > index) hi = mid;
      else lo = mid + 1;
    }
    return this.datasets[lo].get(lo === 0 ? index : index - sizes[lo - 1]);
  }
}
