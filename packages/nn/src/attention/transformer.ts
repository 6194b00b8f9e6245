import { checkOptions, Generator, gelu, optionNames, relu, ShapeError, Tensor, ValueError } from '@nablajs/core';
import { Dropout } from '../layers/dropout';
import { LayerNorm } from '../layers/layer-norm';
import { Linear } from '../layers/linear';
import { checkFloatDType, checkInt, type FloatDType, formatShape, generatorOf } from '../layers/util';
import { Module } from '../module';
import { ModuleList } from '../module-list';
import { INIT_GENERATOR, type WithInitGenerator } from './internal';
import { MultiheadAttention } from './multihead-attention';

/** The feed-forward activation of a Transformer layer: `'relu'`, `'gelu'` (exact) or a function. */
export type TransformerActivation = 'relu' | 'gelu' | ((x: Tensor) => Tensor);

/** Options of {@link TransformerEncoderLayer} and {@link TransformerDecoderLayer}, with PyTorch 1.13's defaults. */
export interface TransformerLayerOptions {
  /** The hidden size of the feed-forward block (default 2048). */
  dimFeedforward?: number;
  /** The dropout probability everywhere in the layer (default 0.1). */
  dropout?: number;
  /** The feed-forward activation (default `'relu'`). */
  activation?: TransformerActivation;
  /** The `eps` of the layer norms (default 1e-5). */
  layerNormEps?: number;
  /** Inputs and outputs are `[batch, seq, feature]` instead of `[seq, batch, feature]` (default false). */
  batchFirst?: boolean;
  /** Normalise before each block (pre-LN) instead of after the residual sum (post-LN, default false). */
  normFirst?: boolean;
  /** The parameters' dtype (default float32). */
  dtype?: FloatDType;
  /** The generator of the initial weights and of the dropout masks (default: core's global generator). */
  generator?: Generator;
}

/** Options of {@link TransformerEncoderLayer.forward}, as in PyTorch 1.13. */
export interface TransformerEncoderLayerForwardOptions {
  /** The self-attention mask (see {@link MultiheadAttention.forward}'s `attnMask`), default none. */
  srcMask?: Tensor | null;
  /** The keys to ignore per batch entry (see `keyPaddingMask`), default none. */
  srcKeyPaddingMask?: Tensor | null;
}

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

/** Options of {@link TransformerEncoder} and {@link TransformerDecoder}. */
export interface TransformerStackOptions {
  /** A final normalisation applied to the stack's output (default none), registered as `norm`. */
  norm?: Module | null;
}

/** Options of {@link TransformerEncoder.forward}, as in PyTorch 1.13. */
export interface TransformerEncoderForwardOptions {
  /** The self-attention mask of every layer, default none. */
  mask?: Tensor | null;
  /** The keys to ignore per batch entry, default none. */
  srcKeyPaddingMask?: Tensor | null;
}

const LAYER_OPTIONS = optionNames<TransformerLayerOptions>({
  dimFeedforward: true,
  dropout: true,
  activation: true,
  layerNormEps: true,
  batchFirst: true,
  normFirst: true,
  dtype: true,
  generator: true,
});
const ENCODER_LAYER_FORWARD_OPTIONS = optionNames<TransformerEncoderLayerForwardOptions>({
  srcMask: true,
  srcKeyPaddingMask: true,
});
const DECODER_FORWARD_OPTIONS = optionNames<TransformerDecoderLayerForwardOptions>({
  tgtMask: true,
  memoryMask: true,
  tgtKeyPaddingMask: true,
  memoryKeyPaddingMask: true,
});
const STACK_OPTIONS = optionNames<TransformerStackOptions>({ norm: true });
const ENCODER_FORWARD_OPTIONS = optionNames<TransformerEncoderForwardOptions>({ mask: true, srcKeyPaddingMask: true });

interface ResolvedOptions {
  dimFeedforward: number;
  dropout: number;
  activation: TransformerActivation;
  layerNormEps: number;
  batchFirst: boolean;
  normFirst: boolean;
  dtype: FloatDType;
  generator: Generator | undefined;
}

function resolveOptions(label: string, options: TransformerLayerOptions): ResolvedOptions {
  if (options === null || typeof options !== 'object')
    throw new ValueError(`${label}: options must be an object, got ${options === null ? 'null' : typeof options}`);
  checkOptions(label, options, LAYER_OPTIONS);
  const {
    dimFeedforward = 2048,
    dropout = 0.1,
    activation = 'relu',
    layerNormEps = 1e-5,
    batchFirst = false,
    normFirst = false,
  } = options;
  checkInt(label, 'dimFeedforward', dimFeedforward, 1);
  if (typeof dropout !== 'number' || !(dropout >= 0 && dropout <= 1))
    throw new ValueError(`${label}: dropout must be a number in [0, 1], got ${JSON.stringify(dropout)}`);
  if (activation !== 'relu' && activation !== 'gelu' && typeof activation !== 'function')
    throw new ValueError(
      `${label}: activation must be 'relu', 'gelu' or a function, got ${JSON.stringify(activation)}`,
    );
  if (typeof layerNormEps !== 'number' || !(layerNormEps >= 0))
    throw new ValueError(`${label}: layerNormEps must be a number >= 0, got ${JSON.stringify(layerNormEps)}`);
  if (typeof batchFirst !== 'boolean')
    throw new ValueError(`${label}: batchFirst must be a boolean, got ${JSON.stringify(batchFirst)}`);
  if (typeof normFirst !== 'boolean')
    throw new ValueError(`${label}: normFirst must be a boolean, got ${JSON.stringify(normFirst)}`);
  const dtype = checkFloatDType(label, options.dtype);
  return {
    dimFeedforward,
    dropout,
    activation,
    layerNormEps,
    batchFirst,
    normFirst,
    dtype,
    generator: options.generator,
  };
}

