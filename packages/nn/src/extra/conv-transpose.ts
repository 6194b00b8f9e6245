import {
  checkOptions,
  convTranspose2d,
  DTypeError,
  type Generator,
  optionNames,
  reshape,
  ShapeError,
  squeeze,
  Tensor,
  unsqueeze,
  ValueError,
} from '@nablajs/core';
import { checkChannels, checkConvInput, createConvParameters } from '../layers/conv-common';
import { checkInt, type FloatDType, formatShape, type Size2d, toPair } from '../layers/util';
import { Module } from '../module';
import {
  type ConvTransposeForwardOptions,
  checkOutputPadding,
  convTransposeExtraRepr,
  FORWARD_OPTIONS,
  outputPaddingFor,
} from './conv-transpose-common';

export type { ConvTransposeForwardOptions } from './conv-transpose-common';

/** Options of {@link ConvTranspose2d}, with PyTorch's defaults. */
export interface ConvTranspose2dOptions {
  /** Step of the convolution being transposed (default 1). */
  stride?: Size2d;
  /** `dilation·(k - 1) - padding` zeros of implicit padding on each side of the input (default 0). */
  padding?: Size2d;
  /** Extra size added to one side of the output, smaller than stride or dilation (default 0). */
  outputPadding?: Size2d;
  /** Split the channels into this many independent groups (default 1). */
  groups?: number;
  /** Learn an additive bias per output channel (default true). */
  bias?: boolean;
  /** Spacing between kernel taps (default 1). */
  dilation?: Size2d;
  /** The parameters' dtype (default float32). */
  dtype?: FloatDType;
  /** The generator of the initial weights (default: core's global generator). */
  generator?: Generator;
}

/** Options of {@link ConvTranspose1d}, with PyTorch's defaults. */
export interface ConvTranspose1dOptions {
  /** Step of the convolution being transposed (default 1). */
  stride?: number;
  /** `dilation·(k - 1) - padding` zeros of implicit padding on each end of the input (default 0). */
  padding?: number;
  /** Extra length added to one end of the output, smaller than stride or dilation (default 0). */
  outputPadding?: number;
  /** Split the channels into this many independent groups (default 1). */
  groups?: number;
  /** Learn an additive bias per output channel (default true). */
  bias?: boolean;
  /** Spacing between kernel taps (default 1). */
  dilation?: number;
  /** The parameters' dtype (default float32). */
  dtype?: FloatDType;
  /** The generator of the initial weights (default: core's global generator). */
  generator?: Generator;
}

/** Options of {@link convTranspose1d}, with PyTorch's defaults. */
export interface ConvTranspose1dFunctionalOptions {
  /** Step (default 1). */
  stride?: number;
  /** Padding (default 0). */
  padding?: number;
  /** Output padding (default 0). */
  outputPadding?: number;
  /** Channel groups (default 1). */
  groups?: number;
  /** Dilation (default 1). */
  dilation?: number;
}

// ConvTranspose1d and ConvTranspose2d take the same option names (their types differ only in the values).
const CONV_TRANSPOSE_OPTIONS = optionNames<ConvTranspose1dOptions & ConvTranspose2dOptions>({
  stride: true,
  padding: true,
  outputPadding: true,
  groups: true,
  bias: true,
  dilation: true,
  dtype: true,
  generator: true,
});
const CONV_TRANSPOSE1D_FUNCTIONAL_OPTIONS = optionNames<ConvTranspose1dFunctionalOptions>({
  stride: true,
  padding: true,
  outputPadding: true,
  groups: true,
  dilation: true,
});

