import {
  allocate,
  cast,
  checkOptions,
  DTypeError,
  div,
  expand,
  IndexError,
  indexSelect,
  indexSelectKernel,
  mul,
  ne,
  ones,
  optionNames,
  registerOp,
  reshape,
  resolveKernel,
  runOnHost,
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
  /** Whether each looked-up row's gradient is divided by the number of times its index occurs. */
  readonly scaleGradByFreq: boolean;
}

// Inputs [weight, indices]. The forward copies rows; the VJP scatter-adds the upstream rows back into
// zeros of the weight's shape (repeated indices accumulate), with the padding row's contributions masked
// out first. It is written with tensor ops, so it can be differentiated again.
// The backward reads only the indices (and the weight's shape), so renormalising the weight in place
// between two lookups (maxNorm) leaves the earlier lookup's graph valid, as in PyTorch.
const embeddingOp = registerOp<EmbeddingAttrs>({
  name: 'nn.embedding',
  saves: { inputs: [1], output: false },
  forward: ([weight, indices]) => {
    const [num, dim] = weight.shape;
    const out = allocate(weight.dtype, indices.size * dim, false);
    // The rows through the backend's kernel (the weight may live on the GPU).
    resolveKernel('indexSelect', indexSelectKernel)(weight._array, 1, num, dim, indices._array as Int32Array, out);
    return new Tensor(out, [...indices.shape, dim], weight.dtype);
  },
  backward: (g, { inputs: [weight, indices], attrs: { paddingIdx, scaleGradByFreq } }) => {
    if (!weight.requiresGrad) return [null, null];
    const [num, dim] = weight.shape;
    const m = indices.size;
    let rows = reshape(g, [m, dim]);
    // The row mask and the scatter index are made with ops, so indices on the GPU stay there.
    const column = reshape(indices, [m, 1]);
    if (paddingIdx !== null) rows = mul(rows, cast(ne(column, paddingIdx), g.dtype));
    if (scaleGradByFreq) {
      // PyTorch's scale_grad_by_freq: each row times 1 / (how often its index occurs among all the indices).
      const flat = reshape(indices, [m]);
      const counts = scatterAdd(zeros([num], { dtype: g.dtype }), 0, flat, ones([m], { dtype: g.dtype }));
      rows = mul(rows, reshape(div(1, indexSelect(counts, 0, flat)), [m, 1]));
    }
    const grad = scatterAdd(zeros([num, dim], { dtype: g.dtype }), 0, expand(column, [m, dim]), rows);
    return [grad, null];
  },
});

/**
 * Options of `F.embedding` (PyTorch's keyword arguments of `F.embedding`).
 *
 * @example
 * ```ts
 * const options: EmbeddingFunctionOptions = { paddingIdx: 0, maxNorm: 1 };
 * ```
 */
export interface EmbeddingFunctionOptions {
  /** The row whose gradient is zero; negative counts from the end (default none). */
  paddingIdx?: number | null;
  /**
   * Renormalise, in place and without gradient, each looked-up row whose `normType`-norm exceeds this
   * before the lookup (default none).
   */
  maxNorm?: number | null;
  /** The order of the norm compared with `maxNorm` (default 2); a positive number or Infinity. */
  normType?: number;
  /**
   * Divide the gradient of each looked-up row by how often its index occurs in `indices` (default false),
   * like PyTorch's `scale_grad_by_freq`.
   */
  scaleGradByFreq?: boolean;
}

const EMBEDDING_FUNCTION_OPTIONS = optionNames<EmbeddingFunctionOptions>({
  paddingIdx: true,
  maxNorm: true,
  normType: true,
  scaleGradByFreq: true,
});

