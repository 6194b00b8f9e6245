import {
  add,
  type FusedActivation,
  fusedLinear,
  matmulTransposed,
  relu,
  reshape,
  ShapeError,
  type Tensor,
} from '@nablajs/core';
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
  return linearWith(x, weight, bias, 'none');
}

/**
 * {@link linear} followed by `activation`, one op where the dtypes allow it (core's `fusedLinear`:
 * float32 or float64, one dtype for all), else the unfused ops with the same result. `Sequential` uses it
 * for a `Linear` followed by a `ReLU`.
 *
 * @internal
 */
export function linearWith(
  x: Tensor,
  weight: Tensor,
  bias: Tensor | null | undefined,
  activation: FusedActivation,
): Tensor {
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
  const b = bias ?? null;
  if (b !== null) {
    checkFloating('linear', 'bias', b);
    if (b.ndim !== 1 || b.shape[0] !== outFeatures)
      throw new ShapeError(
        `linear: bias must have shape [${outFeatures}] to match weight shape ${describeShape(weight.shape)}, got ${describeShape(b.shape)}`,
      );
  }
  const fusable =
    inFeatures > 0 &&
    (x.dtype === 'float32' || x.dtype === 'float64') &&
    weight.dtype === x.dtype &&
    (b === null || b.dtype === x.dtype);
  if (fusable) {
    // One op over the rows: x·Wᵀ read transposed by the kernel (no copy of the weight forward, none of its
    // gradient backward), the bias and the activation applied to the product's own block.
    const rows = x.ndim === 2 ? x : reshape(x, [x.size / inFeatures, inFeatures]);
    const y = fusedLinear(rows, weight, b, { activation });
    return x.ndim === 2 ? y : reshape(y, [...x.shape.slice(0, -1), outFeatures]);
  }
  const y =
    x.ndim === 1
      ? reshape(matmulTransposed(reshape(x, [1, inFeatures]), weight, { transB: true }), [outFeatures])
      : matmulTransposed(x, weight, { transB: true });
  const z = b === null ? y : add(y, b);
  return activation === 'relu' ? relu(z) : z;
}
