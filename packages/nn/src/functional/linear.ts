import { add, matmulTransposed, reshape, ShapeError, type Tensor } from '@nablajs/core';
import { checkFloating, describeShape } from './check';

/**
 * The affine map `y = x Wᵀ + b`, like `torch.nn.functional.linear`: `x` is `[..., in]` (any number of
 * leading dimensions, or `[in]`), `weight` is `[out, in]`, the optional `bias` is `[out]`, and the
 * result is `[..., out]`.
 *
 * See https://pytorch.org/docs/stable/generated/torch.nn.functional.linear.html
 *
 * @example
 * ```ts
 * const w = tensor([[1, 0], [0, 2], [1, 1]]); // 2 -> 3 features
 * linear(tensor([[3, 4]]), w, tensor([0, 0, 1])).toArray(); // [[3, 8, 8]]
 * ```
 */
export function linear(x: Tensor, weight: Tensor, bias?: Tensor | null): Tensor {
  checkFloating('linear', 'input', x);
  checkFloating('linear', 'weight', weight);
  if (weight.ndim !== 2)
    throw new ShapeError(
      `linear: weight must be 2-D [outFeatures, inFeatures], got shape ${describeShape(weight.shape)}`,
    );
  const [outFeatures, inFeatures] = weight.shape;
  if (x.ndim === 0 || x.shape[x.ndim - 1] !== inFeatures)
    throw new ShapeError(
      `linear: input has ${x.ndim === 0 ? 'no' : x.shape[x.ndim - 1]} features in its last dimension, expected ${inFeatures} (input shape ${describeShape(x.shape)}, weight shape ${describeShape(weight.shape)})`,
    );
  // x·Wᵀ read transposed by the kernel: no copy of the weight forward, none of its gradient backward.
  const y =
    x.ndim === 1
      ? reshape(matmulTransposed(reshape(x, [1, inFeatures]), weight, { transB: true }), [outFeatures])
      : matmulTransposed(x, weight, { transB: true });
  if (bias === undefined || bias === null) return y;
  checkFloating('linear', 'bias', bias);
  if (bias.ndim !== 1 || bias.shape[0] !== outFeatures)
    throw new ShapeError(
      `linear: bias must have shape [${outFeatures}] to match weight shape ${describeShape(weight.shape)}, got ${describeShape(bias.shape)}`,
    );
  return add(y, bias);
}
