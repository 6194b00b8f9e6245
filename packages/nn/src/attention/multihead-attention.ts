import {
  add,
  cat,
  checkOptions,
  DTypeError,
  type Generator,
  matmul,
  mean,
  optionNames,
  pad,
  permute,
  reshape,
  runOnHost,
  ShapeError,
  scaledDotProductAttentionWeights,
  slice,
  squeeze,
  Tensor,
  transpose,
  ValueError,
  where,
  zeros,
} from '@nablajs/core';
import { dropout } from '../functional/dropout';
import { linear } from '../functional/linear';
import { constant, xavierNormal, xavierUniform } from '../init';
import { Linear } from '../layers/linear';
import { checkFloatDType, checkInt, type FloatDType, formatShape, generatorOf } from '../layers/util';
import { Module } from '../module';
import { INIT_GENERATOR, type WithInitGenerator } from './internal';

/** Options of {@link MultiheadAttention}, with PyTorch 1.13's defaults. */
export interface MultiheadAttentionOptions {
  /** Dropout probability on the attention weights, in training mode only (default 0). */
  dropout?: number;
  /** Learn `in_proj_bias` and `out_proj.bias` (default true). */
  bias?: boolean;
  /** Learn `bias_k` and `bias_v`, appended to the keys and values as one extra position (default false). */
  addBiasKv?: boolean;
  /** Append a zero key and a zero value (after the projections) as one extra position (default false). */
  addZeroAttn?: boolean;
  /** The features of the keys (default `embedDim`). */
  kdim?: number;
  /** The features of the values (default `embedDim`). */
  vdim?: number;
  /** Inputs and output are `[batch, seq, feature]` instead of `[seq, batch, feature]` (default false). */
  batchFirst?: boolean;
  /** The parameters' dtype (default float32). */
  dtype?: FloatDType;
  /** The generator of the initial weights and of the dropout masks (default: core's global generator). */
  generator?: Generator;
}

/** Options of {@link MultiheadAttention.forward}, with PyTorch 1.13's defaults. */
export interface MultiheadAttentionForwardOptions {
  /**
   * Keys to ignore, `[batch, S]` (`[S]` for unbatched input), default none: an int32 tensor of 0/1 where
   * 1 (true) means "ignore this key", or a float tensor added to the scores.
   */
  keyPaddingMask?: Tensor | null;
  /** Return the attention weights too (default true); otherwise `weights` is null. */
  needWeights?: boolean;
  /**
   * A mask `[L, S]` or `[batch · numHeads, L, S]` (`[numHeads, L, S]` for unbatched input), default none:
   * an int32 tensor of 0/1 where 1 (true) means "may NOT attend" (PyTorch's MultiheadAttention
   * convention, the opposite of `scaledDotProductAttention`'s), or a float tensor added to the scores.
   */
  attnMask?: Tensor | null;
  /** Average the returned weights over the heads (default true); otherwise they are per head. */
  averageAttnWeights?: boolean;
  /**
   * Apply the causal mask (query `i` attends to keys `j <= i`) when `attnMask` is not given (default
   * false). With `attnMask` it is only a hint, as in PyTorch 2, and `attnMask` is used.
   */
  isCausal?: boolean;
}

/** What {@link MultiheadAttention.forward} returns. */
export interface MultiheadAttentionOutput {
  /** The attended values after the output projection, shaped like `query` (with `embedDim` features). */
  output: Tensor;
  /**
   * The attention weights after dropout: `[batch, L, S]` averaged over heads or `[batch, numHeads, L, S]`
   * (without the batch dimension for unbatched input); null unless `needWeights`.
   */
  weights: Tensor | null;
}

function isTensor(x: unknown): x is Tensor {
  return x instanceof Tensor;
}

const MHA_OPTIONS = optionNames<MultiheadAttentionOptions>({
  dropout: true,
  bias: true,
  addBiasKv: true,
  addZeroAttn: true,
  kdim: true,
  vdim: true,
  batchFirst: true,
  dtype: true,
  generator: true,
});
const MHA_FORWARD_OPTIONS = optionNames<MultiheadAttentionForwardOptions>({
  keyPaddingMask: true,
  needWeights: true,
  attnMask: true,
  averageAttnWeights: true,
  isCausal: true,
});

