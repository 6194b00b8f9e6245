import type { Tensor } from '../tensor';
import { cos } from './cos';
import { mul } from './mul';
import { defineUnary } from './unary';

const sinOp = defineUnary('sin', Math.sin, (g, { inputs: [x] }) => mul(g, cos(x)), { saves: 'input' });

/**
 * Elementwise sine (radians). Integer inputs give a float32 result.
 *
 * Gradient: `d/dx sin(x) = cos(x)`.
 *
 * @example
 * ```ts
 * sin(tensor([0, Math.PI / 2])).toArray(); // [0, 1]
 * ```
 */
export function sin(x: Tensor): Tensor {
  return sinOp(x);
}