/**
 * A 2-D transposed convolution layer ("deconvolution", the gradient of a convolution with respect to its
 * input) over `[N, C, H, W]` or unbatched `[C, H, W]` inputs, like `torch.nn.ConvTranspose2d`: weight
 * `[inChannels, outChannels / groups, kH, kW]`, bias `[outChannels]`, output `[N, outChannels, H_out, W_out]`
 * with `H_out = (H - 1)·stride - 2·padding + dilation·(kH - 1) + outputPadding + 1`.
 * `forward(x, { outputSize })` picks the output padding that gives `outputSize`, as PyTorch's `output_size`.
 *
 * Initialised as PyTorch does: kaimingUniform(a = √5) on the weight, which with
 * `fanIn = outChannels / groups · kH · kW` (the weight's dim 1 times the kernel) is `U(±1/√fanIn)`, and
 * the bias in `U(±1/√fanIn)`. Defaults: stride 1, padding 0, outputPadding 0, groups 1, bias true,
 * dilation 1, float32.
 *
 * See https://pytorch.org/docs/1.13/generated/torch.nn.ConvTranspose2d.html
 *
 * @example
 * ```ts
 * const up = new ConvTranspose2d(16, 8, 3, { stride: 2, padding: 1, outputPadding: 1 });
 * up.forward(randn([4, 16, 10, 10])).shape; // [4, 8, 20, 20]
 * up.forward(randn([4, 16, 10, 10]), { outputSize: [19, 20] }).shape; // [4, 8, 19, 20]
 * ```
 */
export class ConvTranspose2d extends Module {
  /** Channels of the input. */
  readonly inChannels: number;
  /** Channels of the output. */
  readonly outChannels: number;
  /** `[kH, kW]`. */
  readonly kernelSize: readonly [number, number];
  /** `[strideH, strideW]`. */
  readonly stride: readonly [number, number];
  /** `[padH, padW]`. */
  readonly padding: readonly [number, number];
  /** `[outputPaddingH, outputPaddingW]`. */
  readonly outputPadding: readonly [number, number];
  /** `[dilationH, dilationW]`. */
  readonly dilation: readonly [number, number];
  /** The number of channel groups. */
  readonly groups: number;
  /** The filters, `[inChannels, outChannels / groups, kH, kW]`. */
  readonly weight: Tensor;
  /** The bias, `[outChannels]`, or null. */
  readonly bias: Tensor | null;

  constructor(inChannels: number, outChannels: number, kernelSize: Size2d, options: ConvTranspose2dOptions = {}) {
    super();
    const label = `ConvTranspose2d(${inChannels}, ${outChannels}, kernelSize=${JSON.stringify(kernelSize)})`;
    checkOptions(label, options, CONV_TRANSPOSE_OPTIONS);
    const groups = options.groups ?? 1;
    checkChannels(label, inChannels, outChannels, groups);
    this.inChannels = inChannels;
    this.outChannels = outChannels;
    this.groups = groups;
    this.kernelSize = toPair(label, 'kernelSize', kernelSize, 1);
    this.stride = toPair(label, 'stride', options.stride ?? 1, 1);
    this.padding = toPair(label, 'padding', options.padding ?? 0, 0);
    this.outputPadding = toPair(label, 'outputPadding', options.outputPadding ?? 0, 0);
    this.dilation = toPair(label, 'dilation', options.dilation ?? 1, 1);
    checkOutputPadding(label, this.outputPadding, this.stride, this.dilation);
    const shape = [inChannels, outChannels / groups, ...this.kernelSize];
    ({ weight: this.weight, bias: this.bias } = createConvParameters(this, label, shape, outChannels, options));
  }

  private label(): string {
    return `ConvTranspose2d(${this.inChannels}, ${this.outChannels}, kernelSize=${formatShape(this.kernelSize)})`;
  }

  /** Transpose-convolve a `[N, C, H, W]` or `[C, H, W]` input, optionally to a given `outputSize`. */
  forward(input: Tensor, options: ConvTransposeForwardOptions = {}): Tensor {
    const label = this.label();
    checkOptions(label, options, FORWARD_OPTIONS);
    checkConvInput(label, input, ['H', 'W'], this.inChannels);
    const outputPadding = outputPaddingFor(
      label,
      input,
      2,
      options.outputSize,
      { kernel: this.kernelSize, stride: this.stride, padding: this.padding, dilation: this.dilation },
      this.outputPadding,
    );
    return convTranspose2d(input, this.weight, this.bias, {
      stride: this.stride,
      padding: this.padding,
      outputPadding: [outputPadding[0], outputPadding[1]],
      dilation: this.dilation,
      groups: this.groups,
    });
  }

