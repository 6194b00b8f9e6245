import type { Tensor } from '../tensor';
import { mul } from './mul';
import { neg } from './neg';
import { square } from './square';
import { defineUnary } from './unary';

const reciprocalOp = defineUnary(
  'reciprocal',
  (x) => 1 / x,
  (g, { output }) => mul(g, neg(square(output))),
  { saves: 'output' },
);

/**
 * Elementwise `1/x`; `1/0 = Infinity`. Integer inputs give a float32 result.
 *
 * Gradient: `d/dx (1/x) = -1/x²` (computed from the output as `-y²`).
 *
 * @example
 * ```ts
 * reciprocal(tensor([2, -4])).toArray(); // [0.5, -0.25]
 * ```
 */
export function reciprocal(x: Tensor): Tensor {
  return reciprocalOp(x);
}
