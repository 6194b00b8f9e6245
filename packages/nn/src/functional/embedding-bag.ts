import {
  checkOptions,
  DTypeError,
  IndexError,
  indexSelect,
  optionNames,
  ShapeError,
  scatterAdd,
  scatterReduce,
  Tensor,
  tensor,
  ValueError,
  zeros,
} from '@nablajs/core';
import { checkFloating, describeShape } from './check';
import { checkMaxNorm, checkNormType, checkScaleGradByFreq, lookupRows, resolvePaddingIdx } from './embedding';

/** How {@link embeddingBag} reduces each bag: PyTorch's `mode`. */
export type EmbeddingBagMode = 'sum' | 'mean' | 'max';

/** Options of {@link embeddingBag}, with PyTorch's defaults. */
export interface EmbeddingBagOptions {
  /** The reduction of each bag (default `'mean'`). */
  mode?: EmbeddingBagMode;
  /** A weight per index, of `input`'s shape, that scales its row before the sum (mode `'sum'` only). */
  perSampleWeights?: Tensor | null;
  /** Indices equal to this row are left out of their bag (and of a mean's count); negative counts from the end. */
  paddingIdx?: number | null;
  /** Renormalise, in place and without gradient, each looked-up row whose norm exceeds this (default none). */
  maxNorm?: number | null;
  /** The order of the norm compared with `maxNorm` (default 2). */
  normType?: number;
  /** `offsets` has one more entry than there are bags: the end of the last bag (default false). */
  includeLastOffset?: boolean;
  /**
   * Divide the gradient of each looked-up row by how often its index occurs in `input` (default false; modes
   * `'sum'` and `'mean'`), like PyTorch's `scale_grad_by_freq`.
   */
  scaleGradByFreq?: boolean;
}

const EMBEDDING_BAG_OPTIONS = optionNames<EmbeddingBagOptions>({
  mode: true,
  perSampleWeights: true,
  paddingIdx: true,
  maxNorm: true,
  normType: true,
  includeLastOffset: true,
  scaleGradByFreq: true,
});

/** The bags of `input`: for each kept position, its index, its bag and its position in `input`. */
function bagsOf(
  fn: string,
  input: Tensor,
  offsets: Tensor | null,
  numEmbeddings: number,
  paddingIdx: number | null,
  includeLastOffset: boolean,
): { bags: number; index: Int32Array; bag: Int32Array; position: Int32Array; counts: Int32Array } {
  const values = input.values as Int32Array;
  let starts: number[];
  let ends: number[];
  if (input.ndim === 2) {
    if (offsets !== null) throw new ValueError(`${fn}: offsets must be null when input is 2-D (each row is a bag)`);
    const [rows, width] = input.shape;
    starts = Array.from({ length: rows }, (_, b) => b * width);
    ends = starts.map((s) => s + width);
  } else {
    if (offsets === null) throw new ValueError(`${fn}: offsets is required when input is 1-D`);
    if (!(offsets instanceof Tensor) || offsets.dtype !== 'int32' || offsets.ndim !== 1)
      throw new DTypeError(`${fn}: offsets must be a 1-D int32 tensor`);
    const o = Array.from(offsets.values as Int32Array);
    const n = values.length;
    if (o.length === 0 || (includeLastOffset && o.length < 2))
      throw new ValueError(`${fn}: offsets needs at least ${includeLastOffset ? 2 : 1} entries, got ${o.length}`);
    if (o[0] !== 0) throw new ValueError(`${fn}: offsets[0] must be 0, got ${o[0]}`);
    for (let i = 1; i < o.length; i++)
      if (o[i] < o[i - 1] || o[i] > n)
        throw new ValueError(
          `${fn}: offsets must be non-decreasing and at most the input's length ${n}, got ${o[i]} after ${o[i - 1]} (offsets[${i}])`,
        );
    starts = includeLastOffset ? o.slice(0, -1) : o;
    ends = starts.map((_, b) => (b + 1 < o.length ? o[b + 1] : n));
  }
  const bags = starts.length;
  const index: number[] = [];
  const bag: number[] = [];
  const position: number[] = [];
  const counts = new Int32Array(bags);
  for (let b = 0; b < bags; b++)
    for (let p = starts[b]; p < ends[b]; p++) {
      const v = values[p];
      if (!Number.isInteger(v) || v < 0 || v >= numEmbeddings)
        throw new IndexError(
          `${fn}: index ${v} is out of range for ${numEmbeddings} embeddings (expected [0, ${numEmbeddings}))`,
        );
      if (v === paddingIdx) continue;
      index.push(v);
      bag.push(b);
      position.push(p);
      counts[b]++;
    }
  return {
    bags,
    index: Int32Array.from(index),
    bag: Int32Array.from(bag),
    position: Int32Array.from(position),
    counts,
  };
}

