import type { Tensor } from '../tensor';
import { mul } from './mul';
import { sign } from './sign';
import { defineUnary } from './unary';

const absOp = defineUnary('abs', Math.abs, (g, { inputs: [x] }) => mul(g, sign(x)), { keepsInt: true, saves: 'input' });

/**
 * Elementwise absolute value. Integer tensors stay int32.
 *
 * Gradient: `d/dx |x| = sign(x)`, which is 0 at `x = 0` (PyTorch's convention).
 *
 * @example
 * ```ts
 * abs(tensor([-1.5, 0, 2])).toArray(); // [1.5, 0, 2]
 * ```
 */
export function abs(x: Tensor): Tensor {
  return absOp(x);
}
