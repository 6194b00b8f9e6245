import { checkOptions, defaultGenerator, type Generator, randperm, Tensor } from '@nablajs/core';
import { checkFloatDType, checkGenerator, checkInteger, checkNonNegative, floatArray } from '../util';

/** Options shared by the synthetic data sets. */
export interface SyntheticOptions {
  /** The dtype of the inputs (and of regression targets): float32 (default) or float64. */
  dtype?: 'float32' | 'float64';
  /** The generator of the noise and the shuffling (default: core's global generator). */
  generator?: Generator;
}

/** Options shared by the synthetic two-class data sets. */
export interface ClassificationOptions extends SyntheticOptions {
  /** The number of points (default 100); class 0 gets `floor(n / 2)`, class 1 the rest. */
  n?: number;
  /** The standard deviation of Gaussian noise added to each coordinate (default 0: points on the curves). */
  noise?: number;
  /** Shuffle the points (default true); otherwise class 0 comes first. */
  shuffle?: boolean;
}

/** A synthetic data set: inputs `x` and targets `y`, aligned along the first dimension. */
export interface SyntheticData {
  /** The inputs, `[n, 2]` for the 2-D classification sets, `[n, 1]` for linear regression. */
  x: Tensor;
  /** The targets: int32 class labels `[n]`, or float values `[n, 1]` for regression. */
  y: Tensor;
}

/** The checked common options of a two-class set. */
export interface ResolvedClassification {
  n: number;
  noise: number;
  shuffle: boolean;
  dtype: 'float32' | 'float64';
  generator: Generator;
}

/**
 * Check the options every two-class set shares, and that no other key than those and `extra` (the set's own
 * options) is given; `fn` names the caller in errors.
 */
export function resolveClassification(
  fn: string,
  options: ClassificationOptions,
  extra: readonly string[] = [],
): ResolvedClassification {
  checkOptions(fn, options, ['n', 'noise', 'shuffle', 'dtype', 'generator', ...extra]);
  const { n = 100, noise = 0, shuffle = true, dtype = 'float32' } = options;
  return {
    n: checkInteger(fn, 'n', n, 1),
    noise: checkNonNegative(fn, 'noise', noise),
    shuffle: Boolean(shuffle),
    dtype: checkFloatDType(fn, dtype),
    generator: checkGenerator(fn, options.generator) ?? defaultGenerator(),
  };
}

/**
 * Add Gaussian noise to `points` (`[n, 2]`, row-major, in generation order), shuffle the rows if asked,
 * and wrap the result as tensors.
 */
export function finishClassification(
  points: Float64Array,
  labels: Int32Array,
  { n, noise, shuffle, dtype, generator }: ResolvedClassification,
): SyntheticData {
  if (noise > 0) for (let i = 0; i < points.length; i++) points[i] += noise * generator.normal();
  const x = floatArray(dtype, 2 * n);
  const y = new Int32Array(n);
  const order = shuffle ? (randperm(n, { generator }).values as Int32Array) : null;
  for (let i = 0; i < n; i++) {
    const src = order ? order[i] : i;
    x[2 * i] = points[2 * src];
    x[2 * i + 1] = points[2 * src + 1];
    y[i] = labels[src];
  }
  return { x: new Tensor(x, [n, 2], dtype), y: new Tensor(y, [n], 'int32') };
}

/** `count` evenly spaced values from `start` to `stop`, like `numpy.linspace` (`endpoint` included by default). */
export function linspace(start: number, stop: number, count: number, endpoint = true): number[] {
  const steps = endpoint ? count - 1 : count;
  return Array.from({ length: count }, (_, k) => (steps === 0 ? start : start + ((stop - start) * k) / steps));
}
