// gridSample and affineGrid, the functional forms of PyTorch's spatial-transformer helpers (part of `F`), for
// 4-D input. gridSample is composed from core ops: the source coordinates are computed from the grid with
// elementwise ops, floored (or rounded) to integer corners, turned into an int32 index with tensor ops, and the
// corners are read with `gather` and weighted with weights that depend on the grid, so the gradients of the
// input and the grid (and gradients of gradients) come from the core ops' own VJPs.

import {
  add,
  cast,
  checkOptions,
  clamp,
  DTypeError,
  div,
  expand,
  floor,
  fmod,
  gather,
  ge,
  gt,
  isFloatingDType,
  isnan,
  le,
  lt,
  matmul,
  mul,
  optionNames,
  reshape,
  round,
  ShapeError,
  split,
  sub,
  Tensor,
  transpose,
  ValueError,
  where,
} from '@nablajs/core';
import { formatShape } from '../layers/util';

/**
 * Options of {@link gridSample}, with PyTorch's defaults.
 *
 * @example
 * ```ts
 * const options: GridSampleOptions = { mode: 'nearest', paddingMode: 'border', alignCorners: true };
 * F.gridSample(randn([1, 3, 4, 4]), rand([1, 2, 5, 2]), options).shape; // [1, 3, 2, 5]
 * ```
 */
export interface GridSampleOptions {
  /** How a sample is read from its neighbouring pixels: `'bilinear'` (default) or `'nearest'`. */
  mode?: 'bilinear' | 'nearest';
  /** What a sample outside the input reads: `'zeros'` (default), `'border'` or `'reflection'`. */
  paddingMode?: 'zeros' | 'border' | 'reflection';
  /** Whether -1 and 1 are the centres of the corner pixels (true) or their outer edges (default false). */
  alignCorners?: boolean;
}

/**
 * Options of {@link affineGrid}, with PyTorch's default.
 *
 * @example
 * ```ts
 * const options: AffineGridOptions = { alignCorners: true };
 * F.affineGrid(tensor([[[1, 0, 0], [0, 1, 0]]]), [1, 1, 2, 3], options).shape; // [1, 2, 3, 2]
 * ```
 */
export interface AffineGridOptions {
  /** Whether -1 and 1 are the centres of the corner pixels (true) or their outer edges (default false). */
  alignCorners?: boolean;
}

const GRID_SAMPLE_OPTIONS = optionNames<GridSampleOptions>({ mode: true, paddingMode: true, alignCorners: true });
const AFFINE_GRID_OPTIONS = optionNames<AffineGridOptions>({ alignCorners: true });
const MODES = ['bilinear', 'nearest'];
const PADDING_MODES = ['zeros', 'border', 'reflection'];

function describe(v: unknown): string {
  if (v instanceof Tensor) return `a tensor of shape ${formatShape(v.shape)}`;
  return v === null ? 'null' : typeof v === 'string' ? `'${v}'` : String(v);
}

function checkAlignCorners(fn: string, v: unknown): boolean {
  if (v === undefined) return false;
  if (typeof v !== 'boolean') throw new ValueError(`${fn}: alignCorners must be a boolean, got ${describe(v)}`);
  return v;
}

/** A grid coordinate in [-1, 1] as a pixel coordinate along a dim of `size` pixels. */
function unnormalize(coord: Tensor, size: number, alignCorners: boolean): Tensor {
  if (alignCorners) return mul(div(add(coord, 1), 2), size - 1);
  return div(sub(mul(add(coord, 1), size), 1), 2);
}

/**
 * Fold `x` into `[twiceLow / 2, twiceHigh / 2]` by reflecting it at both ends as often as needed. The distance
 * to the lower end is reduced modulo a double span (a reflection there and back), and the part beyond one span
 * is mirrored; the gradient is ±1 (-1 below the lower end, flipped again where mirrored). Its kinks all fall on
 * or outside the clipping bounds that follow, where the gradient is 0 anyway.
 */
function reflect(x: Tensor, twiceLow: number, twiceHigh: number): Tensor {
  if (twiceLow === twiceHigh) return mul(x, 0);
  const low = twiceLow / 2;
  const span = (twiceHigh - twiceLow) / 2;
  const d = sub(x, low);
  const below = lt(d, 0);
  const distance = where(below, mul(d, -1), d);
  const extra = fmod(distance, 2 * span);
  const mirrored = sub(2 * span, extra);
  return add(where(gt(extra, mirrored), mirrored, extra), low);
}

