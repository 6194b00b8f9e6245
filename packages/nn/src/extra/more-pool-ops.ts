import {
  abs,
  adaptiveMaxPool2dWithIndices,
  add,
  avgPool1d,
  avgPool2d,
  checkOptions,
  div,
  mul,
  optionNames,
  pad,
  pow,
  relu,
  reshape,
  ShapeError,
  sign,
  type Tensor,
  transpose,
  ValueError,
  type ValuesAndIndices,
} from '@nablajs/core';
import { checkFloating, checkTensor, describeShape } from '../functional/check';
import { checkFinite, checkInt, toPair } from '../layers/util';

// Each function is composed from core ops, so autograd needs no VJP of its own and gradients of gradients
// work; the compositions follow PyTorch 1.13's, so that values and gradients (at zero sums too) match.

/**
 * Options of {@link lpPool1d} (and the `LPPool1d` module), with PyTorch's defaults.
 *
 * @example
 * ```ts
 * const options: LPPool1dOptions = { normType: 2, kernelSize: 3, stride: 2, ceilMode: true };
 * ```
 */
export interface LPPool1dOptions {
  /** The power `p` of the norm, a finite number > 0; required. */
  normType: number;
  /** The window size; required. */
  kernelSize: number;
  /** Step between windows (default: the kernel size). */
  stride?: number | null;
  /** Round the output length up instead of down, keeping a last partial window (default false). */
  ceilMode?: boolean;
}

/**
 * Options of {@link lpPool2d} (and the `LPPool2d` module), with PyTorch's defaults.
 *
 * @example
 * ```ts
 * const options: LPPool2dOptions = { normType: 1.5, kernelSize: [2, 3] };
 * ```
 */
export interface LPPool2dOptions {
  /** The power `p` of the norm, a finite number > 0; required. */
  normType: number;
  /** The window size, one number or `[height, width]`; required. */
  kernelSize: number | readonly [number, number];
  /** Step between windows, one number or `[height, width]` (default: the kernel size). */
  stride?: number | readonly [number, number] | null;
  /** Round the output sizes up instead of down, keeping last partial windows (default false). */
  ceilMode?: boolean;
}

/**
 * Options of {@link localResponseNorm} (and the `LocalResponseNorm` module), with PyTorch's defaults.
 *
 * @example
 * ```ts
 * const options: LocalResponseNormOptions = { size: 5, alpha: 1e-4, beta: 0.75, k: 2 };
 * ```
 */
export interface LocalResponseNormOptions {
  /** The number of neighbouring channels in each window, an integer >= 1; required. */
  size: number;
  /** The multiplier of the mean of squares (default 1e-4). */
  alpha?: number;
  /** The exponent of the denominator (default 0.75). */
  beta?: number;
  /** The additive constant of the denominator (default 1). */
  k?: number;
}

/** @internal */
export const LP_POOL1D_OPTIONS = optionNames<LPPool1dOptions>({
  normType: true,
  kernelSize: true,
  stride: true,
  ceilMode: true,
});
/** @internal */
export const LP_POOL2D_OPTIONS = optionNames<LPPool2dOptions>({
  normType: true,
  kernelSize: true,
  stride: true,
  ceilMode: true,
});
/** @internal */
export const LRN_OPTIONS = optionNames<LocalResponseNormOptions>({ size: true, alpha: true, beta: true, k: true });

function checkNormType(fn: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || !(value > 0))
    throw new ValueError(`${fn}: normType must be a finite number > 0, got ${JSON.stringify(value) ?? String(value)}`);
  return value;
}

function checkNdim(fn: string, x: Tensor, allowed: readonly number[], expected: string): void {
  if (!allowed.includes(x.ndim))
    throw new ShapeError(`${fn}: expected ${expected} input, got shape ${describeShape(x.shape)}`);
}

/** `(sign(s)·relu(|s|)·window)^(1/p)` of the window means `s`: PyTorch's tail of LP pooling, NaN-free gradient at 0. */
function lpFinish(mean: Tensor, window: number, p: number): Tensor {
  return pow(mul(mul(sign(mean), relu(abs(mean))), window), 1 / p);
}

