import {
  adaptiveAvgPool1d,
  adaptiveMaxPool2dWithIndices,
  avgPool1d,
  checkOptions,
  maxPool1d,
  maxPool1dWithIndices,
  maxUnpool2d,
  optionNames,
  type Tensor,
  ValueError,
} from '@nablajs/core';
import { type AdaptiveSize2d, checkAdaptiveSize2d, checkWindow2d, windowRepr } from '../layers/pooling';
import { checkInput, checkInt, type Size2d, sizeText } from '../layers/util';
import { Module } from '../module';

/**
 * What a pooling layer with `returnIndices` gives: the values, or `[values, indices]` when it is true.
 *
 * @example
 * ```ts
 * const out: PoolOutput<true> = new MaxPool1d(2, { returnIndices: true }).forward(x); // [values, indices]
 * ```
 */
export type PoolOutput<R extends boolean> = R extends true ? [Tensor, Tensor] : Tensor;

/** Options of {@link MaxPool1d}, with PyTorch's defaults. */
export interface MaxPool1dOptions<R extends boolean = boolean> {
  /** Step between windows (default: the kernel size). */
  stride?: number | null;
  /** Implicit -∞ padding on both sides, at most half the kernel (default 0). */
  padding?: number;
  /** Spacing between window taps (default 1). */
  dilation?: number;
  /** Also return the argmax of every window, as int32 positions along L (default false). */
  returnIndices?: R;
  /** Round the output length up instead of down (default false). */
  ceilMode?: boolean;
}

/** Options of {@link AvgPool1d}, with PyTorch's defaults. */
export interface AvgPool1dOptions {
  /** Step between windows (default: the kernel size). */
  stride?: number | null;
  /** Implicit zero padding on both sides, at most half the kernel (default 0). */
  padding?: number;
  /** Round the output length up instead of down (default false). */
  ceilMode?: boolean;
  /** Count the padding zeros in the divisor (default true). */
  countIncludePad?: boolean;
}

/** Options of {@link AdaptiveMaxPool2d}, with PyTorch's defaults. */
export interface AdaptiveMaxPool2dOptions<R extends boolean = boolean> {
  /** Also return the argmax of every window, as int32 flat indices into each H x W plane (default false). */
  returnIndices?: R;
}

/** Options of {@link MaxUnpool2d}, with PyTorch's defaults. */
export interface MaxUnpool2dOptions {
  /** The stride of the max pooling being inverted (default: the kernel size). */
  stride?: Size2d | null;
  /** The padding of the max pooling being inverted (default 0). */
  padding?: Size2d;
}

const MAX_POOL1D_OPTIONS = optionNames<MaxPool1dOptions>({
  stride: true,
  padding: true,
  dilation: true,
  returnIndices: true,
  ceilMode: true,
});
const AVG_POOL1D_OPTIONS = optionNames<AvgPool1dOptions>({
  stride: true,
  padding: true,
  ceilMode: true,
  countIncludePad: true,
});
const ADAPTIVE_MAX_POOL2D_OPTIONS = optionNames<AdaptiveMaxPool2dOptions>({ returnIndices: true });
const MAX_UNPOOL2D_OPTIONS = optionNames<MaxUnpool2dOptions>({ stride: true, padding: true });

function checkHalfKernel(label: string, kernel: number, padding: number): void {
  if (padding > Math.floor(kernel / 2))
    throw new ValueError(
      `${label}: padding must be at most half the kernel size, got padding ${padding} for kernel ${kernel}`,
    );
}

/** Check a 1-D `kernelSize` and the `stride` and `padding` options (at most half the kernel), with their defaults. */
function checkWindow1d(
  label: string,
  kernelSize: number,
  options: { stride?: number | null; padding?: number },
): { kernelSize: number; stride: number; padding: number } {
  checkInt(label, 'kernelSize', kernelSize, 1);
  const stride = checkInt(label, 'stride', options.stride ?? kernelSize, 1);
  const padding = checkInt(label, 'padding', options.padding ?? 0, 0);
  checkHalfKernel(label, kernelSize, padding);
  return { kernelSize, stride, padding };
}

/**
 * 1-D max pooling over `[N, C, L]` (or `[C, L]`) inputs, like `torch.nn.MaxPool1d`:
 * `out[n, c, i] = max_k x[n, c, i·stride - padding + k·dilation]` for `k < kernelSize`, with -∞
 * padding; output length `floor((L + 2·padding - dilation·(kernelSize - 1) - 1) / stride) + 1` (ceil
 * in `ceilMode`). Defaults: `stride` = `kernelSize`, `padding` 0, `dilation` 1, `returnIndices`
 * false, `ceilMode` false. With `returnIndices` the forward gives `[values, indices]` (int32 positions
 * along L, usable to unpool). The gradient goes to each window's maximum.
 *
 * See https://pytorch.org/docs/stable/generated/torch.nn.MaxPool1d.html
 *
 * @example
 * ```ts
 * new MaxPool1d(2).forward(randn([4, 3, 10])).shape; // [4, 3, 5]
 * const [values, indices] = new MaxPool1d(3, { stride: 2, returnIndices: true }).forward(randn([4, 3, 10]));
 * ```
 */
