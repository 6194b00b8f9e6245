import { checkOptions, optionNames } from '../check-options';
import { ShapeError, ValueError } from '../errors';
import { formatShape } from '../shape';
import { Tensor } from '../tensor';
import { adaptiveMaxPool2d, adaptiveMaxPool2dWithIndices } from './adaptive-pool';
import { avgPool2d } from './avg-pool2d';
import { type Size3d, triple } from './conv3d';
import type { ValuesAndIndices } from './max';
import { maxPool2d } from './max-pool2d';
import { maxPool2dWithIndices } from './pool-max2d-indices';
import { reshape } from './reshape';

/** Options of {@link maxPool3d} and {@link maxPool3dWithIndices}, with PyTorch's defaults. */
export interface MaxPool3dOptions {
  /** Size of the window: one number for depth, height and width, or `[d, h, w]`. */
  kernelSize: Size3d;
  /** Step between windows (default: `kernelSize`). */
  stride?: Size3d | null;
  /** Implicit -Infinity padding on both sides, at most half the kernel size (default 0). */
  padding?: Size3d;
  /** Spacing between window taps (default 1). */
  dilation?: Size3d;
  /** Use ceil instead of floor to compute the output size (default false). */
  ceilMode?: boolean;
}

/** Options of {@link avgPool3d}, with PyTorch's defaults. */
export interface AvgPool3dOptions {
  /** Size of the window: one number for depth, height and width, or `[d, h, w]`. */
  kernelSize: Size3d;
  /** Step between windows (default: `kernelSize`). */
  stride?: Size3d | null;
  /** Implicit zero padding on both sides, at most half the kernel size (default 0). */
  padding?: Size3d;
  /** Use ceil instead of floor to compute the output size (default false). */
  ceilMode?: boolean;
  /** Count the padding zeros in the divisor (default true). */
  countIncludePad?: boolean;
  /** Divide every window's sum by this instead (default: none). */
  divisorOverride?: number | null;
}

const MAX_POOL3D_OPTIONS = optionNames<MaxPool3dOptions>({
  kernelSize: true,
  stride: true,
  padding: true,
  dilation: true,
  ceilMode: true,
});
const AVG_POOL3D_OPTIONS = optionNames<AvgPool3dOptions>({
  kernelSize: true,
  stride: true,
  padding: true,
  ceilMode: true,
  countIncludePad: true,
  divisorOverride: true,
});

interface Window3d {
  kernel: [number, number, number];
  stride: [number, number, number];
  padding: [number, number, number];
  dilation: [number, number, number];
  /** The input as `[N, C, D, H, W]` (a batch of 1 for an unbatched input). */
  x: Tensor;
}

function window3d(
  fn: string,
  x: Tensor,
  options: { kernelSize: Size3d; stride?: Size3d | null; padding?: Size3d; dilation?: Size3d },
): Window3d {
  if (!(x instanceof Tensor)) throw new ValueError(`${fn}: x must be a Tensor`);
  if (x.ndim !== 4 && x.ndim !== 5)
    throw new ShapeError(
      `${fn}: expected a 4-D [C, D, H, W] (unbatched) or 5-D [N, C, D, H, W] input, got shape ${formatShape(x.shape)}`,
    );
  const kernel = triple(fn, 'kernelSize', options.kernelSize, 1);
  const stride =
    options.stride === undefined || options.stride === null ? kernel : triple(fn, 'stride', options.stride, 1);
  const padding = triple(fn, 'padding', options.padding ?? 0, 0);
  const dilation = triple(fn, 'dilation', options.dilation ?? 1, 1);
  return { kernel, stride, padding, dilation, x: x.ndim === 5 ? x : reshape(x, [1, ...x.shape]) };
}

/**
 * Pool height and width (`pool2d` over `[N, C·D, H, W]`), then depth (`pool2d` with a `[kD, 1]` window over
 * `[N, C, D, H'·W']`): a box window's maximum or average is the maximum or average over depth of the
 * maxima or averages over height and width, also at the padded edges and with `ceilMode` (each axis clips
 * its window on its own, as PyTorch does). Returns the result as `[N, C, D', H', W']` and the shapes between.
 */
