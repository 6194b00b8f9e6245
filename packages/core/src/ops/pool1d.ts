import { checkOptions, optionNames } from '../check-options';
import { ShapeError, ValueError } from '../errors';
import { formatShape } from '../shape';
import { Tensor } from '../tensor';
import { avgPool2d } from './avg-pool2d';
import type { ValuesAndIndices } from './max';
import { maxPool2d } from './max-pool2d';
import { maxPoolWithIndices } from './pool-max2d-indices';
import { reshape } from './reshape';

/** Options of {@link maxPool1d} and {@link maxPool1dWithIndices}, with PyTorch's defaults. */
export interface MaxPool1dOptions {
  /** Size of the window. */
  kernelSize: number;
  /** Step between windows (default: `kernelSize`). */
  stride?: number | null;
  /** Implicit -Infinity padding on both sides, at most half the kernel size (default 0). */
  padding?: number;
  /** Spacing between window taps (default 1). */
  dilation?: number;
  /** Use ceil instead of floor to compute the output length (default false). */
  ceilMode?: boolean;
}

/** Options of {@link avgPool1d}, with PyTorch's defaults. */
export interface AvgPool1dOptions {
  /** Size of the window. */
  kernelSize: number;
  /** Step between windows (default: `kernelSize`). */
  stride?: number | null;
  /** Implicit zero padding on both sides, at most half the kernel size (default 0). */
  padding?: number;
  /** Use ceil instead of floor to compute the output length (default false). */
  ceilMode?: boolean;
  /** Count the padding zeros in the divisor (default true). */
  countIncludePad?: boolean;
}

function int(fn: string, arg: string, value: unknown, min: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min)
    throw new ValueError(`${fn}: ${arg} must be an integer >= ${min}, got ${JSON.stringify(value)}`);
  return value;
}

/** PyTorch's `pooling_output_shape` for one dimension. */
function pooledLength(size: number, kernel: number, pad: number, stride: number, dilation: number, ceil: boolean) {
  let out = Math.floor((size + 2 * pad - dilation * (kernel - 1) - 1 + (ceil ? stride - 1 : 0)) / stride) + 1;
  if (ceil && (out - 1) * stride >= size + pad) out--;
  return out;
}

const MAX_POOL1D_OPTIONS = optionNames<MaxPool1dOptions>({
  kernelSize: true,
  stride: true,
  padding: true,
  dilation: true,
  ceilMode: true,
});
const AVG_POOL1D_OPTIONS = optionNames<AvgPool1dOptions>({
  kernelSize: true,
  stride: true,
  padding: true,
  ceilMode: true,
  countIncludePad: true,
});

interface Pool1dArgs {
  kernel: number;
  stride: number;
  pad: number;
  dilation: number;
  ceilMode: boolean;
}

/** Check a 1-d pooling's input (`[N, C, L]` or `[C, L]`) and options, naming `fn` and the 1-d sizes in errors. */
function checkPool1d(
  fn: string,
  x: unknown,
  options: { kernelSize: number; stride?: number | null; padding?: number; dilation?: number; ceilMode?: boolean },
): Pool1dArgs {
  if (!(x instanceof Tensor)) throw new ValueError(`${fn}: input must be a Tensor`);
  if (x.ndim !== 2 && x.ndim !== 3)
    throw new ShapeError(`${fn}: expected a 2-D [C, L] or 3-D [N, C, L] input, got shape ${formatShape(x.shape)}`);
  if (options === undefined || options === null || options.kernelSize === undefined)
    throw new ValueError(`${fn}: options.kernelSize is required`);
  const kernel = int(fn, 'kernelSize', options.kernelSize, 1);
  const stride =
    options.stride === undefined || options.stride === null ? kernel : int(fn, 'stride', options.stride, 1);
  const pad = int(fn, 'padding', options.padding ?? 0, 0);
  const dilation = int(fn, 'dilation', options.dilation ?? 1, 1);
  if (pad > Math.floor(kernel / 2))
    throw new ValueError(
      `${fn}: padding must be at most half the kernel size, got padding ${pad} for kernel ${kernel}`,
    );
  const length = x.shape[x.ndim - 1];
  const ceilMode = options.ceilMode ?? false;
  const out = pooledLength(length, kernel, pad, stride, dilation, ceilMode);
  if (length === 0 || out < 1)
    throw new ShapeError(
      `${fn}: input of length ${length} is too small for kernel ${kernel} (padding ${pad}, dilation ${dilation}): the output length would be ${out} (input shape ${formatShape(x.shape)})`,
    );
  return { kernel, stride, pad, dilation, ceilMode };
}

