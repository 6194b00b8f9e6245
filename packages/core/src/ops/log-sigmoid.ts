import { allocate, type DType, isFloatingDType, promoteTypes } from '../dtype';
import { DTypeError } from '../errors';
import { logSigmoidBackwardKernel, logSigmoidKernel } from '../kernels/cpu/activations';
import { resolveKernel } from '../kernels/registry';
import { registerOp } from '../op';
import { Tensor } from '../tensor';
import { mul } from './mul';
import { neg } from './neg';
import { sigmoid } from './sigmoid';
import { sub } from './sub';

// The fused gradient `g * σ(-x)`; differentiable in g (itself) and in x, where the second derivative
// is -σ(-x) (1 - σ(-x)).
const logSigmoidBackwardOp: (inputs: readonly Tensor[], attrs: undefined) => Tensor = registerOp<undefined>({
  name: 'logSigmoidBackward',
  forward: ([g, x]) => {
    const dtype = promoteTypes(g.dtype, x.dtype);
    const out = allocate(dtype, x.size, false);
    resolveKernel('logSigmoidBackward', logSigmoidBackwardKernel)(g._array, x._array, out);
    return new Tensor(out, x.shape, dtype);
  },
  backward: (gg, { inputs: [g, x] }) => {
    let dx: Tensor | null = null;
    if (x.requiresGrad) {
      const s = sigmoid(neg(x));
      dx = mul(mul(gg, g), neg(mul(s, sub(1, s))));
    }
    return [g.requiresGrad ? logSigmoidBackwardOp([gg, x], undefined) : null, dx];
  },
});

const logSigmoidOp = registerOp<undefined>({
  name: 'logSigmoid',
  forward: ([x]) => {
    const dtype: DType = isFloatingDType(x.dtype) ? x.dtype : 'float32';
    const out = allocate(dtype, x.size, false);
    resolveKernel('logSigmoid', logSigmoidKernel)(x._array, out);
    return new Tensor(out, x.shape, dtype);
  },
  backward: (g, { inputs: [x] }) => [logSigmoidBackwardOp([g, x], undefined)],
});

/**
 * Elementwise `log σ(x) = -softplus(-x)`, like PyTorch's `F.logsigmoid`, computed as
 * `min(x, 0) - log(1 + e^-|x|)` so that `logSigmoid(-1000)` is -1000 rather than `-Infinity`.
 * Integer inputs give a float32 result.
 *
 * Gradient: `1 - σ(x) = σ(-x)`.
 *
 * @example
 * ```ts
 * logSigmoid(tensor([0, -1000], { dtype: 'float64' })).toArray(); // [-0.6931471805599453, -1000]
 * ```
 */
export function logSigmoid(x: Tensor): Tensor {
  if (!(x instanceof Tensor)) throw new DTypeError(`logSigmoid: x must be a Tensor, got ${typeof x}`);
  return logSigmoidOp([x], undefined);
}
