import { checkOptions, optionNames } from '../check-options';
import { isFloatingDType, type TypedArray } from '../dtype';
import { DTypeError, IndexError, ShapeError, ValueError } from '../errors';
import { runOnHost } from '../residency';
import { formatShape } from '../shape';
import { Tensor } from '../tensor';
import { pair, type Size2d } from './conv2d';
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
  const fn = 'maxUnpool2d';
  if (!(input instanceof Tensor)) throw new ValueError(`${fn}: input must be a Tensor`);
  if (!(indices instanceof Tensor)) throw new ValueError(`${fn}: indices must be a Tensor`);
  if (input.ndim !== 3 && input.ndim !== 4)
    throw new ShapeError(
      `${fn}: expected a 3-D [C, H, W] or 4-D [N, C, H, W] input, got shape ${formatShape(input.shape)}`,
    );
  if (input.dtype !== 'int32' && !isFloatingDType(input.dtype))
    throw new DTypeError(`${fn}: input must be float32, float64 or int32, got ${input.dtype}`);
  if (indices.dtype !== 'int32') throw new DTypeError(`${fn}: indices must be an int32 tensor, got ${indices.dtype}`);
  if (indices.ndim !== input.ndim || !indices.shape.every((d, i) => d === input.shape[i]))
    throw new ShapeError(
      `${fn}: indices of shape ${formatShape(indices.shape)} must have the input's shape ${formatShape(input.shape)}`,
    );
  const kernel = pair(fn, 'kernelSize', kernelSize, 1);
  const stride =
    options.stride === undefined || options.stride === null ? kernel : pair(fn, 'stride', options.stride, 1);
  const padding = pair(fn, 'padding', options.padding ?? 0, 0);
  const height = input.shape[input.ndim - 2];
  const width = input.shape[input.ndim - 1];
  const defaults = [
    (height - 1) * stride[0] - 2 * padding[0] + kernel[0],
    (width - 1) * stride[1] - 2 * padding[1] + kernel[1],
  ];
  let size = defaults;
  const requested = options.outputSize ?? null;
  if (requested !== null) {
    if (!Array.isArray(requested) || !requested.every((v) => typeof v === 'number' && Number.isInteger(v)))
      throw new ValueError(`${fn}: outputSize must be a list of integers, got ${JSON.stringify(requested)}`);
    const hw = requested.length === 4 ? requested.slice(2) : requested;
    if (hw.length !== 2) throw new ValueError(`${fn}: outputSize must have 2 or 4 elements, got ${requested.length}`);
    for (let d = 0; d < 2; d++) {
      const lo = defaults[d] - stride[d];
      const hi = defaults[d] + stride[d];
      if (!(hw[d] > lo && hw[d] < hi))
        throw new ValueError(
          `${fn}: invalid outputSize ${JSON.stringify(requested)}: dim ${d} must be between ${lo} and ${hi} (exclusive) for input shape ${formatShape(input.shape)}`,
        );
    }
    size = hw;
  }
  const [outH, outW] = size;
  if (outH < 1 || outW < 1)
    throw new ShapeError(
      `${fn}: the output size would be ${outH}x${outW} for input shape ${formatShape(input.shape)}, kernel ${kernel.join('x')}, stride ${stride.join('x')} and padding ${padding.join('x')}`,
    );
  const plane = outH * outW;
  // A copy of the indices (the op keeps them), checked where they are.
  const idx = copyIndices(indices._array as Int32Array);
  runOnHost([idx], [], () => {
    for (let i = 0; i < idx.length; i++)
      if (idx[i] < 0 || idx[i] >= plane)
        throw new IndexError(
          `${fn}: indices hold ${idx[i]} at flat position ${i}, outside the output plane of ${outH}x${outW} (valid: 0 to ${plane - 1})`,
        );
  });
  const planes = input.size / (height * width || 1);
  const outShape = [...input.shape.slice(0, -2), outH, outW];
  return maxUnpool2dOp([input], {
    indices: idx,
    planes,
    plane,
    planeShape: outShape,
    indexShape: input.shape,
    fill: 0,
  });
}