/** The pixel coordinate along a dim of `size` pixels after the padding mode moved it into range. */
function padCoordinate(ix: Tensor, size: number, padding: string, alignCorners: boolean): Tensor {
  if (padding === 'zeros') return ix;
  let c = ix;
  if (padding === 'reflection') c = alignCorners ? reflect(c, 0, 2 * (size - 1)) : reflect(c, -1, 2 * size - 1);
  // Clipped with PyTorch's CPU convention: the gradient is 1 strictly inside [0, size - 1] and 0 on the bounds
  // and beyond, so the clipped value is detached unless it is strictly inside. A NaN coordinate is read at 0.
  const strictlyInside = mul(gt(c, 0), lt(c, size - 1));
  const clipped = where(isnan(c), 0, clamp(c, 0, size - 1)).detach();
  return where(strictlyInside, c, clipped);
}

/** 1 where the integer coordinates `(x, y)` (float tensors `[N, P]`) are a pixel of an `h x w` image, else 0. */
function inside(x: Tensor, y: Tensor, h: number, w: number): Tensor {
  return mul(mul(ge(x, 0), le(x, w - 1)), mul(ge(y, 0), le(y, h - 1)));
}

/**
 * The values of `flat` (`[N, C, H·W]`) at the integer corners `(x, y)` (`[N, P]`), `[N, C, P]`, zero at a
 * corner outside the image. The index is built with tensor ops and no gradient, and out-of-range corners read
 * pixel 0 before they are masked, so `gather` never sees an invalid index.
 */
function readCorner(flat: Tensor, x: Tensor, y: Tensor, h: number, w: number): Tensor {
  const [n, c] = flat.shape;
  const p = x.shape[1];
  const valid = inside(x, y, h, w);
  // In int32, so that the flat index stays exact for images of more than 2^24 pixels in float32.
  const row = cast(where(valid, y, 0), 'int32');
  const index = add(mul(row, w), cast(where(valid, x, 0), 'int32'));
  const full = expand(reshape(index, [n, 1, p]), [n, c, p]);
  return where(reshape(valid, [n, 1, p]), gather(flat, 2, full), 0);
}

function checkGridSampleArgs(fn: string, input: unknown, grid: unknown): [Tensor, Tensor] {
  if (!(input instanceof Tensor)) throw new ValueError(`${fn}: input must be a Tensor, got ${describe(input)}`);
  if (!(grid instanceof Tensor)) throw new ValueError(`${fn}: grid must be a Tensor, got ${describe(grid)}`);
  if (input.ndim !== 4)
    throw new ShapeError(
      `${fn}: input must be a 4-D [N, C, H_in, W_in] tensor (5-D input is not supported), got shape ${formatShape(input.shape)}`,
    );
  if (grid.ndim !== 4 || grid.shape[3] !== 2)
    throw new ShapeError(`${fn}: grid must be a 4-D [N, H_out, W_out, 2] tensor, got shape ${formatShape(grid.shape)}`);
  if (!isFloatingDType(input.dtype))
    throw new DTypeError(`${fn}: input must be a floating-point tensor, got ${input.dtype}`);
  if (grid.dtype !== input.dtype)
    throw new DTypeError(`${fn}: grid must have the dtype of input (${input.dtype}), got ${grid.dtype}`);
  if (grid.shape[0] !== input.shape[0])
    throw new ShapeError(
      `${fn}: grid and input must have the same batch size, got grid of shape ${formatShape(grid.shape)} and input of shape ${formatShape(input.shape)}`,
    );
  if (input.shape[2] === 0 || input.shape[3] === 0)
    throw new ShapeError(`${fn}: input's spatial dims must be non-zero, got shape ${formatShape(input.shape)}`);
  return [input, grid];
}

