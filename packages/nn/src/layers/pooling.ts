import {
  avgPool2d,
  cat,
  checkOptions,
  maxPool2d,
  maxPool2dWithIndices,
  mean,
  optionNames,
  ShapeError,
  slice,
  type Tensor,
  ValueError,
} from '@nablajs/core';
import { Module } from '../module';
import { checkInput, formatShape, type Size2d, sizeText, toPair } from './util';

/** Options of {@link MaxPool2d}, with PyTorch's defaults. */
export interface MaxPool2dOptions<R extends boolean = boolean> {
  /**
   * Also return each window's argmax as int32 flat indices `y·W + x` into its `H x W` input plane, as
   * {@link MaxUnpool2d} expects: `forward` then returns `[values, indices]` (default false).
   */
  returnIndices?: R;
  /** Step between windows (default: the kernel size). */
  stride?: Size2d | null;
  /** Implicit -∞ padding on both sides, at most half the kernel (default 0). */
  padding?: Size2d;
  /** Spacing between window taps (default 1). */
  dilation?: Size2d;
  /** Round the output size up instead of down (default false). */
  ceilMode?: boolean;
}

/** Options of {@link AvgPool2d}, with PyTorch's defaults. */
export interface AvgPool2dOptions {
  /** Step between windows (default: the kernel size). */
  stride?: Size2d | null;
  /** Implicit zero padding on both sides, at most half the kernel (default 0). */
  padding?: Size2d;
  /** Round the output size up instead of down (default false). */
  ceilMode?: boolean;
  /** Count the padding zeros in the divisor (default true). */
  countIncludePad?: boolean;
  /** Divide by this instead of the window size (default null). */
  divisorOverride?: number | null;
}

const MAX_POOL2D_OPTIONS = optionNames<MaxPool2dOptions>({
  returnIndices: true,
  stride: true,
  padding: true,
  dilation: true,
  ceilMode: true,
});
const AVG_POOL2D_OPTIONS = optionNames<AvgPool2dOptions>({
  stride: true,
  padding: true,
  ceilMode: true,
  countIncludePad: true,
  divisorOverride: true,
});

function checkPoolInput(label: string, input: unknown): asserts input is Tensor {
  checkInput(label, input);
  if (input.ndim !== 3 && input.ndim !== 4)
    throw new ShapeError(
      `${label}: expected a 3-D [C, H, W] or 4-D [N, C, H, W] input, got shape ${formatShape(input.shape)}`,
    );
}

/** The checked window of a 2-D pooling (or unpooling) layer: `stride` defaults to `kernelSize`, `padding` to 0. */
export interface Window2d {
  kernelSize: Size2d;
  stride: Size2d;
  padding: Size2d;
}

/** Check a 2-D `kernelSize` and the `stride` and `padding` options, filling in their defaults. */
export function checkWindow2d(
  label: string,
  kernelSize: Size2d,
  options: { stride?: Size2d | null; padding?: Size2d },
): Window2d {
  toPair(label, 'kernelSize', kernelSize, 1);
  const stride = options.stride ?? kernelSize;
  toPair(label, 'stride', stride, 1);
  const padding = options.padding ?? 0;
  toPair(label, 'padding', padding, 0);
  return { kernelSize, stride, padding };
}

/** `kernelSize=…, stride=…, padding=…`: the start of a pooling layer's repr. */
export function windowRepr(w: Window2d): string {
  return `kernelSize=${sizeText(w.kernelSize)}, stride=${sizeText(w.stride)}, padding=${sizeText(w.padding)}`;
}

/** Check an average pooling layer's `divisorOverride` option: a non-zero integer, or null (the default). */
export function checkDivisorOverride(label: string, value: number | null | undefined): number | null {
  const v = value ?? null;
  if (v !== null && (!Number.isInteger(v) || v === 0))
    throw new ValueError(`${label}: divisorOverride must be a non-zero integer or null, got ${v}`);
  return v;
}

/** Check an adaptive pooling's `outputSize` ({@link AdaptiveSize2d}) and return it as a pair. */
export function checkAdaptiveSize2d(layer: string, outputSize: unknown): readonly [number | null, number | null] {
  const [h, w] = checkAdaptiveSize(layer, outputSize, 2);
  return [h, w];
}

/**
 * Check an adaptive pooling's `outputSize` of `dims` (2 or 3) spatial dims: one positive integer for all, or a
 * list of positive integers or nulls (null keeps the input's size). Returns the list.
 */
