import { checkOptions, defaultGenerator, type Generator, optionNames, randperm, ValueError } from '@nablajs/core';
import { checkGenerator } from '../util';
import { checkBoolean, checkCount, type Sampler } from './sampler';

/** Options of {@link RandomSampler}. */
export interface RandomSamplerOptions {
  /** Draw each index independently, so that an index may come up more than once (default false). */
  replacement?: boolean;
  /** The number of indices per epoch (default `n`); without replacement it may exceed `n` (see the class). */
  numSamples?: number;
  /**
   * The generator the indices are drawn from (default: core's global generator, read when each epoch starts,
   * so `manualSeed` makes the order reproducible).
   */
  generator?: Generator;
}

const RANDOM_SAMPLER_OPTIONS = optionNames<RandomSamplerOptions>({
  replacement: true,
  numSamples: true,
  generator: true,
});

/**
 * Random indices in `[0, n)`, drawn anew for every epoch, like `torch.utils.data.RandomSampler` (PyTorch
 * 1.13). Without replacement an epoch is a random permutation of `0..n-1` (the same one a
 * {@link DataLoader} with `shuffle: true` and an equally seeded generator draws); with `numSamples`
 * above `n`, it is `floor(numSamples / n)` whole permutations followed by the first `numSamples % n`
 * indices of one more, and with `numSamples` below `n` the first `numSamples` of one permutation (all
 * distinct). With `replacement`, each of the `numSamples` indices is uniform in `[0, n)` on its own.
 *
 * An epoch's indices are drawn when its iteration starts, so the generator's state at an epoch's start
 * decides the whole epoch (checkpoints rely on this). PyTorch takes the dataset; pass its length here.
 *
 * See https://pytorch.org/docs/1.13/data.html#torch.utils.data.RandomSampler
 *
 * @example
 * ```ts
 * const g = new Generator(0);
 * const perm = new RandomSampler(5, { generator: g });
 * [...perm]; // a permutation of 0..4, another one on the next iteration
 * const boot = new RandomSampler(100, { replacement: true, numSamples: 1000, generator: g });
 * boot.length; // 1000 indices per epoch, repeats allowed
 * ```
 */
export class RandomSampler implements Sampler {
  /** The number of items to draw from: indices are in `[0, n)`. */
  readonly n: number;
  /** Whether an index may come up more than once in an epoch. */
  readonly replacement: boolean;
  /** The number of indices per epoch. */
  readonly numSamples: number;
  /** The generator of the draws, or undefined for core's global one. */
  readonly generator: Generator | undefined;

  /**
   * @param n - the dataset's length: an integer >= 1
   * @param options - `replacement`, `numSamples`, `generator`
   */
  constructor(n: number, options: RandomSamplerOptions = {}) {
    checkOptions('RandomSampler', options, RANDOM_SAMPLER_OPTIONS);
    if (n === 0)
      throw new ValueError('RandomSampler: n must be a positive integer, got 0 (there are no items to draw from)');
    this.n = checkCount('RandomSampler', 'n', n, 1);
    this.replacement = checkBoolean('RandomSampler', 'replacement', options.replacement ?? false);
    this.numSamples =
      options.numSamples === undefined ? this.n : checkCount('RandomSampler', 'numSamples', options.numSamples, 1);
    this.generator = checkGenerator('RandomSampler', options.generator);
  }

  /** The number of indices an epoch yields: `numSamples`. */
  get length(): number {
    return this.numSamples;
  }

  /** Start an epoch: draw all its indices now (advancing the generator), then yield them. */
  [Symbol.iterator](): IterableIterator<number> {
    const generator = this.generator ?? defaultGenerator();
    const { n, numSamples } = this;
    const out = new Int32Array(numSamples);
    if (this.replacement) {
      for (let i = 0; i < numSamples; i++) out[i] = generator.integer(0, n);
    } else {
      for (let offset = 0; offset < numSamples; offset += n) {
        const perm = randperm(n, { generator }).values as Int32Array;
        out.set(perm.subarray(0, Math.min(n, numSamples - offset)), offset);
      }
    }
    return out.values();
  }
}