/**
 * The sums, means or maxima of bags of embedding rows, like `torch.nn.functional.embedding_bag`, without
 * building the `[..., embeddingDim]` lookup first. `input` holds int32 row indices: a 2-D `[B, N]` tensor is
 * `B` bags of `N` indices; a 1-D tensor is cut into bags at `offsets` (int32, starting with 0; the last bag
 * runs to the end, or to the last offset with `includeLastOffset`). The result is `[B, embeddingDim]`; an
 * empty bag gives zeros. With `perSampleWeights` (mode `'sum'` only) each row is scaled by its index's weight
 * first; indices equal to `paddingIdx` are left out (of a mean's count too).
 *
 * Gradients flow to `weight` (each looked-up row, `paddingIdx`'s excluded) and to `perSampleWeights`; the
 * maximum's is shared between rows of equal value (PyTorch gives it to one of them: the same when, as usual,
 * they are copies of one row). With `scaleGradByFreq` each row's gradient is divided by its index's count in
 * `input`, as documented (PyTorch 1.13's CPU kernel divides some rows by another index's count when the counts
 * differ: PyTorch issue 190063); it is refused with mode `'max'`, which PyTorch refuses at the backward.
 *
 * See https://pytorch.org/docs/stable/generated/torch.nn.functional.embedding_bag.html
 *
 * @example
 * ```ts
 * const weight = tensor([[1, 1], [2, 0], [0, 3]]);
 * const bags = tensor([0, 1, 2, 2], { dtype: 'int32' });
 * embeddingBag(bags, weight, tensor([0, 2], { dtype: 'int32' }), { mode: 'sum' }).toArray(); // [[3, 1], [0, 6]]
 * embeddingBag(tensor([[0, 2], [1, 1]], { dtype: 'int32' }), weight).toArray(); // means: [[0.5, 2], [2, 0]]
 * ```
 */
export function embeddingBag(
  input: Tensor,
  weight: Tensor,
  offsets?: Tensor | null,
  options: EmbeddingBagOptions = {},
): Tensor {
  const fn = 'embeddingBag';
  checkOptions(fn, options, EMBEDDING_BAG_OPTIONS);
  if (!(input instanceof Tensor) || input.dtype !== 'int32')
    throw new DTypeError(`${fn}: input must be an int32 tensor of row indices`);
  if (input.ndim !== 1 && input.ndim !== 2)
    throw new ShapeError(
      `${fn}: input must be 1-D (with offsets) or 2-D (a bag per row), got shape ${describeShape(input.shape)}`,
    );
  checkFloating(fn, 'weight', weight);
  if (weight.ndim !== 2)
    throw new ShapeError(
      `${fn}: weight must be 2-D [numEmbeddings, embeddingDim], got shape ${describeShape(weight.shape)}`,
    );
  const mode = options.mode ?? 'mean';
  if (mode !== 'sum' && mode !== 'mean' && mode !== 'max')
    throw new ValueError(`${fn}: mode must be 'sum', 'mean' or 'max', got ${JSON.stringify(mode)}`);
  const [numEmbeddings, dim] = weight.shape;
  const paddingIdx = resolvePaddingIdx(fn, options.paddingIdx, numEmbeddings);
  const psw = options.perSampleWeights ?? null;
  if (psw !== null) {
    if (mode !== 'sum')
      throw new ValueError(
        `${fn}: perSampleWeights is only supported with mode 'sum' (as in PyTorch), got mode '${mode}'`,
      );
    checkFloating(fn, 'perSampleWeights', psw);
    if (psw.dtype !== weight.dtype)
      throw new DTypeError(`${fn}: perSampleWeights must have weight's dtype ${weight.dtype}, got ${psw.dtype}`);
    if (psw.shape.length !== input.shape.length || psw.shape.some((d, i) => d !== input.shape[i]))
      throw new ShapeError(
        `${fn}: perSampleWeights must have input's shape ${describeShape(input.shape)}, got ${describeShape(psw.shape)}`,
      );
  }
  const includeLastOffset = options.includeLastOffset ?? false;
  if (typeof includeLastOffset !== 'boolean')
    throw new ValueError(`${fn}: includeLastOffset must be a boolean, got ${JSON.stringify(includeLastOffset)}`);
  const maxNorm = checkMaxNorm(fn, options.maxNorm);
  const normType = checkNormType(fn, options.normType);
  const scaleGradByFreq = checkScaleGradByFreq(fn, options.scaleGradByFreq);
  if (scaleGradByFreq && mode === 'max')
    throw new ValueError(`${fn}: scaleGradByFreq is not supported with mode 'max' (PyTorch refuses it too)`);
  const b = bagsOf(fn, input, offsets ?? null, numEmbeddings, paddingIdx, includeLastOffset);
  const kept = b.index.length;
  const out = zeros([b.bags, dim], { dtype: weight.dtype });
  if (kept === 0) return out;
  let rows = lookupRows(
    tensor(b.index, { dtype: 'int32' }),
    weight,
    { maxNorm, normType, scaleGradByFreq },
    (v, n) => `${fn}: index ${v} is out of range for ${n} embeddings`,
  );
  if (psw !== null) {
    const picked = indexSelect(psw.reshape([psw.size]), 0, tensor(b.position, { dtype: 'int32' }));
    rows = rows.mul(picked.reshape([kept, 1]));
  }
  const target = new Int32Array(kept * dim);
  for (let k = 0; k < kept; k++) target.fill(b.bag[k], k * dim, (k + 1) * dim);
  const at = tensor(target, { dtype: 'int32' }).reshape([kept, dim]);
  if (mode === 'max') return scatterReduce(out, 0, at, rows, 'amax', { includeSelf: false });
  const sums = scatterAdd(out, 0, at, rows);
  if (mode === 'sum') return sums;
  const counts = Float64Array.from(b.counts, (c) => Math.max(c, 1));
  return sums.div(tensor(counts, { dtype: weight.dtype }).reshape([b.bags, 1]));
}
