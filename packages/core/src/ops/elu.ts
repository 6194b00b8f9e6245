import { allocate, type DType, isFloatingDType, promoteTypes } from '../dtype';
import { DTypeError, ValueError } from '../errors';
import { eluBackwardKernel, eluKernel } from '../kernels/cpu/activations';
import { resolveKernel } from '../kernels/registry';
import { registerOp } from '../op';
import { Tensor } from '../tensor';
import { lt } from './compare';
import { exp } from './exp';
import { mul } from './mul';
import { where } from './where';

// The fused gradient `x <= 0 ? g * alpha * e^x : g` (PyTorch's elu_backward, so NaN passes g on);
// differentiable in g (itself) and in x, where the second derivative is alpha e^x for x < 0 and 0
// elsewhere (at 0 and NaN too, as PyTorch's elu_double_backward, which masks with x < 0).
const eluBackwardOp: (inputs: readonly Tensor[], alpha: number) => Tensor = registerOp<number>({
  name: 'eluBackward',
  forward: ([g, x], alpha) => {
    const dtype = promoteTypes(g.dtype, x.dtype);
    const out = allocate(dtype, x.size, false);
    resolveKernel('eluBackward', eluBackwardKernel)(g._array, x._array, out, alpha);
    return new Tensor(out, x.shape, dtype);
  },
  backward: (gg, { inputs: [g, x], attrs: alpha }) => [
    g.requiresGrad ? eluBackwardOp([gg, x], alpha) : null,
    x.requiresGrad ? mul(mul(gg, g), where(lt(x, 0), mul(exp(x), alpha), 0)) : null,
  ],
});

const eluOp = registerOp<number>({
  name: 'elu',
  forward: ([x], alpha) => {
    const dtype: DType = isFloatingDType(x.dtype) ? x.dtype : 'float32';
    const out = allocate(dtype, x.size, false);
    resolveKernel('elu', eluKernel)(x._array, out, alpha);
    return new Tensor(out, x.shape, dtype);
  },
  backward: (g, { inputs: [x], attrs }) => [eluBackwardOp([g, x], attrs)],
});

/**
 * Elementwise exponential linear unit, like PyTorch's `F.elu`: `x` where `x > 0`, `alpha (e^x - 1)`
 * elsewhere. Integer inputs give a float32 result.
 *
 * Gradient: `alpha e^x` where `x <= 0` (so `alpha` at 0), 1 elsewhere; at a NaN input the upstream
 * gradient passes unchanged, as in PyTorch. The second derivative is `alpha e^x` where `x < 0` and 0
 * elsewhere, at 0 included (PyTorch's convention).
 *
 * @param alpha - the value the function approaches as `x → -∞`, negated (default 1)
 *
 * @example
 * ```ts
 * elu(tensor([-1, 2], { dtype: 'float64' })).toArray(); // [-0.6321205588285577, 2]
 * ```
 */
export function elu(x: Tensor, alpha = 1): Tensor {
  if (!(x instanceof Tensor)) throw new DTypeError(`elu: x must be a Tensor, got ${typeof x}`);
  if (typeof alpha !== 'number' || !Number.isFinite(alpha))
    throw new ValueError(`elu: alpha must be a finite number, got ${String(alpha)}`);
  return eluOp([x], alpha);
}
