import { checkOptions, optionNames } from '../check-options';
import { isFloatingDType, type TypedArray } from '../dtype';
import { DTypeError, IndexError, ShapeError, ValueError } from '../errors';
import { runOnHost } from '../residency';
import { formatShape } from '../shape';
import { Tensor } from '../tensor';
import { pair, type Size2d } from './conv2d';
import { type Size3d, triple } from './conv3d';
import { copyIndices, type PlaneIndexAttrs, planeScatterOp } from './pool-plane';

/** Options of {@link maxUnpool2d}, with PyTorch's defaults. */
export interface MaxUnpool2dOptions {
  /** The stride of the max pooling being inverted (default: `kernelSize`). */
  stride?: Size2d | null;
  /** The padding of the max pooling being inverted (default 0); it only changes the default output size. */
  padding?: Size2d;
  /**
   * The output's spatial size `[H, W]` (or `[N, C, H, W]`, whose last two are used), each within
   * `stride` of the default size (exclusive); default `(H_in - 1)·stride - 2·padding + kernelSize`.
   */
  outputSize?: readonly number[] | null;
}

const MAX_UNPOOL2D_OPTIONS = optionNames<MaxUnpool2dOptions>({ stride: true, padding: true, outputSize: true });

/**
 * `out[p, indices[p, i]] = x[p, i]` over zero planes: the forward of max unpooling (an assignment, so
 * a repeated index keeps one value, as in PyTorch).
 *
 * @example
 * ```ts
 * maxUnpool2dKernel(x.values, indices, out, planes, outH * outW);
 * ```
 */
export function maxUnpool2dKernel(
  x: TypedArray,
  indices: Int32Array,
  out: TypedArray,
  planes: number,
  plane: number,
): void {
  const n = indices.length / planes;
  for (let p = 0; p < planes; p++) for (let i = 0; i < n; i++) out[p * plane + indices[p * n + i]] = x[p * n + i];
}

// NOTE: the gradient is a gather of the upstream gradient at the indices (PyTorch's too), which is the
// adjoint of the forward only when indices do not repeat; with repeats each copy gets the gradient.
const maxUnpool2dOp: (inputs: readonly Tensor[], attrs: PlaneIndexAttrs) => Tensor = planeScatterOp(
  'maxUnpool2d',
  maxUnpool2dKernel,
);

/**
 * The partial inverse of 2-D max pooling, like `torch.nn.functional.max_unpool2d`: each value of
 * `input` (`[N, C, H, W]` or `[C, H, W]`) is put at the flat position `indices` gives (as returned by
 * {@link maxPool2dWithIndices}: `y·W_out + x` into its output plane), and every other output is 0.
 * The output size is `(H - 1)·stride - 2·padding + kernelSize` (likewise for W) unless `outputSize`
 * says otherwise. Defaults: `stride` = `kernelSize`, `padding` 0, `outputSize` null.
 *
 * Gradient: the upstream gradient read at `indices`.
 *
 * See https://pytorch.org/docs/stable/generated/torch.nn.MaxUnpool2d.html
 *
 * @example
 * ```ts
 * const { values, indices } = maxPool2dWithIndices(x, { kernelSize: 2 }); // x: [1, 1, 4, 4]
 * maxUnpool2d(values, indices, 2).shape; // [1, 1, 4, 4]: the maxima in place, zeros elsewhere
 * ```
 */
export function maxUnpool2d(
  input: Tensor,
  indices: Tensor,
  kernelSize: Size2d,
  options: MaxUnpool2dOptions = {},
): Tensor {
  checkOptions('maxUnpool2d', options, MAX_UNPOOL2D_OPTIONS);
  return maxUnpool('maxUnpool2d', 2, input, indices, pair('maxUnpool2d', 'kernelSize', kernelSize, 1), options, pair);
}

/** Options of {@link maxUnpool3d}, with PyTorch's defaults. */
export interface MaxUnpool3dOptions {
  /** The stride of the max pooling being inverted (default: `kernelSize`). */
  stride?: Size3d | null;
  /** The padding of the max pooling being inverted (default 0); it only changes the default output size. */
  padding?: Size3d;
  /**
   * The output's spatial size `[D, H, W]` (or `[N, C, D, H, W]`, whose last three are used), each within
   * `stride` of the default size (exclusive); default `(D_in - 1)·stride - 2·padding + kernelSize`.
   */
  outputSize?: readonly number[] | null;
}

const MAX_UNPOOL3D_OPTIONS = optionNames<MaxUnpool3dOptions>({ stride: true, padding: true, outputSize: true });

/**
 * The partial inverse of {@link maxPool3dWithIndices}, like `torch.nn.functional.max_unpool3d`: a zero volume of
 * the pooling's input size (or `outputSize`) with each value of `input` written at its flat index `d·H·W + h·W + w`
 * from `indices`. Gradient: the upstream gradient gathered at the indices.
 *
 * See https://pytorch.org/docs/stable/generated/torch.nn.MaxUnpool3d.html
 *
 * @example
 * ```ts
 * const { values, indices } = maxPool3dWithIndices(randn([1, 2, 4, 4, 4]), { kernelSize: 2 });
 * maxUnpool3d(values, indices, 2).shape; // [1, 2, 4, 4, 4]
 * ```
 */
