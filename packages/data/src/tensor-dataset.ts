import { IndexError, indexSelect, ShapeError, Tensor, tensor, ValueError } from '@nablajs/core';
import type { Dataset } from './types';
import { formatShape } from './util';

/**
 * A dataset of tensors that share their first dimension, like `torch.utils.data.TensorDataset`: item
 * `i` is the tuple of the `i`-th rows, `[x[i], y[i], ...]`. A {@link DataLoader} gathers its batches
 * with one `indexSelect` per tensor instead of stacking rows one by one.
 *
 * See https://pytorch.org/docs/stable/data.html#torch.utils.data.TensorDataset
 *
 * @example
 * ```ts
 * const ds = new TensorDataset(tensor([[1, 2], [3, 4], [5, 6]]), tensor([0, 1, 0], { dtype: 'int32' }));
 * ds.length; // 3
 * const [x, y] = ds.get(1); // x = [3, 4], y = 1 (0-d)
 * ```
 */
export class TensorDataset<T extends readonly Tensor[] = Tensor[]> implements Dataset<T> {
  /** The tensors, in the order given; not copied. */
  readonly tensors: T;
  /** The number of samples: the size of every tensor's first dimension. */
  readonly length: number;

  constructor(...tensors: T) {
    if (tensors.length === 0) throw new ValueError('TensorDataset: expected at least one tensor, got none');
    tensors.forEach((t, i) => {
      if (!(t instanceof Tensor)) throw new ValueError(`TensorDataset: tensors[${i}] is not a Tensor`);
      if (t.ndim === 0)
        throw new ShapeError(`TensorDataset: tensors[${i}] is 0-d; every tensor needs a first (sample) dimension`);
    });
    const sizes = tensors.map((t) => t.shape[0]);
    if (sizes.some((n) => n !== sizes[0])) {
      const shapes = tensors.map((t) => formatShape(t.shape)).join(', ');
      throw new ShapeError(
        `TensorDataset: every tensor must have the same number of samples (first dimension), got ${sizes.join(' vs ')} (shapes ${shapes})`,
      );
    }
    this.tensors = tensors;
    this.length = sizes[0];
  }

  /** The `index`-th row of every tensor (0 <= index < length). */
  get(index: number): T {
    if (!Number.isInteger(index) || index < 0 || index >= this.length)
      throw new IndexError(`TensorDataset.get: index ${index} is out of range for ${this.length} samples`);
    const at = tensor([index], { dtype: 'int32' });
    return this.tensors.map((t) => indexSelect(t, 0, at).reshape(t.shape.slice(1))) as unknown as T;
  }

  /** The rows at `indices` of every tensor, each gathered with one `indexSelect` (the batch fast path). */
  getBatch(indices: Int32Array): T {
    const index = new Tensor(indices, [indices.length], 'int32');
    return this.tensors.map((t) => indexSelect(t, 0, index)) as unknown as T;
  }
}
