import type { Tensor } from '../tensor';
import { mul } from './mul';
import { pow } from './pow';
import { defineUnary } from './unary';

const rsqrtOp = defineUnary(
  'rsqrt',
  (x) => 1 / Math.sqrt(x),
  (g, { output }) => mul(g, mul(pow(output, 3), -0.5)),
  { saves: 'output' },
);

/**
 * Elementwise reciprocal square root `1/√x`. Integer inputs give a float32 result.
 *
 * Gradient: `d/dx x^(-1/2) = -x^(-3/2)/2` (computed from the output as `-y³/2`).
 *
 * @example
 * ```ts
 * rsqrt(tensor([4, 0.25])).toArray(); // [0.5, 2]
 * ```
 */
export function rsqrt(x: Tensor): Tensor {
  return rsqrtOp(x);
}
