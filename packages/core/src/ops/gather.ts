import { zerosLike } from '../creation';
import { allocate } from '../dtype';
import { ShapeError, ValueError } from '../errors';
import { gatherKernel } from '../kernels/cpu/gather';
import { resolveKernel } from '../kernels/registry';
import { registerOp } from '../op';
import { formatShape, normalizeAxis, shapeSize } from '../shape';
import { Tensor } from '../tensor';
import { checkIndexTensor } from './index-select';
import { scatterAddOp } from './scatter-add';

/** Apply the registered gather op without re-checking arguments (used by VJPs). */
export const gatherOp: (inputs: readonly Tensor[], axis: number) => Tensor = registerOp<number>({
  name: 'gather',
  saves: { inputs: [1], output: false },
  forward: ([x, index], axis) => {
    const out = allocate(x.dtype, shapeSize(index.shape));
    resolveKernel('gather', gatherKernel)(x._array, x.shape, index._array as Int32Array, index.shape, axis, out);
    return new Tensor(out, index.shape, x.dtype);
  },
  backward: (g, { inputs: [x, index], attrs: axis }) => [
    x.requiresGrad ? scatterAddOp([zerosLike(x), index, g], axis) : null,
    null,
  ],
});

/**
 * Pick values of `x` along `axis` at the positions in `index`, like `torch.gather`: for a 3-D `x` and
 * `axis = 1`, `out[i][j][k] = x[i][index[i][j][k]][k]`. `index` is an int32 tensor with as many dims
 * as `x`, no larger than `x` on the other axes; the result has `index`'s shape.
 *
 * Gradient: the upstream gradient scatter-added back into zeros of `x`'s shape (repeats accumulate).
 *
 * @example
 * ```ts
 * const x = tensor([[1, 2], [3, 4]]);
 * gather(x, 1, tensor([[0, 0], [1, 0]], { dtype: 'int32' })).toArray(); // [[1, 1], [4, 3]]
 * ```
 */
export function gather(x: Tensor, axis: number, index: Tensor): Tensor {
  if (!(x instanceof Tensor)) throw new ValueError(`gather: x must be a Tensor, got ${typeof x}`);
  if (!(index instanceof Tensor)) throw new ValueError(`gather: index must be a Tensor, got ${typeof index}`);
  const a = normalizeAxis(axis, x.ndim, 'gather');
  if (index.ndim !== x.ndim)
    throw new ShapeError(
      `gather: index has ${index.ndim} dims but x has ${x.ndim}; they must have the same number of dims`,
    );
  for (let d = 0; d < x.ndim; d++)
    if (d !== a && index.shape[d] > x.shape[d])
      throw new ShapeError(
        `gather: index of shape ${formatShape(index.shape)} is larger than x of shape ${formatShape(x.shape)} at dim ${d} (only axis ${a} may differ)`,
      );
  checkIndexTensor('gather', index, x.ndim === 0 ? 1 : x.shape[a]);
  return gatherOp([x, index], a);
}
