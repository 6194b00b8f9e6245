import { erf as erfScalar } from '../kernels/cpu/erf';
import type { Tensor } from '../tensor';
import { exp } from './exp';
import { mul } from './mul';
import { neg } from './neg';
import { square } from './square';
import { defineUnary } from './unary';

const TWO_OVER_SQRT_PI = 1.1283791670955126; // 2/√π

const erfOp = defineUnary(
  'erf',
  erfScalar,
  // PyTorch's formula and order: (2/√π · exp(-x²)) · g.
  (g, { inputs: [x] }) => mul(mul(exp(neg(square(x))), TWO_OVER_SQRT_PI), g),
  {
    saves: 'input',
    kernel: (x, out) => {
      for (let i = 0; i < x.length; i++) out[i] = erfScalar(x[i]);
    },
  },
);

/**
 * The error function `erf(x) = 2/√π ∫₀ˣ e^(-t²) dt`, elementwise, like `torch.erf`. Computed in double
 * precision with W. J. Cody's rational approximations (the kernel GELU uses; within 4 ulp of the exact
 * value in float64, its worst just past 0.46875) and rounded to the tensor's dtype; odd (`erf(-0)` is -0), `erf(±Infinity) = ±1`, NaN stays NaN. An int32 tensor
 * gives float32, as in PyTorch.
 *
 * Gradient: `d/dx erf(x) = 2/√π · e^(-x²)`.
 *
 * @example
 * ```ts
 * erf(tensor([0, 1, -Infinity], { dtype: 'float64' })).toArray(); // [0, 0.8427007929497149, -1]
 * ```
 */
export function erf(x: Tensor): Tensor {
  return erfOp(x);
}