/**
 * Multi-head attention, like `torch.nn.MultiheadAttention` (PyTorch 1.13): project the queries, keys and
 * values, split them into `numHeads` heads of `embedDim / numHeads` features, attend in each head with
 * `softmax(Q Kᵀ / √headDim + mask) V`, concatenate the heads and project:
 * `MultiHead(Q, K, V) = Concat(head₁, …, head_h) W_O + b_O`, `headᵢ = Attention(Q W_Qᵢ, K W_Kᵢ, V W_Vᵢ)`.
 *
 * Inputs are `[L, N, E]` / `[S, N, kdim]` / `[S, N, vdim]` (`[N, L, E]`... with `batchFirst`), or 2-D
 * unbatched `[L, E]` / `[S, kdim]` / `[S, vdim]`. Parameters carry PyTorch's names, so a PyTorch state
 * dict loads one to one: `in_proj_weight` `[3E, E]` when `kdim == vdim == embedDim`, else
 * `q_proj_weight` `[E, E]`, `k_proj_weight` `[E, kdim]`, `v_proj_weight` `[E, vdim]`; `in_proj_bias`
 * `[3E]`; `out_proj.weight`, `out_proj.bias` (a {@link Linear}); `bias_k`, `bias_v` `[1, 1, E]`.
 * Initialised as PyTorch does: Xavier-uniform projection weights, zero `in_proj_bias` and
 * `out_proj.bias`, `out_proj.weight` as a Linear's, Xavier-normal `bias_k` and `bias_v`.
 *
 * Defaults: `dropout` 0, `bias` true, `addBiasKv` false, `addZeroAttn` false, `kdim = vdim = embedDim`,
 * `batchFirst` false, float32. A query whose every key is masked gets NaN, as in PyTorch.
 *
 * See https://pytorch.org/docs/1.13/generated/torch.nn.MultiheadAttention.html
 *
 * @example
 * ```ts
 * const mha = new MultiheadAttention(16, 4, { batchFirst: true });
 * const x = randn([2, 5, 16]);
 * const { output, weights } = mha.forward(x, x, x); // output [2, 5, 16], weights [2, 5, 5]
 * ```
 */
export class MultiheadAttention extends Module {
  /** The model dimension E (features of the queries and of the output). */
  readonly embedDim: number;
  /** The number of heads. */
  readonly numHeads: number;
  /** The features per head, `embedDim / numHeads`. */
  readonly headDim: number;
  /** The features of the keys. */
  readonly kdim: number;
  /** The features of the values. */
  readonly vdim: number;
  /** The dropout probability on the attention weights. */
  readonly dropout: number;
  /** Whether inputs are `[batch, seq, feature]`. */
  readonly batchFirst: boolean;
  /** Whether a zero key and value are appended. */
  readonly addZeroAttn: boolean;
  /** The packed projection `[3E, E]`, or null when `kdim` or `vdim` differ from `embedDim`. */
  readonly in_proj_weight: Tensor | null;
  /** The query projection `[E, E]` when the projections are separate, else null. */
  readonly q_proj_weight: Tensor | null;
  /** The key projection `[E, kdim]` when the projections are separate, else null. */
  readonly k_proj_weight: Tensor | null;
  /** The value projection `[E, vdim]` when the projections are separate, else null. */
  readonly v_proj_weight: Tensor | null;
  /** The packed projection bias `[3E]`, or null without bias. */
  readonly in_proj_bias: Tensor | null;
  /** The output projection. */
  readonly out_proj: Linear;
  /** The extra key `[1, 1, E]` with `addBiasKv`, else null. */
  readonly bias_k: Tensor | null;
  /** The extra value `[1, 1, E]` with `addBiasKv`, else null. */
  readonly bias_v: Tensor | null;
  private readonly generator: Generator | undefined;
  private readonly dtype: FloatDType;

