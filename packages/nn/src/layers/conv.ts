import {
  checkOptions,
  conv2d,
  type Generator,
  optionNames,
  pad,
  reshape,
  squeeze,
  type Tensor,
  unsqueeze,
  ValueError,
} from '@nablajs/core';
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
import { checkInt, type FloatDType, formatShape, type Size2d, toPair } from './util';

export type { ConvPaddingMode } from './conv-common';

/** Options of {@link Conv2d}, with PyTorch's defaults. */
export interface Conv2dOptions {
  /** Step between windows (default 1). */
  stride?: Size2d;
  /** Zeros added on both sides of each spatial dimension (default 0), or `'valid'` (none) or `'same'` (output size = input size; stride 1 only). */
  padding?: Size2d | 'valid' | 'same';
  /** Spacing between kernel taps (default 1). */
  dilation?: Size2d;
  /** Split the channels into this many independent groups (default 1). */
  groups?: number;
  /** Learn an additive bias per output channel (default true). */
  bias?: boolean;
  /** The parameters' dtype (default float32). */
  dtype?: FloatDType;
  /** The generator of the initial weights (default: core's global generator). */
  generator?: Generator;
  /** How the input is padded: `'zeros'` (default), `'reflect'`, `'replicate'` or `'circular'` (see {@link ConvPaddingMode}). */
  paddingMode?: ConvPaddingMode;
}

/** Options of {@link Conv1d}, with PyTorch's defaults. */
export interface Conv1dOptions {
  /** Step between windows (default 1). */
  stride?: number;
  /** Zeros added on both ends (default 0), or `'valid'` or `'same'` (stride 1 only). */
  padding?: number | 'valid' | 'same';
  /** Spacing between kernel taps (default 1). */
  dilation?: number;
  /** Split the channels into this many independent groups (default 1). */
  groups?: number;
  /** Learn an additive bias per output channel (default true). */
  bias?: boolean;
  /** The parameters' dtype (default float32). */
  dtype?: FloatDType;
  /** The generator of the initial weights (default: core's global generator). */
  generator?: Generator;
  /** How the input is padded: `'zeros'` (default), `'reflect'`, `'replicate'` or `'circular'` (see {@link ConvPaddingMode}). */
  paddingMode?: ConvPaddingMode;
}

