import { checkOptions, defaultGenerator, Generator, optionNames, randperm, ValueError } from '@nablajs/core';
import { Subset } from './subset';
import type { Dataset } from './types';
import { checkGenerator } from './util';

/** Options of {@link randomSplit}. */
export interface RandomSplitOptions {
  /** The generator of the permutation (default: core's global generator). */
  generator?: Generator;
}

/**
 * Split a dataset into non-overlapping random subsets, like `torch.utils.data.random_split`. `lengths`
 * are either item counts summing to `dataset.length`, or fractions summing to 1: then each split gets
 * `floor(n * fraction)` items and the remaining items go one each to the splits in turn, from the first.
 * The subsets take consecutive runs of one permutation of `0..n-1` drawn from `generator`.
 *
 * See https://pytorch.org/docs/stable/data.html#torch.utils.data.random_split
 *
 * @example
 * ```ts
 * const [train, test] = randomSplit(dataset, [0.8, 0.2], { generator: new Generator(42) });
 * const [a, b, c] = randomSplit(dataset, [50, 30, 20]); // dataset.length must be 100
 * ```
 */
export function randomSplit<T>(
  dataset: Dataset<T>,
  lengths: readonly number[],
  options: RandomSplitOptions = {},
): Subset<T>[] {
  checkOptions('randomSplit', options, optionNames<RandomSplitOptions>({ generator: true }));
  if (!dataset || typeof dataset.get !== 'function' || typeof dataset.length !== 'number')
    throw new ValueError('randomSplit: dataset must have a length and a get(index) method');
  if (!Array.isArray(lengths) || lengths.length === 0)
    throw new ValueError('randomSplit: lengths must be a non-empty array of counts or fractions');
  const generator = checkGenerator('randomSplit', options.generator) ?? defaultGenerator();
  const n = dataset.length;
  const sizes = resolveLengths(n, lengths);
  const order = randperm(n, { generator }).values as Int32Array;
  const subsets: Subset<T>[] = [];
  let offset = 0;
  for (const size of sizes) {
    subsets.push(new Subset(dataset, order.subarray(offset, offset + size)));
    offset += size;
  }
  return subsets;
}

/** Turn `lengths` (counts, or fractions summing to 1) into counts summing to `n`, as PyTorch does. */
function resolveLengths(n: number, lengths: readonly number[]): number[] {
  lengths.forEach((v, i) => {
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0)
      throw new ValueError(`randomSplit: lengths[${i}] must be a finite number >= 0, got ${String(v)}`);
  });
  const total = lengths.reduce((a, b) => a + b, 0);
  // PyTorch: fractions when they sum to 1 (math.isclose, rel_tol 1e-9) and not above it.
  const fractions = Math.abs(total - 1) <= 1e-9 && total <= 1;
  if (fractions) {
    const sizes = lengths.map((f, i) => {
      if (f > 1) throw new ValueError(`randomSplit: fraction lengths[${i}] = ${f} is above 1`);
      return Math.floor(n * f);
    });
    const remainder = n - sizes.reduce((a, b) => a + b, 0);
    for (let i = 0; i < remainder; i++) sizes[i % sizes.length] += 1;
    return sizes;
  }
  lengths.forEach((v, i) => {
    if (!Number.isInteger(v))
      throw new ValueError(
        `randomSplit: lengths must be integer counts or fractions summing to 1; lengths[${i}] = ${v} (sum ${total})`,
      );
  });
  if (total !== n)
    throw new ValueError(
      `randomSplit: the lengths [${lengths.join(', ')}] sum to ${total}, but the dataset has ${n} items`,
    );
  return [...lengths];
}

/** Options of {@link splitTrainValTest}. */
export interface SplitTrainValTestOptions {
  /** The validation split: a fraction in `[0, 1)` of the items, or an integer count >= 1 (default 0). */
  val?: number;
  /** The test split: a fraction in `[0, 1)` of the items, or an integer count >= 1 (default 0). */
  test?: number;
  /** Seed of a fresh generator for the permutation (default: `generator`, else core's global one). */
  seed?: number;
  /** The generator of the permutation, when no `seed` is given. */
  generator?: Generator;
}

/** The three splits of {@link splitTrainValTest}. */
export interface TrainValTestSplit<T> {
  /** The training items: everything not in `val` or `test`. */
  train: Subset<T>;
  /** The validation items (possibly empty). */
  val: Subset<T>;
  /** The test items (possibly empty). */
  test: Subset<T>;
}

/**
 * Split a dataset at random into train, validation and test subsets, by seed, in the spirit of
 * scikit-learn's `train_test_split`: a fraction `f` gives `ceil(f * n)` items (as scikit-learn
 * rounds the test size), an integer >= 1 gives that many, and training gets the rest. The split is
 * {@link randomSplit} with lengths `[train, val, test]`, so the same seed gives the same split.
 *
 * See https://scikit-learn.org/stable/modules/generated/sklearn.model_selection.train_test_split.html
 *
 * @example
 * ```ts
 * const { train, val, test } = splitTrainValTest(dataset, { val: 0.1, test: 0.2, seed: 0 });
 * const { images, labels } = loadDigits();
 * const digits = splitTrainValTest(new TensorDataset(images, labels), { test: 0.2, seed: 42 }); // 1437 / 360
 * ```
 */
export function splitTrainValTest<T>(
  dataset: Dataset<T>,
  options: SplitTrainValTestOptions = {},
): TrainValTestSplit<T> {
  if (!dataset || typeof dataset.get !== 'function' || typeof dataset.length !== 'number')
    throw new ValueError('splitTrainValTest: dataset must have a length and a get(index) method');
  checkOptions(
    'splitTrainValTest',
    options,
    optionNames<SplitTrainValTestOptions>({ val: true, test: true, seed: true, generator: true }),
  );
  const { val = 0, test = 0, seed } = options;
  const n = dataset.length;
  const nVal = splitSize('val', val, n);
  const nTest = splitSize('test', test, n);
  const nTrain = n - nVal - nTest;
  if (nTrain < 1)
    throw new ValueError(
      `splitTrainValTest: val (${nVal} items) and test (${nTest} items) leave no training items out of ${n}`,
    );
  let generator: Generator | undefined;
  if (seed !== undefined) {
    if (typeof seed !== 'number' || !Number.isInteger(seed))
      throw new ValueError(`splitTrainValTest: seed must be an integer, got ${String(seed)}`);
    generator = new Generator(seed);
  } else generator = checkGenerator('splitTrainValTest', options.generator);
  const [train, valSet, testSet] = randomSplit(dataset, [nTrain, nVal, nTest], { generator });
  return { train, val: valSet, test: testSet };
}

function splitSize(name: string, value: unknown, n: number): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0)
    throw new ValueError(
      `splitTrainValTest: ${name} must be a fraction in [0, 1) or a count >= 1, got ${String(value)}`,
    );
  if (value < 1) return Math.ceil(value * n);
  if (!Number.isInteger(value))
    throw new ValueError(`splitTrainValTest: ${name} = ${value} is neither a fraction in [0, 1) nor an integer count`);
  return value;
}
