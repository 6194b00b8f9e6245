import {
  allocate,
  DTypeError,
  IndexError,
  mul,
  registerOp,
  reshape,
  ShapeError,
  scatterAdd,
  Tensor,
  ValueError,
  zeros,
} from '@nablajs/core';
import { checkFloating, checkTensor, describeShape } from './check';

interface EmbeddingAttrs {
  /** The row whose gradient is zero (already made non-negative), or null. */
  readonly paddingIdx: number | null;
}

// Inputs [weight, indices]. The forward copies rows; the VJP scatter-adds the upstream rows back into
// zeros of the weight's shape (repeated indices accumulate), with the padding row's contributions masked
// out first. It is written with tensor ops, so it can be differentiated again.
const embeddingOp = registerOp<EmbeddingAttrs>({
  name: 'nn.embedding',
  forward: ([weight, indices]) => {
    const dim = weight.shape[1];
    const out = allocate(weight.dtype, indices.size * dim);
    for (let i = 0; i < indices.size; i++) {
      const row = indices.values[i] * dim;
      out.set(weight.values.subarray(row, row + dim), i * dim);
    }
    return new Tensor(out, [...indices.shape, dim], weight.dtype);
  },
  backward: (g, { inputs: [weight, indices], attrs: { paddingIdx } }) => {
    if (!weight.requiresGrad) return [null, null];
    const [num, dim] = weight.shape;
    const m = indices.size;
    let rows = reshape(g, [m, dim]);
    if (paddingIdx !== null) {
      const keep = allocate(g.dtype, m);
      for (let i = 0; i < m; i++) keep[i] = indices.values[i] === paddingIdx ? 0 : 1;
      rows = mul(rows, new Tensor(keep, [m, 1], g.dtype));
    }
    const index = new Int32Array(m * dim);
    for (let i = 0; i < m; i++) index.fill(indices.values[i], i * dim, (i + 1) * dim);
    const grad = scatterAdd(zeros([num, dim], { dtype: g.dtype }), 0, new Tensor(index, [m, dim], 'int32'), rows);
    return [grad, null];
  },
});

/**
 * Look up rows of an embedding table, like `torch.nn.functional.embedding`: for int32 `indices` of any
 * shape and `weight` of shape `[numEmbeddings, embeddingDim]`, the result has shape
 * `[...indices.shape, embeddingDim]` and holds `weight[indices[...]]`.
 *
 * Gradient: the upstream rows are added into the rows they came from, so repeated indices accumulate.
 * The row `paddingIdx` (negative counts from the end) is still returned by the forward pass, but gets
 * a zero gradient: PyTorch's convention, not the true derivative.
 *
 * See https://pytorch.org/docs/stable/generated/torch.nn.functional.embedding.html
 *
 * @example
 * ```ts
 * const weight = tensor([[0, 0], [1, 2], [3, 4]], { requiresGrad: true });
 * const out = embedding(tensor([[1, 2, 1]], { dtype: 'int32' }), weight, 0); // [[[1, 2], [3, 4], [1, 2]]]
 * out.sum().backward(); // weight.grad = [[0, 0], [2, 2], [1, 1]]
 * ```
 */
export function embedding(indices: Tensor, weight: Tensor, paddingIdx?: number | null): Tensor {
  const fn = 'embedding';
  checkTensor(fn, 'indices', indices);
  checkFloating(fn, 'weight', weight);
  if (weight.ndim !== 2)
    throw new ShapeError(
      `${fn}: weight must be 2-D [numEmbeddings, embeddingDim], got shape ${describeShape(weight.shape)}`,
    );
  if (indices.dtype !== 'int32') throw new DTypeError(`${fn}: indices must be an int32 tensor, got ${indices.dtype}`);
  const num = weight.shape[0];
  let padding: number | null = null;
  if (paddingIdx !== undefined && paddingIdx !== null) {
    if (!Number.isInteger(paddingIdx) || paddingIdx < -num || paddingIdx >= num)
      throw new ValueError(`${fn}: paddingIdx must be an integer in [${-num}, ${num}), got ${paddingIdx}`);
    padding = paddingIdx < 0 ? paddingIdx + num : paddingIdx;
  }
  for (let i = 0; i < indices.size; i++) {
    const v = indices.values[i];
    if (v < 0 || v >= num)
      throw new IndexError(`${fn}: index ${v} is out of range for ${num} embeddings (expected [0, ${num}))`);
  }
  return embeddingOp([weight, indices], { paddingIdx: padding });
}
