import { IndexError, Tensor, ValueError } from '@nablajs/core';
import type { Dataset } from './types';

/**
 * The items of `dataset` at `indices`, in that order, like `torch.utils.data.Subset`: item `i` of the
 * subset is item `indices[i]` of the dataset. The indices are copied and checked once, here.
 *
 * See https://pytorch.org/docs/stable/data.html#torch.utils.data.Subset
 *
 * @example
 * ```ts
 * const evens = new Subset(dataset, [0, 2, 4, 6]);
 * evens.length; // 4
 * evens.get(1); // dataset.get(2)
 * ```
 */
export class Subset<T> implements Dataset<T> {
  /** The dataset the items come from. */
  readonly dataset: Dataset<T>;
  /** The positions in `dataset` of the subset's items (a copy of what was passed). */
  readonly indices: Int32Array;

  constructor(dataset: Dataset<T>, indices: ArrayLike<number> | Tensor) {
    if (!dataset || typeof dataset.get !== 'function' || typeof dataset.length !== 'number')
      throw new ValueError('Subset: dataset must have a length and a get(index) method');
    const values = indices instanceof Tensor ? indices.data : indices;
    if (values === null || typeof values !== 'object' || typeof values.length !== 'number')
      throw new ValueError('Subset: indices must be an array of integers, a typed array or a 1-D tensor');
    const copy = new Int32Array(values.length);
    for (let i = 0; i < values.length; i++) {
      const v = values[i];
      if (!Number.isInteger(v) || v < 0 || v >= dataset.length)
        throw new IndexError(`Subset: indices[${i}] = ${v} is out of range for a dataset of length ${dataset.length}`);
      copy[i] = v;
    }
    this.dataset = dataset;
    this.indices = copy;
  }

  /** The number of items in the subset. */
  get length(): number {
    return this.indices.length;
  }

  /** Item `indices[index]` of the underlying dataset. */
  get(index: number): T {
    if (!Number.isInteger(index) || index < 0 || index >= this.indices.length)
      throw new IndexError(`Subset.get: index ${index} is out of range for ${this.indices.length} items`);
    return this.dataset.get(this.indices[index]);
  }
}
