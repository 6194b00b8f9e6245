import type { Tensor } from '../tensor';
import { mul } from './mul';
import { defineUnary } from './unary';

const expOp = defineUnary('exp', Math.exp, (g, { output }) => mul(g, output), {
  saves: 'output',
  kernel: (x, out) => {
    for (let i = 0; i < x.length; i++) out[i] = Math.exp(x[i]);
  },
});

/**
 * Elementwise `e^x`.
 *
 * Gradient: `d/dx e^x = e^x` (reuses the output).
 *
 * @example
 * ```ts
 * exp(tensor([0, 1])).toArray(); // [1, 2.718281828459045]
 * ```
 */
export function exp(x: Tensor): Tensor {
  return expOp(x);
}
