import {
  type ClassificationOptions,
  finishClassification,
  linspace,
  resolveClassification,
  type SyntheticData,
} from './common';

/**
 * Two interleaving half circles, like scikit-learn's `make_moons`: class 0 lies on the upper half of
 * the unit circle, `(cos t, sin t)` for `t` evenly spaced in `[0, π]`; class 1 on the lower half circle
 * shifted right and down, `(1 - cos t, 0.5 - sin t)`; then Gaussian noise of standard deviation
 * `noise` is added to every coordinate.
 *
 * See https://scikit-learn.org/stable/modules/generated/sklearn.datasets.make_moons.html
 *
 * @example
 * ```ts
 * const { x, y } = moons({ n: 200, noise: 0.1, generator: new Generator(0) });
 * x.shape; // [200, 2] float32
 * y.shape; // [200] int32, 100 of each class
 * ```
 */
export function moons(options: ClassificationOptions = {}): SyntheticData {
  const resolved = resolveClassification('moons', options);
  const { n } = resolved;
  const nOuter = Math.floor(n / 2);
  const points = new Float64Array(2 * n);
  const labels = new Int32Array(n);
  linspace(0, Math.PI, nOuter).forEach((t, k) => {
    points[2 * k] = Math.cos(t);
    points[2 * k + 1] = Math.sin(t);
  });
  linspace(0, Math.PI, n - nOuter).forEach((t, k) => {
    const i = nOuter + k;
    points[2 * i] = 1 - Math.cos(t);
    points[2 * i + 1] = 0.5 - Math.sin(t);
    labels[i] = 1;
  });
  return finishClassification(points, labels, resolved);
}
