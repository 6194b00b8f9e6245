import { type ClassificationOptions, finishClassification, resolveClassification, type SyntheticData } from './common';

// The XOR truth table: inputs and the label a XOR b.
const CORNERS = [
  [0, 0, 0],
  [0, 1, 1],
  [1, 0, 1],
  [1, 1, 0],
] as const;

/**
 * The XOR problem: point `i` is the corner `i mod 4` of the truth table `(0,0) -> 0, (0,1) -> 1,
 * (1,0) -> 1, (1,1) -> 0`, plus Gaussian noise of standard deviation `noise` on each coordinate. It is
 * the smallest problem a linear model cannot solve and one hidden layer can (Minsky and Papert, 1969).
 *
 * @example
 * ```ts
 * xor({ n: 4, shuffle: false }).x.toArray(); // [[0, 0], [0, 1], [1, 0], [1, 1]]; y = [0, 1, 1, 0]
 * const { x, y } = xor({ n: 200, noise: 0.1, generator: new Generator(0) });
 * ```
 */
export function xor(options: ClassificationOptions = {}): SyntheticData {
  const resolved = resolveClassification('xor', options);
  const { n } = resolved;
  const points = new Float64Array(2 * n);
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const [a, b, label] = CORNERS[i % 4];
    points[2 * i] = a;
    points[2 * i + 1] = b;
    labels[i] = label;
  }
  return finishClassification(points, labels, resolved);
}
