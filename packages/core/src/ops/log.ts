import type { Tensor } from '../tensor';
import { div } from './div';
import { defineUnary } from './unary';

const logOp = defineUnary('log', Math.log, (g, { inputs: [x] }) => div(g, x), { saves: 'input' });

/**
 * Elementwise natural logarithm; `log(0) = -Infinity` and negative inputs give NaN. Integer inputs give
 * a float32 result.
 *
 * Gradient: `d/dx log(x) = 1/x`.
 *
 * @example
 * ```ts
 * log(tensor([1, Math.E])).toArray(); // [0, 1]
 * ```
 */
export function log(x: Tensor): Tensor {
  return logOp(x);
}