export class MaxPool1d<R extends boolean = false> extends Module {
  /** The window size. */
  readonly kernelSize: number;
  /** The step between windows. */
  readonly stride: number;
  /** The implicit -∞ padding. */
  readonly padding: number;
  /** The spacing between window taps. */
  readonly dilation: number;
  /** Whether the forward also returns the indices. */
  readonly returnIndices: R;
  /** Whether output lengths are rounded up. */
  readonly ceilMode: boolean;

  constructor(kernelSize: number, options: MaxPool1dOptions<R> = {}) {
    super();
    const label = `MaxPool1d(${JSON.stringify(kernelSize)})`;
    checkOptions(label, options, MAX_POOL1D_OPTIONS);
    ({
      kernelSize: this.kernelSize,
      stride: this.stride,
      padding: this.padding,
    } = checkWindow1d(label, kernelSize, options));
    this.dilation = checkInt(label, 'dilation', options.dilation ?? 1, 1);
    this.returnIndices = (options.returnIndices ?? false) as R;
    this.ceilMode = options.ceilMode ?? false;
  }

  /** Max-pool `input` (`[N, C, L]` or `[C, L]`). */
  forward(input: Tensor): PoolOutput<R> {
    checkInput(`MaxPool1d(${this.kernelSize})`, input);
    const options = {
      kernelSize: this.kernelSize,
      stride: this.stride,
      padding: this.padding,
      dilation: this.dilation,
      ceilMode: this.ceilMode,
    };
    if (!this.returnIndices) return maxPool1d(input, options) as PoolOutput<R>;
    const { values, indices } = maxPool1dWithIndices(input, options);
    return [values, indices] as PoolOutput<R>;
  }

  override extraRepr(): string {
    return `kernelSize=${this.kernelSize}, stride=${this.stride}, padding=${this.padding}, dilation=${this.dilation}, ceilMode=${this.ceilMode}`;
  }
}

/**
 * 1-D average pooling over `[N, C, L]` (or `[C, L]`) inputs, like `torch.nn.AvgPool1d`: each output is
 * the mean of a window, `(1/d) Σ_k x[n, c, i·stride - padding + k]`, where padding adds zeros counted
 * in the divisor `d` unless `countIncludePad` is false. Defaults: `stride` = `kernelSize`, `padding`
 * 0, `ceilMode` false, `countIncludePad` true.
 *
 * See https://pytorch.org/docs/stable/generated/torch.nn.AvgPool1d.html
 *
 * @example
 * ```ts
 * new AvgPool1d(3, { stride: 2, padding: 1 }).forward(randn([4, 3, 10])).shape; // [4, 3, 5]
 * ```
 */
export class AvgPool1d extends Module {
  /** The window size. */
  readonly kernelSize: number;
  /** The step between windows. */
  readonly stride: number;
  /** The implicit zero padding. */
  readonly padding: number;
  /** Whether output lengths are rounded up. */
  readonly ceilMode: boolean;
  /** Whether padding zeros count in the divisor. */
  readonly countIncludePad: boolean;

  constructor(kernelSize: number, options: AvgPool1dOptions = {}) {
    super();
    const label = `AvgPool1d(${JSON.stringify(kernelSize)})`;
    checkOptions(label, options, AVG_POOL1D_OPTIONS);
    ({
      kernelSize: this.kernelSize,
      stride: this.stride,
      padding: this.padding,
    } = checkWindow1d(label, kernelSize, options));
    this.ceilMode = options.ceilMode ?? false;
    this.countIncludePad = options.countIncludePad ?? true;
  }

  /** Average-pool `input` (`[N, C, L]` or `[C, L]`). */
  forward(input: Tensor): Tensor {
    checkInput(`AvgPool1d(${this.kernelSize})`, input);
    return avgPool1d(input, {
      kernelSize: this.kernelSize,
      stride: this.stride,
      padding: this.padding,
      ceilMode: this.ceilMode,
      countIncludePad: this.countIncludePad,
    });
  }

  override extraRepr(): string {
    return `kernelSize=${this.kernelSize}, stride=${this.stride}, padding=${this.padding}`;
  }
}

/**
 * 1-D adaptive average pooling to a fixed length, like `torch.nn.AdaptiveAvgPool1d`: output `i` is the
 * mean of inputs `[floor(i·L/outputSize), ceil((i+1)·L/outputSize))`, so windows overlap when the
 * sizes do not divide; `outputSize` 1 is global average pooling.
 *
 * See https://pytorch.org/docs/stable/generated/torch.nn.AdaptiveAvgPool1d.html
 *
 * @example
 * ```ts
 * new AdaptiveAvgPool1d(4).forward(randn([2, 3, 10])).shape; // [2, 3, 4]
 * ```
 */
