import { checkOptions, optionNames } from '../check-options';
import { allocate, isFloatingDType } from '../dtype';
import { DTypeError, ShapeError, ValueError } from '../errors';
import { type AxisMap, axisResampleAdjointKernel, axisResampleKernel } from '../kernels/cpu/resample';
import { resolveKernel } from '../kernels/registry';
import { registerOp } from '../op';
import { formatShape } from '../shape';
import { Tensor } from '../tensor';

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
 * Resample one axis of `x` by `map` (each output position a weighted sum of at most two input
 * positions). A linear op whose gradient is its adjoint; shared by {@link interpolate} and the padding
 * modes.
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
 * An {@link AxisMap} that copies input position `index[j]` to output position `j`.
 *
 * @example
 * ```ts
 * gatherMap(3, Int32Array.from([2, 1, 0])); // reverses an axis of length 3
 * ```
 */
export function gatherMap(inSize: number, index: Int32Array): AxisMap {
  const ones = new Float64Array(index.length).fill(1);
  return { inSize, outSize: index.length, i0: index, i1: index, w0: ones, w1: new Float64Array(index.length) };
}

/**
 * The interpolation modes of {@link interpolate}: `'nearest'` (any of 1 to 3 spatial dims), `'linear'`
 * (3-D input) and `'bilinear'` (4-D input).
 *
 * @example
 * ```ts
 * const mode: InterpolateMode = 'bilinear';
 * interpolate(randn([1, 1, 2, 2]), { size: 4, mode });
 * ```
 */
export type InterpolateMode = 'nearest' | 'linear' | 'bilinear';

/** Options of {@link interpolate}, with PyTorch's defaults. */
export interface InterpolateOptions {
  /** Output spatial size, one number for every spatial dim or one per dim (give this or `scaleFactor`). */
  size?: number | readonly number[] | null;
  /** Multiplier of the spatial size, one number or one per dim (give this or `size`). */
  scaleFactor?: number | readonly number[] | null;
  /** `'nearest'` (default), `'linear'` (3-D input) or `'bilinear'` (4-D input). */
  mode?: InterpolateMode;
  /** Linear modes only: align the centres of the corner pixels (default false). */
  alignCorners?: boolean | null;
  /** Recompute the scale from the output size instead of using `scaleFactor` in the sampling (default false). */
  recomputeScaleFactor?: boolean | null;
}

const INTERPOLATE_OPTIONS = optionNames<InterpolateOptions>({
  size: true,
  scaleFactor: true,
  mode: true,
  alignCorners: true,
  recomputeScaleFactor: true,
});

const FN = 'interpolate';

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

/** PyTorch's nearest rule: `min(floor(j · scale), in - 1)` in float32, with exact shortcuts for ×1 and ×2. */
function nearestMap(inSize: number, outSize: number, scale: number | undefined): AxisMap {
  const index = new Int32Array(outSize);
  const s = Math.fround(scale !== undefined ? 1 / scale : inSize / outSize);
  for (let j = 0; j < outSize; j++) {
    if (outSize === inSize) index[j] = j;
    else if (outSize === 2 * inSize) index[j] = j >> 1;
    else index[j] = Math.min(Math.floor(Math.fround(j * s)), inSize - 1);
  }
  return gatherMap(inSize, index);
}

/** PyTorch's linear rule: source `scale·(j + ½) - ½` clamped at 0 (or `scale·j` with aligned corners). */
function linearMap(inSize: number, outSize: number, alignCorners: boolean, scale: number | undefined): AxisMap {
  const i0 = new Int32Array(outSize);
  const i1 = new Int32Array(outSize);
  const w0 = new Float64Array(outSize);
  const w1 = new Float64Array(outSize);
  const step = alignCorners
    ? outSize > 1
      ? (inSize - 1) / (outSize - 1)
      : 0
    : scale !== undefined
      ? 1 / scale
      : inSize / outSize;
  for (let j = 0; j < outSize; j++) {
    const src = alignCorners ? step * j : Math.max(0, step * (j + 0.5) - 0.5);
    const lo = Math.min(Math.floor(src), inSize - 1);
    i0[j] = lo;
    i1[j] = lo < inSize - 1 ? lo + 1 : lo;
    w1[j] = src - lo;
    w0[j] = 1 - w1[j];
  }
  return { inSize, outSize, i0, i1, w0, w1 };
}

