import type { Tensor } from '../tensor';
import { add } from './add';
import { mul } from './mul';
import { defineUnary } from './unary';

const expm1Op = defineUnary('expm1', Math.expm1, (g, { output }) => mul(g, add(output, 1)), { saves: 'output' });

/**
 * Elementwise `e^x - 1`, accurate for small `x` where `exp(x) - 1` would cancel.
 *
 * Gradient: `d/dx (e^x - 1) = e^x` (computed from the output as `y + 1`).
 *
 * @example
 * ```ts
 * expm1(tensor([0, 1e-10], { dtype: 'float64' })).toArray(); // [0, 1.00000000005e-10]
 * ```
 */
export function expm1(x: Tensor): Tensor {
  return expm1Op(x);
}
