import { checkOptions, type Generator, optionNames, type Tensor, ValueError, zeros } from '@nablajs/core';
import { constant, xavierNormal, xavierUniform } from '../init';
import { Linear } from '../layers/linear';
import { checkFloatDType, checkInt, type FloatDType, generatorOf } from '../layers/util';
import { Module } from '../module';
import { INIT_GENERATOR, type WithInitGenerator } from './internal';
import { checkForward } from './multihead-attention-checks';
import { attend } from './multihead-attention-core';

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
    const args = checkForward(this, this.dtype, query, key, value, options);
    return attend(this, this.dtype, this.generator, query, key, value, args);
  }

  override extraRepr(): string {
    return `embedDim=${this.embedDim}, numHeads=${this.numHeads}, kdim=${this.kdim}, vdim=${this.vdim}, dropout=${this.dropout}, batchFirst=${this.batchFirst}`;
  }
}