/**
 * Sample `input` at the points of `grid`, like PyTorch 1.13's `torch.nn.functional.grid_sample` for 4-D input.
 * `input` is `[N, C, H_in, W_in]`, `grid` is `[N, H_out, W_out, 2]` (same dtype) holding for every output pixel
 * the point to read as `(x, y)`, normalized so that -1 and 1 are the left/top and right/bottom ends of the input
 * (the centres of the corner pixels with `alignCorners`, their outer edges without); the output is
 * `[N, C, H_out, W_out]`. `mode: 'bilinear'` blends the 4 neighbouring pixels, `'nearest'` reads the nearest one
 * (ties to even). Points outside the input read zeros (`paddingMode: 'zeros'`, also for the outside corners of
 * a bilinear blend), the nearest border pixel (`'border'`) or the input mirrored at its borders
 * (`'reflection'`). `'bicubic'` is not supported.
 *
 * Composed from core ops (`gather` at an int32 index built from the floored coordinates, weights computed from
 * the grid), so it is differentiable in both `input` and `grid`, and double backward works (PyTorch has none).
 * The grid's gradient comes from the bilinear weights (zero for `'nearest'`); where a coordinate is clipped
 * (`'border'`, `'reflection'`) it is 0 on the clipping bounds and beyond, as in PyTorch's CPU kernel (so a grid
 * value of exactly ±1 with `alignCorners` gets no gradient).
 *
 * NaN in the grid, as PyTorch's CPU kernel: with `'zeros'` padding a NaN coordinate reads nothing (the sample is
 * NaN for `'bilinear'`, whose weights are NaN, and 0 for `'nearest'`); with `'border'` and `'reflection'` it is
 * read at pixel coordinate 0 and gets a zero gradient (PyTorch 1.13's bilinear backward crashes there).
 *
 * See https://pytorch.org/docs/1.13/generated/torch.nn.functional.grid_sample.html
 *
 * @example
 * ```ts
 * const x = arange(4).reshape([1, 1, 2, 2]);
 * const grid = tensor([[[[0, 0], [-1, -1]]]]); // the centre, and the top left corner
 * F.gridSample(x, grid, { alignCorners: true }).toArray(); // [[[[1.5, 0]]]]
 * F.gridSample(randn([2, 3, 8, 8]), rand([2, 4, 5, 2]), { mode: 'nearest', paddingMode: 'border' }).shape; // [2, 3, 4, 5]
 * ```
 */
export function gridSample(input: Tensor, grid: Tensor, options: GridSampleOptions = {}): Tensor {
  const fn = 'gridSample';
  const [x, g] = checkGridSampleArgs(fn, input, grid);
  checkOptions(fn, options, GRID_SAMPLE_OPTIONS);
  const { mode = 'bilinear', paddingMode = 'zeros' } = options ?? {};
  if (mode === ('bicubic' as string))
    throw new ValueError(`${fn}: mode 'bicubic' is not supported; use 'bilinear' or 'nearest'`);
  if (!MODES.includes(mode)) throw new ValueError(`${fn}: mode must be 'bilinear' or 'nearest', got ${describe(mode)}`);
  if (!PADDING_MODES.includes(paddingMode))
    throw new ValueError(`${fn}: paddingMode must be 'zeros', 'border' or 'reflection', got ${describe(paddingMode)}`);
  const alignCorners = checkAlignCorners(fn, options?.alignCorners);
  const [n, c, h, w] = x.shape;
  const [, ho, wo] = g.shape;
  const p = ho * wo;
  const [gx, gy] = split(reshape(g, [n, p, 2]), 1, 2).map((t) => reshape(t, [n, p]));
  const ix = padCoordinate(unnormalize(gx, w, alignCorners), w, paddingMode, alignCorners);
  const iy = padCoordinate(unnormalize(gy, h, alignCorners), h, paddingMode, alignCorners);
  const flat = reshape(x, [n, c, h * w]);
  let out: Tensor;
  if (mode === 'nearest') {
    const rx = round(ix);
    const ry = round(iy);
    // An exact zero that depends on the grid with a zero gradient, so that the grid's gradient is zeros
    // (as in PyTorch) rather than missing; NaN is replaced first so that it cannot leak into the output.
    const zero = clamp(where(isnan(rx), 0, rx), 0, 0);
    out = add(readCorner(flat, rx, ry, h, w), reshape(zero, [n, 1, p]));
  } else {
    const x0 = floor(ix).detach();
    const y0 = floor(iy).detach();
    const x1 = add(x0, 1);
    const y1 = add(y0, 1);
    const east = sub(ix, x0);
    const west = sub(1, east);
    const south = sub(iy, y0);
    const north = sub(1, south);
    const weighted = (cx: Tensor, cy: Tensor, wx: Tensor, wy: Tensor) =>
      mul(readCorner(flat, cx, cy, h, w), reshape(mul(wy, wx), [n, 1, p]));
    out = add(
      add(weighted(x0, y0, west, north), weighted(x1, y0, east, north)),
      add(weighted(x0, y1, west, south), weighted(x1, y1, east, south)),
    );
  }
  return reshape(out, [n, c, ho, wo]);
}

