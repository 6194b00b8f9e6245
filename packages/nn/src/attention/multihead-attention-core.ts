// The computation of MultiheadAttention.forward on checked arguments: the input projections, the extra key
// and value positions (bias_k and bias_v, addZeroAttn), the split into heads, one additive mask, the
// attention weights (with dropout in training), and the output projection.
import {
  add,
  cat,
  type Generator,
  matmul,
  mean,
  pad,
  permute,
  reshape,
  scaledDotProductAttentionWeights,
  slice,
  squeeze,
  Tensor,
  transpose,
  where,
  zeros,
} from '@nablajs/core';
import { dropout } from '../functional/dropout';
import { linear } from '../functional/linear';
import type { FloatDType } from '../layers/util';
import type { MultiheadAttention, MultiheadAttentionOutput } from './multihead-attention';
import type { CheckedForward } from './multihead-attention-checks';

/**
 * Attend from `query` to `key`/`value` with the settings and parameters of `mha` (whose parameters have
 * dtype `dtype`; `generator` drives the dropout), on arguments `checkForward` passed.
 */
export function attend(
  mha: Pick<
    MultiheadAttention,
    | 'embedDim'
    | 'numHeads'
    | 'headDim'
    | 'dropout'
    | 'batchFirst'
    | 'addZeroAttn'
    | 'training'
    | 'in_proj_weight'
    | 'q_proj_weight'
    | 'k_proj_weight'
    | 'v_proj_weight'
    | 'in_proj_bias'
    | 'out_proj'
    | 'bias_k'
    | 'bias_v'
  >,
  dtype: FloatDType,
  generator: Generator | undefined,
  query: Tensor,
  key: Tensor,
  value: Tensor,
  args: CheckedForward,
): MultiheadAttentionOutput {
  const { keyPaddingMask, needWeights, attnMask, averageAttnWeights, isCausal, batched, n, l, s } = args;
  const h = mha.numHeads;
  // Batch-first internally: [N, L, E].
  const toBatchFirst = (t: Tensor) =>
    !batched ? reshape(t, [1, ...t.shape]) : mha.batchFirst ? t : transpose(t, 0, 1);
  const qIn = toBatchFirst(query);
  const kIn = toBatchFirst(key);
  const vIn = toBatchFirst(value);
  const e = mha.embedDim;
  const bq = mha.in_proj_bias === null ? null : slice(mha.in_proj_bias, [[0, e]]);
  const bk = mha.in_proj_bias === null ? null : slice(mha.in_proj_bias, [[e, 2 * e]]);
  const bv = mha.in_proj_bias === null ? null : slice(mha.in_proj_bias, [[2 * e, 3 * e]]);
  let q: Tensor;
  let k: Tensor;
  let v: Tensor;
  if (mha.in_proj_weight !== null) {
    const w = mha.in_proj_weight;
    q = linear(qIn, slice(w, [[0, e]]), bq);
    k = linear(kIn, slice(w, [[e, 2 * e]]), bk);
    v = linear(vIn, slice(w, [[2 * e, 3 * e]]), bv);
  } else {
    q = linear(qIn, mha.q_proj_weight as Tensor, bq);
    k = linear(kIn, mha.k_proj_weight as Tensor, bk);
    v = linear(vIn, mha.v_proj_weight as Tensor, bv);
  }
  let extra = 0;
  if (mha.bias_k !== null && mha.bias_v !== null) {
    k = cat([k, mha.bias_k.expand([n, 1, e])], 1);
    v = cat([v, mha.bias_v.expand([n, 1, e])], 1);
    extra++;
  }
  // [N, S, E] -> [N, H, S, D]
  const heads = (t: Tensor) => permute(reshape(t, [n, t.shape[1], h, mha.headDim]), [0, 2, 1, 3]);
  const qh = heads(q);
  let kh = heads(k);
  let vh = heads(v);
  if (mha.addZeroAttn) {
    const z = zeros([n, h, 1, mha.headDim], { dtype });
    kh = cat([kh, z], 2);
    vh = cat([vh, z], 2);
    extra++;
  }
  const mask = mergedMask(mha.numHeads, dtype, attnMask, keyPaddingMask, isCausal, batched, n, l, s, extra);
  let w = scaledDotProductAttentionWeights(qh, kh, { attnMask: mask, scale: 1 / Math.sqrt(mha.headDim) });
  if (mha.training && mha.dropout > 0) w = dropout(w, mha.dropout, true, generator);
  const attended = reshape(permute(matmul(w, vh), [0, 2, 1, 3]), [n, l, e]);
  let output = mha.out_proj.forward(attended);
  if (!batched) output = reshape(output, [l, e]);
  else if (!mha.batchFirst) output = transpose(output, 0, 1);
  let weights: Tensor | null = null;
  if (needWeights) {
    weights = averageAttnWeights ? mean(w, 1) : w;
    if (!batched) weights = squeeze(weights, 0);
  }
  return { output, weights };
}

/** One additive float mask broadcastable to `[N, H, L, S + extra]`, or null. */
function mergedMask(
  numHeads: number,
  dtype: FloatDType,
  attnMask: Tensor | null,
  keyPaddingMask: Tensor | null,
  isCausal: boolean,
  batched: boolean,
  n: number,
  l: number,
  s: number,
  extra: number,
): Tensor | null {
  const additive = (m: Tensor) => (m.dtype === 'int32' ? where(m, Number.NEGATIVE_INFINITY, 0).to(dtype) : m);
  let mask: Tensor | null = null;
  if (attnMask !== null) {
    const a = additive(attnMask);
    mask = a.ndim === 2 ? a : reshape(a, [batched ? n : 1, numHeads, l, s]);
  } else if (isCausal) {
    const tri = new (dtype === 'float64' ? Float64Array : Float32Array)(l * s);
    for (let i = 0; i < l; i++) for (let j = i + 1; j < s; j++) tri[i * s + j] = Number.NEGATIVE_INFINITY;
    mask = new Tensor(tri, [l, s], dtype);
  }
  if (keyPaddingMask !== null) {
    const kpm = reshape(additive(keyPaddingMask), [n, 1, 1, s]);
    mask = mask === null ? kpm : add(mask, kpm);
  }
  if (mask !== null && extra > 0) mask = pad(mask, [0, extra]);
  return mask;
}
