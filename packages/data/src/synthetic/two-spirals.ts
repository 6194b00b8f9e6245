import { ValueError } from '@nablajs/core';
import { type ClassificationOptions, finishClassification, resolveClassification, type SyntheticData } from './common';

/** Options of {@link twoSpirals}. */
export interface TwoSpiralsOptions extends ClassificationOptions {
  /** How many turns each spiral makes (default 1.5; Lang and Witbrock's benchmark uses 3). */
  turns?: number;
}

/**
 * Two interlocking spirals, the classic benchmark of Lang and Witbrock (1988): point `k` of a spiral of
 * `m` points has `s = (k + 1) / m`, radius `s` and angle `θ = 2π · turns · s`; class 0 is
 * `(s cos θ, s sin θ)`, class 1 the same spiral turned by π, `(-s cos θ, -s sin θ)`. Gaussian noise of
 * standard deviation `noise` is then added to every coordinate.
 *
 * Reference: K. J. Lang and M. J. Witbrock, Learning to Tell Two Spirals Apart, Proceedings of the
 * 1988 Connectionist Models Summer School.
 *
 * @example
 * ```ts
 * const { x, y } = twoSpirals({ n: 400, noise: 0.02, turns: 2, generator: new Generator(0) });
 * ```
 */
export function twoSpirals(options: TwoSpiralsOptions = {}): SyntheticData {
  const resolved = resolveClassification('twoSpirals', options, ['turns']);
  const { turns = 1.5 } = options;
  if (typeof turns !== 'number' || !Number.isFinite(turns) || turns <= 0)
    throw new ValueError(`twoSpirals: turns must be a positive number, got ${String(turns)}`);
  const { n } = resolved;
  const nFirst = Math.floor(n / 2);
  const points = new Float64Array(2 * n);
  const labels = new Int32Array(n);
  const spiral = (offset: number, count: number, sign: number, label: number) => {
    for (let k = 0; k < count; k++) {
      const s = (k + 1) / count;
      const theta = 2 * Math.PI * turns * s;
      const i = offset + k;
      points[2 * i] = sign * s * Math.cos(theta);
      points[2 * i + 1] = sign * s * Math.sin(theta);
      labels[i] = label;
    }
  };
  spiral(0, nFirst, 1, 0);
  spiral(nFirst, n - nFirst, -1, 1);
  return finishClassification(points, labels, resolved);
}