export function maxUnpool3d(
  input: Tensor,
  indices: Tensor,
  kernelSize: Size3d,
  options: MaxUnpool3dOptions = {},
): Tensor {
  checkOptions('maxUnpool3d', options, MAX_UNPOOL3D_OPTIONS);
  return maxUnpool(
    'maxUnpool3d',
    3,
    input,
    indices,
    triple('maxUnpool3d', 'kernelSize', kernelSize, 1),
    options,
    triple,
  );
}

/** The body of {@link maxUnpool2d} and {@link maxUnpool3d}: `spatial` (2 or 3) trailing dims, `fn` the caller's name. */
function maxUnpool(
  fn: string,
  spatial: 2 | 3,
  input: Tensor,
  indices: Tensor,
  kernel: readonly number[],
  options: { stride?: unknown; padding?: unknown; outputSize?: readonly number[] | null },
  parse: (fn: string, arg: string, value: never, min: number) => readonly number[],
): Tensor {
  if (!(input instanceof Tensor)) throw new ValueError(`${fn}: input must be a Tensor`);
  if (!(indices instanceof Tensor)) throw new ValueError(`${fn}: indices must be a Tensor`);
  const dims = spatial === 2 ? 'H, W' : 'D, H, W';
  if (input.ndim !== spatial + 1 && input.ndim !== spatial + 2)
    throw new ShapeError(
      `${fn}: expected a ${spatial + 1}-D [C, ${dims}] or ${spatial + 2}-D [N, C, ${dims}] input, got shape ${formatShape(input.shape)}`,
    );
  if (input.dtype !== 'int32' && !isFloatingDType(input.dtype))
    throw new DTypeError(`${fn}: input must be float32, float64 or int32, got ${input.dtype}`);
  if (indices.dtype !== 'int32') throw new DTypeError(`${fn}: indices must be an int32 tensor, got ${indices.dtype}`);
  if (indices.ndim !== input.ndim || !indices.shape.every((d, i) => d === input.shape[i]))
    throw new ShapeError(
      `${fn}: indices of shape ${formatShape(indices.shape)} must have the input's shape ${formatShape(input.shape)}`,
    );
  const stride =
    options.stride === undefined || options.stride === null ? kernel : parse(fn, 'stride', options.stride as never, 1);
  const padding = parse(fn, 'padding', (options.padding ?? 0) as never, 0);
  const inSizes = input.shape.slice(input.ndim - spatial);
  const defaults = inSizes.map((n, d) => (n - 1) * stride[d] - 2 * padding[d] + kernel[d]);
  let size = defaults;
  const requested = options.outputSize ?? null;
  if (requested !== null) {
    if (!Array.isArray(requested) || !requested.every((v) => typeof v === 'number' && Number.isInteger(v)))
      throw new ValueError(`${fn}: outputSize must be a list of integers, got ${JSON.stringify(requested)}`);
    const own = requested.length === spatial + 2 ? requested.slice(2) : requested;
    if (own.length !== spatial)
      throw new ValueError(
        `${fn}: outputSize must have ${spatial} or ${spatial + 2} elements, got ${requested.length}`,
      );
    for (let d = 0; d < spatial; d++) {
      const lo = defaults[d] - stride[d];
      const hi = defaults[d] + stride[d];
      if (!(own[d] > lo && own[d] < hi))
        throw new ValueError(
          `${fn}: invalid outputSize ${JSON.stringify(requested)}: dim ${d} must be between ${lo} and ${hi} (exclusive) for input shape ${formatShape(input.shape)}`,
        );
    }
    size = own;
  }
  if (size.some((v) => v < 1))
    throw new ShapeError(
      `${fn}: the output size would be ${size.join('x')} for input shape ${formatShape(input.shape)}, kernel ${kernel.join('x')}, stride ${stride.join('x')} and padding ${padding.join('x')}`,
    );
  const plane = size.reduce((a, b) => a * b, 1);
  // A copy of the indices (the op keeps them), checked where they are.
  const idx = copyIndices(indices._array as Int32Array);
  runOnHost([idx], [], () => {
    for (let i = 0; i < idx.length; i++)
      if (idx[i] < 0 || idx[i] >= plane)
        throw new IndexError(
          `${fn}: indices hold ${idx[i]} at flat position ${i}, outside the output ${spatial === 2 ? 'plane' : 'volume'} of ${size.join('x')} (valid: 0 to ${plane - 1})`,
        );
  });
  const inPlane = inSizes.reduce((a, b) => a * b, 1);
  const planes = input.size / (inPlane || 1);
  const outShape = [...input.shape.slice(0, -spatial), ...size];
  return maxUnpool2dOp([input], {
    indices: idx,
    planes,
    plane,
    planeShape: outShape,
    indexShape: input.shape,
    fill: 0,
  });
}
