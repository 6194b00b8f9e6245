import { allocate, type DType, promoteTypes } from '../dtype';
import { ShapeError, ValueError } from '../errors';
import { concatKernel } from '../kernels/cpu/concat';
import { resolveKernel } from '../kernels/registry';
import { registerOp } from '../op';
import { formatShape, normalizeAxis } from '../shape';
import { Tensor } from '../tensor';
import { narrow } from './slice';

const concatOp = registerOp<number>({
  name: 'concat',
  saves: { inputs: [], output: false },
  forward: (inputs, axis) => {
    let dtype: DType = inputs[0].dtype;
    for (const t of inputs) dtype = promoteTypes(dtype, t.dtype);
    const shape = [...inputs[0].shape];
    let inner = 1;
    for (let d = axis + 1; d < shape.length; d++) inner *= shape[d];
    let outer = 1;
    for (let d = 0; d < axis; d++) outer *= shape[d];
    let total = 0;
    const blocks: number[] = [];
    for (const t of inputs) {
      total += t.shape[axis];
      blocks.push(t.shape[axis] * inner);
    }
    shape[axis] = total;
    const out = allocate(dtype, outer * total * inner, false);
    resolveKernel('concat', concatKernel)(
      inputs.map((t) => t._array),
      blocks,
      outer,
      out,
    );
    return new Tensor(out, shape, dtype);
  },
  backward: (g, { inputs, attrs: axis }) => {
    let offset = 0;
    return inputs.map((t) => {
      const start = offset;
      offset += t.shape[axis];
      return t.requiresGrad ? narrow(g, axis, start, offset) : null;
    });
  },
});

/**
 * Join `tensors` along an existing `axis`, like `torch.cat`. Every shape must match except along
 * `axis`; dtypes are promoted (int32 < float32 < float64).
 *
 * Gradient: each input receives its own slab of the upstream gradient along `axis`.
 *
 * @example
 * ```ts
 * concat([tensor([[1, 2]]), tensor([[3, 4], [5, 6]])]).toArray(); // [[1, 2], [3, 4], [5, 6]]
 * concat([tensor([[1], [2]]), tensor([[3], [4]])], 1).toArray(); // [[1, 3], [2, 4]]
 * ```
 */
export function concat(tensors: readonly Tensor[], axis = 0): Tensor {
  if (!Array.isArray(tensors) || tensors.length === 0)
    throw new ValueError('concat: expected a non-empty array of tensors');
  tensors.forEach((t, i) => {
    if (!(t instanceof Tensor)) throw new ValueError(`concat: tensors[${i}] is not a Tensor`);
    if (t.ndim === 0) throw new ShapeError(`concat: tensors[${i}] is 0-d and cannot be concatenated (use stack)`);
  });
  const first = tensors[0];
  const a = normalizeAxis(axis, first.ndim, 'concat');
  for (let i = 1; i < tensors.length; i++) {
    const t = tensors[i];
    let ok = t.ndim === first.ndim;
    for (let d = 0; ok && d < first.ndim; d++) if (d !== a && t.shape[d] !== first.shape[d]) ok = false;
    if (!ok)
      throw new ShapeError(
        `concat: tensors[${i}] has shape ${formatShape(t.shape)} but tensors[0] has shape ${formatShape(first.shape)}; shapes must match except along axis ${a}`,
      );
  }
  return concatOp(tensors, a);
}

/**
 * Join `tensors` along `axis`; the same function as {@link concat} under PyTorch's name `cat`.
 *
 * @example
 * ```ts
 * cat([tensor([1, 2]), tensor([3])]).toArray(); // [1, 2, 3]
 * ```
 */
export function cat(tensors: readonly Tensor[], axis = 0): Tensor {
  return concat(tensors, axis);
}
