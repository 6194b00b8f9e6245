import { checkOptions, conv3d, type Generator, optionNames, type Size3d, type Tensor } from '@nablajs/core';
import { Module } from '../module';
import {
  type ConvPaddingMode,
  checkChannels,
  checkConvInput,
  checkPaddingMode,
  convExtraRepr,
  convWindow,
  createConvParameters,
  padInMode,
  samePadding,
} from './conv-common';
import { type FloatDType, formatShape, toTriple } from './util';

/** Options of {@link Conv3d}, with PyTorch's defaults. */
export interface Conv3dLayerOptions {
  /** Step between windows (default 1). */
  stride?: Size3d;
  /** Zeros added on both sides of each spatial dim (default 0), or `'valid'` (none) or `'same'` (stride 1 only). */
  padding?: Size3d | 'valid' | 'same';
  /** Spacing between kernel taps (default 1). */
  dilation?: Size3d;
  /** Split the channels into this many independent groups (default 1). */
  groups?: number;
  /** Learn an additive bias per output channel (default true). */
  bias?: boolean;
  /** The parameters' dtype (default float32). */
  dtype?: FloatDType;
  /** The generator of the initial weights (default: core's global generator). */
  generator?: Generator;
  /** How the input is padded: `'zeros'` (default), `'reflect'`, `'replicate'` or `'circular'`. */
  paddingMode?: ConvPaddingMode;
}

const CONV3D_OPTIONS = optionNames<Conv3dLayerOptions>({
  stride: true,
  padding: true,
  dilation: true,
  groups: true,
  bias: true,
  dtype: true,
  generator: true,
  paddingMode: true,
});

/**
 * A 3-D convolution layer over `[N, C, D, H, W]` (or unbatched `[C, D, H, W]`) inputs, like
 * `torch.nn.Conv3d`: weight `[outChannels, inChannels / groups, kD, kH, kW]`, bias `[outChannels]`, output
 * `[N, outChannels, D_out, H_out, W_out]` with `D_out = floor((D + 2·padding - dilation·(kD - 1) - 1) /
 * stride) + 1`, and likewise for H and W. Core's {@link conv3d} computes it.
 *
 * Initialised exactly as PyTorch does: weight and bias in `U(-1/√fanIn, 1/√fanIn)` with
 * `fanIn = inChannels / groups · kD · kH · kW`. With `paddingMode` `'reflect'`, `'replicate'` or
 * `'circular'` (default `'zeros'`) the input is first padded by `F.pad` in that mode.
 *
 * See https://pytorch.org/docs/stable/generated/torch.nn.Conv3d.html
 *
 * @example
 * ```ts
 * const conv = new Conv3d(3, 16, 3, { padding: 1 });
 * conv.forward(randn([2, 3, 8, 32, 32])).shape; // [2, 16, 8, 32, 32]
 * ```
 */
export class Conv3d extends Module {
  /** Channels of the input. */
  readonly inChannels: number;
  /** Channels of the output. */
  readonly outChannels: number;
  /** `[kD, kH, kW]`. */
  readonly kernelSize: readonly [number, number, number];
  /** `[strideD, strideH, strideW]`. */
  readonly stride: readonly [number, number, number];
  /** `[padD, padH, padW]`, or `'same'`. */
  readonly padding: readonly [number, number, number] | 'same';
  /** `[dilationD, dilationH, dilationW]`. */
  readonly dilation: readonly [number, number, number];
  /** The number of channel groups. */
  readonly groups: number;
  /** How the input is padded (PyTorch's `padding_mode`). */
  readonly paddingMode: ConvPaddingMode;
  /** The filters, `[outChannels, inChannels / groups, kD, kH, kW]`. */
  readonly weight: Tensor;
  /** The bias, `[outChannels]`, or null. */
  readonly bias: Tensor | null;

  constructor(inChannels: number, outChannels: number, kernelSize: Size3d, options: Conv3dLayerOptions = {}) {
    super();
    const label = `Conv3d(${inChannels}, ${outChannels}, kernelSize=${JSON.stringify(kernelSize)})`;
    checkOptions(label, options, CONV3D_OPTIONS);
    const groups = options.groups ?? 1;
    checkChannels(label, inChannels, outChannels, groups);
    this.inChannels = inChannels;
    this.outChannels = outChannels;
    this.groups = groups;
    this.kernelSize = toTriple(label, 'kernelSize', kernelSize, 1);
    this.paddingMode = checkPaddingMode(label, options.paddingMode);
    ({ stride: this.stride, dilation: this.dilation, padding: this.padding } = convWindow(label, options, toTriple));
    const shape = [outChannels, inChannels / groups, ...this.kernelSize];
    ({ weight: this.weight, bias: this.bias } = createConvParameters(this, label, shape, outChannels, options));
  }

  /** Convolve a `[N, C, D, H, W]` or `[C, D, H, W]` input. */
  forward(input: Tensor): Tensor {
    const label = `Conv3d(${this.inChannels}, ${this.outChannels}, kernelSize=${formatShape(this.kernelSize)})`;
    checkConvInput(label, input, ['D', 'H', 'W'], this.inChannels);
    let x = input;
    let padding: Size3d | 'same' = this.padding === 'same' ? 'same' : [...this.padding];
    if (this.paddingMode !== 'zeros') {
      const pairs =
        this.padding === 'same'
          ? samePadding(this.kernelSize, this.dilation)
          : this.padding.map((p): [number, number] => [p, p]);
      const [[front, back], [top, bottom], [left, right]] = pairs;
      x = padInMode(label, x, [left, right, top, bottom, front, back], this.paddingMode);
      padding = 0;
    }
    return conv3d(x, this.weight, this.bias, {
      stride: this.stride,
      padding,
      dilation: this.dilation,
      groups: this.groups,
    });
  }

  override extraRepr(): string {
    return convExtraRepr(this);
  }
}
