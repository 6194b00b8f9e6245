import {
  checkOptions,
  copyKernel,
  DTypeError,
  type Generator,
  optionNames,
  resolveKernel,
  runOnHost,
  Tensor,
  ValueError,
  zeros,
} from '@nablajs/core';
import {
  checkMaxNorm,
  checkNormType,
  checkScaleGradByFreq,
  lookupRows,
  resolvePaddingIdx,
} from '../functional/embedding';
import { normal } from '../init';
import { Module } from '../module';
import { checkFloatDType, checkInput, checkInt, type FloatDType, formatShape, generatorOf } from './util';

/** Options of {@link Embedding}. */
export interface EmbeddingOptions {
  /** A row that is returned but never trained (its gradient is zero) and initialised to zeros; negative counts from the end. */
  paddingIdx?: number | null;
  /**
   * Renormalise, in place and without gradient, each looked-up row whose `normType`-norm exceeds this
   * to `row · maxNorm / (‖row‖ + 1e-7)` before each lookup (default none), like PyTorch's `max_norm`.
   */
  maxNorm?: number | null;
  /** The order of the norm compared with `maxNorm` (default 2); a positive number or Infinity. */
  normType?: number;
  /** Divide each looked-up row's gradient by how often its index occurs in the input (default false). */
  scaleGradByFreq?: boolean;
  /** The weight's dtype (default float32). */
  dtype?: FloatDType;
  /** The generator of the initial weights (default: core's global generator). */
  generator?: Generator;
}

const EMBEDDING_OPTIONS = optionNames<EmbeddingOptions>({
  paddingIdx: true,
  maxNorm: true,
  normType: true,
  scaleGradByFreq: true,
  dtype: true,
  generator: true,
});
const FROM_PRETRAINED_OPTIONS = optionNames<NonNullable<Parameters<typeof Embedding.fromPretrained>[1]>>({
  freeze: true,
  paddingIdx: true,
  maxNorm: true,
  normType: true,
  scaleGradByFreq: true,
});

/**
 * A lookup table of `numEmbeddings` vectors of size `embeddingDim`, like `torch.nn.Embedding`: int32
 * indices of any shape `[...]` give `[..., embeddingDim]`. The weight is initialised from `N(0, 1)`,
 * with the `paddingIdx` row set to zeros; that row's gradient is always zero. With `maxNorm` (default
 * none; `normType` default 2), every forward first rescales, in place and without gradient, the rows it
 * looks up whose norm exceeds `maxNorm` to `row · maxNorm / (‖row‖ + 1e-7)` (PyTorch's
 * `embedding_renorm_`), so a graph that saved the weight before that forward throws on backward.
 *
 * See https://pytorch.org/docs/stable/generated/torch.nn.Embedding.html
 *
 * @example
 * ```ts
 * const emb = new Embedding(10, 3, { paddingIdx: 0 });
 * emb.forward(tensor([[1, 2, 0]], { dtype: 'int32' })).shape; // [1, 3, 3]
 * const capped = new Embedding(10, 3, { maxNorm: 1 }); // looked-up rows have norm <= 1
 * ```
 */
export class Embedding extends Module {
  /** The number of rows. */
  readonly numEmbeddings: number;
  /** The size of each row. */
  readonly embeddingDim: number;
  /** The padding row (non-negative), or null. */
  readonly paddingIdx: number | null;
  /** The largest norm of a looked-up row, or null (no renormalisation). */
  readonly maxNorm: number | null;
  /** The order of the norm compared with `maxNorm`. */
  readonly normType: number;
  /** Whether each looked-up row's gradient is divided by its index's count in the input. */
  readonly scaleGradByFreq: boolean;
  /** The table, `[numEmbeddings, embeddingDim]`. */
  readonly weight: Tensor;

  constructor(numEmbeddings: number, embeddingDim: number, options: EmbeddingOptions = {}) {
    super();
    const label = `Embedding(${numEmbeddings}, ${embeddingDim})`;
    checkOptions(label, options, EMBEDDING_OPTIONS);
    this.numEmbeddings = checkInt(label, 'numEmbeddings', numEmbeddings, 1);
    this.embeddingDim = checkInt(label, 'embeddingDim', embeddingDim, 1);
    this.paddingIdx = resolvePaddingIdx(label, options.paddingIdx, numEmbeddings);
    this.maxNorm = checkMaxNorm(label, options.maxNorm);
    this.normType = checkNormType(label, options.normType);
    this.scaleGradByFreq = checkScaleGradByFreq(label, options.scaleGradByFreq);
    this.weight = registerTable(this, label, numEmbeddings, embeddingDim, this.paddingIdx, options);
  }