/**
 * 1-D power-average pooling of `[N, C, L]` (or `[C, L]`), like `torch.nn.functional.lp_pool1d`:
 * `out = (Σ_window x^p)^(1/p)`, computed as PyTorch does, as the average pooling of `x^p` times the
 * kernel size, then `(sign(s)·relu(|s|))^(1/p)`. So a last partial window of `ceilMode` is scaled up to the
 * full kernel size (its sum times `kernelSize / its length`), a negative sum (possible for odd `p`) gives
 * NaN unless `p` is 1, and a window that sums to 0 gives 0 with **gradient 0**. No padding.
 *
 * Gradient: `x^(p-1) · out^(1-p)` summed over the windows holding `x` (0 where a window sums to 0).
 *
 * See https://pytorch.org/docs/1.13/generated/torch.nn.LPPool1d.html
 *
 * @example
 * ```ts
 * lpPool1d(tensor([[[3, 4, 0, 0]]], { dtype: 'float64' }), { normType: 2, kernelSize: 2 }).toArray(); // [[[5, 0]]]
 * ```
 */
export function lpPool1d(x: Tensor, options: LPPool1dOptions): Tensor {
  const fn = 'lpPool1d';
  checkFloating(fn, 'input', x);
  checkOptions(fn, options, LP_POOL1D_OPTIONS);
  const p = checkNormType(fn, options?.normType);
  const kernelSize = checkInt(fn, 'kernelSize', options.kernelSize, 1);
  const stride = checkInt(fn, 'stride', options.stride ?? kernelSize, 1);
  checkNdim(fn, x, [2, 3], 'a 2-D [C, L] or 3-D [N, C, L]');
  const mean = avgPool1d(pow(x, p), { kernelSize, stride, ceilMode: options.ceilMode ?? false });
  return lpFinish(mean, kernelSize, p);
}

/**
 * 2-D power-average pooling of `[N, C, H, W]` (or `[C, H, W]`), like `torch.nn.functional.lp_pool2d`:
 * `out = (Σ_window x^p)^(1/p)`, computed as PyTorch does, as the average pooling of `x^p` times
 * `kH·kW`, then `(sign(s)·relu(|s|))^(1/p)` (see {@link lpPool1d} for what that implies: partial windows
 * of `ceilMode` scaled up, zero sums with gradient 0). No padding.
 *
 * Gradient: `x^(p-1) · out^(1-p)` summed over the windows holding `x` (0 where a window sums to 0).
 *
 * See https://pytorch.org/docs/1.13/generated/torch.nn.LPPool2d.html
 *
 * @example
 * ```ts
 * lpPool2d(randn([1, 3, 8, 8]), { normType: 2, kernelSize: 2 }).shape; // [1, 3, 4, 4]
 * ```
 */
export function lpPool2d(x: Tensor, options: LPPool2dOptions): Tensor {
  const fn = 'lpPool2d';
  checkFloating(fn, 'input', x);
  checkOptions(fn, options, LP_POOL2D_OPTIONS);
  const p = checkNormType(fn, options?.normType);
  const kernelSize = toPair(fn, 'kernelSize', options.kernelSize, 1);
  const stride = toPair(fn, 'stride', options.stride ?? kernelSize, 1);
  checkNdim(fn, x, [3, 4], 'a 3-D [C, H, W] or 4-D [N, C, H, W]');
  const mean = avgPool2d(pow(x, p), { kernelSize, stride, ceilMode: options.ceilMode ?? false });
  return lpFinish(mean, kernelSize[0] * kernelSize[1], p);
}

/**
 * 1-D adaptive max pooling of `[N, C, L]` (or `[C, L]`) to `outputSize` positions, like
 * `torch.nn.functional.adaptive_max_pool1d`: output `i` is the maximum of the inputs in
 * `[floor(i·L/outputSize), ceil((i+1)·L/outputSize))`. Runs core's 2-D adaptive max pooling on a unit row.
 *
 * Gradient: each upstream value goes to its window's maximum (the first one on ties).
 *
 * See https://pytorch.org/docs/1.13/generated/torch.nn.AdaptiveMaxPool1d.html
 *
 * @example
 * ```ts
 * adaptiveMaxPool1d(tensor([[[1, 3, 2, 5, 4]]]), 2).toArray(); // [[[3, 5]]]
 * ```
 */
export function adaptiveMaxPool1d(x: Tensor, outputSize: number): Tensor {
  return adaptiveMax1d('adaptiveMaxPool1d', x, outputSize).values;
}

/**
 * {@link adaptiveMaxPool1d} that also returns the argmax of each window, like
 * `torch.nn.functional.adaptive_max_pool1d(..., return_indices=True)`: `indices` (int32, the shape of
 * `values`) is each maximum's position along `L`.
 *
 * See https://pytorch.org/docs/1.13/generated/torch.nn.AdaptiveMaxPool1d.html
 *
 * @example
 * ```ts
 * const { values, indices } = adaptiveMaxPool1dWithIndices(tensor([[1, 3, 2, 5, 4]]), 2);
 * values.toArray(); // [[3, 5]]
 * indices.toArray(); // [[1, 3]]
 * ```
 */
