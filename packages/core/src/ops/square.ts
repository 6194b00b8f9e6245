import type { Tensor } from '../tensor';
import { mul } from './mul';
import { defineUnary } from './unary';

const squareOp = defineUnary(
  'square',
  (x) => x * x,
  (g, { inputs: [x] }) => mul(g, mul(x, 2)),
  { keepsInt: true, saves: 'input' },
);

/**
 * Elementwise `x²`. Integer tensors stay int32.
 *
 * Gradient: `d/dx x² = 2x`.
 *
 * @example
 * ```ts
 * square(tensor([-3, 2])).toArray(); // [9, 4]
 * ```
 */
export function square(x: Tensor): Tensor {
  return squareOp(x);
}
