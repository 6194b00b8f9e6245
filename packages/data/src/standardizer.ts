import { cast, isFloatingDType, ShapeError, Tensor, ValueError } from '@nablajs/core';
import { formatShape } from './util';

/** The fitted statistics of a {@link Standardizer}, as tensors of the feature shape. */
export interface StandardizerState {
  /** The per-feature mean of the training data. */
  mean: Tensor;
  /** The per-feature standard deviation (population, `ddof = 0`), with 1 where a feature is constant. */
  std: Tensor;
}

// Like scikit-learn, a standard deviation this small counts as zero: the feature is constant.
const ZERO_STD = 10 * Number.EPSILON;

/**
 * Standardise features to zero mean and unit variance, like scikit-learn's `StandardScaler`: `fit`
 * computes each feature's mean `μ` and population standard deviation `σ` over the samples (the first
 * dimension) of the training data only, and `transform` maps `x` to `(x - μ) / σ`. Constant features
 * get `σ = 1`, so they map to 0 instead of dividing by zero. Statistics are computed in float64.
 *
 * See https://scikit-learn.org/stable/modules/generated/sklearn.preprocessing.StandardScaler.html
 *
 * @example
 * ```ts
 * const scaler = new Standardizer().fit(xTrain); // statistics of the training split only
 * const xTrainS = scaler.transform(xTrain);
 * const xTestS = scaler.transform(xTest); // the same μ and σ
 * ```
 */
export class Standardizer {
  private state: StandardizerState | null = null;

  /** Whether {@link Standardizer.fit} (or `loadStateDict`) has run. */
  get fitted(): boolean {
    return this.state !== null;
  }

  /** The per-feature mean (shape `x.shape.slice(1)`), or null before fitting. */
  get mean(): Tensor | null {
    return this.state?.mean ?? null;
  }

  /** The per-feature standard deviation, or null before fitting. */
  get std(): Tensor | null {
    return this.state?.std ?? null;
  }

  /** Compute the per-feature mean and standard deviation of `x` (shape `[n, ...features]`, n >= 1). */
  fit(x: Tensor): this {
    if (!(x instanceof Tensor)) throw new ValueError('Standardizer.fit: x must be a Tensor');
    if (x.ndim === 0 || x.shape[0] === 0)
      throw new ShapeError(
        `Standardizer.fit: x needs at least one sample in its first dimension, got shape ${formatShape(x.shape)}`,
      );
    const n = x.shape[0];
    const features = x.size / n;
    const data = x.values;
    const mean = new Float64Array(features);
    for (let i = 0; i < n; i++) for (let j = 0; j < features; j++) mean[j] += data[i * features + j];
    for (let j = 0; j < features; j++) mean[j] /= n;
    const std = new Float64Array(features);
    for (let i = 0; i < n; i++)
      for (let j = 0; j < features; j++) {
        const d = data[i * features + j] - mean[j];
        std[j] += d * d;
      }
    for (let j = 0; j < features; j++) {
      const s = Math.sqrt(std[j] / n);
      std[j] = s < ZERO_STD ? 1 : s;
    }
    const dtype = isFloatingDType(x.dtype) ? x.dtype : 'float32';
    const shape = x.shape.slice(1);
    this.state = {
      mean: cast(new Tensor(mean, shape, 'float64'), dtype),
      std: cast(new Tensor(std, shape, 'float64'), dtype),
    };
    return this;
  }

  /** `(x - μ) / σ`, for `x` of shape `[n, ...features]` with the fitted feature shape. */
  transform(x: Tensor): Tensor {
    const { mean, std } = this.check('transform', x);
    const xf = isFloatingDType(x.dtype) ? x : cast(x, 'float32');
    return xf.sub(cast(mean, xf.dtype)).div(cast(std, xf.dtype));
  }

  /** `x * σ + μ`: undo {@link Standardizer.transform}. */
  inverseTransform(x: Tensor): Tensor {
    const { mean, std } = this.check('inverseTransform', x);
    const xf = isFloatingDType(x.dtype) ? x : cast(x, 'float32');
    return xf.mul(cast(std, xf.dtype)).add(cast(mean, xf.dtype));
  }

  /** Fit on `x`, then transform it. */
  fitTransform(x: Tensor): Tensor {
    return this.fit(x).transform(x);
  }

  /** The fitted statistics, to save with a model. */
  stateDict(): StandardizerState {
    if (!this.state) throw new ValueError('Standardizer.stateDict: the standardizer is not fitted; call fit(x) first');
    return { mean: this.state.mean.clone(), std: this.state.std.clone() };
  }

  /** Restore statistics from {@link Standardizer.stateDict}. */
  loadStateDict(state: StandardizerState): this {
    if (!state || !(state.mean instanceof Tensor) || !(state.std instanceof Tensor))
      throw new ValueError('Standardizer.loadStateDict: state must be { mean: Tensor, std: Tensor }');
    const { mean, std } = state;
    if (mean.shape.length !== std.shape.length || mean.shape.some((d, i) => d !== std.shape[i]))
      throw new ShapeError(
        `Standardizer.loadStateDict: mean has shape ${formatShape(mean.shape)} but std has shape ${formatShape(std.shape)}`,
      );
    for (let i = 0; i < std.size; i++)
      if (!(std.values[i] > 0))
        throw new ValueError(`Standardizer.loadStateDict: std must be positive, got ${std.values[i]} at ${i}`);
    this.state = { mean: mean.clone(), std: std.clone() };
    return this;
  }

  private check(method: string, x: Tensor): StandardizerState {
    if (!this.state) throw new ValueError(`Standardizer.${method}: the standardizer is not fitted; call fit(x) first`);
    if (!(x instanceof Tensor)) throw new ValueError(`Standardizer.${method}: x must be a Tensor`);
    const features = this.state.mean.shape;
    const got = x.shape.slice(1);
    if (x.ndim === 0 || got.length !== features.length || got.some((d, i) => d !== features[i]))
      throw new ShapeError(
        `Standardizer.${method}: x has shape ${formatShape(x.shape)}, expected [${['n', ...features].join(',')}] (fitted on features of shape ${formatShape(features)})`,
      );
    return this.state;
  }
}

/** What {@link standardize} returns. */
export interface Standardized {
  /** The standardizer, fitted on `train`. */
  standardizer: Standardizer;
  /** `train`, standardised. */
  train: Tensor;
  /** The other tensors, standardised with `train`'s statistics, in the order given. */
  others: Tensor[];
}

/**
 * Fit a {@link Standardizer} on `train` only and apply it to `train` and to every other split, so no
 * statistic leaks from validation or test data into training.
 *
 * @example
 * ```ts
 * const { train, others: [val, test], standardizer } = standardize(xTrain, xVal, xTest);
 * ```
 */
export function standardize(train: Tensor, ...others: Tensor[]): Standardized {
  const standardizer = new Standardizer().fit(train);
  return { standardizer, train: standardizer.transform(train), others: others.map((x) => standardizer.transform(x)) };
}