export function adaptiveMaxPool1dWithIndices(x: Tensor, outputSize: number): ValuesAndIndices {
  return adaptiveMax1d('adaptiveMaxPool1dWithIndices', x, outputSize);
}

function adaptiveMax1d(fn: string, x: Tensor, outputSize: number): ValuesAndIndices {
  checkFloating(fn, 'input', x);
  const out = checkInt(fn, 'outputSize', outputSize, 1);
  checkNdim(fn, x, [2, 3], 'a 2-D [C, L] or 3-D [N, C, L]');
  const length = x.shape[x.ndim - 1];
  if (length === 0) throw new ShapeError(`${fn}: input has an empty last dimension (shape ${describeShape(x.shape)})`);
  const row = [...x.shape.slice(0, -1), 1, length];
  const { values, indices } = adaptiveMaxPool2dWithIndices(reshape(x, row), [1, out]);
  const shape = [...x.shape.slice(0, -1), out];
  return { values: reshape(values, shape), indices: reshape(indices, shape) };
}

/**
 * Local response normalisation across channels, like `torch.nn.functional.local_response_norm`, for
 * `[N, C, ...]` inputs of 3 or more dims: `out = x / (k + alpha · m)^beta`, where `m` at channel `c` is the
 * mean of `x²` over the `size` channels `c - floor(size/2)` to `c + floor((size-1)/2)`, missing channels
 * counting as zeros (the divisor is always `size`). An empty input gives an empty output.
 *
 * Gradient: through the composition (average pooling of the squares, power, division).
 *
 * See https://pytorch.org/docs/1.13/generated/torch.nn.LocalResponseNorm.html
 *
 * @example
 * ```ts
 * localResponseNorm(randn([2, 8, 5, 5]), { size: 3 }).shape; // [2, 8, 5, 5]
 * ```
 */
export function localResponseNorm(x: Tensor, options: LocalResponseNormOptions): Tensor {
  const fn = 'localResponseNorm';
  checkFloating(fn, 'input', x);
  checkOptions(fn, options, LRN_OPTIONS);
  const size = checkInt(fn, 'size', options?.size, 1);
  const alpha = checkFinite(fn, 'alpha', options.alpha ?? 1e-4);
  const beta = checkFinite(fn, 'beta', options.beta ?? 0.75);
  const k = checkFinite(fn, 'k', options.k ?? 1);
  if (x.ndim < 3)
    throw new ShapeError(`${fn}: expected an input of 3 or more dims [N, C, ...], got shape ${describeShape(x.shape)}`);
  if (x.size === 0) return mul(x, 1);
  const [n, c] = x.shape;
  const rest = x.size / (n * c);
  // [N, 1, C, rest]: pool the squares over a window of `size` channels, zero-padded unevenly as PyTorch pads
  const squares = reshape(mul(x, x), [n, 1, c, rest]);
  const padded = pad(squares, [0, 0, Math.floor(size / 2), Math.floor((size - 1) / 2)]);
  const mean = reshape(avgPool2d(padded, { kernelSize: [size, 1], stride: 1 }), x.shape);
  return div(x, pow(add(mul(mean, alpha), k), beta));
}

/**
 * Shuffle the channels of `[N, C, ...]` (3 or more dims), like `torch.nn.functional.channel_shuffle`: the
 * `C` channels, seen as `groups` groups of `C / groups`, are interleaved, so output channel
 * `j·groups + g` is input channel `g·(C / groups) + j`. Works on any dtype.
 *
 * Gradient: the inverse shuffle of the upstream gradient (a reshape and a transpose); PyTorch 1.13 has
 * no derivative for it and throws on backward.
 *
 * See https://pytorch.org/docs/1.13/generated/torch.nn.ChannelShuffle.html
 *
 * @example
 * ```ts
 * channelShuffle(arange(6).reshape([1, 6, 1]), 2).toArray(); // [[[0], [3], [1], [4], [2], [5]]]
 * ```
 */
export function channelShuffle(x: Tensor, groups: number): Tensor {
  const fn = 'channelShuffle';
  checkTensor(fn, 'input', x);
  checkInt(fn, 'groups', groups, 1);
  if (x.ndim < 3)
    throw new ShapeError(`${fn}: expected an input of 3 or more dims [N, C, ...], got shape ${describeShape(x.shape)}`);
  const [n, c, ...rest] = x.shape;
  if (c % groups !== 0)
    throw new ShapeError(
      `${fn}: the ${c} channels of the input (shape ${describeShape(x.shape)}) are not divisible by groups = ${groups}`,
    );
  const grouped = reshape(x, [n, groups, c / groups, ...rest]);
  return reshape(transpose(grouped, 1, 2), x.shape);
}
