import { checkOptions, DTypeError, type Generator, optionNames, type Tensor, ValueError } from '@nablajs/core';
import { checkMaxNorm, checkNormType, checkScaleGradByFreq, resolvePaddingIdx } from '../functional/embedding';
import { type EmbeddingBagMode, embeddingBag } from '../functional/embedding-bag';
import { Module } from '../module';
import { registerTable } from './embedding';
import { checkInput, checkInt, type FloatDType, formatShape } from './util';

/** Options of {@link EmbeddingBag}, with PyTorch's defaults. */
export interface EmbeddingBagLayerOptions {
  /** The reduction of each bag (default `'mean'`). */
  mode?: EmbeddingBagMode;
  /** A row left out of every bag, initialised to zeros and never trained; negative counts from the end. */
  paddingIdx?: number | null;
  /** Renormalise, in place and without gradient, each looked-up row whose norm exceeds this (default none). */
  maxNorm?: number | null;
  /** The order of the norm compared with `maxNorm` (default 2). */
  normType?: number;
  /** `offsets` has one more entry than there are bags: the end of the last bag (default false). */
  includeLastOffset?: boolean;
  /** Divide each looked-up row's gradient by how often its index occurs in the input (default false; not with `'max'`). */
  scaleGradByFreq?: boolean;
  /** The weight's dtype (default float32). */
  dtype?: FloatDType;
  /** The generator of the initial weights (default: core's global generator). */
  generator?: Generator;
}

const EMBEDDING_BAG_LAYER_OPTIONS = optionNames<EmbeddingBagLayerOptions>({
  mode: true,
  paddingIdx: true,
  maxNorm: true,
  normType: true,
  includeLastOffset: true,
  scaleGradByFreq: true,
  dtype: true,
  generator: true,
});

/**
 * Sums, means or maxima of bags of embedding rows, like `torch.nn.EmbeddingBag`: `forward(input, offsets?,
 * perSampleWeights?)` gives `[B, embeddingDim]` for `B` bags of int32 indices (a 2-D `[B, N]` input, or a
 * 1-D input cut at `offsets`), as {@link embeddingBag} computes. The weight `[numEmbeddings, embeddingDim]`
 * starts from `N(0, 1)`, with the `paddingIdx` row at zeros, as in PyTorch.
 *
 * See https://pytorch.org/docs/stable/generated/torch.nn.EmbeddingBag.html
 *
 * @example
 * ```ts
 * const bag = new EmbeddingBag(1000, 16, { mode: 'sum' });
 * const tokens = tensor([3, 14, 15, 92, 65], { dtype: 'int32' });
 * bag.forward(tokens, tensor([0, 2], { dtype: 'int32' })).shape; // [2, 16]: bags [3, 14] and [15, 92, 65]
 * ```
 */
export class EmbeddingBag extends Module {
  /** The number of rows. */
  readonly numEmbeddings: number;
  /** The size of each row. */
  readonly embeddingDim: number;
  /** The reduction of each bag. */
  readonly mode: EmbeddingBagMode;
  /** The padding row (non-negative), or null. */
  readonly paddingIdx: number | null;
  /** The largest norm of a looked-up row, or null. */
  readonly maxNorm: number | null;
  /** The order of the norm compared with `maxNorm`. */
  readonly normType: number;
  /** Whether `offsets` ends with the end of the last bag. */
  readonly includeLastOffset: boolean;
  /** Whether each looked-up row's gradient is divided by its index's count in the input. */
  readonly scaleGradByFreq: boolean;
  /** The table, `[numEmbeddings, embeddingDim]`. */
  readonly weight: Tensor;

  constructor(numEmbeddings: number, embeddingDim: number, options: EmbeddingBagLayerOptions = {}) {
    super();
    const label = `EmbeddingBag(${numEmbeddings}, ${embeddingDim})`;
    checkOptions(label, options, EMBEDDING_BAG_LAYER_OPTIONS);
    this.numEmbeddings = checkInt(label, 'numEmbeddings', numEmbeddings, 1);
    this.embeddingDim = checkInt(label, 'embeddingDim', embeddingDim, 1);
    const mode = options.mode ?? 'mean';
    if (mode !== 'sum' && mode !== 'mean' && mode !== 'max')
      throw new ValueError(`${label}: mode must be 'sum', 'mean' or 'max', got ${JSON.stringify(mode)}`);
    this.mode = mode;
    this.paddingIdx = resolvePaddingIdx(label, options.paddingIdx, numEmbeddings);
    this.maxNorm = checkMaxNorm(label, options.maxNorm);
    this.normType = checkNormType(label, options.normType);
    this.includeLastOffset = options.includeLastOffset ?? false;
    if (typeof this.includeLastOffset !== 'boolean')
      throw new ValueError(
        `${label}: includeLastOffset must be a boolean, got ${JSON.stringify(this.includeLastOffset)}`,
      );
    this.scaleGradByFreq = checkScaleGradByFreq(label, options.scaleGradByFreq);
    if (this.scaleGradByFreq && mode === 'max')
      throw new ValueError(`${label}: scaleGradByFreq is not supported with mode 'max' (PyTorch refuses it too)`);
    this.weight = registerTable(this, label, numEmbeddings, embeddingDim, this.paddingIdx, options);
  }

  /** The bags' reductions: `[B, embeddingDim]` (see {@link embeddingBag}). */
  forward(input: Tensor, offsets?: Tensor | null, perSampleWeights?: Tensor | null): Tensor {
    const label = `EmbeddingBag(${this.numEmbeddings}, ${this.embeddingDim})`;
    checkInput(label, input);
    if (input.dtype !== 'int32')
      throw new DTypeError(
        `${label}: input must be an int32 tensor of indices, got ${input.dtype} (shape ${formatShape(input.shape)})`,
      );
    return embeddingBag(input, this.weight, offsets ?? null, {
      mode: this.mode,
      perSampleWeights: perSampleWeights ?? null,
      paddingIdx: this.paddingIdx,
      maxNorm: this.maxNorm,
      normType: this.normType,
      includeLastOffset: this.includeLastOffset,
      scaleGradByFreq: this.scaleGradByFreq,
    });
  }

  override extraRepr(): string {
    const padding = this.paddingIdx === null ? '' : `, paddingIdx=${this.paddingIdx}`;
    return `${this.numEmbeddings}, ${this.embeddingDim}, mode='${this.mode}'${padding}`;
  }
}
