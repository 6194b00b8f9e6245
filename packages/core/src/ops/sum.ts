import { allocate } from '../dtype';
import { DTypeError } from '../errors';
import { sumKernel } from '../kernels/cpu/reduce';
import { resolveKernel } from '../kernels/registry';
import { registerOp } from '../op';
import { normalizeAxes, reducedShape, shapeSize } from '../shape';
import { type Axis, Tensor } from '../tensor';
import { checkKeepdims } from './check-keepdims';
import { expand } from './expand';
import { reshape } from './reshape';

/** The attributes shared by the reductions: the sorted, distinct axes reduced, and whether they stay as size 1. */
export interface ReduceAttrs {
  readonly axes: readonly number[];
  readonly keepdims: boolean;
}

/**
 * Check that `x` is a tensor and turn a reduction's `axis` argument into sorted, distinct axes
 * (`undefined`/`null` = every axis); throws an {@link AxisError} naming `fn`.
 */
export function reductionAxes(fn: string, x: Tensor, axis: Axis): number[] {
  if (!(x instanceof Tensor)) throw new DTypeError(`${fn}: x must be a Tensor, got ${typeof x}`);
  return normalizeAxes(axis, x.ndim, fn);
}

/** The number of elements of `shape` that fold into each result of a reduction over `axes`. */
export function reducedCount(shape: readonly number[], axes: readonly number[]): number {
  let n = 1;
  for (const a of axes) n *= shape[a];
  return n;
}

/**
 * Broadcast the gradient `g` of a reduction over `axes` back to the input's `shape` (the VJP of a sum):
 * reshape it to the keepdims shape, then expand. Written with differentiable ops.
 */
export function expandReduced(g: Tensor, shape: readonly number[], axes: readonly number[]): Tensor {
  return expand(reshape(g, reducedShape(shape, axes, true)), shape);
}

const sumOp = registerOp<ReduceAttrs>({
  name: 'sum',
  saves: { inputs: [], output: false },
  forward: ([x], { axes, keepdims }) => {
    const shape = reducedShape(x.shape, axes, keepdims);
    const out = allocate(x.dtype, shapeSize(shape));
    resolveKernel('sum', sumKernel)(x._array, x.shape, axes, out);
    return new Tensor(out, shape, x.dtype);
  },
  backward: (g, { inputs: [x], attrs }) => [expandReduced(g, x.shape, attrs.axes)],
});

/**
 * The sum of the elements over `axis` (one axis, several, or all of them when omitted), like
 * `torch.sum`. Accumulates in float64 whatever the dtype; int32 sums stay int32.
 *
 * An empty axis list reduces nothing (NumPy's convention; PyTorch would reduce everything).
 *
 * Gradient: the upstream gradient broadcast back over the reduced axes.
 *
 * @param x - the tensor to reduce
 * @param axis - the axis or axes to reduce, negative from the end; all of them when omitted or `null`,
 *   none when `[]` (NumPy's rule; PyTorch 1.13 reduces all of them, see {@link Axis})
 * @param keepdims - keep the reduced axes as size-1 dimensions
 *
 * @example
 * ```ts
 * const x = tensor([[1, 2, 3], [4, 5, 6]]);
 * sum(x).item(); // 21
 * sum(x, 0).toArray(); // [5, 7, 9]
 * sum(x, -1, true).toArray(); // [[6], [15]]
 * ```
 */
export function sum(x: Tensor, axis?: Axis, keepdims = false): Tensor {
  checkKeepdims('sum', keepdims);
  const axes = reductionAxes('sum', x, axis);
  return sumOp([x], { axes, keepdims });
}