  constructor(embedDim: number, numHeads: number, options: MultiheadAttentionOptions = {}) {
    super();
    const label = 'MultiheadAttention';
    checkOptions(label, options, MHA_OPTIONS);
    this.embedDim = checkInt(label, 'embedDim', embedDim, 1);
    this.numHeads = checkInt(label, 'numHeads', numHeads, 1);
    if (embedDim % numHeads !== 0)
      throw new ValueError(`${label}: embedDim ${embedDim} must be divisible by numHeads ${numHeads}`);
    this.headDim = embedDim / numHeads;
    const {
      dropout: p = 0,
      bias = true,
      addBiasKv = false,
      addZeroAttn = false,
      kdim,
      vdim,
      batchFirst = false,
    } = options;
    if (typeof p !== 'number' || !(p >= 0 && p <= 1))
      throw new ValueError(`${label}: dropout must be a number in [0, 1], got ${JSON.stringify(p)}`);
    for (const [name, flag] of [
      ['bias', bias],
      ['addBiasKv', addBiasKv],
      ['addZeroAttn', addZeroAttn],
      ['batchFirst', batchFirst],
    ] as const)
      if (typeof flag !== 'boolean')
        throw new ValueError(`${label}: ${name} must be a boolean, got ${JSON.stringify(flag)}`);
    this.kdim = kdim === undefined || kdim === null ? embedDim : checkInt(label, 'kdim', kdim, 1);
    this.vdim = vdim === undefined || vdim === null ? embedDim : checkInt(label, 'vdim', vdim, 1);
    this.dropout = p;
    this.batchFirst = batchFirst;
    this.addZeroAttn = addZeroAttn;
    const dtype = checkFloatDType(label, options.dtype);
    this.dtype = dtype;
    this.generator = options.generator;
    const generator = (options as WithInitGenerator)[INIT_GENERATOR] ?? generatorOf(options);
    const e = embedDim;
    if (this.kdim === e && this.vdim === e) {
      this.in_proj_weight = this.registerParameter('in_proj_weight', zeros([3 * e, e], { dtype }));
      this.q_proj_weight = this.k_proj_weight = this.v_proj_weight = null;
    } else {
      this.in_proj_weight = null;
      this.q_proj_weight = this.registerParameter('q_proj_weight', zeros([e, e], { dtype }));
      this.k_proj_weight = this.registerParameter('k_proj_weight', zeros([e, this.kdim], { dtype }));
      this.v_proj_weight = this.registerParameter('v_proj_weight', zeros([e, this.vdim], { dtype }));
    }
    this.in_proj_bias = this.registerParameter('in_proj_bias', bias ? zeros([3 * e], { dtype }) : null);
    this.out_proj = this.registerModule('out_proj', new Linear(e, e, { bias, dtype, generator }));
    if (addBiasKv) {
      this.bias_k = this.registerParameter('bias_k', zeros([1, 1, e], { dtype }));
      this.bias_v = this.registerParameter('bias_v', zeros([1, 1, e], { dtype }));
    } else this.bias_k = this.bias_v = null;
    // PyTorch's _reset_parameters, after out_proj was built.
    if (this.in_proj_weight !== null) xavierUniform(this.in_proj_weight, 1, { generator });
    else
      for (const w of [this.q_proj_weight, this.k_proj_weight, this.v_proj_weight])
        if (w !== null) xavierUniform(w, 1, { generator });
    if (this.in_proj_bias !== null) {
      constant(this.in_proj_bias, 0);
      if (this.out_proj.bias !== null) constant(this.out_proj.bias, 0);
    }
    if (this.bias_k !== null) xavierNormal(this.bias_k, 1, { generator });
    if (this.bias_v !== null) xavierNormal(this.bias_v, 1, { generator });
  }

