import { allocate, type DType, isFloatingDType, promoteTypes } from '../dtype';
import { DTypeError, ValueError } from '../errors';
import { geluBackwardKernel, geluKernel } from '../kernels/cpu/activations';
import { resolveKernel } from '../kernels/registry';
import { registerOp } from '../op';
import { Tensor } from '../tensor';
import { add } from './add';
import { exp } from './exp';
import { mul } from './mul';
import { square } from './square';
import { sub } from './sub';
import { tanh } from './tanh';

/** How {@link gelu} evaluates the Gaussian cdf: exactly with erf (`'none'`), or with PyTorch's tanh formula. */
export type GeluApproximation = 'none' | 'tanh';

const INV_SQRT_2PI = 0.3989422804014327;
const GELU_K = Math.sqrt(2 / Math.PI);
const GELU_C = 0.044715;

/** The second derivative of gelu, written with Tensor ops so that it can be differentiated again. */
function geluSecondDerivative(x: Tensor, tanhApproximation: boolean): Tensor {
  const x2 = square(x);
  if (!tanhApproximation) {
    // d²/dx² x Φ(x) = φ(x) (2 - x²)
    return mul(mul(exp(mul(x2, -0.5)), INV_SQRT_2PI), sub(2, x2));
  }
  // With u = k (x + c x³) and t = tanh(u): f'' = (1 - t²) (u' + x/2 (u'' - 2 t u'²)).
  const t = tanh(mul(add(x, mul(mul(x2, x), GELU_C)), GELU_K));
  const du = mul(add(mul(x2, 3 * GELU_C), 1), GELU_K);
  const ddu = mul(x, 6 * GELU_C * GELU_K);
  const inner = add(du, mul(mul(x, 0.5), sub(ddu, mul(mul(t, 2), square(du)))));
  return mul(sub(1, square(t)), inner);
}

// The fused gradient `g * gelu'(x)`; differentiable in g (itself) and in x (through the second derivative).
const geluBackwardOp: (inputs: readonly Tensor[], tanhApproximation: boolean) => Tensor = registerOp<boolean>({
  name: 'geluBackward',
  forward: ([g, x], tanhApproximation) => {
    const dtype = promoteTypes(g.dtype, x.dtype);
    const out = allocate(dtype, x.size, false);
    resolveKernel('geluBackward', geluBackwardKernel)(g._array, x._array, out, tanhApproximation);
    return new Tensor(out, x.shape, dtype);
  },
  backward: (gg, { inputs: [g, x], attrs }) => [
    g.requiresGrad ? geluBackwardOp([gg, x], attrs) : null,
    x.requiresGrad ? mul(mul(gg, g), geluSecondDerivative(x, attrs)) : null,
  ],
});

const geluOp = registerOp<boolean>({
  name: 'gelu',
  forward: ([x], tanhApproximation) => {
    const dtype: DType = isFloatingDType(x.dtype) ? x.dtype : 'float32';
    const out = allocate(dtype, x.size, false);
    resolveKernel('gelu', geluKernel)(x._array, out, tanhApproximation);
    return new Tensor(out, x.shape, dtype);
  },
  backward: (g, { inputs: [x], attrs }) => [geluBackwardOp([g, x], attrs)],
});

/**
 * Elementwise Gaussian error linear unit, like PyTorch's `F.gelu`: exactly `x Φ(x) = x/2 (1 + erf(x/√2))`
 * (erf accurate to about 1e-16), or with `approximate = 'tanh'`,
 * `x/2 (1 + tanh(√(2/π) (x + 0.044715 x³)))`. Integer inputs give a float32 result.
 *
 * Gradient: exact `Φ(x) + x φ(x)` with φ the standard normal density; the tanh form's derivative for
 * `'tanh'`. Second derivatives are supported.
 *
 * @param approximate - `'none'` (default) or `'tanh'`
 *
 * @example
 * ```ts
 * gelu(tensor([1], { dtype: 'float64' })).item(); // 0.8413447460685429
 * gelu(tensor([1], { dtype: 'float64' }), 'tanh').item(); // 0.8411919906082768
 * ```
 */
export function gelu(x: Tensor, approximate: GeluApproximation = 'none'): Tensor {
  if (!(x instanceof Tensor)) throw new DTypeError(`gelu: x must be a Tensor, got ${typeof x}`);
  if (approximate !== 'none' && approximate !== 'tanh')
    throw new ValueError(`gelu: approximate must be 'none' or 'tanh', got ${JSON.stringify(approximate)}`);
  return geluOp([x], approximate === 'tanh');
}
