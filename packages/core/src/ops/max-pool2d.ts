import { checkOptions, optionNames } from '../check-options';
import { allocate, isFloatingDType } from '../dtype';
import { DTypeError, ShapeError, ValueError } from '../errors';
import {
  maxPool2dGatherKernel,
  maxPool2dKernel,
  maxPool2dScatterKernel,
  type Pool2dGeometry,
} from '../kernels/cpu/pool2d';
import { resolveKernel } from '../kernels/registry';
import { registerOp } from '../op';
import { formatShape } from '../shape';
import { Tensor } from '../tensor';
import { pair, type Size2d } from './conv2d';
import { reshape } from './reshape';

/** Options of {@link maxPool2d}, with PyTorch's defaults. */
export interface MaxPool2dOptions {
  /** Size of the window. */
  kernelSize: Size2d;
  /** Step between windows (default: `kernelSize`). */
  stride?: Size2d | null;
  /** Implicit -Infinity padding on both sides, at most half the kernel size (default 0). */
  padding?: Size2d;
  /** Spacing between window taps (default 1). */
  dilation?: Size2d;
  /** Use ceil instead of floor to compute the output size, so windows may run past the edge (default false). */
  ceilMode?: boolean;
}

/** One output size of a pooling, as PyTorch's `pooling_output_shape` computes it. */
function pooledSize(
  size: number,
  kernel: number,
  pad: number,
  stride: number,
  dilation: number,
  ceilMode: boolean,
): number {
  let out = Math.floor((size + 2 * pad - dilation * (kernel - 1) - 1 + (ceilMode ? stride - 1 : 0)) / stride) + 1;
  // NOTE: in ceil mode the last window must start inside the input or the left padding.
  if (ceilMode && (out - 1) * stride >= size + pad) out--;
  return out;
}

/** The option names of {@link MaxPool2dOptions} (for {@link maxPool2d} and `maxPool2dWithIndices`). */
export const MAX_POOL2D_OPTIONS = optionNames<MaxPool2dOptions>({
  kernelSize: true,
  stride: true,
  padding: true,
  dilation: true,
  ceilMode: true,
});

/**
 * Check the arguments of a 2-D pooling of `x` (`[N, C, H, W]` or `[C, H, W]`) and compute its
 * geometry; `fn` names the caller in errors.
 *
 * @example
 * ```ts
 * poolGeometry('maxPool2d', zeros([1, 3, 8, 8]), { kernelSize: 2 }).outH; // 4
 * ```
 */
export function poolGeometry(
  fn: string,
  x: Tensor,
  options: { kernelSize: Size2d; stride?: Size2d | null; padding?: Size2d; dilation?: Size2d; ceilMode?: boolean },
): Pool2dGeometry {
  if (!(x instanceof Tensor)) throw new ValueError(`${fn}: input must be a Tensor`);
  if (x.ndim !== 3 && x.ndim !== 4)
    throw new ShapeError(`${fn}: expected a 3-D (unbatched) or 4-D (batched) input, got shape ${formatShape(x.shape)}`);
  if (options === undefined || options === null || options.kernelSize === undefined)
    throw new ValueError(`${fn}: options.kernelSize is required`);
  const [kernelH, kernelW] = pair(fn, 'kernelSize', options.kernelSize, 1);
  const stride = options.stride ?? null;
  const [strideH, strideW] = stride === null ? [kernelH, kernelW] : pair(fn, 'stride', stride, 1);
  const [padH, padW] = pair(fn, 'padding', options.padding ?? 0, 0);
  const [dilationH, dilationW] = pair(fn, 'dilation', options.dilation ?? 1, 1);
  if (padH > Math.floor(kernelH / 2) || padW > Math.floor(kernelW / 2))
    throw new ValueError(
      `${fn}: padding must be at most half the kernel size, got padding ${padH}x${padW} for kernel ${kernelH}x${kernelW}`,
    );
  const [batch, channels, height, width] = x.ndim === 3 ? [1, ...x.shape] : x.shape;
  const ceilMode = options.ceilMode ?? false;
  const outH = pooledSize(height, kernelH, padH, strideH, dilationH, ceilMode);
  const outW = pooledSize(width, kernelW, padW, strideW, dilationW, ceilMode);
  if (outH < 1 || outW < 1 || height === 0 || width === 0)
    throw new ShapeError(
      `${fn}: input of spatial size ${height}x${width} is too small for kernel ${kernelH}x${kernelW} (padding ${padH}x${padW}, dilation ${dilationH}x${dilationW}): the output would be ${outH}x${outW}`,
    );
  return {
    batch,
    channels,
    height,
    width,
    outH,
    outW,
    kernelH,
    kernelW,
    strideH,
    strideW,
    padH,
    padW,
    dilationH,
    dilationW,
  };
}

