import { checkOptions, interpolate, optionNames, ShapeError, type Tensor, ValueError } from '@nablajs/core';
import { checkInput, checkInt, formatShape, type Size2d, sizeText, toPair } from '../layers/util';
import { Module } from '../module';
import {
  adaptiveMaxPool1dWithIndices,
  channelShuffle,
  type LocalResponseNormOptions,
  LP_POOL1D_OPTIONS,
  LP_POOL2D_OPTIONS,
  type LPPool1dOptions,
  type LPPool2dOptions,
  LRN_OPTIONS,
  localResponseNorm,
  lpPool1d,
  lpPool2d,
} from './more-pool-ops';
import type { PoolOutput } from './pool-layers';

/**
 * Options of {@link AdaptiveMaxPool1d}, with PyTorch's defaults.
 *
 * @example
 * ```ts
 * const options: AdaptiveMaxPool1dOptions<true> = { returnIndices: true };
 * ```
 */
export interface AdaptiveMaxPool1dOptions<R extends boolean = boolean> {
  /** Also return the argmax of every window, as int32 positions along L (default false). */
  returnIndices?: R;
}

/**
 * Options of {@link UpsamplingNearest2d} and {@link UpsamplingBilinear2d}: give exactly one of the two.
 *
 * @example
 * ```ts
 * const bySize: Upsampling2dOptions = { size: [6, 8] };
 * const byScale: Upsampling2dOptions = { scaleFactor: 2 };
 * ```
 */
export interface Upsampling2dOptions {
  /** The output `[height, width]`, or one number for both. */
  size?: number | readonly [number, number] | null;
  /** The multiplier of the input size, one number or `[height, width]`. */
  scaleFactor?: number | readonly [number, number] | null;
}

const ADAPTIVE_MAX_POOL1D_OPTIONS = optionNames<AdaptiveMaxPool1dOptions>({ returnIndices: true });
const UPSAMPLING_OPTIONS = optionNames<Upsampling2dOptions>({ size: true, scaleFactor: true });

function checkNormType(layer: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || !(value > 0))
    throw new ValueError(
      `${layer}: normType must be a finite number > 0, got ${JSON.stringify(value) ?? String(value)}`,
    );
  return value;
}

function checkNumber(layer: string, arg: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value))
    throw new ValueError(`${layer}: ${arg} must be a finite number, got ${JSON.stringify(value) ?? String(value)}`);
  return value;
}

/**
 * 1-D adaptive max pooling to a fixed length, like `torch.nn.AdaptiveMaxPool1d`: output `i` is the maximum
 * of inputs `[floor(i·L/outputSize), ceil((i+1)·L/outputSize))`; calls `F.adaptiveMaxPool1dWithIndices`.
 * Default `returnIndices` false; with it, the forward gives `[values, indices]` (int32 positions along L).
 *
 * See https://pytorch.org/docs/1.13/generated/torch.nn.AdaptiveMaxPool1d.html
 *
 * @example
 * ```ts
 * new AdaptiveMaxPool1d(4).forward(randn([2, 3, 10])).shape; // [2, 3, 4]
 * const [values, indices] = new AdaptiveMaxPool1d(2, { returnIndices: true }).forward(randn([3, 10]));
 * ```
 */
export class AdaptiveMaxPool1d<R extends boolean = false> extends Module {
  /** The output length. */
  readonly outputSize: number;
  /** Whether the forward also returns the indices. */
  readonly returnIndices: R;

  constructor(outputSize: number, options: AdaptiveMaxPool1dOptions<R> = {}) {
    super();
    this.outputSize = checkInt('AdaptiveMaxPool1d', 'outputSize', outputSize, 1);
    checkOptions('AdaptiveMaxPool1d', options, ADAPTIVE_MAX_POOL1D_OPTIONS);
    this.returnIndices = (options.returnIndices ?? false) as R;
  }

  /** Pool `input` (`[N, C, L]` or `[C, L]`) to `outputSize` positions. */
  forward(input: Tensor): PoolOutput<R> {
    checkInput(`AdaptiveMaxPool1d(${this.outputSize})`, input);
    const { values, indices } = adaptiveMaxPool1dWithIndices(input, this.outputSize);
    return (this.returnIndices ? [values, indices] : values) as PoolOutput<R>;
  }