  /**
   * An Embedding whose table is a copy of `embeddings` (`[numEmbeddings, embeddingDim]`), frozen unless
   * `freeze` is false, like `torch.nn.Embedding.from_pretrained`. The padding row is not zeroed.
   *
   * @example
   * ```ts
   * const emb = Embedding.fromPretrained(tensor([[1, 2], [3, 4]]));
   * emb.weight.requiresGrad; // false
   * ```
   */
  static fromPretrained(
    embeddings: Tensor,
    options: {
      freeze?: boolean;
      paddingIdx?: number | null;
      maxNorm?: number | null;
      normType?: number;
      scaleGradByFreq?: boolean;
    } = {},
  ): Embedding {
    checkOptions('Embedding.fromPretrained', options, FROM_PRETRAINED_OPTIONS);
    if (!(embeddings instanceof Tensor) || embeddings.ndim !== 2)
      throw new ValueError('Embedding.fromPretrained: embeddings must be a 2-D Tensor [numEmbeddings, embeddingDim]');
    if (embeddings.dtype !== 'float32' && embeddings.dtype !== 'float64')
      throw new DTypeError(`Embedding.fromPretrained: embeddings must be float32 or float64, got ${embeddings.dtype}`);
    const [num, dim] = embeddings.shape;
    const emb = new Embedding(num, dim, {
      paddingIdx: options.paddingIdx,
      maxNorm: options.maxNorm,
      normType: options.normType,
      scaleGradByFreq: options.scaleGradByFreq,
      dtype: embeddings.dtype,
    });
    resolveKernel('copy', copyKernel)(embeddings._array, emb.weight._array);
    emb.weight.markModified();
    if (options.freeze ?? true) emb.weight.requiresGrad = false;
    return emb;
  }

  /** The rows of the table at `input` (int32 indices in `[0, numEmbeddings)`). */
  forward(input: Tensor): Tensor {
    const label = `Embedding(${this.numEmbeddings}, ${this.embeddingDim})`;
    checkInput(label, input);
    if (input.dtype !== 'int32')
      throw new DTypeError(
        `${label}: input must be an int32 tensor of indices, got ${input.dtype} (input shape ${formatShape(input.shape)})`,
      );
    // The indices are checked once, where they are (on the webgpu backend, when a value is next awaited).
    return lookupRows(
      input,
      this.weight,
      {
        paddingIdx: this.paddingIdx,
        maxNorm: this.maxNorm,
        normType: this.normType,
        scaleGradByFreq: this.scaleGradByFreq,
      },
      (v, num) =>
        `${label}: index ${v} is out of range for ${num} embeddings (expected [0, ${num}); input shape ${formatShape(input.shape)})`,
    );
  }

  override extraRepr(): string {
    const padding = this.paddingIdx === null ? '' : `, paddingIdx=${this.paddingIdx}`;
    const norm =
      this.maxNorm === null
        ? ''
        : `, maxNorm=${this.maxNorm}${this.normType === 2 ? '' : `, normType=${this.normType}`}`;
    return `${this.numEmbeddings}, ${this.embeddingDim}${padding}${norm}`;
  }
}

/**
 * Register `module`'s `weight`, a `[numEmbeddings, embeddingDim]` table drawn from `N(0, 1)` with the `paddingIdx`
 * row at zeros, as PyTorch initialises Embedding and EmbeddingBag.
 */
export function registerTable(
  module: Module,
  label: string,
  numEmbeddings: number,
  embeddingDim: number,
  paddingIdx: number | null,
  options: { dtype?: FloatDType; generator?: Generator },
): Tensor {
  const dtype = checkFloatDType(label, options.dtype);
  const weight = module.registerParameter('weight', zeros([numEmbeddings, embeddingDim], { dtype }));
  normal(weight, 0, 1, { generator: generatorOf(options) });
  const rows = weight._array;
  if (paddingIdx !== null)
    runOnHost([], [rows], () => rows.fill(0, paddingIdx * embeddingDim, (paddingIdx + 1) * embeddingDim));
  weight.markModified();
  return weight;
}
