/**
 * `@nablajs/data`: datasets, a seeded `DataLoader` and PyTorch's samplers, splits, standardisation, synthetic
 * sets, 2-D test functions, the bundled UCI digits and an MNIST IDX parser. The Node-only MNIST file reader is in
 * `@nablajs/data/node`.
 *
 * @example
 * ```ts
 * import { DataLoader, loadDigits, TensorDataset } from '@nablajs/data';
 * const { images, labels } = loadDigits();
 * const loader = new DataLoader(new TensorDataset(images, labels), { batchSize: 32, shuffle: true });
 * ```
 *
 * @packageDocumentation
 * @mergeModuleWith <project>
 */

export { type Collated, defaultCollate } from './collate';
export { ConcatDataset } from './concat-dataset';
export { DataLoader, type DataLoaderOptions } from './data-loader';
export { type Digits, type LoadDigitsOptions, loadDigits } from './digits/load-digits';
export { IterableDataLoader, type IterableDataLoaderOptions, type IterableDataset } from './iterable-data-loader';
export { type IdxArray, IdxError, parseIdx } from './mnist/idx';
export { type Mnist, type MnistFromIdxOptions, type MnistOptions, mnistFromIdx } from './mnist/mnist-from-idx';
export {
  type RandomSplitOptions,
  randomSplit,
  type SplitTrainValTestOptions,
  splitTrainValTest,
  type TrainValTestSplit,
} from './random-split';
export { BatchSampler } from './samplers/batch-sampler';
export { RandomSampler, type RandomSamplerOptions } from './samplers/random-sampler';
export type { Sampler } from './samplers/sampler';
export { SequentialSampler } from './samplers/sequential-sampler';
export { SubsetRandomSampler, type SubsetRandomSamplerOptions } from './samplers/subset-random-sampler';
export { WeightedRandomSampler, type WeightedRandomSamplerOptions } from './samplers/weighted-random-sampler';
export { type Standardized, Standardizer, type StandardizerState, standardize } from './standardizer';
export { Subset } from './subset';
export { type CirclesOptions, circles } from './synthetic/circles';
export type { ClassificationOptions, SyntheticData, SyntheticOptions } from './synthetic/common';
export { type LinearRegressionOptions, linearRegression } from './synthetic/linear-regression';
export { moons } from './synthetic/moons';
export { type TwoSpiralsOptions, twoSpirals } from './synthetic/two-spirals';
export { xor } from './synthetic/xor';
export { TensorDataset } from './tensor-dataset';
export {
  beale,
  himmelblau,
  illConditioned,
  type Point2d,
  type QuadraticOptions,
  quadratic,
  rosenbrock,
  saddle,
  TEST_FUNCTIONS,
  type TestFunction,
  type TestFunctionName,
  testFunction,
} from './test-functions';
export { CharVocab, UnknownCharacterError } from './text/char-vocab';
export { type SampleWindowsOptions, sampleWindows, type Windows } from './text/sample-windows';
export { loadTinyShakespeare, type TinyShakespeare } from './text/tiny-shakespeare';
export type { Dataset, Sample } from './types';