export class AdaptiveAvgPool1d extends Module {
  /** The output length. */
  readonly outputSize: number;

  constructor(outputSize: number) {
    super();
    this.outputSize = checkInt('AdaptiveAvgPool1d', 'outputSize', outputSize, 1);
  }

  /** Pool `input` (`[N, C, L]` or `[C, L]`) to `outputSize` positions. */
  forward(input: Tensor): Tensor {
    checkInput(`AdaptiveAvgPool1d(${this.outputSize})`, input);
    return adaptiveAvgPool1d(input, this.outputSize);
  }

  override extraRepr(): string {
    return `outputSize=${this.outputSize}`;
  }
}

/**
 * 2-D adaptive max pooling to a fixed output size, like `torch.nn.AdaptiveMaxPool2d`: output `(i, j)`
 * is the maximum of input rows `[floor(i·H/outH), ceil((i+1)·H/outH))` and the same columns; a null
 * size keeps the input's. Default `returnIndices` false; with it, the forward gives
 * `[values, indices]` (int32 flat indices into each `H x W` plane). The gradient goes to each
 * window's maximum.
 *
 * See https://pytorch.org/docs/stable/generated/torch.nn.AdaptiveMaxPool2d.html
 *
 * @example
 * ```ts
 * new AdaptiveMaxPool2d(1).forward(randn([8, 16, 7, 7])).shape; // [8, 16, 1, 1]
 * const [values, indices] = new AdaptiveMaxPool2d([2, null], { returnIndices: true }).forward(randn([1, 3, 5, 6]));
 * ```
 */
export class AdaptiveMaxPool2d<R extends boolean = false> extends Module {
  /** The target `[H_out, W_out]` (null keeps the input size). */
  readonly outputSize: readonly [number | null, number | null];
  /** Whether the forward also returns the indices. */
  readonly returnIndices: R;

  constructor(outputSize: AdaptiveSize2d, options: AdaptiveMaxPool2dOptions<R> = {}) {
    super();
    this.outputSize = checkAdaptiveSize2d('AdaptiveMaxPool2d', outputSize);
    checkOptions('AdaptiveMaxPool2d', options, ADAPTIVE_MAX_POOL2D_OPTIONS);
    this.returnIndices = (options.returnIndices ?? false) as R;
  }

  /** Pool `input` (`[N, C, H, W]` or `[C, H, W]`) to `outputSize`. */
  forward(input: Tensor): PoolOutput<R> {
    checkInput(`AdaptiveMaxPool2d(${JSON.stringify(this.outputSize)})`, input);
    const { values, indices } = adaptiveMaxPool2dWithIndices(input, this.outputSize);
    return (this.returnIndices ? [values, indices] : values) as PoolOutput<R>;
  }

  override extraRepr(): string {
    return `outputSize=${JSON.stringify(this.outputSize)}`;
  }
}

/**
 * The partial inverse of {@link MaxPool2d} with `returnIndices`, like `torch.nn.MaxUnpool2d`: every input value
 * goes to the flat position its index gives in an output plane of
 * `(H - 1)·stride - 2·padding + kernelSize` by the same for W (or `outputSize` passed to the forward,
 * within `stride` of that), and every other output is 0. Defaults: `stride` = `kernelSize`,
 * `padding` 0. The gradient is the upstream gradient read at the indices.
 *
 * See https://pytorch.org/docs/stable/generated/torch.nn.MaxUnpool2d.html
 *
 * @example
 * ```ts
 * const [values, indices] = new MaxPool2d(2, { returnIndices: true }).forward(randn([1, 1, 5, 5])); // each [1, 1, 2, 2]
 * new MaxUnpool2d(2).forward(values, indices, [5, 5]).shape; // [1, 1, 5, 5]
 * ```
 */
export class MaxUnpool2d extends Module {
  /** The window size of the pooling being inverted. */
  readonly kernelSize: Size2d;
  /** Its stride (the kernel size when not given). */
  readonly stride: Size2d;
  /** Its padding. */
  readonly padding: Size2d;

  constructor(kernelSize: Size2d, options: MaxUnpool2dOptions = {}) {
    super();
    const label = `MaxUnpool2d(${JSON.stringify(kernelSize)})`;
    checkOptions(label, options, MAX_UNPOOL2D_OPTIONS);
    ({
      kernelSize: this.kernelSize,
      stride: this.stride,
      padding: this.padding,
    } = checkWindow2d(label, kernelSize, options));
  }

  /** Unpool `input` (`[N, C, H, W]` or `[C, H, W]`) at `indices` (int32, the input's shape). */
  forward(input: Tensor, indices: Tensor, outputSize: readonly number[] | null = null): Tensor {
    const label = `MaxUnpool2d(${sizeText(this.kernelSize)})`;
    checkInput(label, input);
    checkInput(label, indices, 'indices');
    return maxUnpool2d(input, indices, this.kernelSize, { stride: this.stride, padding: this.padding, outputSize });
  }

  override extraRepr(): string {
    return windowRepr(this);
  }
}
