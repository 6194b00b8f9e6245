// The whole encoder-decoder Transformer, like torch.nn.Transformer (PyTorch 1.13): an encoder stack and a
// decoder stack, each with a final layer norm, and every matrix re-initialised with Xavier uniform values.
import { checkOptions, type DType, full, optionNames, ShapeError, type Tensor, triu, ValueError } from '@nablajs/core';
import { xavierUniform } from '../init-xavier-kaiming';
import { LayerNorm } from '../layers/layer-norm';
import { checkInt, generatorOf } from '../layers/util';
import { Module } from '../module';
import { checkSequence, LAYER_OPTIONS, type TransformerLayerOptions } from './transformer-common';
import {
  TransformerDecoder,
  TransformerDecoderLayer,
  type TransformerDecoderLayerForwardOptions,
} from './transformer-decoder';
import { TransformerEncoder, TransformerEncoderLayer } from './transformer-encoder';

/** Options of {@link Transformer}: the layers' options, the stacks' depths and optional stacks of your own. */
export interface TransformerOptions extends TransformerLayerOptions {
  /** Encoder layers (default 6). */
  numEncoderLayers?: number;
  /** Decoder layers (default 6). */
  numDecoderLayers?: number;
  /**
   * An encoder to use instead of the built one: a module whose `forward(src, { mask, srcKeyPaddingMask })`
   * returns the memory (default none).
   */
  customEncoder?: Module | null;
  /**
   * A decoder to use instead of the built one: a module whose `forward(tgt, memory, { tgtMask, memoryMask,
   * tgtKeyPaddingMask, memoryKeyPaddingMask })` returns the output (default none).
   */
  customDecoder?: Module | null;
}

const TRANSFORMER_OPTIONS = [
  ...LAYER_OPTIONS,
  ...optionNames<Omit<TransformerOptions, keyof TransformerLayerOptions>>({
    numEncoderLayers: true,
    numDecoderLayers: true,
    customEncoder: true,
    customDecoder: true,
  }),
];

/** Options of {@link Transformer.forward}: the masks of PyTorch 1.13's `nn.Transformer.forward`, all optional. */
export interface TransformerForwardOptions extends TransformerDecoderLayerForwardOptions {
  /** The encoder's self-attention mask over the source. */
  srcMask?: Tensor | null;
  /** The source positions to ignore per batch entry, in the encoder. */
  srcKeyPaddingMask?: Tensor | null;
}

const FORWARD_OPTIONS = optionNames<TransformerForwardOptions>({
  srcMask: true,
  tgtMask: true,
  memoryMask: true,
  srcKeyPaddingMask: true,
  tgtKeyPaddingMask: true,
  memoryKeyPaddingMask: true,
});

/** What {@link Transformer} needs of a custom encoder or decoder: a forward of its arguments. */
type Stack = Module & { forward(...args: unknown[]): unknown };

/**
 * The encoder-decoder Transformer of "Attention Is All You Need", like `torch.nn.Transformer` (PyTorch
 * 1.13): `encoder` is a {@link TransformerEncoder} of `numEncoderLayers` {@link TransformerEncoderLayer}s
 * and a final {@link LayerNorm}, `decoder` a {@link TransformerDecoder} of `numDecoderLayers`
 * {@link TransformerDecoderLayer}s and a final LayerNorm; `forward(src, tgt)` encodes `src` into a memory
 * and decodes `tgt` against it. There is no embedding, positional encoding or output projection: add them
 * around it, as in PyTorch.
 *
 * Defaults as in PyTorch: `dModel` 512, `nhead` 8, 6 encoder and 6 decoder layers, `dimFeedforward` 2048,
 * `dropout` 0.1, `activation` 'relu', `layerNormEps` 1e-5, `batchFirst` false, `normFirst` false. As in
 * PyTorch, once built, every parameter of more than one dim (the attention and feed-forward matrices, also
 * those of a custom encoder or decoder) is re-drawn from {@link xavierUniform}; the layers are copies of one
 * layer before that, and the biases and norms keep their initial values. The state dict has PyTorch's names
 * (`encoder.layers.0.self_attn.in_proj_weight`, ..., `decoder.norm.bias`), so a PyTorch model's weights load.
 *
 * See https://pytorch.org/docs/1.13/generated/torch.nn.Transformer.html
 *
 * @example
 * ```ts
 * const model = new Transformer(16, 4, { numEncoderLayers: 2, numDecoderLayers: 2, dimFeedforward: 32 });
 * const src = randn([10, 3, 16]); // [source length, batch, dModel]
 * const tgt = randn([7, 3, 16]); // [target length, batch, dModel]
 * const out = model.forward(src, tgt, { tgtMask: Transformer.generateSquareSubsequentMask(7) }); // [7, 3, 16]
 * ```
 */
export class Transformer extends Module {
  /** The encoder stack (or the custom encoder). */
  readonly encoder: Module;
  /** The decoder stack (or the custom decoder). */
  readonly decoder: Module;
  /** The number of features of the inputs and output. */
  readonly dModel: number;
  /** The number of attention heads. */
  readonly nhead: number;
  /** Whether inputs and output are `[batch, seq, feature]`. */
  readonly batchFirst: boolean;

