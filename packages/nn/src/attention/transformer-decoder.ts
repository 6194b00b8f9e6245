// The Transformer decoder: one decoder layer (self-attention, cross-attention to the encoder's output, then
// a feed-forward block) and a stack of copies of one, like torch.nn.TransformerDecoderLayer and
// torch.nn.TransformerDecoder.
import { checkOptions, Generator, optionNames, ShapeError, type Tensor } from '@nablajs/core';
import type { Dropout } from '../layers/dropout';
import type { LayerNorm } from '../layers/layer-norm';
import type { Linear } from '../layers/linear';
import { formatShape } from '../layers/util';
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

/** Options of {@link TransformerDecoderLayer.forward} and {@link TransformerDecoder.forward}, as in PyTorch 1.13. */
export interface TransformerDecoderLayerForwardOptions {
  /** The self-attention mask over the target, default none (e.g. a causal mask). */
  tgtMask?: Tensor | null;
  /** The cross-attention mask from target to memory, default none. */
  memoryMask?: Tensor | null;
  /** The target positions to ignore per batch entry, default none. */
  tgtKeyPaddingMask?: Tensor | null;
  /** The memory positions to ignore per batch entry, default none. */
  memoryKeyPaddingMask?: Tensor | null;
}

const DECODER_FORWARD_OPTIONS = optionNames<TransformerDecoderLayerForwardOptions>({
  tgtMask: true,
  memoryMask: true,
  tgtKeyPaddingMask: true,
  memoryKeyPaddingMask: true,
});

/**
 * A Transformer decoder layer, like `torch.nn.TransformerDecoderLayer` (PyTorch 1.13): self-attention over
 * the target, cross-attention to the encoder's output (`memory`), then a feed-forward block, each with
 * dropout and a residual connection, and layer norms after (post-LN, the default) or before
 * (`normFirst`) each block: post-LN `x = norm1(x + SA(x)); x = norm2(x + MHA(x, mem)); x = norm3(x + FF(x))`;
 * pre-LN `x = x + SA(norm1(x)); x = x + MHA(norm2(x), mem); x = x + FF(norm3(x))`.
 *
 * Submodules carry PyTorch's names (`self_attn`, `multihead_attn`, `linear1`, `dropout`, `linear2`,
 * `norm1`, `norm2`, `norm3`, `dropout1`, `dropout2`, `dropout3`). Defaults as for
 * {@link TransformerEncoderLayer}: `dimFeedforward` 2048, `dropout` 0.1, `activation` 'relu',
 * `layerNormEps` 1e-5, `batchFirst` false, `normFirst` false.
 *
 * See https://pytorch.org/docs/1.13/generated/torch.nn.TransformerDecoderLayer.html
 *
 * @example
 * ```ts
 * const layer = new TransformerDecoderLayer(16, 4, { dimFeedforward: 32 });
 * const out = layer.eval().forward(randn([7, 2, 16]), randn([5, 2, 16])); // [7, 2, 16]
 * ```
 */
export class TransformerDecoderLayer extends Module {
  /** The model dimension. */
  readonly dModel: number;
  /** The number of attention heads. */
  readonly nhead: number;
  /** Whether the layer norms come before the blocks. */
  readonly normFirst: boolean;
  /** The self-attention over the target. */
  readonly self_attn: MultiheadAttention;
  /** The cross-attention from the target to the memory. */
  readonly multihead_attn: MultiheadAttention;
  /** The first feed-forward projection `dModel -> dimFeedforward`. */
  readonly linear1: Linear;
  /** The dropout inside the feed-forward block. */
  readonly dropout: Dropout;
  /** The second feed-forward projection `dimFeedforward -> dModel`. */
  readonly linear2: Linear;
  /** The norm of the self-attention block. */
  readonly norm1: LayerNorm;
  /** The norm of the cross-attention block. */
  readonly norm2: LayerNorm;
  /** The norm of the feed-forward block. */
  readonly norm3: LayerNorm;
  /** The dropout after self-attention. */
  readonly dropout1: Dropout;
  /** The dropout after cross-attention. */
  readonly dropout2: Dropout;
  /** The dropout after the feed-forward block. */
  readonly dropout3: Dropout;
  /** The feed-forward activation. */
  readonly activation: TransformerActivation;
  private readonly options: ResolvedOptions;

  constructor(dModel: number, nhead: number, options: TransformerLayerOptions = {}) {
    super();
    const parts = buildLayer(this, 'TransformerDecoderLayer', dModel, nhead, options, ['self_attn', 'multihead_attn']);
    this.options = parts.o;
    this.dModel = dModel;
    this.nhead = nhead;
    this.normFirst = parts.o.normFirst;
    this.activation = parts.o.activation;
    [this.self_attn, this.multihead_attn] = parts.attention;
    ({ linear1: this.linear1, dropout: this.dropout, linear2: this.linear2 } = parts);
    [this.norm1, this.norm2, this.norm3] = parts.norms;
    [this.dropout1, this.dropout2, this.dropout3] = parts.dropouts;
  }

