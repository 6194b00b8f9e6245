import type { Tensor } from '../tensor';
import { defineUnary } from './unary';

const negOp = defineUnary(
  'neg',
  (x) => -x,
  (g) => neg(g),
  { keepsInt: true, saves: 'none' },
);

/**
 * Elementwise `-x`. Integer tensors stay int32.
 *
 * Gradient: `d(-x)/dx = -1`.
 *
 * @example
 * ```ts
 * neg(tensor([1, -2])).toArray(); // [-1, 2]
 * ```
 */
export function neg(x: Tensor): Tensor {
  return negOp(x);
}
