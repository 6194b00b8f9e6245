import type { Tensor } from '../tensor';
import { add } from './add';
import { div } from './div';
import { defineUnary } from './unary';

const log1pOp = defineUnary('log1p', Math.log1p, (g, { inputs: [x] }) => div(g, add(x, 1)), { saves: 'input' });

/**
 * Elementwise `log(1 + x)`, accurate for small `x` where `log(1 + x)` would round `1 + x`.
 *
 * Gradient: `d/dx log(1 + x) = 1/(1 + x)`.
 *
 * @example
 * ```ts
 * log1p(tensor([0, 1e-10], { dtype: 'float64' })).toArray(); // [0, 9.9999999995e-11]
 * ```
 */
export function log1p(x: Tensor): Tensor {
  return log1pOp(x);
}
