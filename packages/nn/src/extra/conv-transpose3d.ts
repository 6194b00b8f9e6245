import { checkOptions, convTranspose3d, type Generator, optionNames, type Size3d, type Tensor } from '@nablajs/core';
import { checkChannels, checkConvInput, createConvParameters } from '../layers/conv-common';
import { type FloatDType, formatShape, toTriple } from '../layers/util';
import { Module } from '../module';
import {
  type ConvTransposeForwardOptions,
  checkOutputPadding,
  convTransposeExtraRepr,
  FORWARD_OPTIONS,
  outputPaddingFor,
} from './conv-transpose-common';

/** Options of {@link ConvTranspose3d}, with PyTorch's defaults. */
export interface ConvTranspose3dLayerOptions {
  /** Step of the convolution being transposed (default 1). */
  stride?: Size3d;
  /** `dilation·(k - 1) - padding` zeros of implicit padding on each side of the input (default 0). */
  padding?: Size3d;
  /** Extra size added to the end of each dim of the output, smaller than stride or dilation (default 0). */
  outputPadding?: Size3d;
  /** Split the channels into this many independent groups (default 1). */
  groups?: number;
  /** Learn an additive bias per output channel (default true). */
  bias?: boolean;
  /** Spacing between kernel taps (default 1). */
  dilation?: Size3d;
  /** The parameters' dtype (default float32). */
  dtype?: FloatDType;
  /** The generator of the initial weights (default: core's global generator). */
  generator?: Generator;
}

const CONV_TRANSPOSE3D_OPTIONS = optionNames<ConvTranspose3dLayerOptions>({
  stride: true,
  padding: true,
  outputPadding: true,
  groups: true,
  bias: true,
  dilation: true,
  dtype: true,
  generator: true,
});

/**
 * A 3-D transposed convolution layer over `[N, C, D, H, W]` or unbatched `[C, D, H, W]` inputs, like
 * `torch.nn.ConvTranspose3d`: weight `[inChannels, outChannels / groups, kD, kH, kW]`, bias `[outChannels]`,
 * output `[N, outChannels, D_out, H_out, W_out]` with `D_out = (D - 1)·stride - 2·padding + dilation·(kD - 1) +
 * outputPadding + 1`; core's {@link convTranspose3d} computes it. `forward(x, { outputSize })` picks the output
 * padding that gives `outputSize`, as PyTorch's `output_size`. Initialised as PyTorch does (`U(±1/√fanIn)` with
 * `fanIn = outChannels / groups · kD · kH · kW`).
 *
 * See https://pytorch.org/docs/stable/generated/torch.nn.ConvTranspose3d.html
 *
 * @example
 * ```ts
 * const up = new ConvTranspose3d(16, 8, 2, { stride: 2 });
 * up.forward(randn([1, 16, 4, 8, 8])).shape; // [1, 8, 8, 16, 16]
 * ```
 */
export class ConvTranspose3d extends Module {
  /** Channels of the input. */
  readonly inChannels: number;
  /** Channels of the output. */
  readonly outChannels: number;
  /** `[kD, kH, kW]`. */
  readonly kernelSize: readonly [number, number, number];
  /** `[strideD, strideH, strideW]`. */
  readonly stride: readonly [number, number, number];
  /** `[padD, padH, padW]`. */
  readonly padding: readonly [number, number, number];
  /** `[outputPaddingD, outputPaddingH, outputPaddingW]`. */
  readonly outputPadding: readonly [number, number, number];
  /** `[dilationD, dilationH, dilationW]`. */
  readonly dilation: readonly [number, number, number];
  /** The number of channel groups. */
  readonly groups: number;
  /** The filters, `[inChannels, outChannels / groups, kD, kH, kW]`. */
  readonly weight: Tensor;
  /** The bias, `[outChannels]`, or null. */
  readonly bias: Tensor | null;

  constructor(inChannels: number, outChannels: number, kernelSize: Size3d, options: ConvTranspose3dLayerOptions = {}) {
    super();
    const label = `ConvTranspose3d(${inChannels}, ${outChannels}, kernelSize=${JSON.stringify(kernelSize)})`;
    checkOptions(label, options, CONV_TRANSPOSE3D_OPTIONS);
    const groups = options.groups ?? 1;
    checkChannels(label, inChannels, outChannels, groups);
    this.inChannels = inChannels;
    this.outChannels = outChannels;
    this.groups = groups;
    this.kernelSize = toTriple(label, 'kernelSize', kernelSize, 1);
    this.stride = toTriple(label, 'stride', options.stride ?? 1, 1);
    this.padding = toTriple(label, 'padding', options.padding ?? 0, 0);
    this.outputPadding = toTriple(label, 'outputPadding', options.outputPadding ?? 0, 0);
    this.dilation = toTriple(label, 'dilation', options.dilation ?? 1, 1);
    checkOutputPadding(label, this.outputPadding, this.stride, this.dilation);
    const shape = [inChannels, outChannels / groups, ...this.kernelSize];
    ({ weight: this.weight, bias: this.bias } = createConvParameters(this, label, shape, outChannels, options));
  }

  /** Transpose-convolve a `[N, C, D, H, W]` or `[C, D, H, W]` input, optionally to a given `outputSize`. */
  forward(input: Tensor, options: ConvTransposeForwardOptions = {}): Tensor {
    const label = `ConvTranspose3d(${this.inChannels}, ${this.outChannels}, kernelSize=${formatShape(this.kernelSize)})`;
    checkOptions(label, options, FORWARD_OPTIONS);
    checkConvInput(label, input, ['D', 'H', 'W'], this.inChannels);
    const [d, h, w] = outputPaddingFor(
      label,
      input,
      3,
      options.outputSize,
      { kernel: this.kernelSize, stride: this.stride, padding: this.padding, dilation: this.dilation },
      this.outputPadding,
    );
    return convTranspose3d(input, this.weight, this.bias, {
      stride: this.stride,
      padding: this.padding,
      outputPadding: [d, h, w],
      dilation: this.dilation,
      groups: this.groups,
    });
  }

  override extraRepr(): string {
    return convTransposeExtraRepr(this);
  }
}
