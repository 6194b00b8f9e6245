import { allocate, type TypedArray } from '../dtype';
import { forEachReduceRow, reduceLayout } from '../kernels/cpu/reduce';
import { resolveKernel } from '../kernels/registry';
import { registerOp } from '../op';
import { reducedShape, shapeSize } from '../shape';
import { type Axis, Tensor } from '../tensor';
import { checkKeepdims } from './check-keepdims';
import { type ReduceAttrs, reductionAxes } from './sum';

/**
 * The cpu kernel of any and all: `out` (int32, one slot per group of the reduction of `x` of `shape` over
 * `axes`) gets 1 where some (any) or every (all) element of the group is nonzero, else 0. NaN is nonzero.
 * An empty group gives 0 for any and 1 for all.
 */
export function logicalReduceKernel(
  kind: 'any' | 'all',
  x: TypedArray,
  shape: readonly number[],
  axes: readonly number[],
  out: Int32Array,
): void {
  const any = kind === 'any';
  out.fill(any ? 0 : 1);
  forEachReduceRow(reduceLayout(shape, axes), (inOff, outOff, outStep, len) => {
    for (let j = 0; j < len; j++) {
      // NOTE: `v !== 0` is true for NaN, which PyTorch counts as true as well.
      const nonzero = x[inOff + j] !== 0;
      if (nonzero === any) out[outOff + j * outStep] = any ? 1 : 0;
    }
  });
}

function defineLogical(kind: 'any' | 'all'): (inputs: readonly Tensor[], attrs: ReduceAttrs) => Tensor {
  return registerOp<ReduceAttrs>({
    name: kind,
    forward: ([x], { axes, keepdims }) => {
      const shape = reducedShape(x.shape, axes, keepdims);
      const out = allocate('int32', shapeSize(shape), false) as Int32Array;
      resolveKernel(kind, logicalReduceKernel)(kind, x._array, x.shape, axes, out);
      return new Tensor(out, shape, 'int32');
    },
  });
}

const anyOp = defineLogical('any');
const allOp = defineLogical('all');

/**
 * Whether any element over `axis` is nonzero, like `torch.any`, as an int32 tensor of 0s and 1s (nabla has
 * no bool dtype). NaN counts as nonzero (true); an empty group is 0. Not differentiable.
 *
 * @param x - the tensor to test
 * @param axis - the axis or axes to reduce, negative from the end; all of them when omitted or `null` (a
 *   list of axes, which PyTorch 1.13 does not take, reduces each; `[]` none, see {@link Axis})
 * @param keepdims - keep the reduced axes as size-1 dimensions
 *
 * @example
 * ```ts
 * const x = tensor([[0, 2], [0, 0]]);
 * any(x).item(); // 1
 * any(x, 1).toArray(); // [1, 0]
 * any(x, 0, true).toArray(); // [[0, 1]]
 * ```
 */
export function any(x: Tensor, axis?: Axis, keepdims = false): Tensor {
  checkKeepdims('any', keepdims);
  return anyOp([x], { axes: reductionAxes('any', x, axis), keepdims });
}

/**
 * Whether every element over `axis` is nonzero, like `torch.all`, as an int32 tensor of 0s and 1s (nabla has
 * no bool dtype). NaN counts as nonzero (true); an empty group is 1. Not differentiable.
 *
 * @param x - the tensor to test
 * @param axis - the axis or axes to reduce, negative from the end; all of them when omitted or `null` (a
 *   list of axes, which PyTorch 1.13 does not take, reduces each; `[]` none, see {@link Axis})
 * @param keepdims - keep the reduced axes as size-1 dimensions
 *
 * @example
 * ```ts
 * const x = tensor([[1, 2], [0, 3]]);
 * all(x).item(); // 0
 * all(x, 1).toArray(); // [1, 0]
 * all(x, -2, true).toArray(); // [[0, 1]]
 * ```
 */
export function all(x: Tensor, axis?: Axis, keepdims = false): Tensor {
  checkKeepdims('all', keepdims);
  return allOp([x], { axes: reductionAxes('all', x, axis), keepdims });
}
