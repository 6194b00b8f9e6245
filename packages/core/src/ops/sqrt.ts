import type { Tensor } from '../tensor';
import { div } from './div';
import { mul } from './mul';
import { defineUnary } from './unary';

const sqrtOp = defineUnary('sqrt', Math.sqrt, (g, { output }) => div(g, mul(output, 2)), { saves: 'output' });

/**
 * Elementwise square root; negative inputs give NaN. Integer inputs give a float32 result.
 *
 * Gradient: `d/dx √x = 1/(2√x)` (infinite at 0, as in PyTorch).
 *
 * @example
 * ```ts
 * sqrt(tensor([4, 9])).toArray(); // [2, 3]
 * ```
 */
export function sqrt(x: Tensor): Tensor {
  return sqrtOp(x);
}