function separable(
  w: Window3d,
  plane: (
    x: Tensor,
    kernel: [number, number],
    stride: [number, number],
    padding: [number, number],
    dilation: [number, number],
    depthPass: boolean,
  ) => Tensor,
): Tensor {
  const [n, c, d, h, wd] = w.x.shape;
  const hw = plane(
    reshape(w.x, [n, c * d, h, wd]),
    [w.kernel[1], w.kernel[2]],
    [w.stride[1], w.stride[2]],
    [w.padding[1], w.padding[2]],
    [w.dilation[1], w.dilation[2]],
    false,
  );
  const [, , ho, wo] = hw.shape;
  const out = plane(
    reshape(hw, [n, c, d, ho * wo]),
    [w.kernel[0], 1],
    [w.stride[0], 1],
    [w.padding[0], 0],
    [w.dilation[0], 1],
    true,
  );
  return reshape(out, [n, c, out.shape[2], ho, wo]);
}

function unbatch(x: Tensor, y: Tensor): Tensor {
  return x.ndim === 5 ? y : reshape(y, y.shape.slice(1));
}

function unbatchPair(x: Tensor, r: ValuesAndIndices): ValuesAndIndices {
  return { values: unbatch(x, r.values), indices: unbatch(x, r.indices) };
}

/**
 * The values and flat `d·H·W + h·W + w` indices of a 3-D max pooling done in two passes: `first` pooled height and
 * width over `[N, C·D, H, W]`, `second` pooled depth over `[N, C, D, H'·W']` with windows one column wide;
 * `shape` is the input's `[N, C, D, H, W]`.
 */
function combineIndices(first: ValuesAndIndices, second: ValuesAndIndices, shape: readonly number[]): ValuesAndIndices {
  const [n, c, d, h, w] = shape;
  const [, , ho, wo] = first.values.shape;
  const dOut = second.values.shape[2];
  // The depth of each maximum (from the second pass's index into its D x H'W' plane), then the height-and-width
  // index the first pass found at that depth.
  const depthIndex = second.indices.values as Int32Array;
  const planeIndex = first.indices.values as Int32Array;
  const flat = new Int32Array(depthIndex.length);
  const columns = ho * wo;
  for (let i = 0; i < flat.length; i++) {
    const col = i % columns;
    const nc = Math.floor(i / (dOut * columns));
    const depth = Math.floor(depthIndex[i] / columns);
    flat[i] = depth * h * w + planeIndex[(nc * d + depth) * columns + col];
  }
  const out = [n, c, dOut, ho, wo];
  return { values: reshape(second.values, out), indices: new Tensor(flat, out, 'int32') };
}

/**
 * 3-D max pooling of `[N, C, D, H, W]` (or unbatched `[C, D, H, W]`) inputs, like
 * `torch.nn.functional.max_pool3d`: each output is the maximum of a `kernelSize` window (with `dilation`),
 * windows `stride` apart, the input padded with -Infinity by `padding`; `ceilMode` rounds the output size up.
 * NaN propagates. It runs as two 2-D max poolings (height and width, then depth), so its gradient goes to
 * each window's maximum as `maxPool2d`'s does.
 *
 * See https://pytorch.org/docs/stable/generated/torch.nn.MaxPool3d.html
 *
 * @example
 * ```ts
 * maxPool3d(randn([2, 3, 8, 16, 16]), { kernelSize: 2 }).shape; // [2, 3, 4, 8, 8]
 * ```
 */
export function maxPool3d(x: Tensor, options: MaxPool3dOptions): Tensor {
  checkOptions('maxPool3d', options, MAX_POOL3D_OPTIONS);
  const w = window3d('maxPool3d', x, options);
  const ceilMode = options.ceilMode ?? false;
  const y = separable(w, (t, kernelSize, stride, padding, dilation) =>
    maxPool2d(t, { kernelSize, stride, padding, dilation, ceilMode }),
  );
  return unbatch(x, y);
}

