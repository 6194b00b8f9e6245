import { allocate, type DType, isFloatingDType, promoteTypes } from '../dtype';
import { DTypeError, ValueError } from '../errors';
import { softplusBackwardKernel, softplusKernel } from '../kernels/cpu/activations';
import { resolveKernel } from '../kernels/registry';
import { registerOp } from '../op';
import { Tensor } from '../tensor';
import { gt } from './compare';
import { mul } from './mul';
import { sigmoid } from './sigmoid';
import { sub } from './sub';
import { where } from './where';

interface SoftplusAttrs {
  readonly beta: number;
  readonly threshold: number;
}

// The fused gradient `g * σ(βx)` (`g` in the linear regime); differentiable in g (itself) and in x,
// where the second derivative is β σ(βx) (1 - σ(βx)) outside the linear regime.
const softplusBackwardOp: (inputs: readonly Tensor[], attrs: SoftplusAttrs) => Tensor = registerOp<SoftplusAttrs>({
  name: 'softplusBackward',
  forward: ([g, x], { beta, threshold }) => {
    const dtype = promoteTypes(g.dtype, x.dtype);
    const out = allocate(dtype, x.size);
    resolveKernel('softplusBackward', softplusBackwardKernel)(g._array, x._array, out, beta, threshold);
    return new Tensor(out, x.shape, dtype);
  },
  backward: (gg, { inputs: [g, x], attrs }) => {
    let dx: Tensor | null = null;
    if (x.requiresGrad) {
      const bx = mul(x, attrs.beta);
      const s = sigmoid(bx);
      dx = mul(mul(gg, g), where(gt(bx, attrs.threshold), 0, mul(mul(s, sub(1, s)), attrs.beta)));
    }
    return [g.requiresGrad ? softplusBackwardOp([gg, x], attrs) : null, dx];
  },
});

const softplusOp = registerOp<SoftplusAttrs>({
  name: 'softplus',
  forward: ([x], { beta, threshold }) => {
    const dtype: DType = isFloatingDType(x.dtype) ? x.dtype : 'float32';
    const out = allocate(dtype, x.size);
    resolveKernel('softplus', softplusKernel)(x._array, out, beta, threshold);
    return new Tensor(out, x.shape, dtype);
  },
  backward: (g, { inputs: [x], attrs }) => [softplusBackwardOp([g, x], attrs)],
});

/**
 * Elementwise softplus `log(1 + e^(βx)) / β`, like PyTorch's `F.softplus`: where `βx > threshold` it
 * returns `x` itself (the linear regime, which also avoids overflow), so `softplus(1000)` is 1000.
 * Integer inputs give a float32 result.
 *
 * Gradient: `σ(βx)`, and 1 in the linear regime.
 *
 * @param beta - the sharpness β (default 1)
 * @param threshold - above this value of `βx` the function is linear (default 20)
 *
 * @example
 * ```ts
 * softplus(tensor([0, 1000], { dtype: 'float64' })).toArray(); // [0.6931471805599453, 1000]
 * ```
 */
export function softplus(x: Tensor, beta = 1, threshold = 20): Tensor {
  if (!(x instanceof Tensor)) throw new DTypeError(`softplus: x must be a Tensor, got ${typeof x}`);
  if (typeof beta !== 'number' || !Number.isFinite(beta) || beta === 0)
    throw new ValueError(`softplus: beta must be a finite nonzero number, got ${String(beta)}`);
  if (typeof threshold !== 'number' || Number.isNaN(threshold))
    throw new ValueError(`softplus: threshold must be a number, got ${String(threshold)}`);
  return softplusOp([x], { beta, threshold });
}