// Conv1d and Conv2d take the same option names (their types differ only in the values).
const CONV_OPTIONS = optionNames<Conv1dOptions & Conv2dOptions>({
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
 * A 2-D convolution layer over `[N, C, H, W]` (or unbatched `[C, H, W]`) inputs, like `torch.nn.Conv2d`
 * (a cross-correlation, as in every deep-learning library): weight `[outChannels, inChannels / groups,
 * kH, kW]`, bias `[outChannels]`, output `[N, outChannels, H_out, W_out]` with
 * `H_out = floor((H + 2·padding - dilation·(kH - 1) - 1) / stride) + 1`.
 *
 * Initialised exactly as PyTorch does: weight and bias in `U(-1/√fanIn, 1/√fanIn)` with
 * `fanIn = inChannels / groups · kH · kW`. With `paddingMode` `'reflect'`, `'replicate'` or `'circular'`
 * (default `'zeros'`) the input is first padded by `F.pad` in that mode and convolved without padding.
 *
 * See https://pytorch.org/docs/stable/generated/torch.nn.Conv2d.html
 *
 * @example
 * ```ts
 * const conv = new Conv2d(3, 16, 3, { padding: 1 });
 * conv.forward(randn([8, 3, 32, 32])).shape; // [8, 16, 32, 32]
 * ```
 */
export class Conv2d extends Module {
  /** Channels of the input. */
  readonly inChannels: number;
  /** Channels of the output. */
  readonly outChannels: number;
  /** `[kH, kW]`. */
  readonly kernelSize: readonly [number, number];
  /** `[strideH, strideW]`. */
  readonly stride: readonly [number, number];
  /** `[padH, padW]`, or `'same'`. */
  readonly padding: readonly [number, number] | 'same';
  /** `[dilationH, dilationW]`. */
  readonly dilation: readonly [number, number];
  /** The number of channel groups. */
  readonly groups: number;
  /** How the input is padded (PyTorch's `padding_mode`). */
  readonly paddingMode: ConvPaddingMode;
  /** The filters, `[outChannels, inChannels / groups, kH, kW]`. */
  readonly weight: Tensor;
  /** The bias, `[outChannels]`, or null. */
  readonly bias: Tensor | null;

  constructor(inChannels: number, outChannels: number, kernelSize: Size2d, options: Conv2dOptions = {}) {
    super();
    const label = `Conv2d(${inChannels}, ${outChannels}, kernelSize=${JSON.stringify(kernelSize)})`;
    checkOptions(label, options, CONV_OPTIONS);
    const groups = options.groups ?? 1;
    checkChannels(label, inChannels, outChannels, groups);
    this.inChannels = inChannels;
    this.outChannels = outChannels;
    this.groups = groups;
    this.kernelSize = toPair(label, 'kernelSize', kernelSize, 1);
    this.paddingMode = checkPaddingMode(label, options.paddingMode);
    ({ stride: this.stride, dilation: this.dilation, padding: this.padding } = convWindow(label, options, toPair));
    const shape = [outChannels, inChannels / groups, ...this.kernelSize];
    ({ weight: this.weight, bias: this.bias } = createConvParameters(this, label, shape, outChannels, options));
  }

  private label(): string {
    return `Conv2d(${this.inChannels}, ${this.outChannels}, kernelSize=${formatShape(this.kernelSize)})`;
  }

  /** Convolve a `[N, C, H, W]` or `[C, H, W]` input. */
  forward(input: Tensor): Tensor {
    const label = this.label();
    checkConvInput(label, input, ['H', 'W'], this.inChannels);
    let x = input;
    let padding: [number, number];
    if (this.paddingMode !== 'zeros') {
      const [[top, bottom], [left, right]] =
        this.padding === 'same'
          ? samePadding(this.kernelSize, this.dilation)
          : [
              [this.padding[0], this.padding[0]],
              [this.padding[1], this.padding[1]],
            ];
      x = padInMode(label, x, [left, right, top, bottom], this.paddingMode);
      padding = [0, 0];
    } else if (this.padding === 'same') {
      const [[top, bottom], [left, right]] = samePadding(this.kernelSize, this.dilation);
      if (top === bottom && left === right) padding = [top, left];
      else {
        x = pad(x, [left, right, top, bottom]);
        padding = [0, 0];
      }
    } else padding = [this.padding[0], this.padding[1]];
    return conv2d(x, this.weight, this.bias, {
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

/**
 * A 1-D convolution layer over `[N, C, L]` (or unbatched `[C, L]`) inputs, like `torch.nn.Conv1d`:
 * weight `[outChannels, inChannels / groups, kernelSize]`, bias `[outChannels]`, output
 * `[N, outChannels, L_out]` with `L_out = floor((L + 2·padding - dilation·(k - 1) - 1) / stride) + 1`.
 * It runs as a 2-D convolution of height 1. Initialised as PyTorch does (`U(±1/√fanIn)`). With
 * `paddingMode` `'reflect'`, `'replicate'` or `'circular'` (default `'zeros'`) the input is first padded
 * by `F.pad` in that mode and convolved without padding.
 *
 * See https://pytorch.org/docs/stable/generated/torch.nn.Conv1d.html
 *
 * @example
 * ```ts
 * const conv = new Conv1d(4, 8, 5, { padding: 2 });
 * conv.forward(randn([2, 4, 100])).shape; // [2, 8, 100]
 * ```
 */
export class Conv1d extends Module {
  /** Channels of the input. */
  readonly inChannels: number;
  /** Channels of the output. */
  readonly outChannels: number;
  /** The kernel length. */
  readonly kernelSize: number;
  /** Step between windows. */
  readonly stride: number;
  /** Zeros added at both ends, or `'same'`. */
  readonly padding: number | 'same';
  /** Spacing between kernel taps. */
  readonly dilation: number;
  /** The number of channel groups. */
  readonly groups: number;
  /** How the input is padded (PyTorch's `padding_mode`). */
  readonly paddingMode: ConvPaddingMode;
  /** The filters, `[outChannels, inChannels / groups, kernelSize]`. */
  readonly weight: Tensor;
  /** The bias, `[outChannels]`, or null. */
  readonly bias: Tensor | null;

  constructor(inChannels: number, outChannels: number, kernelSize: number, options: Conv1dOptions = {}) {
    super();
    const label = `Conv1d(${inChannels}, ${outChannels}, kernelSize=${JSON.stringify(kernelSize)})`;
    checkOptions(label, options, CONV_OPTIONS);
    const groups = options.groups ?? 1;
    checkChannels(label, inChannels, outChannels, groups);
    this.inChannels = inChannels;
    this.outChannels = outChannels;
    this.groups = groups;
    this.kernelSize = checkInt(label, 'kernelSize', kernelSize, 1);
    this.paddingMode = checkPaddingMode(label, options.paddingMode);
    this.stride = checkInt(label, 'stride', options.stride ?? 1, 1);
    this.dilation = checkInt(label, 'dilation', options.dilation ?? 1, 1);
    const padding = options.padding ?? 0;
    if (padding === 'same') {
      if (this.stride !== 1)
        throw new ValueError(
          `${label}: padding 'same' is not supported for strided convolutions (stride ${this.stride})`,
        );
      this.padding = 'same';
    } else this.padding = padding === 'valid' ? 0 : checkInt(label, 'padding', padding, 0);
    const shape = [outChannels, inChannels / groups, kernelSize];
    ({ weight: this.weight, bias: this.bias } = createConvParameters(this, label, shape, outChannels, options));
  }

  /** Convolve a `[N, C, L]` or `[C, L]` input. */
  forward(input: Tensor): Tensor {
    const label = `Conv1d(${this.inChannels}, ${this.outChannels}, kernelSize=${this.kernelSize})`;
    checkConvInput(label, input, ['L'], this.inChannels);
    let x = unsqueeze(input, -2);
    let padding = 0;
    if (this.paddingMode !== 'zeros') {
      const [[left, right]] =
        this.padding === 'same' ? samePadding([this.kernelSize], [this.dilation]) : [[this.padding, this.padding]];
      x = unsqueeze(padInMode(label, input, [left, right], this.paddingMode), -2);
    } else if (this.padding === 'same') {
      const [[left, right]] = samePadding([this.kernelSize], [this.dilation]);
      if (left === right) padding = left;
      else x = pad(x, [left, right]);
    } else padding = this.padding;
    const [o, i, k] = this.weight.shape;
    const y = conv2d(x, reshape(this.weight, [o, i, 1, k]), this.bias, {
      stride: [1, this.stride],
      padding: [0, padding],
      dilation: [1, this.dilation],
      groups: this.groups,
    });
    return squeeze(y, -2);
  }

  override extraRepr(): string {
    const parts = [`${this.inChannels}, ${this.outChannels}, kernelSize=${this.kernelSize}, stride=${this.stride}`];
    if (this.padding === 'same') parts.push("padding='same'");
    else if (this.padding !== 0) parts.push(`padding=${this.padding}`);
    if (this.dilation !== 1) parts.push(`dilation=${this.dilation}`);
    if (this.groups !== 1) parts.push(`groups=${this.groups}`);
    if (this.bias === null) parts.push('bias=false');
    if (this.paddingMode !== 'zeros') parts.push(`paddingMode='${this.paddingMode}'`);
    return parts.join(', ');
  }
}
