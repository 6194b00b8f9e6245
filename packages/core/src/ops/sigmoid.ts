import { allocate, type DType, isFloatingDType, promoteTypes } from '../dtype';
import { DTypeError } from '../errors';
import { sigmoidBackwardKernel, sigmoidKernel } from '../kernels/cpu/activations';
import { resolveKernel } from '../kernels/registry';
import { registerOp } from '../op';
import { Tensor } from '../tensor';
import { mul } from './mul';
import { sub } from './sub';

// The fused gradient `g * y * (1 - y)` of sigmoid, from its output y. It is an op of its own so that
// the first-order backward is one pass, and it is differentiable in both g and y (second order).
const sigmoidBackwardOp = registerOp<undefined>({
  name: 'sigmoidBackward',
  forward: ([g, y]) => {
    const dtype = promoteTypes(g.dtype, y.dtype);
    const out = allocate(dtype, y.size, false);
    resolveKernel('sigmoidBackward', sigmoidBackwardKernel)(g._array, y._array, out);
    return new Tensor(out, y.shape, dtype);
  },
  backward: (gg, { inputs: [g, y] }) => [
    g.requiresGrad ? sigmoidBackward(gg, y) : null,
    // d/dy [g y (1 - y)] = g (1 - 2y)
    y.requiresGrad ? mul(mul(gg, g), sub(1, mul(y, 2))) : null,
  ],
});

/** @internal `g * y * (1 - y)`: the vector-Jacobian product of sigmoid given its output `y`. */
export function sigmoidBackward(g: Tensor, y: Tensor): Tensor {
  return sigmoidBackwardOp([g, y], undefined);
}

const sigmoidOp = registerOp<undefined>({
  name: 'sigmoid',
  saves: { inputs: [], output: true },
  forward: ([x]) => {
    const dtype: DType = isFloatingDType(x.dtype) ? x.dtype : 'float32';
    const out = allocate(dtype, x.size, false);
    resolveKernel('sigmoid', sigmoidKernel)(x._array, out);
    return new Tensor(out, x.shape, dtype);
  },
  backward: (g, { output }) => [sigmoidBackward(g, output)],
});

/**
 * Elementwise logistic function `σ(x) = 1 / (1 + e^-x)`, computed stably: `σ(-800)` is 0 and
 * `σ(800)` is 1, never NaN. Integer inputs give a float32 result.
 *
 * Gradient: `σ'(x) = σ(x) (1 - σ(x))`, computed from the output.
 *
 * @example
 * ```ts
 * sigmoid(tensor([0, 800, -800])).toArray(); // [0.5, 1, 0]
 * ```
 */
export function sigmoid(x: Tensor): Tensor {
  if (!(x instanceof Tensor)) throw new DTypeError(`sigmoid: x must be a Tensor, got ${typeof x}`);
  return sigmoidOp([x], undefined);
}
