import { checkOptions } from '../check-options';
import { allocate, isFloatingDType } from '../dtype';
import { DTypeError } from '../errors';
import { maxPool2dKernel } from '../kernels/cpu/pool2d';
import { resolveKernel } from '../kernels/registry';
import { Tensor } from '../tensor';
import type { ValuesAndIndices } from './max';
import type { MaxPool2dOptions } from './max-pool2d';
import { MAX_POOL2D_OPTIONS, poolGeometry } from './max-pool2d';
import { copyIndices, planeGatherOp } from './pool-plane';
import { reshape } from './reshape';

/**
 * Run a 2-D max pooling of `x` (`[N, C, H, W]` or `[C, H, W]`) and return its values and flat argmax
 * indices; `fn` names the caller in errors. Shared by the 1-d and 2-d forms.
 *
 * @example
 * ```ts
 * maxPoolWithIndices('maxPool1dWithIndices', x4, { kernelSize: [1, 3] }).indices; // int32
 * ```
 */
export function maxPoolWithIndices(fn: string, x: Tensor, options: MaxPool2dOptions): ValuesAndIndices {
  const g = poolGeometry(fn, x, options);
  if (x.dtype !== 'int32' && !isFloatingDType(x.dtype))
    throw new DTypeError(`${fn}: input must be float32, float64 or int32, got ${x.dtype}`);
  const unbatched = x.ndim === 3;
  const x4 = unbatched ? reshape(x, [1, ...x.shape]) : x;
  const outShape = [g.batch, g.channels, g.outH, g.outW];
  const indices = new Int32Array(g.batch * g.channels * g.outH * g.outW);
  resolveKernel('maxPool2d', maxPool2dKernel)(x4._array, allocate(x.dtype, indices.length), indices, g);
  const values = planeGatherOp([x4], {
    indices,
    planes: g.batch * g.channels,
    plane: g.height * g.width,
    planeShape: x4.shape,
    indexShape: outShape,
    fill: Number.NEGATIVE_INFINITY,
  });
  // a copy the tensor owns: the op keeps `indices`
  const idx = new Tensor(copyIndices(indices), outShape, 'int32');
  if (!unbatched) return { values, indices: idx };
  return { values: reshape(values, outShape.slice(1)), indices: reshape(idx, outShape.slice(1)) };
}

/**
 * 2-D max pooling that also returns where each maximum came from, like
 * `torch.nn.functional.max_pool2d(..., return_indices=True)`: `values` as {@link maxPool2d}, and
 * `indices` (int32, the same shape) holding each window's argmax as a flat index `y·W + x` into its
 * `H x W` input plane (the first maximum on ties; a NaN wins), ready for {@link maxUnpool2d}.
 *
 * Options and defaults as {@link maxPool2d}: `stride` = `kernelSize`, `padding` 0 (at most half the
 * kernel), `dilation` 1, `ceilMode` false. Gradient: each window's upstream value goes to its argmax.
 * A window whose taps all fall in the padding (possible with a large dilation) gives -Infinity and
 * index -1 (PyTorch's index then points outside the plane).
 *
 * See https://pytorch.org/docs/stable/generated/torch.nn.MaxPool2d.html
 *
 * @example
 * ```ts
 * const x = tensor([[[[1, 2, 5, 6], [3, 4, 7, 8]]]]); // [1, 1, 2, 4]
 * const { values, indices } = maxPool2dWithIndices(x, { kernelSize: 2 });
 * values.toArray(); // [[[[4, 8]]]]
 * indices.toArray(); // [[[[5, 7]]]]
 * ```
 */
export function maxPool2dWithIndices(x: Tensor, options: MaxPool2dOptions): ValuesAndIndices {
  checkOptions('maxPool2dWithIndices', options, MAX_POOL2D_OPTIONS);
  return maxPoolWithIndices('maxPool2dWithIndices', x, options);
}