  override extraRepr(): string {
    return `outputSize=${this.outputSize}`;
  }
}

/**
 * 1-D power-average pooling, like `torch.nn.LPPool1d`: `(Σ_window x^p)^(1/p)` over windows of
 * `kernelSize`, as PyTorch computes it (average pooling times the kernel size; a partial window of `ceilMode`
 * is scaled up to the full size; a window summing to 0 gives 0 with gradient 0); calls `F.lpPool1d`.
 * Defaults: `stride` = `kernelSize`, `ceilMode` false.
 *
 * See https://pytorch.org/docs/1.13/generated/torch.nn.LPPool1d.html
 *
 * @example
 * ```ts
 * new LPPool1d({ normType: 2, kernelSize: 3, stride: 2 }).forward(randn([4, 3, 11])).shape; // [4, 3, 5]
 * ```
 */
export class LPPool1d extends Module {
  /** The power `p`. */
  readonly normType: number;
  /** The window size. */
  readonly kernelSize: number;
  /** The step between windows. */
  readonly stride: number;
  /** Whether output lengths are rounded up. */
  readonly ceilMode: boolean;

  constructor(options: LPPool1dOptions) {
    super();
    checkOptions('LPPool1d', options, LP_POOL1D_OPTIONS);
    this.normType = checkNormType('LPPool1d', options?.normType);
    this.kernelSize = checkInt('LPPool1d', 'kernelSize', options.kernelSize, 1);
    this.stride = checkInt('LPPool1d', 'stride', options.stride ?? this.kernelSize, 1);
    this.ceilMode = options.ceilMode ?? false;
  }

  /** Pool `input` (`[N, C, L]` or `[C, L]`). */
  forward(input: Tensor): Tensor {
    checkInput('LPPool1d', input);
    const { normType, kernelSize, stride, ceilMode } = this;
    return lpPool1d(input, { normType, kernelSize, stride, ceilMode });
  }

  override extraRepr(): string {
    return `normType=${this.normType}, kernelSize=${this.kernelSize}, stride=${this.stride}, ceilMode=${this.ceilMode}`;
  }
}

/**
 * 2-D power-average pooling, like `torch.nn.LPPool2d`: `(Σ_window x^p)^(1/p)` over `kernelSize` windows, as
 * PyTorch computes it (average pooling times `kH·kW`; partial windows of `ceilMode` scaled up; a window summing
 * to 0 gives 0 with gradient 0); calls `F.lpPool2d`. Defaults: `stride` = `kernelSize`, `ceilMode` false.
 *
 * See https://pytorch.org/docs/1.13/generated/torch.nn.LPPool2d.html
 *
 * @example
 * ```ts
 * new LPPool2d({ normType: 2, kernelSize: [2, 3] }).forward(randn([1, 3, 8, 9])).shape; // [1, 3, 4, 3]
 * ```
 */
export class LPPool2d extends Module {
  /** The power `p`. */
  readonly normType: number;
  /** The window size. */
  readonly kernelSize: Size2d;
  /** The step between windows. */
  readonly stride: Size2d;
  /** Whether output sizes are rounded up. */
  readonly ceilMode: boolean;

  constructor(options: LPPool2dOptions) {
    super();
    checkOptions('LPPool2d', options, LP_POOL2D_OPTIONS);
    this.normType = checkNormType('LPPool2d', options?.normType);
    toPair('LPPool2d', 'kernelSize', options.kernelSize, 1);
    this.kernelSize = options.kernelSize;
    this.stride = options.stride ?? options.kernelSize;
    toPair('LPPool2d', 'stride', this.stride, 1);
    this.ceilMode = options.ceilMode ?? false;
  }

  /** Pool `input` (`[N, C, H, W]` or `[C, H, W]`). */
  forward(input: Tensor): Tensor {
    checkInput('LPPool2d', input);
    const { normType, kernelSize, stride, ceilMode } = this;
    return lpPool2d(input, { normType, kernelSize, stride, ceilMode });
  }