/** The `p`-norm of `w[start, start + n)`, computed in double precision. */
function rowNorm(w: ArrayLike<number>, start: number, n: number, p: number): number {
  let acc = 0;
  if (p === Number.POSITIVE_INFINITY) {
    for (let k = 0; k < n; k++) acc = Math.max(acc, Math.abs(w[start + k]));
    return acc;
  }
  if (p === 1) {
    for (let k = 0; k < n; k++) acc += Math.abs(w[start + k]);
    return acc;
  }
  if (p === 2) {
    for (let k = 0; k < n; k++) acc += w[start + k] * w[start + k];
    return Math.sqrt(acc);
  }
  for (let k = 0; k < n; k++) acc += Math.abs(w[start + k]) ** p;
  return acc ** (1 / p);
}

/**
 * PyTorch's `embedding_renorm_`: for every distinct row of `weight` named in `indices` whose `p`-norm
 * exceeds `maxNorm`, multiply the row by `maxNorm / (norm + 1e-7)`. Writes the weight's array (see `runOnHost`), then marks
 * the weight modified (always, as PyTorch's in-place op bumps the version even when no row changes), so
 * a graph that saved the weight before this call throws on backward.
 */
function renormRows(weight: Tensor, indices: Tensor, maxNorm: number, p: number): void {
  const dim = weight.shape[1];
  const w = weight._array;
  const idx = indices._array;
  const f32 = weight.dtype === 'float32';
  // In JavaScript, where the values are: on the webgpu backend, after the weight and indices are read back.
  runOnHost([idx], [w], () => {
    const rows = [...new Set(idx)].sort((a, b) => a - b);
    for (const r of rows) {
      const start = r * dim;
      const norm = f32 ? Math.fround(rowNorm(w, start, dim, p)) : rowNorm(w, start, dim, p);
      if (norm > maxNorm) {
        // NOTE: like PyTorch, the scale is computed in double and, for float32, applied as a float32.
        const scale = maxNorm / (norm + 1e-7);
        const s = f32 ? Math.fround(scale) : scale;
        for (let k = 0; k < dim; k++) w[start + k] *= s;
      }
    }
  });
  weight.markModified();
}

/**
 * Look up rows of an embedding table, like `torch.nn.functional.embedding`: for int32 `indices` of any
 * shape and `weight` of shape `[numEmbeddings, embeddingDim]`, the result has shape
 * `[...indices.shape, embeddingDim]` and holds `weight[indices[...]]`.
 *
 * Gradient: the upstream rows are added into the rows they came from, so repeated indices accumulate.
 * The row `paddingIdx` (negative counts from the end) is still returned by the forward pass, but gets
 * a zero gradient: PyTorch's convention, not the true derivative.
 *
 * With `maxNorm` (default none), each distinct looked-up row whose `normType`-norm (default 2) exceeds
 * `maxNorm` is first rescaled **in place**, without gradient, to `row · maxNorm / (‖row‖ + 1e-7)`
 * (PyTorch's `embedding_renorm_`); the weight is then marked modified, so a graph that saved the weight
 * earlier throws `SavedTensorModifiedError` on backward, as in PyTorch.
 *
 * The third argument is either `paddingIdx` or an options object `{ paddingIdx, maxNorm, normType }`.
 *
 * See https://pytorch.org/docs/1.13/generated/torch.nn.functional.embedding.html
 *
 * @example
 * ```ts
 * const weight = tensor([[0, 0], [1, 2], [3, 4]], { requiresGrad: true });
 * const out = embedding(tensor([[1, 2, 1]], { dtype: 'int32' }), weight, 0); // [[[1, 2], [3, 4], [1, 2]]]
 * out.sum().backward(); // weight.grad = [[0, 0], [2, 2], [1, 1]]
 * embedding(tensor([2], { dtype: 'int32' }), weight, { maxNorm: 1 }); // row 2 is now [0.6, 0.8] (almost)
 * ```
 */
