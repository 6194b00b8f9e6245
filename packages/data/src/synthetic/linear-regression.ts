import { checkOptions, defaultGenerator, Tensor, ValueError } from '@nablajs/core';
import { checkFloatDType, checkGenerator, checkInteger, checkNonNegative, floatArray } from '../util';
import type { SyntheticData, SyntheticOptions } from './common';

/** Options of {@link linearRegression}. */
export interface LinearRegressionOptions extends SyntheticOptions {
  /** The number of samples (default 100). */
  n?: number;
  /** The true slope (default 2). */
  slope?: number;
  /** The true intercept (default 1). */
  intercept?: number;
  /** The standard deviation of the Gaussian noise on `y` (default 0.1). */
  noise?: number;
}

/**
 * Samples of a noisy line, the classic first gradient-descent problem: `x ~ N(0, 1)` and
 * `y = slope · x + intercept + ε` with `ε ~ N(0, noise²)`, by default `y = 2x + 1 + ε`. All `x` are
 * drawn first, then all `ε`. Both come back as `[n, 1]`, ready for `Linear(1, 1)` and `mseLoss`.
 *
 * @example
 * ```ts
 * const { x, y } = linearRegression({ n: 100, generator: new Generator(0) });
 * x.shape; // [100, 1]
 * y.shape; // [100, 1]; least squares recovers slope ≈ 2, intercept ≈ 1
 * ```
 */
export function linearRegression(options: LinearRegressionOptions = {}): SyntheticData {
  const fn = 'linearRegression';
  checkOptions(fn, options, ['n', 'slope', 'intercept', 'noise', 'dtype', 'generator']);
  const { n = 100, slope = 2, intercept = 1, noise = 0.1, dtype = 'float32' } = options;
  checkInteger(fn, 'n', n, 1);
  if (typeof slope !== 'number' || !Number.isFinite(slope))
    throw new ValueError(`${fn}: slope must be a finite number, got ${String(slope)}`);
  if (typeof intercept !== 'number' || !Number.isFinite(intercept))
    throw new ValueError(`${fn}: intercept must be a finite number, got ${String(intercept)}`);
  checkNonNegative(fn, 'noise', noise);
  const type = checkFloatDType(fn, dtype);
  const generator = checkGenerator(fn, options.generator) ?? defaultGenerator();
  const x = floatArray(type, n);
  for (let i = 0; i < n; i++) x[i] = generator.normal();
  const y = floatArray(type, n);
  // x[i] is already rounded to the dtype, so y is exactly the line through the stored x, plus noise.
  for (let i = 0; i < n; i++) y[i] = slope * x[i] + intercept + noise * generator.normal();
  return { x: new Tensor(x, [n, 1], type), y: new Tensor(y, [n, 1], type) };
}