/** `steps` points from -1 to 1 (scaled by `(steps - 1) / steps` without `alignCorners`); `[0]` for one step. */
function baseCoordinates(steps: number, alignCorners: boolean): number[] {
  if (steps <= 1) return new Array(steps).fill(0);
  const scale = alignCorners ? 1 : (steps - 1) / steps;
  const out: number[] = [];
  for (let i = 0; i < steps; i++) out.push((-1 + (2 * i) / (steps - 1)) * scale);
  return out;
}

/**
 * The sampling grid of a batch of 2-D affine transforms, like PyTorch 1.13's
 * `torch.nn.functional.affine_grid` for a 4-D size: `theta` is `[N, 2, 3]` (floating point), `size` is the
 * `[N, C, H, W]` of the output image, and the result is the `[N, H, W, 2]` grid for {@link gridSample}, the
 * base grid of normalized pixel coordinates `(x, y, 1)` (pixel centres; -1 and 1 at the corner pixels' centres
 * with `alignCorners`, at their outer edges without) times `thetaᵀ`. Differentiable in `theta` (a `matmul`).
 *
 * See https://pytorch.org/docs/1.13/generated/torch.nn.functional.affine_grid.html
 *
 * @example
 * ```ts
 * const identity = tensor([[[1, 0, 0], [0, 1, 0]]]);
 * F.affineGrid(identity, [1, 1, 2, 2], { alignCorners: true }).toArray(); // [[[[-1, -1], [1, -1]], [[-1, 1], [1, 1]]]]
 * const x = randn([1, 3, 4, 5]);
 * F.gridSample(x, F.affineGrid(identity, [1, 3, 4, 5], { alignCorners: true }), { alignCorners: true }); // x again
 * ```
 */
export function affineGrid(theta: Tensor, size: readonly number[], options: AffineGridOptions = {}): Tensor {
  const fn = 'affineGrid';
  if (!(theta instanceof Tensor)) throw new ValueError(`${fn}: theta must be a Tensor, got ${describe(theta)}`);
  if (!isFloatingDType(theta.dtype))
    throw new DTypeError(`${fn}: theta must be a floating-point tensor, got ${theta.dtype}`);
  if (!Array.isArray(size) || !size.every((d) => Number.isInteger(d) && d >= 0))
    throw new ValueError(`${fn}: size must be an array of non-negative integers [N, C, H, W], got ${describe(size)}`);
  if (size.length !== 4)
    throw new ShapeError(
      `${fn}: size must be [N, C, H, W] (4 numbers; 5-D sizes are not supported), got ${formatShape(size)}`,
    );
  if (theta.ndim !== 3 || theta.shape[1] !== 2 || theta.shape[2] !== 3)
    throw new ShapeError(
      `${fn}: theta must be a [N, 2, 3] tensor for a 4-D size, got shape ${formatShape(theta.shape)}`,
    );
  if (theta.shape[0] !== size[0])
    throw new ShapeError(
      `${fn}: theta's batch size ${theta.shape[0]} must equal size[0] = ${size[0]} (size ${formatShape(size)})`,
    );
  if (size.some((d) => d === 0)) throw new ValueError(`${fn}: size must be positive, got ${formatShape(size)}`);
  checkOptions(fn, options, AFFINE_GRID_OPTIONS);
  const alignCorners = checkAlignCorners(fn, options?.alignCorners);
  const [n, , h, w] = size;
  const xs = baseCoordinates(w, alignCorners);
  const ys = baseCoordinates(h, alignCorners);
  const base: number[] = [];
  for (let i = 0; i < h; i++) for (let j = 0; j < w; j++) base.push(xs[j], ys[i], 1);
  const baseGrid = expand(new Tensor(Float64Array.from(base), [1, h * w, 3], 'float64'), [n, h * w, 3]);
  const grid = matmul(cast(baseGrid, theta.dtype), transpose(theta, 1, 2));
  return reshape(grid, [n, h, w, 2]);
}
