// Helpers of the capture tests (packages/core/src/capture-ops.test.ts, test/capture-nn.test.ts).
import { manualSeed, randn } from './random';
import type { Tensor } from './tensor';

/**
 * Fixed random weights for each shape (seed 99), the same tensor for every call with that shape: a step's
 * loss is `sum(output · weights(output.shape))`, so that every element of the output gets its own gradient.
 */
export function fixedWeights(): (shape: readonly number[]) => Tensor {
  const weights = new Map<string, Tensor>();
  return (shape) => {
    const key = shape.join('x');
    let w = weights.get(key);
    if (w === undefined) {
      manualSeed(99);
      w = randn([...shape]);
      weights.set(key, w);
    }
    return w;
  };
}

/** Equal within float32 rounding of a few operations (the same NaNs). */
export function close(a: readonly number[], b: readonly number[]): boolean {
  return (
    a.length === b.length && a.every((v, i) => Object.is(v, b[i]) || Math.abs(v - b[i]) <= 1e-5 * (1 + Math.abs(b[i])))
  );
}
