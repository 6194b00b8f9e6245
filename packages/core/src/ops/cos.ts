import type { Tensor } from '../tensor';
import { mul } from './mul';
import { neg } from './neg';
import { sin } from './sin';
import { defineUnary } from './unary';

const cosOp = defineUnary('cos', Math.cos, (g, { inputs: [x] }) => mul(g, neg(sin(x))), { saves: 'input' });

/**
 * Elementwise cosine (radians). Integer inputs give a float32 result.
 *
 * Gradient: `d/dx cos(x) = -sin(x)`.
 *
 * @example
 * ```ts
 * cos(tensor([0, Math.PI])).toArray(); // [1, -1]
 * ```
 */
export function cos(x: Tensor): Tensor {
  return cosOp(x);
}