  /**
   * Attend from `query` to `key`/`value` (see the class); returns `{ output, weights }`. An int32 mask
   * holding anything but 0 and 1 is a `ValueError`: at once on the cpu and wasm backends, and on the webgpu
   * backend, for a mask on the GPU, when a value is next awaited.
   *
   * @example
   * ```ts
   * const { output } = mha.forward(q, k, v, { keyPaddingMask: pad, needWeights: false });
   * ```
   */
  forward(
    query: Tensor,
    key: Tensor,
    value: Tensor,
    options: MultiheadAttentionForwardOptions = {},
  ): MultiheadAttentionOutput {
    const label = 'MultiheadAttention';
    if (options === null || typeof options !== 'object')
      throw new ValueError(`${label}: options must be an object, got ${options === null ? 'null' : typeof options}`);
    checkOptions(label, options, MHA_FORWARD_OPTIONS);
    const {
      keyPaddingMask = null,
      needWeights = true,
      attnMask = null,
      averageAttnWeights = true,
      isCausal = false,
    } = options;
    for (const [name, t] of [
      ['query', query],
      ['key', key],
      ['value', value],
    ] as const) {
      if (!isTensor(t))
        throw new ValueError(`${label}: ${name} must be a Tensor, got ${t === null ? 'null' : typeof t}`);
      if (t.dtype !== this.dtype)
        throw new DTypeError(`${label}: ${name} has dtype ${t.dtype} but the module's parameters are ${this.dtype}`);
    }
    for (const [name, flag] of [
      ['needWeights', needWeights],
      ['averageAttnWeights', averageAttnWeights],
      ['isCausal', isCausal],
    ] as const)
      if (typeof flag !== 'boolean')
        throw new ValueError(`${label}: ${name} must be a boolean, got ${JSON.stringify(flag)}`);
    if (query.ndim !== 2 && query.ndim !== 3)
      throw new ShapeError(
        `${label}: query must be 3-D (batched) or 2-D (unbatched), got shape ${formatShape(query.shape)}`,
      );
    const batched = query.ndim === 3;
    if (key.ndim !== query.ndim || value.ndim !== query.ndim)
      throw new ShapeError(
        `${label}: for a ${query.ndim}-D query, key and value must be ${query.ndim}-D too, got key ${formatShape(key.shape)} and value ${formatShape(value.shape)}`,
      );
    const last = (t: Tensor) => t.shape[t.ndim - 1];
    if (last(query) !== this.embedDim)
      throw new ShapeError(
        `${label}: query has embedDim ${last(query)} but the module was built with ${this.embedDim} (query shape ${formatShape(query.shape)})`,
      );
    if (last(key) !== this.kdim)
      throw new ShapeError(
        `${label}: key has ${last(key)} features but the module was built with kdim ${this.kdim} (key shape ${formatShape(key.shape)})`,
      );
    if (last(value) !== this.vdim)
      throw new ShapeError(
        `${label}: value has ${last(value)} features but the module was built with vdim ${this.vdim} (value shape ${formatShape(value.shape)})`,
      );
    // Sequence and batch sizes, whatever the layout.
    const seqAxis = batched && this.batchFirst ? 1 : 0;
    const batchAxis = batched ? (this.batchFirst ? 0 : 1) : -1;
    const l = query.shape[seqAxis];
    const s = key.shape[seqAxis];
    const n = batched ? query.shape[batchAxis] : 1;
    if (value.shape[seqAxis] !== s || (batched && value.shape[batchAxis] !== key.shape[batchAxis]))
      throw new ShapeError(
        `${label}: key and value must have the same sequence and batch sizes, got key ${formatShape(key.shape)} and value ${formatShape(value.shape)}`,
      );
    if (batched && key.shape[batchAxis] !== n)
      throw new ShapeError(
        `${label}: query and key must have the same batch size, got query ${formatShape(query.shape)} and key ${formatShape(key.shape)} (batchFirst ${this.batchFirst})`,
      );
    const h = this.numHeads;
    if (keyPaddingMask !== null) {
      const want = batched ? [n, s] : [s];
      this.checkMask('keyPaddingMask', keyPaddingMask, [want], query);
    }
    if (attnMask !== null) {
      const want3 = batched ? [n * h, l, s] : [h, l, s];
      this.checkMask('attnMask', attnMask, [[l, s], want3], query);
    }

    // Batch-first internally: [N, L, E].
    const toBatchFirst = (t: Tensor) =>
      !batched ? reshape(t, [1, ...t.shape]) : this.batchFirst ? t : transpose(t, 0, 1);
    const qIn = toBatchFirst(query);
    const kIn = toBatchFirst(key);
    const vIn = toBatchFirst(value);
    const e = this.embedDim;
    const bq = this.in_proj_bias === null ? null : slice(this.in_proj_bias, [[0, e]]);
    const bk = this.in_proj_bias === null ? null : slice(this.in_proj_bias, [[e, 2 * e]]);
    const bv = this.in_proj_bias === null ? null : slice(this.in_proj_bias, [[2 * e, 3 * e]]);
    let q: Tensor;
    let k: Tensor;
    let v: Tensor;
    if (this.in_proj_weight !== null) {
      const w = this.in_proj_weight;
      q = linear(qIn, slice(w, [[0, e]]), bq);
      k = linear(kIn, slice(w, [[e, 2 * e]]), bk);
      v = linear(vIn, slice(w, [[2 * e, 3 * e]]), bv);
    } else {
      q = linear(qIn, this.q_proj_weight as Tensor, bq);
      k = linear(kIn, this.k_proj_weight as Tensor, bk);
      v = linear(vIn, this.v_proj_weight as Tensor, bv);
    }
    let extra = 0;
    if (this.bias_k !== null && this.bias_v !== null) {
      k = cat([k, this.bias_k.expand([n, 1, e])], 1);
      v = cat([v, this.bias_v.expand([n, 1, e])], 1);
      extra++;
    }
    // [N, S, E] -> [N, H, S, D]
    const heads = (t: Tensor) => permute(reshape(t, [n, t.shape[1], h, this.headDim]), [0, 2, 1, 3]);
    const qh = heads(q);
    let kh = heads(k);
    let vh = heads(v);
    if (this.addZeroAttn) {
      const z = zeros([n, h, 1, this.headDim], { dtype: this.dtype });
      kh = cat([kh, z], 2);
      vh = cat([vh, z], 2);
      extra++;
    }
    const mask = this.mergedMask(attnMask, keyPaddingMask, isCausal, batched, n, l, s, extra);
    let w = scaledDotProductAttentionWeights(qh, kh, { attnMask: mask, scale: 1 / Math.sqrt(this.headDim) });
    if (this.training && this.dropout > 0) w = dropout(w, this.dropout, true, this.generator);
    const attended = reshape(permute(matmul(w, vh), [0, 2, 1, 3]), [n, l, e]);
    let output = this.out_proj.forward(attended);
    if (!batched) output = reshape(output, [l, e]);
    else if (!this.batchFirst) output = transpose(output, 0, 1);
    let weights: Tensor | null = null;
    if (needWeights) {
      weights = averageAttnWeights ? mean(w, 1) : w;
      if (!batched) weights = squeeze(weights, 0);
    }
    return { output, weights };
  }