  constructor(dModel = 512, nhead = 8, options: TransformerOptions = {}) {
    super();
    if (options === null || typeof options !== 'object')
      throw new ValueError(`Transformer: options must be an object, got ${options === null ? 'null' : typeof options}`);
    checkOptions('Transformer', options, TRANSFORMER_OPTIONS);
    const {
      numEncoderLayers = 6,
      numDecoderLayers = 6,
      customEncoder = null,
      customDecoder = null,
      ...layerOptions
    } = options;
    checkInt('Transformer', 'numEncoderLayers', numEncoderLayers, 1);
    checkInt('Transformer', 'numDecoderLayers', numDecoderLayers, 1);
    for (const [name, custom] of [
      ['customEncoder', customEncoder],
      ['customDecoder', customDecoder],
    ] as const)
      if (custom !== null && !(custom instanceof Module))
        throw new ValueError(`Transformer: ${name} must be a Module or null, got ${typeof custom}`);
    const norm = () => new LayerNorm(dModel, { eps: layerOptions.layerNormEps ?? 1e-5, dtype: layerOptions.dtype });
    // the layers check dModel, nhead and the layer options (with messages that name them)
    this.encoder = this.registerModule(
      'encoder',
      customEncoder ??
        new TransformerEncoder(new TransformerEncoderLayer(dModel, nhead, layerOptions), numEncoderLayers, {
          norm: norm(),
        }),
    );
    this.decoder = this.registerModule(
      'decoder',
      customDecoder ??
        new TransformerDecoder(new TransformerDecoderLayer(dModel, nhead, layerOptions), numDecoderLayers, {
          norm: norm(),
        }),
    );
    this.dModel = dModel;
    this.nhead = nhead;
    this.batchFirst = layerOptions.batchFirst ?? false;
    const generator = generatorOf(layerOptions);
    for (const p of this.parameters()) if (p.ndim > 1) xavierUniform(p, 1, { generator });
  }

  /**
   * Encode `src` and decode `tgt` against the result: `[tgtLength, batch, dModel]` (`[batch, tgtLength,
   * dModel]` with `batchFirst`; `[tgtLength, dModel]` for unbatched inputs). `src` is `[srcLength, batch,
   * dModel]` (or batch first, or unbatched), `tgt` likewise with the same batch. The masks go where
   * PyTorch's go: `srcMask` and `srcKeyPaddingMask` to the encoder, the others to the decoder
   * (`memoryKeyPaddingMask` usually equals `srcKeyPaddingMask`).
   *
   * @example
   * ```ts
   * const out = model.forward(src, tgt, {
   *   tgtMask: Transformer.generateSquareSubsequentMask(tgt.shape[0]),
   *   srcKeyPaddingMask: padding, // [batch, srcLength], 1 where a position is padding
   *   memoryKeyPaddingMask: padding,
   * });
   * ```
   */
  forward(src: Tensor, tgt: Tensor, options: TransformerForwardOptions = {}): Tensor {
    checkOptions('Transformer.forward', options ?? undefined, FORWARD_OPTIONS);
    checkSequence('Transformer.forward', 'src', src, this.dModel);
    checkSequence('Transformer.forward', 'tgt', tgt, this.dModel);
    if (src.ndim !== tgt.ndim)
      throw new ShapeError(
        `Transformer.forward: src and tgt must both be batched (3 dims) or both unbatched (2 dims), got shapes [${src.shape.join(', ')}] and [${tgt.shape.join(', ')}]`,
      );
    const batchAxis = this.batchFirst ? 0 : 1;
    if (src.ndim === 3 && src.shape[batchAxis] !== tgt.shape[batchAxis])
      throw new ShapeError(
        `Transformer.forward: src and tgt must have the same batch size (axis ${batchAxis}${this.batchFirst ? ', batchFirst' : ''}), got ${src.shape[batchAxis]} and ${tgt.shape[batchAxis]}`,
      );
    const {
      srcMask = null,
      srcKeyPaddingMask = null,
      tgtMask = null,
      memoryMask = null,
      tgtKeyPaddingMask = null,
      memoryKeyPaddingMask = null,
    } = options ?? {};
    const memory = (this.encoder as Stack).forward(src, { mask: srcMask, srcKeyPaddingMask }) as Tensor;
    return (this.decoder as Stack).forward(tgt, memory, {
      tgtMask,
      memoryMask,
      tgtKeyPaddingMask,
      memoryKeyPaddingMask,
    }) as Tensor;
  }

  /**
   * The causal mask of a sequence of `size` positions, like `nn.Transformer.generate_square_subsequent_mask`:
   * a `[size, size]` float mask of `-Infinity` above the diagonal (a position may not attend to later ones)
   * and 0 on and below it, to add to the attention scores (`tgtMask`, `srcMask`).
   *
   * @example
   * ```ts
   * Transformer.generateSquareSubsequentMask(3).toArray(); // [[0, -Infinity, -Infinity], [0, 0, -Infinity], [0, 0, 0]]
   * ```
   */
  static generateSquareSubsequentMask(size: number, options: { dtype?: DType } = {}): Tensor {
    checkInt('Transformer.generateSquareSubsequentMask', 'size', size, 0);
    checkOptions('Transformer.generateSquareSubsequentMask', options, optionNames<{ dtype?: DType }>({ dtype: true }));
    const dtype = options.dtype ?? 'float32';
    if (dtype !== 'float32' && dtype !== 'float64')
      throw new ValueError(
        `Transformer.generateSquareSubsequentMask: dtype must be float32 or float64, got ${JSON.stringify(dtype)}`,
      );
    return triu(full([size, size], Number.NEGATIVE_INFINITY, { dtype }), 1);
  }

  override extraRepr(): string {
    return `dModel=${this.dModel}, nhead=${this.nhead}${this.batchFirst ? ', batchFirst=true' : ''}`;
  }
}
