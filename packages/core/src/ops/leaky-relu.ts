import { allocate, type DType, isFloatingDType, promoteTypes } from '../dtype';
import { DTypeError, ValueError } from '../errors';
import { leakyReluBackwardKernel, leakyReluKernel } from '../kernels/cpu/activations';
import { resolveKernel } from '../kernels/registry';
import { registerOp } from '../op';
import { Tensor } from '../tensor';

// The gradient of leakyRelu: g where x > 0, slope * g elsewhere. Linear in g; its VJP is itself.
const leakyReluBackwardOp: (inputs: readonly Tensor[], slope: number) => Tensor = registerOp<number>({
  name: 'leakyReluBackward',
  forward: ([g, x], slope) => {
    const dtype = promoteTypes(g.dtype, x.dtype);
    const out = allocate(dtype, x.size, false);
    resolveKernel('leakyReluBackward', leakyReluBackwardKernel)(g._array, x._array, out, slope);
    return new Tensor(out, x.shape, dtype);
  },
  backward: (gg, { inputs: [g, x], attrs }) => [g.requiresGrad ? leakyReluBackwardOp([gg, x], attrs) : null, null],
});

const leakyReluOp = registerOp<number>({
  name: 'leakyRelu',
  forward: ([x], slope) => {
    const dtype: DType = isFloatingDType(x.dtype) ? x.dtype : 'float32';
    const out = allocate(dtype, x.size, false);
    resolveKernel('leakyRelu', leakyReluKernel)(x._array, out, slope);
    return new Tensor(out, x.shape, dtype);
  },
  backward: (g, { inputs: [x], attrs }) => [leakyReluBackwardOp([g, x], attrs)],
});

/**
 * Elementwise leaky ReLU: `x` where `x > 0`, `negativeSlope * x` elsewhere, like PyTorch's
 * `F.leaky_relu`. Integer inputs give a float32 result.
 *
 * Gradient: 1 where `x > 0`, `negativeSlope` elsewhere (including at 0).
 *
 * @param negativeSlope - the slope for negative inputs (default 0.01)
 *
 * @example
 * ```ts
 * leakyRelu(tensor([-2, 3]), 0.1).toArray(); // [-0.2, 3]
 * ```
 */
export function leakyRelu(x: Tensor, negativeSlope = 0.01): Tensor {
  if (!(x instanceof Tensor)) throw new DTypeError(`leakyRelu: x must be a Tensor, got ${typeof x}`);
  if (typeof negativeSlope !== 'number' || !Number.isFinite(negativeSlope))
    throw new ValueError(`leakyRelu: negativeSlope must be a finite number, got ${String(negativeSlope)}`);
  return leakyReluOp([x], negativeSlope);
}