  override extraRepr(): string {
    return `normType=${this.normType}, kernelSize=${sizeText(this.kernelSize)}, stride=${sizeText(this.stride)}, ceilMode=${this.ceilMode}`;
  }
}

/**
 * Local response normalisation across channels, like `torch.nn.LocalResponseNorm`: for `[N, C, ...]` inputs
 * (3 or more dims), `x / (k + alpha · m)^beta` with `m` the mean of `x²` over `size` neighbouring channels
 * (zero-padded, divided by `size`); calls `F.localResponseNorm`. Defaults: `alpha` 1e-4, `beta` 0.75, `k` 1.
 * No parameters.
 *
 * See https://pytorch.org/docs/1.13/generated/torch.nn.LocalResponseNorm.html
 *
 * @example
 * ```ts
 * new LocalResponseNorm({ size: 2 }).forward(randn([32, 5, 24, 24])).shape; // [32, 5, 24, 24]
 * ```
 */
export class LocalResponseNorm extends Module {
  /** The number of neighbouring channels. */
  readonly size: number;
  /** The multiplier of the mean of squares. */
  readonly alpha: number;
  /** The exponent of the denominator. */
  readonly beta: number;
  /** The additive constant of the denominator. */
  readonly k: number;

  constructor(options: LocalResponseNormOptions) {
    super();
    checkOptions('LocalResponseNorm', options, LRN_OPTIONS);
    this.size = checkInt('LocalResponseNorm', 'size', options?.size, 1);
    this.alpha = checkNumber('LocalResponseNorm', 'alpha', options.alpha ?? 1e-4);
    this.beta = checkNumber('LocalResponseNorm', 'beta', options.beta ?? 0.75);
    this.k = checkNumber('LocalResponseNorm', 'k', options.k ?? 1);
  }

  /** Normalise `input` (`[N, C, ...]`). */
  forward(input: Tensor): Tensor {
    checkInput('LocalResponseNorm', input);
    return localResponseNorm(input, { size: this.size, alpha: this.alpha, beta: this.beta, k: this.k });
  }

  override extraRepr(): string {
    return `size=${this.size}, alpha=${this.alpha}, beta=${this.beta}, k=${this.k}`;
  }
}

/**
 * Interleave the channels of `[N, C, ...]` inputs (3 or more dims) from `groups` groups, like
 * `torch.nn.ChannelShuffle` (ShuffleNet); calls `F.channelShuffle`. No parameters. Unlike PyTorch 1.13, whose
 * backward throws, the gradient is the inverse shuffle.
 *
 * See https://pytorch.org/docs/1.13/generated/torch.nn.ChannelShuffle.html
 *
 * @example
 * ```ts
 * new ChannelShuffle(2).forward(arange(4).reshape([1, 4, 1])).toArray(); // [[[0], [2], [1], [3]]]
 * ```
 */
export class ChannelShuffle extends Module {
  /** The number of channel groups. */
  readonly groups: number;

  constructor(groups: number) {
    super();
    this.groups = checkInt('ChannelShuffle', 'groups', groups, 1);
  }

  /** Shuffle the channels (dim 1) of `input`. */
  forward(input: Tensor): Tensor {
    checkInput(`ChannelShuffle(${this.groups})`, input);
    return channelShuffle(input, this.groups);
  }

  override extraRepr(): string {
    return `groups=${this.groups}`;
  }
}

/** Check the options of a 2-D upsampling layer: exactly one of size and scaleFactor, each one or two values. */
function checkUpsampling(layer: string, options: Upsampling2dOptions): Upsampling2dOptions {
  checkOptions(layer, options, UPSAMPLING_OPTIONS);
  const size = options.size ?? null;
  const scaleFactor = options.scaleFactor ?? null;
  if (size !== null && scaleFactor !== null)
    throw new ValueError(`${layer}: only one of size and scaleFactor may be given`);
  if (size === null && scaleFactor === null) throw new ValueError(`${layer}: either size or scaleFactor must be given`);
  if (size !== null) toPair(layer, 'size', size, 1);
  else {
    const list = typeof scaleFactor === 'number' ? [scaleFactor] : Array.isArray(scaleFactor) ? scaleFactor : null;
    if (list === null || (list.length !== 1 && list.length !== 2) || !list.every((v) => Number.isFinite(v) && v > 0))
      throw new ValueError(
        `${layer}: scaleFactor must be a positive number or a pair of them, got ${JSON.stringify(scaleFactor)}`,
      );
  }
  return { size, scaleFactor };
}

