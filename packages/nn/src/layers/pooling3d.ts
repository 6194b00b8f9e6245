import {
  adaptiveMaxPool3d,
  adaptiveMaxPool3dWithIndices,
  avgPool3d,
  checkOptions,
  maxPool3d,
  maxPool3dWithIndices,
  maxUnpool3d,
  optionNames,
  ShapeError,
  type Size3d,
  type Tensor,
} from '@nablajs/core';
import { Module } from '../module';
import { adaptiveMean, checkAdaptiveSize, checkDivisorOverride } from './pooling';
import { checkInput, formatShape, toTriple } from './util';

/** Options of {@link MaxPool3d}, with PyTorch's defaults. */
export interface MaxPool3dLayerOptions<R extends boolean = boolean> {
  /** Also return each window's argmax as int32 flat indices `d·H·W + h·W + w` (default false). */
  returnIndices?: R;
  /** Step between windows (default: the kernel size). */
  stride?: Size3d | null;
  /** Implicit -∞ padding on both sides, at most half the kernel (default 0). */
  padding?: Size3d;
  /** Spacing between window taps (default 1). */
  dilation?: Size3d;
  /** Round the output size up instead of down (default false). */
  ceilMode?: boolean;
}

/** Options of {@link AvgPool3d}, with PyTorch's defaults. */
export interface AvgPool3dLayerOptions {
  /** Step between windows (default: the kernel size). */
  stride?: Size3d | null;
  /** Implicit zero padding on both sides, at most half the kernel (default 0). */
  padding?: Size3d;
  /** Round the output size up instead of down (default false). */
  ceilMode?: boolean;
  /** Count the padding zeros in the divisor (default true). */
  countIncludePad?: boolean;
  /** Divide by this instead of the window size (default null). */
  divisorOverride?: number | null;
}

const MAX_POOL3D_OPTIONS = optionNames<MaxPool3dLayerOptions>({
  returnIndices: true,
  stride: true,
  padding: true,
  dilation: true,
  ceilMode: true,
});
const AVG_POOL3D_OPTIONS = optionNames<AvgPool3dLayerOptions>({
  stride: true,
  padding: true,
  ceilMode: true,
  countIncludePad: true,
  divisorOverride: true,
});

function checkPool3dInput(label: string, input: unknown): asserts input is Tensor {
  checkInput(label, input);
  if (input.ndim !== 4 && input.ndim !== 5)
    throw new ShapeError(
      `${label}: expected a 4-D [C, D, H, W] or 5-D [N, C, D, H, W] input, got shape ${formatShape(input.shape)}`,
    );
}

/** The window of a 3-D pooling layer, checked: `stride` defaults to the kernel, `padding` to 0. */
function window3d(
  label: string,
  kernelSize: Size3d,
  options: { stride?: Size3d | null; padding?: Size3d },
): { kernelSize: [number, number, number]; stride: [number, number, number]; padding: [number, number, number] } {
  const kernel = toTriple(label, 'kernelSize', kernelSize, 1);
  const stride =
    options.stride === undefined || options.stride === null ? kernel : toTriple(label, 'stride', options.stride, 1);
  return { kernelSize: kernel, stride, padding: toTriple(label, 'padding', options.padding ?? 0, 0) };
}

/**
 * 3-D max pooling over `[N, C, D, H, W]` (or `[C, D, H, W]`) inputs, like `torch.nn.MaxPool3d`: each output is
 * the maximum of a `kernelSize` window (core's {@link maxPool3d}); the gradient goes to the window's argmax.
 * With `returnIndices`, `forward` returns `[values, indices]`.
 *
 * See https://pytorch.org/docs/stable/generated/torch.nn.MaxPool3d.html
 *
 * @example
 * ```ts
 * new MaxPool3d(2).forward(randn([1, 8, 16, 32, 32])).shape; // [1, 8, 8, 16, 16]
 * new MaxPool3d([1, 3, 3], { stride: [1, 2, 2], padding: [0, 1, 1] });
 * ```
 */
