import { checkOptions, ones, optionNames, ShapeError, type Tensor, ValueError, zeros } from '@nablajs/core';
import { layerNorm } from '../functional/normalization';
import { Module } from '../module';
import { checkFloatDType, checkInput, type FloatDType, formatShape } from './util';

/** Options of {@link LayerNorm}, with PyTorch's defaults. */
export interface LayerNormOptions {
  /** Added to the variance inside the square root (default 1e-5). */
  eps?: number;
  /** Learn a per-element `weight` (init 1) and `bias` (init 0) of shape `normalizedShape` (default true). */
  elementwiseAffine?: boolean;
  /** With `elementwiseAffine`, also learn the `bias` (default true). */
  bias?: boolean;
  /** The parameters' dtype (default float32). */
  dtype?: FloatDType;
}

const LAYER_NORM_OPTIONS = optionNames<LayerNormOptions>({
  eps: true,
  elementwiseAffine: true,
  bias: true,
  dtype: true,
});

/** Check a `normalizedShape` argument (a positive integer or a non-empty list of them) and freeze it as a list. */
export function checkNormalizedShape(layer: string, normalizedShape: unknown): readonly number[] {
  const shape = typeof normalizedShape === 'number' ? [normalizedShape] : normalizedShape;
  if (!Array.isArray(shape) || shape.length === 0 || !shape.every((d) => Number.isInteger(d) && d >= 1))
    throw new ValueError(
      `${layer}: normalizedShape must be a positive integer or a non-empty list of them, got ${JSON.stringify(normalizedShape)}`,
    );
  return Object.freeze([...shape]);
}

/** Check that a forward input is a Tensor of shape `[*, ...normalizedShape]`. */
export function checkTrailingShape(
  layer: string,
  input: unknown,
  normalizedShape: readonly number[],
): asserts input is Tensor {
  checkInput(layer, input);
  const k = normalizedShape.length;
  const tail = input.shape.slice(input.ndim - k);
  if (input.ndim < k || !tail.every((d, i) => d === normalizedShape[i]))
    throw new ShapeError(
      `${layer}: expected an input of shape [*, ${normalizedShape.join(', ')}], got ${formatShape(input.shape)}`,
    );
}

/**
 * Layer normalisation over the trailing dimensions `normalizedShape`, like `torch.nn.LayerNorm`:
 * `y = (x - E[x]) / √(Var[x] + eps) · weight + bias`, with the mean and the biased variance taken per
 * sample over those dimensions. The same computation in training and eval mode.
 *
 * See https://pytorch.org/docs/stable/generated/torch.nn.LayerNorm.html
 *
 * @example
 * ```ts
 * const ln = new LayerNorm(16);
 * ln.forward(randn([4, 10, 16])).shape; // [4, 10, 16]
 * ```
 */
export class LayerNorm extends Module {
  /** The trailing dimensions normalised over. */
  readonly normalizedShape: readonly number[];
  /** The variance offset. */
  readonly eps: number;
  /** Whether `weight` (and `bias`) are learned. */
  readonly elementwiseAffine: boolean;
  /** The scale, of shape `normalizedShape`, or null. */
  readonly weight: Tensor | null;
  /** The shift, of shape `normalizedShape`, or null. */
  readonly bias: Tensor | null;

  constructor(normalizedShape: number | readonly number[], options: LayerNormOptions = {}) {
    super();
    const shape = checkNormalizedShape('LayerNorm', normalizedShape);
    this.normalizedShape = shape;
    checkOptions(this.label(), options, LAYER_NORM_OPTIONS);
    const { eps = 1e-5, elementwiseAffine = true } = options;
    if (typeof eps !== 'number' || !(eps >= 0))
      throw new ValueError(`${this.label()}: eps must be a number >= 0, got ${eps}`);
    this.eps = eps;
    this.elementwiseAffine = elementwiseAffine;
    const dtype = checkFloatDType(this.label(), options.dtype);
    this.weight = this.registerParameter('weight', elementwiseAffine ? ones(shape, { dtype }) : null);
    this.bias = this.registerParameter(
      'bias',
      elementwiseAffine && (options.bias ?? true) ? zeros(shape, { dtype }) : null,
    );
  }

  private label(): string {
    return `LayerNorm(${formatShape(this.normalizedShape)})`;
  }

  /** Normalise `input` (shape `[*, ...normalizedShape]`) over its trailing dimensions. */
  forward(input: Tensor): Tensor {
    checkTrailingShape(this.label(), input, this.normalizedShape);
    return layerNorm(input, this.normalizedShape, this.weight, this.bias, this.eps);
  }

  override extraRepr(): string {
    return `${formatShape(this.normalizedShape)}, eps=${this.eps}, elementwiseAffine=${this.elementwiseAffine}`;
  }
}
