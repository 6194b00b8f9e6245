import { checkOptions, defaultGenerator, type Generator, optionNames, type Tensor, ValueError } from '@nablajs/core';
import { checkGenerator } from '../util';
import { checkBoolean, checkCount, readNumbers, type Sampler } from './sampler';

/** Options of {@link WeightedRandomSampler}. */
export interface WeightedRandomSamplerOptions {
  /**
   * Draw each index independently, so that it may come up more than once (default true, as in PyTorch);
   * false draws `numSamples` distinct indices.
   */
  replacement?: boolean;
  /**
   * The generator of the draws (default: core's global generator, read when each epoch starts, so
   * `manualSeed` makes the draws reproducible).
   */
  generator?: Generator;
}

const WEIGHTED_RANDOM_SAMPLER_OPTIONS = optionNames<WeightedRandomSamplerOptions>({
  replacement: true,
  generator: true,
});

/**
 * `numSamples` indices in `[0, weights.length)` per epoch, index `i` with probability proportional to
 * `weights[i]`, like `torch.utils.data.WeightedRandomSampler` (PyTorch 1.13): the usual way to
 * over-sample rare classes (weight each item by one over its class's count). The weights need not sum
 * to 1; they must be finite and >= 0, and not all 0. An index of weight 0 is never drawn.
 *
 * With `replacement` (the default) every draw is independent. Without it an epoch draws `numSamples`
 * distinct indices one after another, each in proportion to the weights of the indices not drawn yet
 * (as `torch.multinomial` without replacement), so `numSamples` may not exceed the number of nonzero
 * weights. An epoch's indices are all drawn when its iteration starts.
 *
 * See https://pytorch.org/docs/1.13/data.html#torch.utils.data.WeightedRandomSampler
 *
 * @example
 * ```ts
 * // labels: 90 of class 0, 10 of class 1; weight each item by 1 / its class's count
 * const counts = [90, 10];
 * const weights = labels.map((c) => 1 / counts[c]);
 * const sampler = new WeightedRandomSampler(weights, 100, { generator: new Generator(0) });
 * // about 50 indices of each class per epoch, repeats allowed
 * new WeightedRandomSampler([0.1, 0.9, 0.4, 0.7, 3.0, 0.6], 5, { replacement: false }); // 5 distinct indices
 * ```
 */
export class WeightedRandomSampler implements Sampler {
  /** The number of indices per epoch. */
  readonly numSamples: number;
  /** Whether an index may come up more than once in an epoch. */
  readonly replacement: boolean;
  /** The generator of the draws, or undefined for core's global one. */
  readonly generator: Generator | undefined;
  private readonly w: Float64Array;
  /** `cumulative[i]` = `weights[0] + ... + weights[i]`: the search table of the draws with replacement. */
  private readonly cumulative: Float64Array;
  /** The indices of the positive weights, the candidates of the draws without replacement. */
  private readonly positive: Int32Array;