/**
 * {@link maxPool3d} with the position of each maximum: `indices` (int32, the output's shape) is the flat
 * index `d·H·W + h·W + w` of the maximum within its `D x H x W` input volume, as PyTorch's
 * `return_indices=True` gives it (the first maximum in that order when several are equal). The indices of the
 * two passes are combined on the host (on the webgpu backend, once they are read back; {@link maxPool3d} alone
 * stays on the device).
 *
 * @example
 * ```ts
 * const { values, indices } = maxPool3dWithIndices(randn([1, 1, 4, 4, 4]), { kernelSize: 2 });
 * indices.shape; // [1, 1, 2, 2, 2]
 * ```
 */
export function maxPool3dWithIndices(x: Tensor, options: MaxPool3dOptions): ValuesAndIndices {
  checkOptions('maxPool3dWithIndices', options, MAX_POOL3D_OPTIONS);
  const w = window3d('maxPool3dWithIndices', x, options);
  const ceilMode = options.ceilMode ?? false;
  const [n, c, d, h, wd] = w.x.shape;
  const first = maxPool2dWithIndices(reshape(w.x, [n, c * d, h, wd]), {
    kernelSize: [w.kernel[1], w.kernel[2]],
    stride: [w.stride[1], w.stride[2]],
    padding: [w.padding[1], w.padding[2]],
    dilation: [w.dilation[1], w.dilation[2]],
    ceilMode,
  });
  const [, , ho, wo] = first.values.shape;
  const second = maxPool2dWithIndices(reshape(first.values, [n, c, d, ho * wo]), {
    kernelSize: [w.kernel[0], 1],
    stride: [w.stride[0], 1],
    padding: [w.padding[0], 0],
    dilation: [w.dilation[0], 1],
    ceilMode,
  });
  return unbatchPair(x, combineIndices(first, second, [n, c, d, h, wd]));
}

/**
 * 3-D average pooling of `[N, C, D, H, W]` (or unbatched `[C, D, H, W]`) inputs, like
 * `torch.nn.functional.avg_pool3d`: each output is the average of a `kernelSize` window, windows `stride` apart,
 * with zero `padding` (counted in the divisor unless `countIncludePad` is false), `ceilMode` rounding the
 * output size up, and `divisorOverride` replacing the divisor. It runs as two 2-D average poolings (height
 * and width, then depth), which divide by the same window sizes, so it has gradients wherever `avgPool2d`
 * does.
 *
 * See https://pytorch.org/docs/stable/generated/torch.nn.AvgPool3d.html
 *
 * @example
 * ```ts
 * avgPool3d(randn([2, 3, 8, 16, 16]), { kernelSize: [2, 4, 4] }).shape; // [2, 3, 4, 4, 4]
 * ```
 */
export function avgPool3d(x: Tensor, options: AvgPool3dOptions): Tensor {
  checkOptions('avgPool3d', options, AVG_POOL3D_OPTIONS);
  const w = window3d('avgPool3d', x, options);
  const ceilMode = options.ceilMode ?? false;
  const countIncludePad = options.countIncludePad ?? true;
  const override = options.divisorOverride ?? null;
  if (override !== null && (typeof override !== 'number' || !Number.isInteger(override) || override === 0))
    throw new ValueError(
      `avgPool3d: divisorOverride must be a non-zero integer or null, got ${JSON.stringify(override)}`,
    );
  const y = separable(w, (t, kernelSize, stride, padding, _dilation, depthPass) => {
    // with a divisor override: sums over height and width (divisor 1), then the override over depth
    const divisorOverride = override === null ? null : depthPass ? override : 1;
    return avgPool2d(t, { kernelSize, stride, padding, ceilMode, countIncludePad, divisorOverride });
  });
  return unbatch(x, y);
}

/** The output size of a 3-D adaptive pooling: one number, or `[d, h, w]` where null keeps the input's size. */
export type AdaptiveOutputSize3d = number | readonly [number | null, number | null, number | null];

