import { checkOptions, optionNames } from '../check-options';
import { allocate, isFloatingDType } from '../dtype';
import { DTypeError, ShapeError, ValueError } from '../errors';
import { type AxisMap, axisResampleAdjointKernel, axisResampleKernel } from '../kernels/cpu/resample';
import { resolveKernel } from '../kernels/registry';
import { registerOp } from '../op';
import { formatShape } from '../shape';
import { Tensor } from '../tensor';
import { areaMap, cubicMap, gatherMap, linearMap, nearestExactMap, nearestMap } from './interpolate-maps';

export { gatherMap };

interface AxisAttrs {
  readonly axis: number;
  readonly map: AxisMap;
}

function splitAt(shape: readonly number[], axis: number): [number, number] {
  let outer = 1;
  let inner = 1;
  for (let d = 0; d < axis; d++) outer *= shape[d];
  for (let d = axis + 1; d < shape.length; d++) inner *= shape[d];
  return [outer, inner];
}

const resampleAxisOp: (inputs: readonly Tensor[], attrs: AxisAttrs) => Tensor = registerOp<AxisAttrs>({
  name: 'resampleAxis',
  saves: { inputs: [], output: false },
  forward: ([x], { axis, map }) => {
    const shape = [...x.shape];
    shape[axis] = map.outSize;
    const [outer, inner] = splitAt(x.shape, axis);
    const out = allocate(x.dtype, outer * map.outSize * inner);
    resolveKernel('resampleAxis', axisResampleKernel)(x._array, out, outer, map, inner);
    return new Tensor(out, shape, x.dtype);
  },
  backward: (g, { attrs }) => [resampleAxisAdjointOp([g], attrs)],
});

const resampleAxisAdjointOp: (inputs: readonly Tensor[], attrs: AxisAttrs) => Tensor = registerOp<AxisAttrs>({
  name: 'resampleAxisAdjoint',
  saves: { inputs: [], output: false },
  forward: ([g], { axis, map }) => {
    const shape = [...g.shape];
    shape[axis] = map.inSize;
    const [outer, inner] = splitAt(g.shape, axis);
    const out = allocate(g.dtype, outer * map.inSize * inner);
    resolveKernel('resampleAxisAdjoint', axisResampleAdjointKernel)(g._array, out, outer, map, inner);
    return new Tensor(out, shape, g.dtype);
  },
  backward: (h, { attrs }) => [resampleAxisOp([h], attrs)],
});

/**
 * Resample one axis of `x` by `map` (each output position a weighted sum of input positions along the
 * axis). A linear op whose gradient is its adjoint; shared by {@link interpolate} and the padding modes.
 *
 * @example
 * ```ts
 * resampleAxis(x, 2, gatherMap(3, Int32Array.from([0, 0, 1, 2]))); // repeats row 0 of dim 2
 * ```
 */
export function resampleAxis(x: Tensor, axis: number, map: AxisMap): Tensor {
  return resampleAxisOp([x], { axis, map });
}

/**
 * The interpolation modes of {@link interpolate}, as PyTorch 1.13: `'nearest'`, `'nearest-exact'` and
 * `'area'` (any of 1 to 3 spatial dims), `'linear'` (3-D input), `'bilinear'` and `'bicubic'` (4-D input)
 * and `'trilinear'` (5-D input).
 *
 * @example
 * ```ts
 * const mode: InterpolateMode = 'bicubic';
 * interpolate(randn([1, 1, 2, 2]), { size: 4, mode });
 * ```
 */
export type InterpolateMode = 'nearest' | 'linear' | 'bilinear' | 'bicubic' | 'trilinear' | 'area' | 'nearest-exact';

/** Options of {@link interpolate}, with PyTorch's defaults. */
export interface InterpolateOptions {
  /** Output spatial size, one number for every spatial dim or one per dim (give this or `scaleFactor`). */
  size?: number | readonly number[] | null;
  /** Multiplier of the spatial size, one number or one per dim (give this or `size`). */
  scaleFactor?: number | readonly number[] | null;
  /**
   * `'nearest'` (default), `'nearest-exact'`, `'area'` (3-D to 5-D input), `'linear'` (3-D), `'bilinear'`,
   * `'bicubic'` (4-D) or `'trilinear'` (5-D).
   */
  mode?: InterpolateMode;
  /**
   * `'linear'`, `'bilinear'`, `'bicubic'` and `'trilinear'` only: align the centres of the corner pixels
   * (default false).
   */
  alignCorners?: boolean | null;
  /**
   * Recompute the scale from the output size instead of using `scaleFactor` in the sampling (default false;
   * not with `size`; `'area'` always uses the output size).
   */
  recomputeScaleFactor?: boolean | null;
  /** Anti-aliasing: not supported, only `false` (the default) is accepted. */
  antialias?: boolean | null;
}