  /**
   * @param weights - one weight per item (an array, a typed array or a 1-D tensor): finite, >= 0, not all 0
   * @param numSamples - the number of indices per epoch: an integer >= 1
   * @param options - `replacement`, `generator`
   */
  constructor(weights: ArrayLike<number> | Tensor, numSamples: number, options: WeightedRandomSamplerOptions = {}) {
    checkOptions('WeightedRandomSampler', options, WEIGHTED_RANDOM_SAMPLER_OPTIONS);
    this.numSamples = checkCount('WeightedRandomSampler', 'numSamples', numSamples, 1);
    this.replacement = checkBoolean('WeightedRandomSampler', 'replacement', options.replacement ?? true);
    const w = readNumbers('WeightedRandomSampler', 'weights', weights);
    if (w.length === 0) throw new ValueError('WeightedRandomSampler: weights is empty; give one weight per item');
    const cumulative = new Float64Array(w.length);
    let total = 0;
    let nonzero = 0;
    w.forEach((v, i) => {
      if (!Number.isFinite(v) || v < 0)
        throw new ValueError(`WeightedRandomSampler: weights[${i}] must be a finite number >= 0, got ${v}`);
      if (v > 0) nonzero++;
      total += v;
      cumulative[i] = total;
    });
    if (nonzero === 0)
      throw new ValueError(`WeightedRandomSampler: all ${w.length} weights are 0; at least one must be positive`);
    if (!Number.isFinite(total))
      throw new ValueError('WeightedRandomSampler: the weights sum to Infinity (overflow); scale them down');
    if (!this.replacement && this.numSamples > nonzero)
      throw new ValueError(
        `WeightedRandomSampler: without replacement, numSamples (${this.numSamples}) cannot exceed the number of ` +
          `nonzero weights (${nonzero}): each index is drawn at most once and indices of weight 0 never`,
      );
    const positive = new Int32Array(nonzero);
    let k = 0;
    w.forEach((v, i) => {
      if (v > 0) positive[k++] = i;
    });
    this.w = w;
    this.cumulative = cumulative;
    this.positive = positive;
    this.generator = checkGenerator('WeightedRandomSampler', options.generator);
  }

  /** A copy of the weights, as given (not normalised). */
  get weights(): Float64Array {
    return this.w.slice();
  }

  /** The number of indices an epoch yields: `numSamples`. */
  get length(): number {
    return this.numSamples;
  }

  /** Start an epoch: draw all its indices now (advancing the generator), then yield them. */
  [Symbol.iterator](): IterableIterator<number> {
    const generator = this.generator ?? defaultGenerator();
    return (this.replacement ? this.drawWithReplacement(generator) : this.drawWithoutReplacement(generator)).values();
  }

  /** Inverse-CDF draws: the first index whose cumulative weight exceeds `u * total`, by binary search. */
  private drawWithReplacement(generator: Generator): Int32Array {
    const cumulative = this.cumulative;
    const last = this.positive[this.positive.length - 1];
    const total = cumulative[cumulative.length - 1];
    const out = new Int32Array(this.numSamples);
    for (let s = 0; s < out.length; s++) {
      const target = generator.uniform() * total;
      let lo = 0;
      let hi = last;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (cumulative[mid] > target) hi = mid;
        else lo = mid + 1;
      }
      // NOTE: a zero weight adds nothing to the cumulative sum, so the search never stops on one; a target
      // that rounds up to `total` stops at `last`, the last positive weight, which bounds the search.
      out[s] = lo;
    }
    return out;
  }

  /**
   * Successive draws without replacement: a sum tree over the positive weights (each inner node the sum of
   * its two children) picks an index in proportion to the weights still in it, in O(log n), and that
   * index's leaf is then set to 0 and its ancestors summed again. Only sums and comparisons, so the draws
   * are the same in every JavaScript engine.
   */
  private drawWithoutReplacement(generator: Generator): Int32Array {
    const positive = this.positive;
    let size = 1;
    while (size < positive.length) size *= 2;
    const tree = new Float64Array(2 * size);
    positive.forEach((index, k) => {
      tree[size + k] = this.w[index];
    });
    for (let node = size - 1; node >= 1; node--) tree[node] = tree[2 * node] + tree[2 * node + 1];
    const out = new Int32Array(this.numSamples);
    for (let s = 0; s < out.length; s++) {
      let target = generator.uniform() * tree[1];
      let node = 1;
      while (node < size) {
        const left = 2 * node;
        // NOTE: never step into a subtree whose weights are all drawn (sum exactly 0), even when rounding
        // puts the target at or past the end of the other one.
        if (tree[left + 1] === 0 || (tree[left] > 0 && target < tree[left])) node = left;
        else {
          target -= tree[left];
          node = left + 1;
        }
      }
      out[s] = positive[node - size];
      tree[node] = 0;
      for (node >>= 1; node >= 1; node >>= 1) tree[node] = tree[2 * node] + tree[2 * node + 1];
    }
    return out;
  }
}
