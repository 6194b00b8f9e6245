import { allocate, type DType, isFloatingDType, promoteTypes } from '../dtype';
import { DTypeError } from '../errors';
import { tanhBackwardKernel, tanhKernel } from '../kernels/cpu/activations';
import { resolveKernel } from '../kernels/registry';
import { registerOp } from '../op';
import { Tensor } from '../tensor';
import { mul } from './mul';

// The fused gradient `g * (1 - y²)` of tanh, from its output y; differentiable in g and y.
const tanhBackwardOp = registerOp<undefined>({
  name: 'tanhBackward',
  forward: ([g, y]) => {
    const dtype = promoteTypes(g.dtype, y.dtype);
    const out = allocate(dtype, y.size, false);
    resolveKernel('tanhBackward', tanhBackwardKernel)(g._array, y._array, out);
    return new Tensor(out, y.shape, dtype);
  },
  backward: (gg, { inputs: [g, y] }) => [
    g.requiresGrad ? tanhBackward(gg, y) : null,
    // d/dy [g (1 - y²)] = -2 g y
    y.requiresGrad ? mul(mul(gg, g), mul(y, -2)) : null,
  ],
});

/** @internal `g * (1 - y²)`: the vector-Jacobian product of tanh given its output `y`. */
export function tanhBackward(g: Tensor, y: Tensor): Tensor {
  return tanhBackwardOp([g, y], undefined);
}

const tanhOp = registerOp<undefined>({
  name: 'tanh',
  saves: { inputs: [], output: true },
  forward: ([x]) => {
    const dtype: DType = isFloatingDType(x.dtype) ? x.dtype : 'float32';
    const out = allocate(dtype, x.size, false);
    resolveKernel('tanh', tanhKernel)(x._array, out);
    return new Tensor(out, x.shape, dtype);
  },
  backward: (g, { output }) => [tanhBackward(g, output)],
});

/**
 * Elementwise hyperbolic tangent. Integer inputs give a float32 result.
 *
 * Gradient: `d/dx tanh(x) = 1 - tanh²(x)`, computed from the output.
 *
 * @example
 * ```ts
 * tanh(tensor([0, 1000])).toArray(); // [0, 1]
 * ```
 */
export function tanh(x: Tensor): Tensor {
  if (!(x instanceof Tensor)) throw new DTypeError(`tanh: x must be a Tensor, got ${typeof x}`);
  return tanhOp([x], undefined);
}