function check4d(layer: string, input: unknown): asserts input is Tensor {
  checkInput(layer, input);
  if (input.ndim !== 4)
    throw new ShapeError(`${layer}: expected a 4-D [N, C, H, W] input, got shape ${formatShape(input.shape)}`);
}

function upsamplingRepr(layer: { size: unknown; scaleFactor: unknown }, mode: string): string {
  const what =
    layer.size !== null ? `size=${JSON.stringify(layer.size)}` : `scaleFactor=${JSON.stringify(layer.scaleFactor)}`;
  return `${what}, mode='${mode}'`;
}

/**
 * 2-D nearest-neighbour upsampling of `[N, C, H, W]` inputs, like `torch.nn.UpsamplingNearest2d`: core's
 * `interpolate` in mode `'nearest'` (output pixel `j` copies input pixel `min(floor(j / scaleFactor), in - 1)`,
 * or `floor(j · in / out)` for a `size`). Give `size` or `scaleFactor`. A 3-D input is refused (PyTorch would
 * resample it along its last dim only).
 *
 * See https://pytorch.org/docs/1.13/generated/torch.nn.UpsamplingNearest2d.html
 *
 * @example
 * ```ts
 * new UpsamplingNearest2d({ scaleFactor: 2 }).forward(randn([1, 3, 4, 4])).shape; // [1, 3, 8, 8]
 * ```
 */
export class UpsamplingNearest2d extends Module {
  /** The output size, or null. */
  readonly size: number | readonly [number, number] | null;
  /** The scale factor, or null. */
  readonly scaleFactor: number | readonly [number, number] | null;

  constructor(options: Upsampling2dOptions) {
    super();
    const checked = checkUpsampling('UpsamplingNearest2d', options);
    this.size = checked.size ?? null;
    this.scaleFactor = checked.scaleFactor ?? null;
  }

  /** Upsample `input` (`[N, C, H, W]`). */
  forward(input: Tensor): Tensor {
    check4d('UpsamplingNearest2d', input);
    return interpolate(input, { size: this.size, scaleFactor: this.scaleFactor, mode: 'nearest' });
  }

  override extraRepr(): string {
    return upsamplingRepr(this, 'nearest');
  }
}

/**
 * 2-D bilinear upsampling of `[N, C, H, W]` inputs with aligned corners, like `torch.nn.UpsamplingBilinear2d`:
 * core's `interpolate` in mode `'bilinear'` with `alignCorners` true (output pixel `j` samples input position
 * `j·(in - 1)/(out - 1)`, so the corner pixels stay). Give `size` or `scaleFactor`.
 *
 * See https://pytorch.org/docs/1.13/generated/torch.nn.UpsamplingBilinear2d.html
 *
 * @example
 * ```ts
 * new UpsamplingBilinear2d({ size: [5, 7] }).forward(randn([1, 3, 2, 3])).shape; // [1, 3, 5, 7]
 * ```
 */
export class UpsamplingBilinear2d extends Module {
  /** The output size, or null. */
  readonly size: number | readonly [number, number] | null;
  /** The scale factor, or null. */
  readonly scaleFactor: number | readonly [number, number] | null;

  constructor(options: Upsampling2dOptions) {
    super();
    const checked = checkUpsampling('UpsamplingBilinear2d', options);
    this.size = checked.size ?? null;
    this.scaleFactor = checked.scaleFactor ?? null;
  }

  /** Upsample `input` (`[N, C, H, W]`). */
  forward(input: Tensor): Tensor {
    check4d('UpsamplingBilinear2d', input);
    return interpolate(input, {
      size: this.size,
      scaleFactor: this.scaleFactor,
      mode: 'bilinear',
      alignCorners: true,
    });
  }

  override extraRepr(): string {
    return upsamplingRepr(this, 'bilinear');
  }
}
