import { zerosLike } from '../creation';
import type { Tensor } from '../tensor';
import { defineUnary } from './unary';

// NOTE: written as (x > 0) - (x < 0) like PyTorch's kernel, so sign(NaN) is 0 and sign(-0) is 0.
const signOp = defineUnary(
  'sign',
  (x) => (x > 0 ? 1 : 0) - (x < 0 ? 1 : 0),
  (g) => zerosLike(g),
  { keepsInt: true },
);

/**
 * Elementwise sign: -1, 0 or 1. Integer tensors stay int32.
 *
 * Gradient: zero everywhere (PyTorch's convention; the jump at 0 is ignored).
 *
 * @example
 * ```ts
 * sign(tensor([-2, 0, 3])).toArray(); // [-1, 0, 1]
 * ```
 */
export function sign(x: Tensor): Tensor {
  return signOp(x);
}