const INTERPOLATE_OPTIONS = optionNames<InterpolateOptions>({
  size: true,
  scaleFactor: true,
  mode: true,
  alignCorners: true,
  recomputeScaleFactor: true,
  antialias: true,
});

const FN = 'interpolate';

/**
 * Every mode {@link interpolate} takes, in the order its errors list them (what `nn.Upsample` checks its
 * `mode` against too).
 *
 * @example
 * ```ts
 * INTERPOLATE_MODES.includes('bicubic'); // true
 * ```
 */
export const INTERPOLATE_MODES: readonly InterpolateMode[] = Object.freeze([
  'nearest',
  'linear',
  'bilinear',
  'bicubic',
  'trilinear',
  'area',
  'nearest-exact',
]);

/** The input rank each fixed-rank mode needs, and its layout for messages. */
const RANK: Partial<Record<InterpolateMode, [number, string]>> = {
  linear: [3, '[N, C, L]'],
  bilinear: [4, '[N, C, H, W]'],
  bicubic: [4, '[N, C, H, W]'],
  trilinear: [5, '[N, C, D, H, W]'],
};

function listOf(arg: string, value: number | readonly number[], dims: number, integer: boolean): number[] {
  const list =
    typeof value === 'number' ? new Array<number>(dims).fill(value) : Array.isArray(value) ? [...value] : null;
  if (list === null || list.length !== dims)
    throw new ValueError(
      `${FN}: ${arg} must be a number or a list of ${dims} numbers (one per spatial dim), got ${JSON.stringify(value)}`,
    );
  for (const v of list)
    if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0 || (integer && !Number.isInteger(v)))
      throw new ValueError(
        `${FN}: ${arg} must hold ${integer ? 'positive integers' : 'positive numbers'}, got ${JSON.stringify(value)}`,
      );
  return list;
}

function optionalBoolean(name: string, value: unknown): boolean | null {
  if (value !== null && value !== undefined && typeof value !== 'boolean')
    throw new ValueError(`${FN}: ${name} must be a boolean, got ${JSON.stringify(value)}`);
  return (value as boolean | null | undefined) ?? null;
}

function axisMap(
  mode: InterpolateMode,
  inSize: number,
  outSize: number,
  alignCorners: boolean,
  scale: number | undefined,
  dims: number,
): AxisMap {
  switch (mode) {
    case 'nearest':
      return nearestMap(inSize, outSize, scale, dims > 1);
    case 'nearest-exact':
      return nearestExactMap(inSize, outSize, scale);
    case 'area':
      return areaMap(inSize, outSize);
    case 'bicubic':
      return cubicMap(inSize, outSize, alignCorners, scale);
    default:
      return linearMap(inSize, outSize, alignCorners, scale);
  }
}

/**
 * Resize the spatial dims of an `[N, C, ...]` input, like PyTorch 1.13's
 * `torch.nn.functional.interpolate`. Each spatial axis is resampled on its own (the modes are separable):
 *
 * - `'nearest'` copies input pixel `min(floor(j · in / out), in - 1)`, and `'nearest-exact'` pixel
 *   `min(floor((j + ½) · in / out), in - 1)` (`in / out` replaced by `1 / scaleFactor` when a scale is
 *   given); 3-D to 5-D input. As PyTorch's kernels, `'nearest'` on 4-D and 5-D input copies an axis whose
 *   size does not change and reads pixel `floor(j / 2)` on one whose size doubles, whatever the scale.
 * - `'linear'` (3-D input), `'bilinear'` (4-D) and `'trilinear'` (5-D) interpolate between the two nearest
 *   input pixels at source position `(j + ½)·in/out - ½` (clamped at 0), or `j·(in - 1)/(out - 1)` with
 *   `alignCorners`; an axis whose size does not change is copied.
 * - `'bicubic'` (4-D input) weighs the four input pixels around the same source position (not clamped)
 *   with the cubic convolution kernel of `A = -0.75`, their indices clamped to the border.
 * - `'area'` (3-D to 5-D input) is adaptive average pooling: output `j` averages the input pixels
 *   `[floor(j·in/out), ceil((j + 1)·in/out))`.
 *
 * Give exactly one of `size` and `scaleFactor`; with `scaleFactor` the output size is
 * `floor(in · scaleFactor)` and, unless `recomputeScaleFactor` is set (or the mode is `'area'`), the scale
 * itself drives the sampling. `alignCorners` is only for the linear and cubic modes; `antialias` is not
 * supported.
 *
 * Gradient: the adjoint resampling (each output gradient added back onto the input pixels it read,
 * with the same weights); differentiable again.
 *
 * See https://pytorch.org/docs/1.13/generated/torch.nn.functional.interpolate.html
 *
 * @example
 * ```ts
 * interpolate(randn([1, 3, 4, 4]), { scaleFactor: 2 }).shape; // [1, 3, 8, 8]
 * interpolate(randn([1, 3, 4, 4]), { size: [6, 5], mode: 'bilinear', alignCorners: true }).shape; // [1, 3, 6, 5]
 * interpolate(randn([1, 3, 6, 6]), { size: 4, mode: 'area' }).shape; // [1, 3, 4, 4]
 * ```
 */
