import { allocate, promoteTypes } from '../dtype';
import { DTypeError } from '../errors';
import { reluKernel, thresholdBackwardKernel } from '../kernels/cpu/activations';
import { resolveKernel } from '../kernels/registry';
import { registerOp } from '../op';
import { Tensor } from '../tensor';

// The gradient of relu (PyTorch's threshold_backward): 0 where x <= threshold, g elsewhere (NaN too). Linear in g,
// and its derivative in x is zero almost everywhere, so its own VJP is itself applied to gg.
const thresholdBackwardOp: (inputs: readonly Tensor[], threshold: number) => Tensor = registerOp<number>({
  name: 'thresholdBackward',
  forward: ([g, x], threshold) => {
    const dtype = promoteTypes(g.dtype, x.dtype);
    const out = allocate(dtype, x.size, false);
    resolveKernel('thresholdBackward', thresholdBackwardKernel)(g._array, x._array, out, threshold);
    return new Tensor(out, x.shape, dtype);
  },
  backward: (gg, { inputs: [g, x], attrs }) => [g.requiresGrad ? thresholdBackwardOp([gg, x], attrs) : null, null],
});

const reluOp = registerOp<undefined>({
  name: 'relu',
  saves: { output: false },
  forward: ([x]) => {
    const out = x._alloc();
    resolveKernel('relu', reluKernel)(x._array, out);
    return new Tensor(out, x.shape, x.dtype);
  },
  backward: (g, { inputs: [x] }) => [thresholdBackwardOp([g, x], 0)],
});

/**
 * Elementwise rectified linear unit `max(x, 0)`. Integer tensors stay int32; NaN stays NaN.
 *
 * Gradient: 0 where `x <= 0`, **including at `x = 0`**, and 1 elsewhere (PyTorch's convention: at a
 * NaN input the upstream gradient passes unchanged, as in `threshold_backward`).
 *
 * @example
 * ```ts
 * relu(tensor([-1, 0, 2])).toArray(); // [0, 0, 2]
 * ```
 */
export function relu(x: Tensor): Tensor {
  if (!(x instanceof Tensor)) throw new DTypeError(`relu: x must be a Tensor, got ${typeof x}`);
  return reluOp([x], undefined);
}
