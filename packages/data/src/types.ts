import type { Tensor } from '@nablajs/core';

/**
 * A dataset: a length and random access to items, like `torch.utils.data.Dataset`.
 *
 * @example
 * ```ts
 * const squares: Dataset<[number, number]> = { length: 10, get: (i) => [i, i * i] };
 * ```
 */
export interface Dataset<T> {
  /** The number of items. */
  readonly length: number;
  /** The item at `index` (0 <= index < length). */
  get(index: number): T;
}

/** A supervised sample or batch: inputs and targets. */
export type Sample = readonly [inputs: Tensor, targets: Tensor];
