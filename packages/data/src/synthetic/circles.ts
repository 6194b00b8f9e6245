import { ValueError } from '@nablajs/core';
import {
  type ClassificationOptions,
  finishClassification,
  linspace,
  resolveClassification,
  type SyntheticData,
} from './common';

/** Options of {@link circles}. */
export interface CirclesOptions extends ClassificationOptions {
  /** The radius of the inner circle relative to the outer one, in `[0, 1)` (default 0.8). */
  factor?: number;
}

/**
 * Two concentric circles, like scikit-learn's `make_circles`: class 0 on the unit circle and class 1 on
 * the circle of radius `factor`, each at evenly spaced angles `2πk / m` (`k = 0..m-1`); then Gaussian
 * noise of standard deviation `noise` is added to every coordinate.
 *
 * See https://scikit-learn.org/stable/modules/generated/sklearn.datasets.make_circles.html
 *
 * @example
 * ```ts
 * const { x, y } = circles({ n: 200, noise: 0.05, factor: 0.5, generator: new Generator(0) });
 * ```
 */
export function circles(options: CirclesOptions = {}): SyntheticData {
  const resolved = resolveClassification('circles', options, ['factor']);
  const { factor = 0.8 } = options;
  if (typeof factor !== 'number' || !(factor >= 0 && factor < 1))
    throw new ValueError(`circles: factor must be in [0, 1), got ${String(factor)}`);
  const { n } = resolved;
  const nOuter = Math.floor(n / 2);
  const points = new Float64Array(2 * n);
  const labels = new Int32Array(n);
  linspace(0, 2 * Math.PI, nOuter, false).forEach((t, k) => {
    points[2 * k] = Math.cos(t);
    points[2 * k + 1] = Math.sin(t);
  });
  linspace(0, 2 * Math.PI, n - nOuter, false).forEach((t, k) => {
    const i = nOuter + k;
    points[2 * i] = factor * Math.cos(t);
    points[2 * i + 1] = factor * Math.sin(t);
    labels[i] = 1;
  });
  return finishClassification(points, labels, resolved);
}