export function checkAdaptiveSize(layer: string, outputSize: unknown, dims: 2 | 3): (number | null)[] {
  const list =
    typeof outputSize === 'number' ? new Array(dims).fill(outputSize) : Array.isArray(outputSize) ? outputSize : null;
  if (list === null || list.length !== dims || !list.every((v) => v === null || (Number.isInteger(v) && v >= 1)))
    throw new ValueError(
      `${layer}: outputSize must be a positive integer or ${dims === 2 ? 'a pair of' : 'three'} positive integers or nulls, got ${JSON.stringify(outputSize)}`,
    );
  return [...list];
}

/**
 * 2-D max pooling over `[N, C, H, W]` (or `[C, H, W]`) inputs, like `torch.nn.MaxPool2d`: each output is
 * the maximum of a `kernelSize` window; the gradient goes to the window's argmax.
 *
 * See https://pytorch.org/docs/stable/generated/torch.nn.MaxPool2d.html
 *
 * @example
 * ```ts
 * new MaxPool2d(2).forward(randn([1, 3, 32, 32])).shape; // [1, 3, 16, 16]
 * new MaxPool2d(3, { stride: 2, padding: 1 });
 * const [values, indices] = new MaxPool2d(2, { returnIndices: true }).forward(randn([1, 3, 8, 8]));
 * new MaxUnpool2d(2).forward(values, indices).shape; // [1, 3, 8, 8]
 * ```
 */
export class MaxPool2d<R extends boolean = false> extends Module {
  /** The window size. */
  readonly kernelSize: Size2d;
  /** The step between windows (the kernel size when not given). */
  readonly stride: Size2d;
  /** The implicit -∞ padding. */
  readonly padding: Size2d;
  /** The spacing between window taps. */
  readonly dilation: Size2d;
  /** Whether output sizes are rounded up. */
  readonly ceilMode: boolean;
  /** Whether `forward` returns `[values, indices]`. */
  readonly returnIndices: R;

  constructor(kernelSize: Size2d, options: MaxPool2dOptions<R> = {}) {
    super();
    const label = `MaxPool2d(${JSON.stringify(kernelSize)})`;
    checkOptions(label, options, MAX_POOL2D_OPTIONS);
    ({
      kernelSize: this.kernelSize,
      stride: this.stride,
      padding: this.padding,
    } = checkWindow2d(label, kernelSize, options));
    this.dilation = options.dilation ?? 1;
    toPair(label, 'dilation', this.dilation, 1);
    this.ceilMode = options.ceilMode ?? false;
    this.returnIndices = (options.returnIndices ?? false) as R;
  }

  /** Max-pool `input`: the pooled values, or `[values, indices]` with `returnIndices`. */
  forward(input: Tensor): R extends true ? [Tensor, Tensor] : Tensor {
    checkPoolInput(`MaxPool2d(${sizeText(this.kernelSize)})`, input);
    const options = {
      kernelSize: this.kernelSize,
      stride: this.stride,
      padding: this.padding,
      dilation: this.dilation,
      ceilMode: this.ceilMode,
    };
    if (!this.returnIndices) return maxPool2d(input, options) as R extends true ? [Tensor, Tensor] : Tensor;
    const { values, indices } = maxPool2dWithIndices(input, options);
    return [values, indices] as R extends true ? [Tensor, Tensor] : Tensor;
  }

  override extraRepr(): string {
    return `${windowRepr(this)}, dilation=${sizeText(this.dilation)}, ceilMode=${this.ceilMode}`;
  }
}

/**
 * 2-D average pooling over `[N, C, H, W]` (or `[C, H, W]`) inputs, like `torch.nn.AvgPool2d`: each output
 * is the mean of a `kernelSize` window; by default padded zeros count in the divisor.
 *
 * See https://pytorch.org/docs/stable/generated/torch.nn.AvgPool2d.html
 *
 * @example
 * ```ts
 * new AvgPool2d(2).forward(randn([1, 3, 32, 32])).shape; // [1, 3, 16, 16]
 * new AvgPool2d(3, { stride: 2, padding: 1, countIncludePad: false });
 * ```
 */
export class AvgPool2d extends Module {
  /** The window size. */
  readonly kernelSize: Size2d;
  /** The step between windows (the kernel size when not given). */
  readonly stride: Size2d;
  /** The implicit zero padding. */
  readonly padding: Size2d;
  /** Whether output sizes are rounded up. */
  readonly ceilMode: boolean;
  /** Whether padding zeros count in the divisor. */
  readonly countIncludePad: boolean;
  /** A fixed divisor, or null. */
  readonly divisorOverride: number | null;