interface MaxPoolAttrs {
  readonly geometry: Pool2dGeometry;
  /** The argmax of each window: filled by the first forward, then reused (the op is a gather at these). */
  indices: Int32Array | null;
}

// NOTE: the forward saves the argmax of every window in attrs.indices. Given indices, the same op
// reads the input at them instead: that gather is the gradient of the scatter below, and the
// scatter is the gradient of the gather, so gradients of any order follow the saved argmax.
const maxPool2dOp: (inputs: readonly Tensor[], attrs: MaxPoolAttrs) => Tensor = registerOp<MaxPoolAttrs>({
  name: 'maxPool2d',
  forward: ([x], attrs) => {
    const g = attrs.geometry;
    const shape = [g.batch, g.channels, g.outH, g.outW];
    // Both kernels write every element (no zero-filling needed).
    const out = allocate(x.dtype, g.batch * g.channels * g.outH * g.outW, false);
    if (attrs.indices === null) {
      const indices = new Int32Array(out.length);
      resolveKernel('maxPool2d', maxPool2dKernel)(x._array, out, indices, g);
      attrs.indices = indices;
    } else resolveKernel('maxPool2dGather', maxPool2dGatherKernel)(x._array, attrs.indices, out, g);
    return new Tensor(out, shape, x.dtype);
  },
  backward: (grad, { attrs }) => [maxPool2dBackwardOp([grad], attrs)],
});

const maxPool2dBackwardOp: (inputs: readonly Tensor[], attrs: MaxPoolAttrs) => Tensor = registerOp<MaxPoolAttrs>({
  name: 'maxPool2dBackward',
  forward: ([grad], attrs) => {
    const g = attrs.geometry;
    const out = allocate(grad.dtype, g.batch * g.channels * g.height * g.width);
    if (attrs.indices === null)
      throw new ValueError('maxPool2dBackward: the argmax indices of the forward are missing');
    resolveKernel('maxPool2dBackward', maxPool2dScatterKernel)(grad._array, attrs.indices, out, g);
    return new Tensor(out, [g.batch, g.channels, g.height, g.width], grad.dtype);
  },
  backward: (h, { attrs }) => [maxPool2dOp([h], attrs)],
});

/**
 * 2-D max pooling over the last two dimensions of `[N, C, H, W]` (or `[C, H, W]`), like PyTorch's
 * `torch.nn.functional.max_pool2d`: the padding acts as -Infinity and must be at most half the
 * kernel size; the output size is `floor((H + 2·padding - dilation·(kernel - 1) - 1) / stride) + 1`
 * (ceil in `ceilMode`).
 *
 * Gradient: each window's upstream value goes to the position of its maximum (the first one on
 * ties); overlapping windows accumulate.
 *
 * @example
 * ```ts
 * const x = tensor([[[[1, 2, 5, 6], [3, 4, 7, 8]]]]); // [1, 1, 2, 4]
 * maxPool2d(x, { kernelSize: 2 }).toArray(); // [[[[4, 8]]]]
 * ```
 */
export function maxPool2d(x: Tensor, options: MaxPool2dOptions): Tensor {
  checkOptions('maxPool2d', options, MAX_POOL2D_OPTIONS);
  const geometry = poolGeometry('maxPool2d', x, options);
  if (x.dtype !== 'int32' && !isFloatingDType(x.dtype)) throw new DTypeError(`maxPool2d: unsupported dtype ${x.dtype}`);
  const unbatched = x.ndim === 3;
  const x4 = unbatched ? reshape(x, [1, ...x.shape]) : x;
  const out = maxPool2dOp([x4], { geometry, indices: null });
  return unbatched ? reshape(out, out.shape.slice(1)) : out;
}