export function interpolate(x: Tensor, options: InterpolateOptions = {}): Tensor {
  checkOptions(FN, options, INTERPOLATE_OPTIONS);
  if (!(x instanceof Tensor)) throw new ValueError(`${FN}: input must be a Tensor`);
  if (!isFloatingDType(x.dtype)) throw new DTypeError(`${FN}: input must be float32 or float64, got ${x.dtype}`);
  const mode = options.mode ?? 'nearest';
  if (!INTERPOLATE_MODES.includes(mode))
    throw new ValueError(
      `${FN}: mode must be one of ${INTERPOLATE_MODES.map((m) => `'${m}'`).join(', ')}, got ${JSON.stringify(mode)}`,
    );
  if (x.ndim < 3 || x.ndim > 5)
    throw new ShapeError(`${FN}: expected a 3-D, 4-D or 5-D [N, C, ...] input, got shape ${formatShape(x.shape)}`);
  const rank = RANK[mode];
  if (rank !== undefined && x.ndim !== rank[0])
    throw new ShapeError(
      `${FN}: mode '${mode}' needs a ${rank[0]}-D ${rank[1]} input, got shape ${formatShape(x.shape)}`,
    );
  const align = optionalBoolean('alignCorners', options.alignCorners);
  if (rank === undefined && align !== null)
    throw new ValueError(
      `${FN}: alignCorners can only be set with the interpolating modes 'linear', 'bilinear', 'bicubic' and 'trilinear', not '${mode}'`,
    );
  if (optionalBoolean('antialias', options.antialias) === true)
    throw new ValueError(`${FN}: antialias is not supported (only antialias: false)`);
  const recompute = optionalBoolean('recomputeScaleFactor', options.recomputeScaleFactor) ?? false;
  const size = options.size ?? null;
  const scaleFactor = options.scaleFactor ?? null;
  if (size !== null && scaleFactor !== null)
    throw new ValueError(`${FN}: only one of size and scaleFactor may be given`);
  if (size === null && scaleFactor === null) throw new ValueError(`${FN}: either size or scaleFactor must be given`);
  if (size !== null && recompute)
    throw new ValueError(`${FN}: recomputeScaleFactor is only meaningful with scaleFactor, not with an explicit size`);
  const dims = x.ndim - 2;
  const inSizes = x.shape.slice(2);
  let outSizes: number[];
  let scales: (number | undefined)[] = new Array(dims).fill(undefined);
  if (size !== null) outSizes = listOf('size', size, dims, true);
  else {
    const factors = listOf('scaleFactor', scaleFactor as number | readonly number[], dims, false);
    outSizes = inSizes.map((n, i) => Math.floor(n * factors[i]));
    // NOTE: 'area' always pools to the output size, as if recomputeScaleFactor were set.
    if (!recompute && mode !== 'area') scales = factors;
  }
  for (let i = 0; i < dims; i++)
    if (outSizes[i] < 1 || inSizes[i] < 1)
      throw new ShapeError(
        `${FN}: input and output sizes must be greater than 0, got input shape ${formatShape(x.shape)} and output size ${formatShape(outSizes)}`,
      );
  let y = x;
  // NOTE: the last dim first, so that bilinear sums in PyTorch's order h0·(w0·a + w1·b) + h1·(...).
  for (let i = dims - 1; i >= 0; i--)
    y = resampleAxis(y, i + 2, axisMap(mode, inSizes[i], outSizes[i], align ?? false, scales[i], dims));
  return y;
}