  override extraRepr(): string {
    return convTransposeExtraRepr(this);
  }
}

/**
 * A 1-D transposed convolution over `[N, C, L]` or unbatched `[C, L]` inputs, like PyTorch's
 * `torch.nn.functional.conv_transpose1d`: weight `[C_in, C_out / groups, k]`, optional bias `[C_out]`,
 * output length `(L - 1)·stride - 2·padding + dilation·(k - 1) + outputPadding + 1`. It runs as a 2-D
 * transposed convolution of height 1. Defaults: stride 1, padding 0, outputPadding 0, groups 1, dilation 1.
 *
 * See https://pytorch.org/docs/1.13/generated/torch.nn.functional.conv_transpose1d.html
 *
 * @example
 * ```ts
 * F.convTranspose1d(randn([2, 4, 10]), randn([4, 3, 3]), null, { stride: 2 }).shape; // [2, 3, 21]
 * ```
 */
export function convTranspose1d(
  input: Tensor,
  weight: Tensor,
  bias: Tensor | null = null,
  options: ConvTranspose1dFunctionalOptions = {},
): Tensor {
  const fn = 'convTranspose1d';
  checkOptions(fn, options, CONV_TRANSPOSE1D_FUNCTIONAL_OPTIONS);
  if (!(input instanceof Tensor)) throw new ValueError(`${fn}: input must be a Tensor`);
  if (!(weight instanceof Tensor)) throw new ValueError(`${fn}: weight must be a Tensor`);
  if (input.ndim !== 2 && input.ndim !== 3)
    throw new ShapeError(`${fn}: expected a 2-D [C, L] or 3-D [N, C, L] input, got shape ${formatShape(input.shape)}`);
  if (weight.ndim !== 3)
    throw new ShapeError(
      `${fn}: weight must be 3-D [inChannels, outChannels/groups, k], got shape ${formatShape(weight.shape)}`,
    );
  if (!(input.dtype === 'float32' || input.dtype === 'float64'))
    throw new DTypeError(`${fn}: input must be float32 or float64, got ${input.dtype}`);
  const stride = checkInt(fn, 'stride', options.stride ?? 1, 1);
  const padding = checkInt(fn, 'padding', options.padding ?? 0, 0);
  const outputPadding = checkInt(fn, 'outputPadding', options.outputPadding ?? 0, 0);
  const dilation = checkInt(fn, 'dilation', options.dilation ?? 1, 1);
  const [i, o, k] = weight.shape;
  const y = convTranspose2d(unsqueeze(input, -2), reshape(weight, [i, o, 1, k]), bias, {
    stride: [1, stride],
    padding: [0, padding],
    outputPadding: [0, outputPadding],
    dilation: [1, dilation],
    groups: options.groups ?? 1,
  });
  return squeeze(y, -2);
}

/**
 * A 1-D transposed convolution layer over `[N, C, L]` or unbatched `[C, L]` inputs, like
 * `torch.nn.ConvTranspose1d`: weight `[inChannels, outChannels / groups, kernelSize]`, bias
 * `[outChannels]`, output length `L_out = (L - 1)·stride - 2·padding + dilation·(k - 1) + outputPadding + 1`.
 * `forward(x, { outputSize })` picks the output padding that gives `outputSize`.
 *
 * Initialised as PyTorch does: kaimingUniform(a = √5), i.e. `U(±1/√fanIn)` with
 * `fanIn = outChannels / groups · kernelSize`, and the bias in `U(±1/√fanIn)`. Defaults: stride 1,
 * padding 0, outputPadding 0, groups 1, bias true, dilation 1, float32.
 *
 * See https://pytorch.org/docs/1.13/generated/torch.nn.ConvTranspose1d.html
 *
 * @example
 * ```ts
 * const up = new ConvTranspose1d(8, 4, 4, { stride: 2, padding: 1 });
 * up.forward(randn([2, 8, 50])).shape; // [2, 4, 100]
 * ```
 */