export class MaxPool3d<R extends boolean = false> extends Module {
  /** The window `[kD, kH, kW]`. */
  readonly kernelSize: readonly [number, number, number];
  /** The step between windows. */
  readonly stride: readonly [number, number, number];
  /** The implicit -∞ padding. */
  readonly padding: readonly [number, number, number];
  /** The spacing between window taps. */
  readonly dilation: readonly [number, number, number];
  /** Whether output sizes are rounded up. */
  readonly ceilMode: boolean;
  /** Whether `forward` returns `[values, indices]`. */
  readonly returnIndices: R;

  constructor(kernelSize: Size3d, options: MaxPool3dLayerOptions<R> = {}) {
    super();
    const label = `MaxPool3d(${JSON.stringify(kernelSize)})`;
    checkOptions(label, options, MAX_POOL3D_OPTIONS);
    ({
      kernelSize: this.kernelSize,
      stride: this.stride,
      padding: this.padding,
    } = window3d(label, kernelSize, options));
    this.dilation = toTriple(label, 'dilation', options.dilation ?? 1, 1);
    this.ceilMode = options.ceilMode ?? false;
    this.returnIndices = (options.returnIndices ?? false) as R;
  }

  /** Max-pool `input`: the pooled values, or `[values, indices]` with `returnIndices`. */
  forward(input: Tensor): R extends true ? [Tensor, Tensor] : Tensor {
    checkPool3dInput(`MaxPool3d(${formatShape(this.kernelSize)})`, input);
    const options = {
      kernelSize: this.kernelSize,
      stride: this.stride,
      padding: this.padding,
      dilation: this.dilation,
      ceilMode: this.ceilMode,
    };
    if (!this.returnIndices) return maxPool3d(input, options) as R extends true ? [Tensor, Tensor] : Tensor;
    const { values, indices } = maxPool3dWithIndices(input, options);
    return [values, indices] as R extends true ? [Tensor, Tensor] : Tensor;
  }

  override extraRepr(): string {
    return `kernelSize=${formatShape(this.kernelSize)}, stride=${formatShape(this.stride)}, padding=${formatShape(this.padding)}, dilation=${formatShape(this.dilation)}, ceilMode=${this.ceilMode}`;
  }
}

/**
 * 3-D average pooling over `[N, C, D, H, W]` (or `[C, D, H, W]`) inputs, like `torch.nn.AvgPool3d`: each output
 * is the mean of a `kernelSize` window (core's {@link avgPool3d}); by default padded zeros count in the divisor.
 *
 * See https://pytorch.org/docs/stable/generated/torch.nn.AvgPool3d.html
 *
 * @example
 * ```ts
 * new AvgPool3d(2).forward(randn([1, 8, 16, 32, 32])).shape; // [1, 8, 8, 16, 16]
 * ```
 */
export class AvgPool3d extends Module {
  /** The window `[kD, kH, kW]`. */
  readonly kernelSize: readonly [number, number, number];
  /** The step between windows. */
  readonly stride: readonly [number, number, number];
  /** The implicit zero padding. */
  readonly padding: readonly [number, number, number];
  /** Whether output sizes are rounded up. */
  readonly ceilMode: boolean;
  /** Whether padding zeros count in the divisor. */
  readonly countIncludePad: boolean;
  /** A fixed divisor, or null. */
  readonly divisorOverride: number | null;

  constructor(kernelSize: Size3d, options: AvgPool3dLayerOptions = {}) {
    super();
    const label = `AvgPool3d(${JSON.stringify(kernelSize)})`;
    checkOptions(label, options, AVG_POOL3D_OPTIONS);
    ({
      kernelSize: this.kernelSize,
      stride: this.stride,
      padding: this.padding,
    } = window3d(label, kernelSize, options));
    this.ceilMode = options.ceilMode ?? false;
    this.countIncludePad = options.countIncludePad ?? true;
    this.divisorOverride = checkDivisorOverride(label, options.divisorOverride);
  }

