import { registerOp } from '../op';
import { Tensor } from '../tensor';

const cloneOp = registerOp<undefined>({
  name: 'clone',
  saves: { inputs: [], output: false },
  forward: ([x]) => new Tensor(x.values.slice(), x.shape, x.dtype),
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