  private checkMask(name: string, mask: unknown, shapes: number[][], query: Tensor): void {
    const label = 'MultiheadAttention';
    if (!isTensor(mask)) throw new ValueError(`${label}: ${name} must be a Tensor or null, got ${typeof mask}`);
    if (mask.dtype === 'int32') {
      // Checked where the values are (see runOnHost): on the webgpu backend, for a mask on the GPU, when a
      // value is next awaited.
      const m = mask._array;
      runOnHost([m], [], () => {
        for (let i = 0; i < m.length; i++)
          if (m[i] !== 0 && m[i] !== 1)
            throw new ValueError(
              `${label}: an int32 ${name} is a boolean mask and must hold only 0 and 1, got ${m[i]} at flat index ${i}`,
            );
      });
    } else if (mask.dtype !== query.dtype)
      throw new DTypeError(
        `${label}: ${name} must be a boolean mask (int32 of 0/1) or a float mask of the query's dtype ${query.dtype}, got ${mask.dtype}`,
      );
    const ok = shapes.some((want) => want.length === mask.ndim && want.every((d, i) => d === mask.shape[i]));
    if (!ok)
      throw new ShapeError(
        `${label}: ${name} has shape ${formatShape(mask.shape)} but should be ${shapes.map(formatShape).join(' or ')} (query ${formatShape(query.shape)}, batchFirst ${this.batchFirst})`,
      );
  }

  /** One additive float mask broadcastable to `[N, H, L, S + extra]`, or null. */
  private mergedMask(
    attnMask: Tensor | null,
    keyPaddingMask: Tensor | null,
    isCausal: boolean,
    batched: boolean,
    n: number,
    l: number,
    s: number,
    extra: number,
  ): Tensor | null {
    const dtype = this.dtype;
    const additive = (m: Tensor) => (m.dtype === 'int32' ? where(m, Number.NEGATIVE_INFINITY, 0).to(dtype) : m);
    let mask: Tensor | null = null;
    if (attnMask !== null) {
      const a = additive(attnMask);
      mask = a.ndim === 2 ? a : reshape(a, [batched ? n : 1, this.numHeads, l, s]);
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

  override extraRepr(): string {
    return `embedDim=${this.embedDim}, numHeads=${this.numHeads}, kdim=${this.kdim}, vdim=${this.vdim}, dropout=${this.dropout}, batchFirst=${this.batchFirst}`;
  }
}
