import { allocate } from '../dtype';
import { copyKernel } from '../kernels/cpu/elementwise';
import { resolveKernel } from '../kernels/registry';
import { registerOp } from '../op';
import { Tensor } from '../tensor';

const cloneOp = registerOp<undefined>({
  name: 'clone',
  saves: { inputs: [], output: false },
  forward: ([x]) => {
    const out = allocate(x.dtype, x.size, false);
    resolveKernel('copy', copyKernel)(x._array, out);
    return new Tensor(out, x.shape, x.dtype);
  },
  backward: (g) => [g],
});

/**
 * A copy of `x` with its own data that stays in the graph: gradients flow back to `x`.
 *
 * @example
 * ```ts
 * const y = clone(x); // y.data !== x.data
 * ```
 */
export function clone(x: Tensor): Tensor {
  return cloneOp([x], undefined);
}
