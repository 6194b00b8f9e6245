import { runOnHost, type Tensor, ValueError } from '@nablajs/core';

/**
 * Throw a ValueError naming `fn` unless every element of the label tensor `y` is 1 or -1. The values are
 * checked where they are (see `runOnHost`): at once on the cpu and wasm backends; on the webgpu backend,
 * for labels on the GPU, when a value is next awaited, which then throws the error.
 *
 * @example
 * ```ts
 * checkSignLabels('hingeEmbeddingLoss', tensor([1, 0])); // throws ValueError: ... must be 1 or -1, got 0 ...
 * ```
 */
export function checkSignLabels(fn: string, y: Tensor): void {
  const labels = y._array;
  runOnHost([labels], [], () => {
    for (let i = 0; i < labels.length; i++) {
      const v = labels[i];
      if (v !== 1 && v !== -1)
        throw new ValueError(`${fn}: every element of y must be 1 or -1, got ${v} at flat index ${i}`);
    }
  });
}

/**
 * Throw a ValueError naming `fn` unless `margin` is a finite number.
 *
 * @example
 * ```ts
 * checkMargin('marginRankingLoss', Number.NaN); // throws ValueError
 * ```
 */
export function checkMargin(fn: string, margin: unknown): number {
  if (typeof margin !== 'number' || !Number.isFinite(margin))
    throw new ValueError(`${fn}: margin must be a finite number, got ${String(margin)}`);
  return margin;
}
