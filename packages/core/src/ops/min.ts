import type { Axis, Tensor } from '../tensor';
import { checkKeepdims } from './check-keepdims';
import { defineExtremum, defineExtremumWithIndices, type ValuesAndIndices } from './max';

const minFn = defineExtremum('min');
const minWithIndicesFn = defineExtremumWithIndices('minWithIndices');

/**
 * The smallest element over `axis` (one axis, several, or all of them when omitted), like `torch.amin`
 * (and `torch.min(x)` for a full reduction). NaN propagates. For the values together with their
 * indices, use {@link minWithIndices}.
 *
 * Gradient: split evenly among the elements equal to the minimum (with `k` ties, each gets `g/k`),
 * as in PyTorch's `amin`. Where a reduced group holds NaN, the gradient is split evenly among its NaN
 * elements (the others get 0). For a full reduction that is PyTorch's result too; per axis, PyTorch
 * 1.13's `amin` gives NaN to every element of such a group instead (it divides by the count of
 * elements equal to a NaN result, which is 0).
 *
 * @param x - the tensor to reduce
 * @param axis - the axis or axes to reduce, negative from the end; all of them when omitted or `null`,
 *   none when `[]` (NumPy's rule; PyTorch 1.13 reduces all of them, see {@link Axis})
 * @param keepdims - keep the reduced axes as size-1 dimensions
 *
 * @example
 * ```ts
 * const x = tensor([[1, 5, 2], [7, 0, 7]]);
 * min(x).item(); // 0
 * min(x, 1).toArray(); // [1, 0]
 * min(x, 0, true).toArray(); // [[1, 0, 2]]
 * ```
 */
export function min(x: Tensor, axis?: Axis, keepdims = false): Tensor {
  checkKeepdims('min', keepdims);
  return minFn(x, axis, keepdims);
}

/**
 * The smallest element over `axis`: {@link min} itself, also exported under PyTorch's name `amin`.
 *
 * Gradient: split evenly among tied minima.
 *
 * @example
 * ```ts
 * amin(tensor([[1, 3], [4, 2]]), -1).toArray(); // [1, 2]
 * ```
 */
export const amin: typeof min = min;

/**
 * The smallest elements along one `axis` and their int32 indices, like `torch.min(x, dim)`. On ties the
 * first occurrence is returned; a NaN counts as the smallest.
 *
 * Gradient: the whole upstream gradient goes to the returned index (unlike {@link min}, which splits
 * it among ties).
 *
 * @param x - the tensor to reduce
 * @param axis - the axis to reduce, negative from the end
 * @param keepdims - keep the reduced axis as a size-1 dimension
 *
 * @example
 * ```ts
 * const { values, indices } = minWithIndices(tensor([[4, 1, 1], [0, 3, 2]]), 1);
 * values.toArray(); // [1, 0]
 * indices.toArray(); // [1, 0]
 * ```
 */
export function minWithIndices(x: Tensor, axis: number, keepdims = false): ValuesAndIndices {
  checkKeepdims('minWithIndices', keepdims);
  return minWithIndicesFn(x, axis, keepdims);
}