export class ConvTranspose1d extends Module {
  /** Channels of the input. */
  readonly inChannels: number;
  /** Channels of the output. */
  readonly outChannels: number;
  /** The kernel length. */
  readonly kernelSize: number;
  /** The stride. */
  readonly stride: number;
  /** The padding. */
  readonly padding: number;
  /** The output padding. */
  readonly outputPadding: number;
  /** The dilation. */
  readonly dilation: number;
  /** The number of channel groups. */
  readonly groups: number;
  /** The filters, `[inChannels, outChannels / groups, kernelSize]`. */
  readonly weight: Tensor;
  /** The bias, `[outChannels]`, or null. */
  readonly bias: Tensor | null;

  constructor(inChannels: number, outChannels: number, kernelSize: number, options: ConvTranspose1dOptions = {}) {
    super();
    const label = `ConvTranspose1d(${inChannels}, ${outChannels}, kernelSize=${JSON.stringify(kernelSize)})`;
    checkOptions(label, options, CONV_TRANSPOSE_OPTIONS);
    const groups = options.groups ?? 1;
    checkChannels(label, inChannels, outChannels, groups);
    this.inChannels = inChannels;
    this.outChannels = outChannels;
    this.groups = groups;
    this.kernelSize = checkInt(label, 'kernelSize', kernelSize, 1);
    this.stride = checkInt(label, 'stride', options.stride ?? 1, 1);
    this.padding = checkInt(label, 'padding', options.padding ?? 0, 0);
    this.outputPadding = checkInt(label, 'outputPadding', options.outputPadding ?? 0, 0);
    this.dilation = checkInt(label, 'dilation', options.dilation ?? 1, 1);
    checkOutputPadding(label, [this.outputPadding], [this.stride], [this.dilation]);
    const shape = [inChannels, outChannels / groups, kernelSize];
    ({ weight: this.weight, bias: this.bias } = createConvParameters(this, label, shape, outChannels, options));
  }

  /** Transpose-convolve a `[N, C, L]` or `[C, L]` input, optionally to a given `outputSize`. */
  forward(input: Tensor, options: ConvTransposeForwardOptions = {}): Tensor {
    const label = `ConvTranspose1d(${this.inChannels}, ${this.outChannels}, kernelSize=${this.kernelSize})`;
    checkOptions(label, options, FORWARD_OPTIONS);
    checkConvInput(label, input, ['L'], this.inChannels);
    const [outputPadding] = outputPaddingFor(
      label,
      input,
      1,
      options.outputSize,
      { kernel: [this.kernelSize], stride: [this.stride], padding: [this.padding], dilation: [this.dilation] },
      [this.outputPadding],
    );
    return convTranspose1d(input, this.weight, this.bias, {
      stride: this.stride,
      padding: this.padding,
      outputPadding,
      dilation: this.dilation,
      groups: this.groups,
    });
  }

  override extraRepr(): string {
    const parts = [`${this.inChannels}, ${this.outChannels}, kernelSize=${this.kernelSize}, stride=${this.stride}`];
    if (this.padding !== 0) parts.push(`padding=${this.padding}`);
    if (this.outputPadding !== 0) parts.push(`outputPadding=${this.outputPadding}`);
    if (this.dilation !== 1) parts.push(`dilation=${this.dilation}`);
    if (this.groups !== 1) parts.push(`groups=${this.groups}`);
    if (this.bias === null) parts.push('bias=false');
    return parts.join(', ');
  }
}
