// The Transformer encoder: one encoder layer (self-attention, then a feed-forward block) and a stack of
// copies of one, like torch.nn.TransformerEncoderLayer and torch.nn.TransformerEncoder.
import { checkOptions, Generator, optionNames, type Tensor, ValueError } from '@nablajs/core';
import type { Dropout } from '../layers/dropout';
import type { LayerNorm } from '../layers/layer-norm';
import type { Linear } from '../layers/linear';
import { Module } from '../module';
import type { ModuleList } from '../module-list';
import { INIT_GENERATOR } from './internal';
import type { MultiheadAttention } from './multihead-attention';
import {
  buildLayer,
  checkSequence,
  feedForward,
  type ResolvedOptions,
  registerStack,
  residualBlocks,
  type TransformerActivation,
  type TransformerLayerOptions,
  type TransformerStackOptions,
} from './transformer-common';

/** Options of {@link TransformerEncoderLayer.forward}, as in PyTorch 1.13. */
export interface TransformerEncoderLayerForwardOptions {
  /** The self-attention mask (see {@link MultiheadAttention.forward}'s `attnMask`), default none. */
  srcMask?: Tensor | null;
  /** The keys to ignore per batch entry (see `keyPaddingMask`), default none. */
  srcKeyPaddingMask?: Tensor | null;
}

/** Options of {@link TransformerEncoder.forward}, as in PyTorch 1.13. */
export interface TransformerEncoderForwardOptions {
  /** The self-attention mask of every layer, default none. */
  mask?: Tensor | null;
  /** The keys to ignore per batch entry, default none. */
  srcKeyPaddingMask?: Tensor | null;
}

const ENCODER_LAYER_FORWARD_OPTIONS = optionNames<TransformerEncoderLayerForwardOptions>({
  srcMask: true,
  srcKeyPaddingMask: true,
});
const ENCODER_FORWARD_OPTIONS = optionNames<TransformerEncoderForwardOptions>({ mask: true, srcKeyPaddingMask: true });

/**
 * Options of {@link TransformerEncoder}: the stack's `norm`, and PyTorch 1.13's two performance flags, accepted
 * so that a port keeps its arguments. They change nothing here: nabla never turns a padded batch into a nested
 * tensor, so every position of the output is computed as on PyTorch's regular path (PyTorch's nested-tensor
 * path, taken in inference with a `srcKeyPaddingMask`, returns 0 at the padded positions instead).
 *
 * @example
 * ```ts
 * const options: TransformerEncoderOptions = { norm: new LayerNorm(16), enableNestedTensor: false };
 * ```
 */
export interface TransformerEncoderOptions extends TransformerStackOptions {
  /** PyTorch's `enable_nested_tensor` (default true there): accepted, without effect. */
  enableNestedTensor?: boolean;
  /** PyTorch's `mask_check` (default true there): accepted, without effect. */
  maskCheck?: boolean;
}

const ENCODER_OPTIONS = optionNames<TransformerEncoderOptions>({
  norm: true,
  enableNestedTensor: true,
  maskCheck: true,
});

/**
 * A Transformer encoder layer, like `torch.nn.TransformerEncoderLayer` (PyTorch 1.13): self-attention
 * then a feed-forward block, each with dropout and a residual connection, and layer norms after
 * (post-LN, the default) or before (`normFirst`) each block:
 * post-LN `x = norm1(x + SA(x)); x = norm2(x + FF(x))`; pre-LN `x = x + SA(norm1(x)); x = x + FF(norm2(x))`,
 * with `FF(x) = dropout2(linear2(dropout(activation(linear1(x)))))` and `SA(x) = dropout1(self_attn(x, x, x))`.
 *
 * Submodules carry PyTorch's names (`self_attn`, `linear1`, `dropout`, `linear2`, `norm1`, `norm2`,
 * `dropout1`, `dropout2`), so a PyTorch state dict loads one to one. Defaults: `dimFeedforward` 2048,
 * `dropout` 0.1, `activation` 'relu', `layerNormEps` 1e-5, `batchFirst` false, `normFirst` false.
 *
 * See https://pytorch.org/docs/1.13/generated/torch.nn.TransformerEncoderLayer.html
 *
 * @example
 * ```ts
 * const layer = new TransformerEncoderLayer(16, 4, { dimFeedforward: 32, batchFirst: true });
 * layer.eval().forward(randn([2, 5, 16])).shape; // [2, 5, 16]
 * ```
 */
export class TransformerEncoderLayer extends Module {
  /** The model dimension. */
  readonly dModel: number;
  /** The number of attention heads. */
  readonly nhead: number;
  /** Whether the layer norms come before the blocks. */
  readonly normFirst: boolean;
  /** The self-attention. */
  readonly self_attn: MultiheadAttention;
  /** The first feed-forward projection `dModel -> dimFeedforward`. */
  readonly linear1: Linear;
  /** The dropout inside the feed-forward block. */
  readonly dropout: Dropout;
  /** The second feed-forward projection `dimFeedforward -> dModel`. */
  readonly linear2: Linear;
  /** The norm of the self-attention block. */
  readonly norm1: LayerNorm;
  /** The norm of the feed-forward block. */
  readonly norm2: LayerNorm;
  /** The dropout after self-attention. */
  readonly dropout1: Dropout;
  /** The dropout after the feed-forward block. */
  readonly dropout2: Dropout;
  /** The feed-forward activation. */
  readonly activation: TransformerActivation;
  private readonly options: ResolvedOptions;

