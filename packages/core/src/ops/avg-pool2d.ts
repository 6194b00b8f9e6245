import { checkOptions, optionNames } from '../check-options';
import { allocate, isFloatingDType } from '../dtype';
import { DTypeError, ValueError } from '../errors';
import { avgPool2dBackwardKernel, avgPool2dKernel, type Pool2dGeometry } from '../kernels/cpu/pool2d';
import { resolveKernel } from '../kernels/registry';
import { registerOp } from '../op';
import { Tensor } from '../tensor';
import type { Size2d } from './conv2d';
import { poolGeometry } from './max-pool2d';
import { reshape } from './reshape';

/** Options of {@link avgPool2d}, with PyTorch's defaults. */
export interface AvgPool2dOptions {
  /** Size of the window. */
  kernelSize: Size2d;
  /** Step between windows (default: `kernelSize`). */
  stride?: Size2d | null;
  /** Implicit zero padding on both sides, at most half the kernel size (default 0). */
  padding?: Size2d;
  /** Use ceil instead of floor to compute the output size (default false). */
  ceilMode?: boolean;
  /** Count the padding zeros in the divisor (default true). */
  countIncludePad?: boolean;
  /** Divide every window's sum by this instead (default: none). */
  divisorOverride?: number | null;
}

const AVG_POOL2D_OPTIONS = optionNames<AvgPool2dOptions>({
  kernelSize: true,
  stride: true,
  padding: true,
  ceilMode: true,
  countIncludePad: true,
  divisorOverride: true,
});

interface AvgPoolAttrs {
  readonly geometry: Pool2dGeometry;
  readonly countIncludePad: boolean;
  /** 0 when there is no override. */
  readonly divisorOverride: number;
}

const avgPool2dOp: (inputs: readonly Tensor[], attrs: AvgPoolAttrs) => Tensor = registerOp<AvgPoolAttrs>({
  name: 'avgPool2d',
  forward: ([x], attrs) => {
    const g = attrs.geometry;
    const out = allocate(x.dtype, g.batch * g.channels * g.outH * g.outW);
    resolveKernel('avgPool2d', avgPool2dKernel)(x._array, out, g, attrs.countIncludePad, attrs.divisorOverride);
    return new Tensor(out, [g.batch, g.channels, g.outH, g.outW], x.dtype);
  },
  backward: (grad, { attrs }) => [avgPool2dBackwardOp([grad], attrs)],
});

// The gradient of average pooling is its adjoint (spread each value over its window), and the
// adjoint of that is average pooling again, so gradients of any order stay these two ops.
const avgPool2dBackwardOp: (inputs: readonly Tensor[], attrs: AvgPoolAttrs) => Tensor = registerOp<AvgPoolAttrs>({
  name: 'avgPool2dBackward',
  forward: ([grad], attrs) => {
    const g = attrs.geometry;
    const out = allocate(grad.dtype, g.batch * g.channels * g.height * g.width);
    resolveKernel('avgPool2dBackward', avgPool2dBackwardKernel)(
      grad._array,
      out,
      g,
      attrs.countIncludePad,
      attrs.divisorOverride,
    );
    return new Tensor(out, [g.batch, g.channels, g.height, g.width], grad.dtype);
  },
  backward: (h, { attrs }) => [avgPool2dOp([h], attrs)],
});

/**
 * 2-D average pooling over the last two dimensions of `[N, C, H, W]` (or `[C, H, W]`), like
 * PyTorch's `torch.nn.functional.avg_pool2d`: padding adds zeros (at most half the kernel size),
 * counted in the divisor unless `countIncludePad` is false; `divisorOverride` replaces the divisor.
 *
 * Gradient: each window's upstream value, divided by the same divisor, is added to every input
 * position of the window.
 *
 * @example
 * ```ts
 * const x = tensor([[[[1, 2, 5, 6], [3, 4, 7, 8]]]]); // [1, 1, 2, 4]
 * avgPool2d(x, { kernelSize: 2 }).toArray(); // [[[[2.5, 6.5]]]]
 * ```
 */
export function avgPool2d(x: Tensor, options: AvgPool2dOptions): Tensor {
  checkOptions('avgPool2d', options, AVG_POOL2D_OPTIONS);
  const geometry = poolGeometry('avgPool2d', x, { ...options, dilation: 1 });
  if (!isFloatingDType(x.dtype)) throw new DTypeError(`avgPool2d: input must be float32 or float64, got ${x.dtype}`);
  const divisorOverride = options.divisorOverride ?? 0;
  if (options.divisorOverride !== undefined && options.divisorOverride !== null) {
    if (!Number.isInteger(divisorOverride) || divisorOverride === 0)
      throw new ValueError(`avgPool2d: divisorOverride must be a non-zero integer, got ${divisorOverride}`);
  }
  const unbatched = x.ndim === 3;
  const x4 = unbatched ? reshape(x, [1, ...x.shape]) : x;
  const out = avgPool2dOp([x4], { geometry, countIncludePad: options.countIncludePad ?? true, divisorOverride });
  return unbatched ? reshape(out, out.shape.slice(1)) : out;
}