export function embedding(
  indices: Tensor,
  weight: Tensor,
  paddingIdxOrOptions?: number | null | EmbeddingFunctionOptions,
): Tensor {
  const isOptions = typeof paddingIdxOrOptions === 'object' && paddingIdxOrOptions !== null;
  if (isOptions) checkOptions('embedding', paddingIdxOrOptions, EMBEDDING_FUNCTION_OPTIONS);
  const options: EmbeddingFunctionOptions = isOptions ? paddingIdxOrOptions : { paddingIdx: paddingIdxOrOptions };
  return lookupRows(
    indices,
    weight,
    options,
    (v, num) => `embedding: index ${v} is out of range for ${num} embeddings (expected [0, ${num}))`,
  );
}

/**
 * {@link embedding} with the message of its out-of-range error given by the caller (`Embedding.forward` names
 * the layer and the input's shape), so that the indices are checked once.
 *
 * @internal
 */
export function lookupRows(
  indices: Tensor,
  weight: Tensor,
  options: EmbeddingFunctionOptions,
  outOfRange: (index: number, numEmbeddings: number) => string,
): Tensor {
  const fn = 'embedding';
  const paddingIdx = options.paddingIdx;
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
  const maxNorm = checkMaxNorm(fn, options.maxNorm);
  const normType = checkNormType(fn, options.normType);
  const idx = indices._array;
  runOnHost([idx], [], () => {
    for (let i = 0; i < idx.length; i++) {
      const v = idx[i];
      if (v < 0 || v >= num) throw new IndexError(outOfRange(v, num));
    }
  });
  const scaleGradByFreq = checkScaleGradByFreq(fn, options.scaleGradByFreq);
  if (maxNorm !== null) renormRows(weight, indices, maxNorm, normType);
  return embeddingOp([weight, indices], { paddingIdx: padding, scaleGradByFreq });
}

/**
 * Check a `maxNorm` option: `null` when absent, else a number `>= 0` (Infinity never renormalises).
 *
 * @example
 * ```ts
 * checkMaxNorm('embedding', -1); // throws ValueError: embedding: maxNorm must be a number >= 0 or null, got -1
 * ```
 */
export function checkMaxNorm(fn: string, maxNorm: unknown): number | null {
  if (maxNorm === undefined || maxNorm === null) return null;
  if (typeof maxNorm !== 'number' || !(maxNorm >= 0))
    throw new ValueError(`${fn}: maxNorm must be a number >= 0 or null, got ${describeValue(maxNorm)}`);
  return maxNorm;
}

/**
 * Check a `normType` option (default 2): a positive number or Infinity.
 *
 * @example
 * ```ts
 * checkNormType('embedding', 0); // throws ValueError
 * ```
 */
export function checkNormType(fn: string, normType: unknown): number {
  const p = normType ?? 2;
  if (typeof p !== 'number' || !(p > 0))
    throw new ValueError(`${fn}: normType must be a positive number or Infinity, got ${describeValue(p)}`);
  return p;
}

function describeValue(v: unknown): string {
  return typeof v === 'number' ? String(v) : JSON.stringify(v);
}

/** A `paddingIdx` option as a row (negative counts from the end), or null; `label` names the layer in errors. */
export function resolvePaddingIdx(label: string, paddingIdx: number | null | undefined, num: number): number | null {
  if (paddingIdx === undefined || paddingIdx === null) return null;
  if (!Number.isInteger(paddingIdx) || paddingIdx < -num || paddingIdx >= num)
    throw new ValueError(`${label}: paddingIdx must be an integer in [${-num}, ${num}), got ${paddingIdx}`);
  return paddingIdx < 0 ? paddingIdx + num : paddingIdx;
}

/**
 * Check a `scaleGradByFreq` option (default false).
 *
 * @internal shared with the Embedding and EmbeddingBag layers
 *
 * @example
 * ```ts
 * checkScaleGradByFreq('embedding', undefined); // false
 * ```
 */
export function checkScaleGradByFreq(fn: string, value: unknown): boolean {
  if (value === undefined) return false;
  if (typeof value !== 'boolean')
    throw new ValueError(`${fn}: scaleGradByFreq must be a boolean, got ${describeValue(value)}`);
  return value;
}