  constructor(dModel: number, nhead: number, options: TransformerLayerOptions = {}) {
    super();
    const parts = buildLayer(this, 'TransformerEncoderLayer', dModel, nhead, options, ['self_attn']);
    this.options = parts.o;
    this.dModel = dModel;
    this.nhead = nhead;
    this.normFirst = parts.o.normFirst;
    this.activation = parts.o.activation;
    [this.self_attn] = parts.attention;
    ({ linear1: this.linear1, dropout: this.dropout, linear2: this.linear2 } = parts);
    [this.norm1, this.norm2] = parts.norms;
    [this.dropout1, this.dropout2] = parts.dropouts;
  }

  /**
   * Run the layer on `src` (`[S, N, dModel]`, `[N, S, dModel]` with `batchFirst`, or `[S, dModel]`).
   *
   * @example
   * ```ts
   * layer.forward(src, { srcKeyPaddingMask: pad });
   * ```
   */
  forward(src: Tensor, options: TransformerEncoderLayerForwardOptions = {}): Tensor {
    checkSequence('TransformerEncoderLayer', 'src', src, this.dModel);
    checkOptions('TransformerEncoderLayer', options ?? undefined, ENCODER_LAYER_FORWARD_OPTIONS);
    const { srcMask = null, srcKeyPaddingMask = null } = options ?? {};
    const sa = (x: Tensor) =>
      this.dropout1.forward(
        this.self_attn.forward(x, x, x, { attnMask: srcMask, keyPaddingMask: srcKeyPaddingMask, needWeights: false })
          .output,
      );
    const ff = (x: Tensor) => this.dropout2.forward(feedForward(this, x));
    return residualBlocks(src, this.normFirst, [
      [this.norm1, sa],
      [this.norm2, ff],
    ]);
  }

  /**
   * A copy with the same options, parameter values and mode (PyTorch's `copy.deepcopy` of a layer),
   * sharing nothing but the dropout generator; the caller's random stream is not used.
   *
   * @example
   * ```ts
   * const twin = layer.copy(); // twin.stateDict() equals layer.stateDict(), in new tensors
   * ```
   */
  copy(): TransformerEncoderLayer {
    const layer = new TransformerEncoderLayer(this.dModel, this.nhead, {
      ...this.options,
      [INIT_GENERATOR]: new Generator(0),
    } as TransformerLayerOptions);
    layer.loadStateDict(this.stateDict());
    return layer.train(this.training);
  }

  override extraRepr(): string {
    return `dModel=${this.dModel}, nhead=${this.nhead}, normFirst=${this.normFirst}`;
  }
}

/**
 * A stack of `numLayers` copies of an encoder layer, like `torch.nn.TransformerEncoder` (PyTorch 1.13):
 * `x = layers.i(x)` for each layer in turn, then the optional `norm`. The copies are independent
 * (PyTorch's deep copies: they start equal to `encoderLayer`, which is not registered itself); state-dict
 * names are PyTorch's (`layers.0.self_attn.in_proj_weight`, ..., `norm.weight`). Default `norm`: none.
 *
 * See https://pytorch.org/docs/1.13/generated/torch.nn.TransformerEncoder.html
 *
 * @example
 * ```ts
 * const layer = new TransformerEncoderLayer(16, 4, { dimFeedforward: 32 });
 * const encoder = new TransformerEncoder(layer, 3, { norm: new LayerNorm(16) });
 * encoder.forward(randn([5, 2, 16])).shape; // [5, 2, 16]
 * ```
 */
export class TransformerEncoder extends Module {
  /** The layers, `layers.0` to `layers.{numLayers - 1}`. */
  readonly layers: ModuleList;
  /** The number of layers. */
  readonly numLayers: number;
  /** The final normalisation, or null. */
  readonly norm: Module | null;

  constructor(encoderLayer: TransformerEncoderLayer, numLayers: number, options: TransformerEncoderOptions = {}) {
    super();
    checkOptions('TransformerEncoder', options ?? undefined, ENCODER_OPTIONS);
    const { norm, enableNestedTensor, maskCheck } = options ?? {};
    for (const [name, flag] of [
      ['enableNestedTensor', enableNestedTensor],
      ['maskCheck', maskCheck],
    ] as const)
      if (flag !== undefined && typeof flag !== 'boolean')
        throw new ValueError(`TransformerEncoder: options.${name} must be a boolean, got ${String(flag)}`);
    const stack = registerStack(this, 'TransformerEncoder', encoderLayer, TransformerEncoderLayer, numLayers, { norm });
    this.numLayers = numLayers;
    this.layers = stack.layers;
    this.norm = stack.norm;
  }

  /**
   * Run every layer on `src` in turn, with the same masks, then `norm`.
   *
   * @example
   * ```ts
   * encoder.forward(src, { srcKeyPaddingMask: pad });
   * ```
   */
  forward(src: Tensor, options: TransformerEncoderForwardOptions = {}): Tensor {
    checkOptions('TransformerEncoder', options ?? undefined, ENCODER_FORWARD_OPTIONS);
    const { mask = null, srcKeyPaddingMask = null } = options ?? {};
    let x = src;
    for (const layer of this.layers)
      x = (layer as TransformerEncoderLayer).forward(x, { srcMask: mask, srcKeyPaddingMask });
    if (this.norm !== null) x = this.norm.forward(x) as Tensor;
    return x;
  }

  override extraRepr(): string {
    return `numLayers=${this.numLayers}`;
  }
}