  constructor(kernelSize: Size2d, options: AvgPool2dOptions = {}) {
    super();
    const label = `AvgPool2d(${JSON.stringify(kernelSize)})`;
    checkOptions(label, options, AVG_POOL2D_OPTIONS);
    ({
      kernelSize: this.kernelSize,
      stride: this.stride,
      padding: this.padding,
    } = checkWindow2d(label, kernelSize, options));
    this.ceilMode = options.ceilMode ?? false;
    this.countIncludePad = options.countIncludePad ?? true;
    this.divisorOverride = checkDivisorOverride(label, options.divisorOverride);
  }

  /** Average-pool `input`. */
  forward(input: Tensor): Tensor {
    checkPoolInput(`AvgPool2d(${sizeText(this.kernelSize)})`, input);
    return avgPool2d(input, {
      kernelSize: this.kernelSize,
      stride: this.stride,
      padding: this.padding,
      ceilMode: this.ceilMode,
      countIncludePad: this.countIncludePad,
      divisorOverride: this.divisorOverride,
    });
  }

  override extraRepr(): string {
    return windowRepr(this);
  }
}

/** The output size of an adaptive pooling: a number for both dims, or `[h, w]` where null keeps the input size. */
export type AdaptiveSize2d = number | readonly [number | null, number | null];

/** PyTorch's adaptive windows along a dimension of `size` split into `out` parts: `[floor(i·size/out), ceil((i+1)·size/out))`. */
function adaptiveWindows(size: number, out: number): Array<[number, number]> {
  const windows: Array<[number, number]> = [];
  for (let i = 0; i < out; i++) windows.push([Math.floor((i * size) / out), Math.ceil(((i + 1) * size) / out)]);
  return windows;
}

/** Average each adaptive window along `axis` of `x` (an axis from the end: -3 for D, -2 for H, -1 for W). */
export function adaptiveMean(x: Tensor, axis: -3 | -2 | -1, out: number): Tensor {
  const size = x.shape[x.ndim + axis];
  if (out === size) return x;
  const pieces = adaptiveWindows(size, out).map(([start, end]) => {
    const spec: Array<[number, number] | null> = x.shape.map(() => null);
    spec[x.ndim + axis] = [start, end];
    return mean(slice(x, spec), axis, true);
  });
  return pieces.length === 1 ? pieces[0] : cat(pieces, x.ndim + axis);
}

/**
 * 2-D adaptive average pooling to a fixed output size, like `torch.nn.AdaptiveAvgPool2d`: output cell
 * `(i, j)` is the mean of input rows `[floor(i·H/outH), ceil((i+1)·H/outH))` and the same for columns,
 * so windows may overlap when the sizes do not divide. `outputSize` 1 is global average pooling.
 *
 * See https://pytorch.org/docs/stable/generated/torch.nn.AdaptiveAvgPool2d.html
 *
 * @example
 * ```ts
 * new AdaptiveAvgPool2d(1).forward(randn([8, 512, 7, 7])).shape; // [8, 512, 1, 1]
 * new AdaptiveAvgPool2d([2, null]).forward(randn([1, 3, 5, 6])).shape; // [1, 3, 2, 6]
 * ```
 */
export class AdaptiveAvgPool2d extends Module {
  /** The target `[H_out, W_out]` (null keeps the input size). */
  readonly outputSize: readonly [number | null, number | null];

  constructor(outputSize: AdaptiveSize2d) {
    super();
    this.outputSize = checkAdaptiveSize2d('AdaptiveAvgPool2d', outputSize);
  }

  /** Pool `input` (`[N, C, H, W]` or `[C, H, W]`) to `outputSize`. */
  forward(input: Tensor): Tensor {
    const label = `AdaptiveAvgPool2d(${JSON.stringify(this.outputSize)})`;
    checkPoolInput(label, input);
    const height = input.shape[input.ndim - 2];
    const width = input.shape[input.ndim - 1];
    if (height === 0 || width === 0)
      throw new ShapeError(`${label}: input has an empty spatial dimension (input shape ${formatShape(input.shape)})`);
    const outH = this.outputSize[0] ?? height;
    const outW = this.outputSize[1] ?? width;
    // NOTE: every window is a rectangle of uniform weights, so averaging rows first and then columns
    // gives the window means exactly, with outH + outW slices instead of outH · outW.
    return adaptiveMean(adaptiveMean(input, -2, outH), -1, outW);
  }

  override extraRepr(): string {
    return `outputSize=${JSON.stringify(this.outputSize)}`;
  }
}
