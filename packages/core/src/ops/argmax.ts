import { AxisError, DTypeError, ValueError } from '../errors';
import { argReduceKernel, axisLayout } from '../kernels/cpu/reduce';
import { resolveKernel } from '../kernels/registry';
import { registerOp } from '../op';
import { formatShape, normalizeAxis } from '../shape';
import { Tensor } from '../tensor';
import { checkKeepdims } from './check-keepdims';

interface ArgAttrs {
  /** The normalised axis, or `null` for the flat index over all elements. */
  readonly axis: number | null;
  readonly keepdims: boolean;
}

function defineArgReduce(
  name: 'argmax' | 'argmin',
): (x: Tensor, axis: number | null | undefined, keepdims: boolean) => Tensor {
  const kind = name === 'argmax' ? 'max' : 'min';
  const op = registerOp<ArgAttrs>({
    name,
    forward: ([x], { axis, keepdims }) => {
      let outer = 1;
      let n = x.size;
      let inner = 1;
      let shape: number[];
      if (axis === null) shape = keepdims ? x.shape.map(() => 1) : [];
      else {
        ({ outer, n, inner } = axisLayout(x.shape, axis));
        shape = x.ndim === 0 ? [] : x.shape.map((d, i) => (i === axis ? 1 : d));
        if (!keepdims && x.ndim > 0) shape.splice(axis, 1);
      }
      const indices = new Int32Array(outer * inner);
      resolveKernel(name, argReduceKernel)(kind, x._array, outer, n, inner, indices);
      return new Tensor(indices, shape, 'int32');
    },
  });
  return (x, axis, keepdims) => {
    if (!(x instanceof Tensor)) throw new DTypeError(`${name}: x must be a Tensor, got ${typeof x}`);
    if (axis !== null && axis !== undefined && typeof axis !== 'number')
      throw new AxisError(`${name}: axis must be one integer or null, got ${JSON.stringify(axis)}`);
    const ax = axis === null || axis === undefined ? null : normalizeAxis(axis, x.ndim, name);
    const empty = ax === null || x.ndim === 0 ? x.size === 0 : x.shape[ax] === 0;
    if (empty)
      throw new ValueError(
        `${name}: cannot take the ${name} of an empty axis (tensor of shape ${formatShape(x.shape)})`,
      );
    return op([x], { axis: ax, keepdims });
  };
}

const argmaxFn = defineArgReduce('argmax');
const argminFn = defineArgReduce('argmin');

/**
 * The int32 index of the largest element along `axis`, like `torch.argmax`: the flat (row-major) index
 * over all elements when `axis` is omitted or `null`. On ties the first occurrence wins; a NaN counts as
 * the largest. Not differentiable.
 *
 * @param x - the tensor to search
 * @param axis - the axis to reduce, negative from the end; `null`/omitted for a flat index
 * @param keepdims - keep the reduced axis (every axis, for a flat index) as size 1
 *
 * @example
 * ```ts
 * const x = tensor([[1, 9, 9], [7, 0, 2]]);
 * argmax(x).item(); // 1
 * argmax(x, 1).toArray(); // [1, 0]
 * argmax(x, 0, true).toArray(); // [[1, 0, 0]]
 * ```
 */
export function argmax(x: Tensor, axis?: number | null, keepdims = false): Tensor {
  checkKeepdims('argmax', keepdims);
  return argmaxFn(x, axis, keepdims);
}

/**
 * The int32 index of the smallest element along `axis`, like `torch.argmin`: the flat (row-major) index
 * over all elements when `axis` is omitted or `null`. On ties the first occurrence wins; a NaN counts as
 * the smallest. Not differentiable.
 *
 * @param x - the tensor to search
 * @param axis - the axis to reduce, negative from the end; `null`/omitted for a flat index
 * @param keepdims - keep the reduced axis (every axis, for a flat index) as size 1
 *
 * @example
 * ```ts
 * const x = tensor([[1, 9, 0], [7, 0, 2]]);
 * argmin(x).item(); // 2
 * argmin(x, 1).toArray(); // [2, 1]
 * ```
 */
export function argmin(x: Tensor, axis?: number | null, keepdims = false): Tensor {
  checkKeepdims('argmin', keepdims);
  return argminFn(x, axis, keepdims);
}
