// Helpers of the linalg tests (not exported by the package).

import { Generator, randn } from '../../random';
import type { Tensor } from '../../tensor';

/** A float64 tensor of standard normal values from a generator seeded with `seed`. */
export function random(shape: number[], seed: number, requiresGrad = false): Tensor {
  return randn(shape, { dtype: 'float64', generator: new Generator(seed), requiresGrad });
}

/** The largest absolute difference between two arrays of the same length. */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
  return worst;
}
