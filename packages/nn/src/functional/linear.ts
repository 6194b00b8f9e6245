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
 * leading dimensions, or `[in]`), `weight` is `[out, in]`, the optional `bias` is `[out]` (or, as
 * PyTorch broadcasts it, `[1]` or 0-d), and the result is `[..., out]`. A 1-D `weight` `[in]` gives
 * the result without its last dimension, `[...]`, and then `bias` must be 0-d (PyTorch 2's rule).
 *
 * See https://pytorch.org/docs/stable/generated/torch.nn.functional.linear.html
 *
 * @example
 * ```ts
 * const w = tensor([[1, 0], [0, 2], [1, 1]]); // 2 -> 3 features
 * linear(tensor([[3, 4]]), w, tensor([0, 0, 1])).toArray(); // [[3, 8, 8]]
 * linear(tensor([[3, 4], [1, 1]]), tensor([1, -1]), tensor(0.5)).toArray(); // [-0.5, 0.5]
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
  if (weight.ndim !== 1 && weight.ndim !== 2)
    throw new ShapeError(
      `linear: weight must be 2-D [outFeatures, inFeatures] or 1-D [inFeatures], got shape ${describeShape(weight.shape)}`,
    );
  const vector = weight.ndim === 1;
  const inFeatures = weight.shape[weight.ndim - 1];
  const outFeatures = vector ? 1 : weight.shape[0];
  if (x.ndim === 0 || x.shape[x.ndim - 1] !== inFeatures)
    throw new ShapeError(
      `linear: input has ${x.ndim === 0 ? 'no' : x.shape[x.ndim - 1]} features in its last dimension, expected ${inFeatures} (input shape ${describeShape(x.shape)}, weight shape ${describeShape(weight.shape)})`,
    );
  const b = bias ?? null;
  if (b !== null) {
    checkFloating('linear', 'bias', b);
    const ok = vector
      ? b.ndim === 0
      : b.ndim === 0 || (b.ndim === 1 && (b.shape[0] === outFeatures || b.shape[0] === 1));
    if (!ok)
      throw new ShapeError(
        `linear: bias must have shape ${vector ? '[] (0-d) with a 1-D weight' : `[${outFeatures}], [1] or [] to match weight shape ${describeShape(weight.shape)}`}, got ${describeShape(b.shape)}`,
      );
    if (vector || b.ndim === 0 || b.shape[0] !== outFeatures) {
      // A broadcast bias (or a 1-D weight): the product, then the bias added with broadcasting.
      const w = vector ? reshape(weight, [1, inFeatures]) : weight;
      const y = linearWith(x, w, null, 'none');
      const z = add(vector ? reshape(y, x.shape.slice(0, -1)) : y, b);
      return activation === 'relu' ? relu(z) : z;
    }
  } else if (vector) {
    const y = linearWith(x, reshape(weight, [1, inFeatures]), null, activation);
    return reshape(y, x.shape.slice(0, -1));
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
