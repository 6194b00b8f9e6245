import {
  checkOptions,
  defaultGenerator,
  type Generator,
  optionNames,
  randperm,
  type Tensor,
  ValueError,
} from '@nablajs/core';
import { checkGenerator } from '../util';
import { MAX_SAMPLES, readNumbers, type Sampler } from './sampler';

/** Options of {@link SubsetRandomSampler}. */
export interface SubsetRandomSamplerOptions {
  /**
   * The generator of the permutations (default: core's global generator, read when each epoch starts, so
   * `manualSeed` makes the order reproducible).
   */
  generator?: Generator;
}

const SUBSET_RANDOM_SAMPLER_OPTIONS = optionNames<SubsetRandomSamplerOptions>({ generator: true });

/**
 * The given indices in a new random order every epoch (a permutation of them, without replacement), like
 * `torch.utils.data.SubsetRandomSampler`: to train on part of a dataset, say, and validate on the rest,
 * without building {@link Subset}s. The indices are copied and checked (integers >= 0) here; whether
 * they fit the dataset is checked by the {@link DataLoader} that uses the sampler.
 *
 * See https://pytorch.org/docs/1.13/data.html#torch.utils.data.SubsetRandomSampler
 *
 * @example
 * ```ts
 * const g = new Generator(1);
 * const train = new SubsetRandomSampler([0, 1, 2, 3, 4, 5, 6, 7], { generator: g });
 * const val = new SubsetRandomSampler([8, 9], { generator: g });
 * const loader = new DataLoader(dataset, { sampler: train, batchSize: 4 }); // 2 batches, a new order each epoch
 * ```
 */
export class SubsetRandomSampler implements Sampler {
  /** The generator of the permutations, or undefined for core's global one. */
  readonly generator: Generator | undefined;
  private readonly subset: Int32Array;

  /**
   * @param indices - the indices to permute: integers >= 0 (an array, a typed array or a 1-D tensor)
   * @param options - `generator`
   */
  constructor(indices: ArrayLike<number> | Tensor, options: SubsetRandomSamplerOptions = {}) {
    checkOptions('SubsetRandomSampler', options, SUBSET_RANDOM_SAMPLER_OPTIONS);
    const values = readNumbers('SubsetRandomSampler', 'indices', indices);
    const subset = new Int32Array(values.length);
    values.forEach((v, i) => {
      if (!Number.isInteger(v) || v < 0 || v > MAX_SAMPLES)
        throw new ValueError(`SubsetRandomSampler: indices[${i}] must be an integer >= 0, got ${v}`);
      subset[i] = v;
    });
    this.subset = subset;
    this.generator = checkGenerator('SubsetRandomSampler', options.generator);
  }

  /** A copy of the indices, in the order given. */
  get indices(): Int32Array {
    return this.subset.slice();
  }

  /** The number of indices an epoch yields: as many as were given. */
  get length(): number {
    return this.subset.length;
  }

  /** Start an epoch: draw its permutation now (advancing the generator), then yield the indices in that order. */
  [Symbol.iterator](): IterableIterator<number> {
    const perm = randperm(this.subset.length, { generator: this.generator ?? defaultGenerator() }).values as Int32Array;
    const subset = this.subset;
    return perm.map((p) => subset[p]).values();
  }
}