/** `[..., L]` -> `[..., 1, L]`: a 1-d pooling is a 2-d pooling over a single row. */
function asRow(x: Tensor): Tensor {
  return reshape(x, [...x.shape.slice(0, -1), 1, x.shape[x.ndim - 1]]);
}

function dropRow(y: Tensor): Tensor {
  return reshape(y, [...y.shape.slice(0, -2), y.shape[y.ndim - 1]]);
}

/**
 * 1-D max pooling over the last dimension of `[N, C, L]` (or `[C, L]`), like
 * `torch.nn.functional.max_pool1d`: `out[n, c, i] = max_k x[n, c, i·stride - padding + k·dilation]`
 * for `k < kernelSize`, with -Infinity padding; the output length is
 * `floor((L + 2·padding - dilation·(kernelSize - 1) - 1) / stride) + 1` (ceil in `ceilMode`).
 * Defaults: `stride` = `kernelSize`, `padding` 0, `dilation` 1, `ceilMode` false.
 *
 * Gradient: each window's upstream value goes to its maximum (the first one on ties).
 *
 * See https://pytorch.org/docs/stable/generated/torch.nn.MaxPool1d.html
 *
 * @example
 * ```ts
 * maxPool1d(tensor([[[1, 3, 2, 5, 4]]]), { kernelSize: 2 }).toArray(); // [[[3, 5]]]
 * ```
 */
export function maxPool1d(x: Tensor, options: MaxPool1dOptions): Tensor {
  checkOptions('maxPool1d', options, MAX_POOL1D_OPTIONS);
  const a = checkPool1d('maxPool1d', x, options);
  const y = maxPool2d(asRow(x), {
    kernelSize: [1, a.kernel],
    stride: [1, a.stride],
    padding: [0, a.pad],
    dilation: [1, a.dilation],
    ceilMode: a.ceilMode,
  });
  return dropRow(y);
}

/**
 * {@link maxPool1d} that also returns the argmax of each window, like
 * `torch.nn.functional.max_pool1d(..., return_indices=True)`: `indices` (int32, the shape of
 * `values`) is each maximum's position along `L` (the first on ties).
 *
 * See https://pytorch.org/docs/stable/generated/torch.nn.MaxPool1d.html
 *
 * @example
 * ```ts
 * const { values, indices } = maxPool1dWithIndices(tensor([[[1, 3, 2, 5, 4]]]), { kernelSize: 2 });
 * values.toArray(); // [[[3, 5]]]
 * indices.toArray(); // [[[1, 3]]]
 * ```
 */
export function maxPool1dWithIndices(x: Tensor, options: MaxPool1dOptions): ValuesAndIndices {
  checkOptions('maxPool1dWithIndices', options, MAX_POOL1D_OPTIONS);
  const a = checkPool1d('maxPool1dWithIndices', x, options);
  const { values, indices } = maxPoolWithIndices('maxPool1dWithIndices', asRow(x), {
    kernelSize: [1, a.kernel],
    stride: [1, a.stride],
    padding: [0, a.pad],
    dilation: [1, a.dilation],
    ceilMode: a.ceilMode,
  });
  return { values: dropRow(values), indices: dropRow(indices) };
}

/**
 * 1-D average pooling over the last dimension of `[N, C, L]` (or `[C, L]`), like
 * `torch.nn.functional.avg_pool1d`: `out[n, c, i] = (1/d) Σ_k x[n, c, i·stride - padding + k]`, where
 * padding adds zeros and the divisor `d` is the window clipped to the padded input
 * (`countIncludePad`, the default) or to the input. Defaults: `stride` = `kernelSize`, `padding` 0,
 * `ceilMode` false, `countIncludePad` true.
 *
 * Gradient: each window's upstream value, divided by the same divisor, goes to every position of it.
 *
 * See https://pytorch.org/docs/stable/generated/torch.nn.AvgPool1d.html
 *
 * @example
 * ```ts
 * avgPool1d(tensor([[[1, 3, 2, 6]]]), { kernelSize: 2 }).toArray(); // [[[2, 4]]]
 * ```
 */
export function avgPool1d(x: Tensor, options: AvgPool1dOptions): Tensor {
  checkOptions('avgPool1d', options, AVG_POOL1D_OPTIONS);
  const a = checkPool1d('avgPool1d', x, { ...options, dilation: 1 });
  const y = avgPool2d(asRow(x), {
    kernelSize: [1, a.kernel],
    stride: [1, a.stride],
    padding: [0, a.pad],
    ceilMode: a.ceilMode,
    countIncludePad: options.countIncludePad ?? true,
  });
  return dropRow(y);
}