  /** Average-pool `input`. */
  forward(input: Tensor): Tensor {
    checkPool3dInput(`AvgPool3d(${formatShape(this.kernelSize)})`, input);
    return avgPool3d(input, {
      kernelSize: this.kernelSize,
      stride: this.stride,
      padding: this.padding,
      ceilMode: this.ceilMode,
      countIncludePad: this.countIncludePad,
      divisorOverride: this.divisorOverride,
    });
  }

  override extraRepr(): string {
    return `kernelSize=${formatShape(this.kernelSize)}, stride=${formatShape(this.stride)}, padding=${formatShape(this.padding)}`;
  }
}

/** The output size of a 3-D adaptive pooling: a number for every dim, or `[d, h, w]` where null keeps the input size. */
export type AdaptiveSize3d = number | readonly [number | null, number | null, number | null];

function checkAdaptiveSize3d(layer: string, outputSize: unknown): [number | null, number | null, number | null] {
  const [d, h, w] = checkAdaptiveSize(layer, outputSize, 3);
  return [d, h, w];
}

/**
 * 3-D adaptive average pooling to a fixed output size, like `torch.nn.AdaptiveAvgPool3d`: output cell
 * `(i, j, k)` is the mean of input depths `[floor(i·D/outD), ceil((i+1)·D/outD))` and likewise for rows and
 * columns. `outputSize` 1 is global average pooling.
 *
 * See https://pytorch.org/docs/stable/generated/torch.nn.AdaptiveAvgPool3d.html
 *
 * @example
 * ```ts
 * new AdaptiveAvgPool3d(1).forward(randn([2, 64, 4, 7, 7])).shape; // [2, 64, 1, 1, 1]
 * ```
 */
export class AdaptiveAvgPool3d extends Module {
  /** The target `[D_out, H_out, W_out]` (null keeps the input size). */
  readonly outputSize: readonly [number | null, number | null, number | null];

  constructor(outputSize: AdaptiveSize3d) {
    super();
    this.outputSize = checkAdaptiveSize3d('AdaptiveAvgPool3d', outputSize);
  }

  /** Pool `input` (`[N, C, D, H, W]` or `[C, D, H, W]`) to `outputSize`. */
  forward(input: Tensor): Tensor {
    const label = `AdaptiveAvgPool3d(${JSON.stringify(this.outputSize)})`;
    checkPool3dInput(label, input);
    const sizes = input.shape.slice(-3);
    if (sizes.some((s) => s === 0))
      throw new ShapeError(`${label}: input has an empty spatial dimension (input shape ${formatShape(input.shape)})`);
    // every window is a box of uniform weights: the means along each axis in turn are the window means
    const [d, h, w] = this.outputSize.map((o, i) => o ?? sizes[i]);
    return adaptiveMean(adaptiveMean(adaptiveMean(input, -3, d), -2, h), -1, w);
  }

  override extraRepr(): string {
    return `outputSize=${JSON.stringify(this.outputSize)}`;
  }
}

/** Options of {@link MaxUnpool3d}, with PyTorch's defaults. */
export interface MaxUnpool3dLayerOptions {
  /** The stride of the pooling being inverted (default: the kernel size). */
  stride?: Size3d | null;
  /** Its padding (default 0). */
  padding?: Size3d;
}

const MAX_UNPOOL3D_OPTIONS = optionNames<MaxUnpool3dLayerOptions>({ stride: true, padding: true });

/**
 * The partial inverse of {@link MaxPool3d}, like `torch.nn.MaxUnpool3d`: `forward(values, indices, outputSize?)`
 * writes the values into a zero volume at the indices `MaxPool3d` returned with `returnIndices` (core's
 * {@link maxUnpool3d}).
 *
 * See https://pytorch.org/docs/stable/generated/torch.nn.MaxUnpool3d.html
 *
 * @example
 * ```ts
 * const [values, indices] = new MaxPool3d(2, { returnIndices: true }).forward(randn([1, 3, 4, 4, 4]));
 * new MaxUnpool3d(2).forward(values, indices).shape; // [1, 3, 4, 4, 4]
 * ```
 */