  /**
   * Run the layer on the target `tgt` attending to `memory` (both `[seq, N, dModel]`, `[N, seq, dModel]`
   * with `batchFirst`, or unbatched `[seq, dModel]`).
   *
   * @example
   * ```ts
   * layer.forward(tgt, memory, { tgtMask: causal });
   * ```
   */
  forward(tgt: Tensor, memory: Tensor, options: TransformerDecoderLayerForwardOptions = {}): Tensor {
    const label = 'TransformerDecoderLayer';
    checkSequence(label, 'tgt', tgt, this.dModel);
    checkSequence(label, 'memory', memory, this.dModel);
    if (memory.ndim !== tgt.ndim)
      throw new ShapeError(
        `${label}: tgt and memory must both be batched (3-D) or both unbatched (2-D), got tgt ${formatShape(tgt.shape)} and memory ${formatShape(memory.shape)}`,
      );
    checkOptions(label, options ?? undefined, DECODER_FORWARD_OPTIONS);
    const { tgtMask = null, memoryMask = null, tgtKeyPaddingMask = null, memoryKeyPaddingMask = null } = options ?? {};
    const sa = (x: Tensor) =>
      this.dropout1.forward(
        this.self_attn.forward(x, x, x, { attnMask: tgtMask, keyPaddingMask: tgtKeyPaddingMask, needWeights: false })
          .output,
      );
    const mha = (x: Tensor) =>
      this.dropout2.forward(
        this.multihead_attn.forward(x, memory, memory, {
          attnMask: memoryMask,
          keyPaddingMask: memoryKeyPaddingMask,
          needWeights: false,
        }).output,
      );
    const ff = (x: Tensor) => this.dropout3.forward(feedForward(this, x));
    return residualBlocks(tgt, this.normFirst, [
      [this.norm1, sa],
      [this.norm2, mha],
      [this.norm3, ff],
    ]);
  }

  /**
   * A copy with the same options, parameter values and mode (PyTorch's `copy.deepcopy` of a layer),
   * sharing nothing but the dropout generator; the caller's random stream is not used.
   *
   * @example
   * ```ts
   * const twin = layer.copy();
   * ```
   */
  copy(): TransformerDecoderLayer {
    const layer = new TransformerDecoderLayer(this.dModel, this.nhead, {
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
 * A stack of `numLayers` copies of a decoder layer, like `torch.nn.TransformerDecoder` (PyTorch 1.13):
 * `x = layers.i(x, memory)` for each layer in turn, then the optional `norm`; copies and state-dict names
 * as for {@link TransformerEncoder}. Default `norm`: none.
 *
 * See https://pytorch.org/docs/1.13/generated/torch.nn.TransformerDecoder.html
 *
 * @example
 * ```ts
 * const decoder = new TransformerDecoder(new TransformerDecoderLayer(16, 4, { dimFeedforward: 32 }), 2);
 * decoder.forward(randn([7, 2, 16]), randn([5, 2, 16])).shape; // [7, 2, 16]
 * ```
 */
export class TransformerDecoder extends Module {
  /** The layers, `layers.0` to `layers.{numLayers - 1}`. */
  readonly layers: ModuleList;
  /** The number of layers. */
  readonly numLayers: number;
  /** The final normalisation, or null. */
  readonly norm: Module | null;

  constructor(decoderLayer: TransformerDecoderLayer, numLayers: number, options: TransformerStackOptions = {}) {
    super();
    const stack = registerStack(this, 'TransformerDecoder', decoderLayer, TransformerDecoderLayer, numLayers, options);
    this.numLayers = numLayers;
    this.layers = stack.layers;
    this.norm = stack.norm;
  }

  /**
   * Run every layer on `tgt` and `memory` in turn, with the same masks, then `norm`.
   *
   * @example
   * ```ts
   * decoder.forward(tgt, memory, { tgtMask: causal });
   * ```
   */
  forward(tgt: Tensor, memory: Tensor, options: TransformerDecoderLayerForwardOptions = {}): Tensor {
    checkOptions('TransformerDecoder', options ?? undefined, DECODER_FORWARD_OPTIONS);
    let x = tgt;
    for (const layer of this.layers) x = (layer as TransformerDecoderLayer).forward(x, memory, options);
    if (this.norm !== null) x = this.norm.forward(x) as Tensor;
    return x;
  }

  override extraRepr(): string {
    return `numLayers=${this.numLayers}`;
  }
}