function checkModel(label: string, dModel: unknown, nhead: unknown): void {
  checkInt(label, 'dModel', dModel, 1);
  checkInt(label, 'nhead', nhead, 1);
  if ((dModel as number) % (nhead as number) !== 0)
    throw new ValueError(`${label}: dModel ${dModel} must be divisible by nhead ${nhead}`);
}

function applyActivation(activation: TransformerActivation, x: Tensor): Tensor {
  if (activation === 'relu') return relu(x);
  if (activation === 'gelu') return gelu(x);
  return activation(x);
}

/**
 * Check the arguments of an encoder (one attention) or decoder (two) layer and register its submodules on
 * `layer` in PyTorch's order: the attentions, `linear1`, `dropout`, `linear2`, `norm1..`, `dropout1..`
 * (one norm and one dropout per attention plus one for the feed-forward block).
 */
function buildLayer(
  layer: Module,
  label: string,
  dModel: number,
  nhead: number,
  options: TransformerLayerOptions,
  attentionNames: readonly string[],
) {
  checkModel(label, dModel, nhead);
  const o = resolveOptions(label, options);
  const generator = (options as WithInitGenerator)[INIT_GENERATOR] ?? generatorOf(options);
  const { dtype, dropout, batchFirst } = o;
  const attentionOptions = { dropout, batchFirst, dtype, generator: o.generator, [INIT_GENERATOR]: generator };
  const attention = attentionNames.map((name) =>
    layer.registerModule(name, new MultiheadAttention(dModel, nhead, attentionOptions)),
  );
  const linear1 = layer.registerModule('linear1', new Linear(dModel, o.dimFeedforward, { dtype, generator }));
  const ffDropout = layer.registerModule('dropout', new Dropout(dropout, { generator: o.generator }));
  const linear2 = layer.registerModule('linear2', new Linear(o.dimFeedforward, dModel, { dtype, generator }));
  const blocks = Array.from({ length: attentionNames.length + 1 }, (_, i) => i + 1);
  const norms = blocks.map((i) =>
    layer.registerModule(`norm${i}`, new LayerNorm(dModel, { eps: o.layerNormEps, dtype })),
  );
  const dropouts = blocks.map((i) =>
    layer.registerModule(`dropout${i}`, new Dropout(dropout, { generator: o.generator })),
  );
  return { o, attention, linear1, dropout: ffDropout, linear2, norms, dropouts };
}

/** The feed-forward block `linear2(dropout(activation(linear1(x))))` of either layer. */
function feedForward(
  layer: { linear1: Linear; dropout: Dropout; linear2: Linear; activation: TransformerActivation },
  x: Tensor,
): Tensor {
  return layer.linear2.forward(layer.dropout.forward(applyActivation(layer.activation, layer.linear1.forward(x))));
}

/** The residual blocks of either layer: pre-LN `x = x + block(norm(x))` or post-LN `x = norm(x + block(x))`. */
function residualBlocks(x: Tensor, normFirst: boolean, blocks: [LayerNorm, (x: Tensor) => Tensor][]): Tensor {
  let y = x;
  for (const [norm, block] of blocks) y = normFirst ? y.add(block(norm.forward(y))) : norm.forward(y.add(block(y)));
  return y;
}

function checkSequence(label: string, name: string, x: unknown, dModel: number): asserts x is Tensor {
  if (!(x instanceof Tensor))
    throw new ValueError(`${label}: ${name} must be a Tensor, got ${x === null ? 'null' : typeof x}`);
  if ((x.ndim !== 2 && x.ndim !== 3) || x.shape[x.ndim - 1] !== dModel)
    throw new ShapeError(
      `${label}: ${name} must be [seq, batch, ${dModel}], [batch, seq, ${dModel}] (batchFirst) or unbatched [seq, ${dModel}], got shape ${formatShape(x.shape)}`,
    );
}

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

function checkStack(
  label: string,
  layer: unknown,
  kind: new (...args: never[]) => Module,
  numLayers: unknown,
  norm: unknown,
): void {
  if (!(layer instanceof kind))
    throw new ValueError(`${label}: the layer must be a ${kind.name}, got ${layer === null ? 'null' : typeof layer}`);
  checkInt(label, 'numLayers', numLayers, 1);
  if (norm !== null && norm !== undefined && !(norm instanceof Module))
    throw new ValueError(`${label}: norm must be a Module or null, got ${typeof norm}`);
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

  constructor(encoderLayer: TransformerEncoderLayer, numLayers: number, options: TransformerStackOptions = {}) {
    super();
    checkOptions('TransformerEncoder', options ?? undefined, STACK_OPTIONS);
    const { norm = null } = options ?? {};
    checkStack('TransformerEncoder', encoderLayer, TransformerEncoderLayer, numLayers, norm);
    this.numLayers = numLayers;
    const copies: TransformerEncoderLayer[] = [];
    for (let i = 0; i < numLayers; i++) copies.push(encoderLayer.copy());
    this.layers = this.registerModule('layers', new ModuleList(copies));
    this.norm = this.registerModule('norm', norm);
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
    checkOptions('TransformerDecoder', options ?? undefined, STACK_OPTIONS);
    const { norm = null } = options ?? {};
    checkStack('TransformerDecoder', decoderLayer, TransformerDecoderLayer, numLayers, norm);
    this.numLayers = numLayers;
    const copies: TransformerDecoderLayer[] = [];
    for (let i = 0; i < numLayers; i++) copies.push(decoderLayer.copy());
    this.layers = this.registerModule('layers', new ModuleList(copies));
    this.norm = this.registerModule('norm', norm);
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