export class MaxUnpool3d extends Module {
  /** The window `[kD, kH, kW]` of the pooling being inverted. */
  readonly kernelSize: readonly [number, number, number];
  /** Its stride. */
  readonly stride: readonly [number, number, number];
  /** Its padding. */
  readonly padding: readonly [number, number, number];

  constructor(kernelSize: Size3d, options: MaxUnpool3dLayerOptions = {}) {
    super();
    const label = `MaxUnpool3d(${JSON.stringify(kernelSize)})`;
    checkOptions(label, options, MAX_UNPOOL3D_OPTIONS);
    ({
      kernelSize: this.kernelSize,
      stride: this.stride,
      padding: this.padding,
    } = window3d(label, kernelSize, options));
  }

  /** Unpool `input` (`[N, C, D, H, W]` or `[C, D, H, W]`) at `indices` (int32, the input's shape). */
  forward(input: Tensor, indices: Tensor, outputSize: readonly number[] | null = null): Tensor {
    const label = `MaxUnpool3d(${formatShape(this.kernelSize)})`;
    checkInput(label, input);
    checkInput(label, indices, 'indices');
    return maxUnpool3d(input, indices, this.kernelSize, { stride: this.stride, padding: this.padding, outputSize });
  }

  override extraRepr(): string {
    return `kernelSize=${formatShape(this.kernelSize)}, stride=${formatShape(this.stride)}, padding=${formatShape(this.padding)}`;
  }
}

/**
 * 3-D adaptive max pooling to a fixed output size, like `torch.nn.AdaptiveMaxPool3d`: output cell `(i, j, k)` is the
 * maximum over input depths `[floor(i·D/outD), ceil((i+1)·D/outD))` and likewise for rows and columns (core's
 * {@link adaptiveMaxPool3dWithIndices}). With `returnIndices`, `forward` returns `[values, indices]`.
 *
 * See https://pytorch.org/docs/stable/generated/torch.nn.AdaptiveMaxPool3d.html
 *
 * @example
 * ```ts
 * new AdaptiveMaxPool3d([1, 2, 2]).forward(randn([2, 8, 5, 7, 7])).shape; // [2, 8, 1, 2, 2]
 * ```
 */
export class AdaptiveMaxPool3d<R extends boolean = false> extends Module {
  /** The target `[D_out, H_out, W_out]` (null keeps the input size). */
  readonly outputSize: readonly [number | null, number | null, number | null];
  /** Whether `forward` returns `[values, indices]`. */
  readonly returnIndices: R;

  constructor(outputSize: AdaptiveSize3d, options: { returnIndices?: R } = {}) {
    super();
    checkOptions('AdaptiveMaxPool3d', options, optionNames<{ returnIndices?: R }>({ returnIndices: true }));
    this.outputSize = checkAdaptiveSize3d('AdaptiveMaxPool3d', outputSize);
    this.returnIndices = (options.returnIndices ?? false) as R;
  }

  /** Pool `input` (`[N, C, D, H, W]` or `[C, D, H, W]`) to `outputSize`: the values, or `[values, indices]`. */
  forward(input: Tensor): R extends true ? [Tensor, Tensor] : Tensor {
    checkPool3dInput(`AdaptiveMaxPool3d(${JSON.stringify(this.outputSize)})`, input);
    if (!this.returnIndices)
      return adaptiveMaxPool3d(input, this.outputSize) as R extends true ? [Tensor, Tensor] : Tensor;
    const { values, indices } = adaptiveMaxPool3dWithIndices(input, this.outputSize);
    return [values, indices] as R extends true ? [Tensor, Tensor] : Tensor;
  }

  override extraRepr(): string {
    return `outputSize=${JSON.stringify(this.outputSize)}`;
  }
}