/**
 * Resize the spatial dims of an `[N, C, ...]` input, like PyTorch 1.13's
 * `torch.nn.functional.interpolate`: `'nearest'` copies input pixel `min(floor(j · in / out), in - 1)`
 * (`in / out` replaced by `1 / scaleFactor` when a scale is given), `'linear'` (3-D input) and
 * `'bilinear'` (4-D input) interpolate between the two nearest input pixels at source position
 * `(j + ½)·in/out - ½` (clamped at 0), or `j·(in - 1)/(out - 1)` with `alignCorners`. Give exactly one of
 * `size` and `scaleFactor`; with `scaleFactor` the output size is `floor(in · scaleFactor)` and, unless
 * `recomputeScaleFactor` is set, the scale itself drives the sampling.
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
 * ```
 */
export function interpolate(x: Tensor, options: InterpolateOptions = {}): Tensor {
  checkOptions(FN, options, INTERPOLATE_OPTIONS);
  if (!(x instanceof Tensor)) throw new ValueError(`${FN}: input must be a Tensor`);
  if (!isFloatingDType(x.dtype)) throw new DTypeError(`${FN}: input must be float32 or float64, got ${x.dtype}`);
  const mode = options.mode ?? 'nearest';
  if (mode !== 'nearest' && mode !== 'linear' && mode !== 'bilinear')
    throw new ValueError(`${FN}: mode must be 'nearest', 'linear' or 'bilinear', got ${JSON.stringify(mode)}`);
  if (x.ndim < 3 || x.ndim > 5)
    throw new ShapeError(`${FN}: expected a 3-D, 4-D or 5-D [N, C, ...] input, got shape ${formatShape(x.shape)}`);
  if (mode === 'linear' && x.ndim !== 3)
    throw new ShapeError(`${FN}: mode 'linear' needs a 3-D [N, C, L] input, got shape ${formatShape(x.shape)}`);
  if (mode === 'bilinear' && x.ndim !== 4)
    throw new ShapeError(`${FN}: mode 'bilinear' needs a 4-D [N, C, H, W] input, got shape ${formatShape(x.shape)}`);
  const align = options.alignCorners ?? null;
  if (align !== null && typeof align !== 'boolean')
    throw new ValueError(`${FN}: alignCorners must be a boolean, got ${JSON.stringify(align)}`);
  if (mode === 'nearest' && align !== null)
    throw new ValueError(`${FN}: alignCorners can only be set with the interpolating modes 'linear' and 'bilinear'`);
  const size = options.size ?? null;
  const scaleFactor = options.scaleFactor ?? null;
  if (size !== null && scaleFactor !== null)
    throw new ValueError(`${FN}: only one of size and scaleFactor may be given`);
  if (size === null && scaleFactor === null) throw new ValueError(`${FN}: either size or scaleFactor must be given`);
  const dims = x.ndim - 2;
  const inSizes = x.shape.slice(2);
  let outSizes: number[];
  let scales: (number | undefined)[] = new Array(dims).fill(undefined);
  if (size !== null) outSizes = listOf('size', size, dims, true);
  else {
    const factors = listOf('scaleFactor', scaleFactor as number | readonly number[], dims, false);
    outSizes = inSizes.map((n, i) => Math.floor(n * factors[i]));
    if (!(options.recomputeScaleFactor ?? false)) scales = factors;
  }
  for (let i = 0; i < dims; i++)
    if (outSizes[i] < 1 || inSizes[i] < 1)
      throw new ShapeError(
        `${FN}: input and output sizes must be greater than 0, got input shape ${formatShape(x.shape)} and output size ${formatShape(outSizes)}`,
      );
  let y = x;
  // NOTE: the last dim first, so that bilinear sums in PyTorch's order h0·(w0·a + w1·b) + h1·(...).
  for (let i = dims - 1; i >= 0; i--) {
    const map =
      mode === 'nearest'
        ? nearestMap(inSizes[i], outSizes[i], scales[i])
        : linearMap(inSizes[i], outSizes[i], align ?? false, scales[i]);
    y = resampleAxis(y, i + 2, map);
  }
  return y;
}