/**
 * 3-D adaptive max pooling to a fixed output size, with the position of each maximum, like
 * `torch.nn.functional.adaptive_max_pool3d(..., return_indices=True)`: output cell `(i, j, k)` is the maximum over
 * input depths `[floor(i·D/outD), ceil((i+1)·D/outD))` and likewise for rows and columns; `indices` (int32) is its
 * flat index `d·H·W + h·W + w`. It runs as two 2-D adaptive max poolings (height and width, then depth).
 *
 * See https://pytorch.org/docs/stable/generated/torch.nn.AdaptiveMaxPool3d.html
 *
 * @example
 * ```ts
 * const { values, indices } = adaptiveMaxPool3dWithIndices(randn([1, 4, 5, 7, 7]), [2, 3, 3]);
 * values.shape; // [1, 4, 2, 3, 3]
 * ```
 */
export function adaptiveMaxPool3dWithIndices(x: Tensor, outputSize: AdaptiveOutputSize3d): ValuesAndIndices {
  const { v, sizes } = adaptive3d('adaptiveMaxPool3dWithIndices', x, outputSize);
  const [n, c, d, h, w] = v.shape;
  const [od, oh, ow] = sizes;
  const first = adaptiveMaxPool2dWithIndices(reshape(v, [n, c * d, h, w]), [oh, ow]);
  const second = adaptiveMaxPool2dWithIndices(reshape(first.values, [n, c, d, oh * ow]), [od, oh * ow]);
  return unbatchPair(x, combineIndices(first, second, [n, c, d, h, w]));
}

/** Check a 3-D adaptive pooling's input and `outputSize`: the input as `[N, C, D, H, W]` and the output's sizes. */
function adaptive3d(fn: string, x: Tensor, outputSize: AdaptiveOutputSize3d): { v: Tensor; sizes: number[] } {
  if (!(x instanceof Tensor)) throw new ValueError(`${fn}: x must be a Tensor`);
  if (x.ndim !== 4 && x.ndim !== 5)
    throw new ShapeError(
      `${fn}: expected a 4-D [C, D, H, W] (unbatched) or 5-D [N, C, D, H, W] input, got shape ${formatShape(x.shape)}`,
    );
  const list =
    typeof outputSize === 'number'
      ? [outputSize, outputSize, outputSize]
      : Array.isArray(outputSize)
        ? outputSize
        : null;
  if (list === null || list.length !== 3 || !list.every((v) => v === null || (Number.isInteger(v) && v >= 1)))
    throw new ValueError(
      `${fn}: outputSize must be a positive integer or three positive integers or nulls, got ${JSON.stringify(outputSize)}`,
    );
  const v = x.ndim === 5 ? x : reshape(x, [1, ...x.shape]);
  const [, , d, h, w] = v.shape;
  return { v, sizes: list.map((o, i) => o ?? [d, h, w][i]) };
}

/**
 * {@link adaptiveMaxPool3dWithIndices}' values alone, like `torch.nn.functional.adaptive_max_pool3d`: two 2-D
 * adaptive max poolings, with no index bookkeeping (which runs on the host, so on the webgpu backend the indices
 * wait for their values to be read back, and these do not).
 *
 * @example
 * ```ts
 * adaptiveMaxPool3d(randn([2, 3, 8, 8, 8]), 1).shape; // [2, 3, 1, 1, 1]
 * ```
 */
export function adaptiveMaxPool3d(x: Tensor, outputSize: AdaptiveOutputSize3d): Tensor {
  const { v, sizes } = adaptive3d('adaptiveMaxPool3d', x, outputSize);
  const [n, c, d, h, w] = v.shape;
  const [od, oh, ow] = sizes;
  const first = adaptiveMaxPool2d(reshape(v, [n, c * d, h, w]), [oh, ow]);
  const second = adaptiveMaxPool2d(reshape(first, [n, c, d, oh * ow]), [od, oh * ow]);
  return unbatch(x, reshape(second, [n, c, od, oh, ow]));
}
