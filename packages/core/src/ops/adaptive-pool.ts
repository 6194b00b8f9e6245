import { allocate, isFloatingDType, type TypedArray } from '../dtype';
import { DTypeError, ShapeError, ValueError } from '../errors';
import { resolveKernel } from '../kernels/registry';
import { registerOp } from '../op';
import { formatShape } from '../shape';
import { Tensor } from '../tensor';
import type { ValuesAndIndices } from './max';
import { copyIndices, planeGatherOp } from './pool-plane';
import { reshape } from './reshape';

/** The output size of {@link adaptiveMaxPool2d}: one number for both dims, or `[h, w]` where null keeps the input size. */
export type AdaptiveOutputSize2d = number | readonly [number | null, number | null];

/** The planes and sizes of an adaptive pooling of `planes` planes of `height x width` to `outH x outW`. */
export interface AdaptivePoolGeometry {
  readonly planes: number;
  readonly height: number;
  readonly width: number;
  readonly outH: number;
  readonly outW: number;
}

/** PyTorch's adaptive window `[floor(i·size/out), ceil((i+1)·size/out))` of each output `i`. */
function windows(size: number, out: number): { start: Int32Array; end: Int32Array } {
  const start = new Int32Array(out);
  const end = new Int32Array(out);
  for (let i = 0; i < out; i++) {
    start[i] = Math.floor((i * size) / out);
    end[i] = Math.ceil(((i + 1) * size) / out);
  }
  return { start, end };
}

/**
 * The cpu kernel of adaptive average pooling: the mean of each adaptive window of each plane.
 *
 * @example
 * ```ts
 * adaptiveAvgPool2dKernel(x.values, out, { planes: 2, height: 5, width: 5, outH: 2, outW: 2 });
 * ```
 */
export function adaptiveAvgPool2dKernel(x: TypedArray, out: TypedArray, g: AdaptivePoolGeometry): void {
  const rows = windows(g.height, g.outH);
  const cols = windows(g.width, g.outW);
  for (let p = 0; p < g.planes; p++) {
    const plane = p * g.height * g.width;
    for (let oy = 0; oy < g.outH; oy++) {
      for (let ox = 0; ox < g.outW; ox++) {
        let s = 0;
        for (let y = rows.start[oy]; y < rows.end[oy]; y++)
          for (let xx = cols.start[ox]; xx < cols.end[ox]; xx++) s += x[plane + y * g.width + xx];
        const count = (rows.end[oy] - rows.start[oy]) * (cols.end[ox] - cols.start[ox]);
        out[(p * g.outH + oy) * g.outW + ox] = s / count;
      }
    }
  }
}

/**
 * The gradient of adaptive average pooling: each upstream value divided by its window's size, added
 * to every position of the window (zero-filled `gradInput`).
 *
 * @example
 * ```ts
 * adaptiveAvgPool2dBackwardKernel(grad.values, gradInput, geometry);
 * ```
 */
export function adaptiveAvgPool2dBackwardKernel(grad: TypedArray, gradInput: TypedArray, g: AdaptivePoolGeometry) {
  const rows = windows(g.height, g.outH);
  const cols = windows(g.width, g.outW);
  for (let p = 0; p < g.planes; p++) {
    const plane = p * g.height * g.width;
    for (let oy = 0; oy < g.outH; oy++) {
      for (let ox = 0; ox < g.outW; ox++) {
        const count = (rows.end[oy] - rows.start[oy]) * (cols.end[ox] - cols.start[ox]);
        const v = grad[(p * g.outH + oy) * g.outW + ox] / count;
        for (let y = rows.start[oy]; y < rows.end[oy]; y++)
          for (let xx = cols.start[ox]; xx < cols.end[ox]; xx++) gradInput[plane + y * g.width + xx] += v;
      }
    }
  }
}

/**
 * The cpu kernel of adaptive max pooling: the flat index `y·width + x` of each adaptive window's
 * maximum within its plane (the first maximum on ties; a NaN wins, as in PyTorch).
 *
 * @example
 * ```ts
 * adaptiveMaxPool2dIndexKernel(x.values, indices, geometry);
 * ```
 */
export function adaptiveMaxPool2dIndexKernel(x: TypedArray, indices: Int32Array, g: AdaptivePoolGeometry): void {
  const rows = windows(g.height, g.outH);
  const cols = windows(g.width, g.outW);
  for (let p = 0; p < g.planes; p++) {
    const plane = p * g.height * g.width;
    for (let oy = 0; oy < g.outH; oy++) {
      for (let ox = 0; ox < g.outW; ox++) {
        let best = Number.NEGATIVE_INFINITY;
        let bestIndex = rows.start[oy] * g.width + cols.start[ox];
        for (let y = rows.start[oy]; y < rows.end[oy]; y++)
          for (let xx = cols.start[ox]; xx < cols.end[ox]; xx++) {
            const v = x[plane + y * g.width + xx];
            if (v > best || Number.isNaN(v)) {
              best = v;
              bestIndex = y * g.width + xx;
            }
          }
        indices[(p * g.outH + oy) * g.outW + ox] = bestIndex;
      }
    }
  }
}

const adaptiveAvgPoolOp: (inputs: readonly Tensor[], g: AdaptivePoolGeometry) => Tensor =
  registerOp<AdaptivePoolGeometry>({
    name: 'adaptivePoolAvg',
    saves: { inputs: [], output: false },
    forward: ([x], g) => {
      const out = allocate(x.dtype, g.planes * g.outH * g.outW);
      resolveKernel('adaptivePoolAvg', adaptiveAvgPool2dKernel)(x._array, out, g);
      return new Tensor(out, [g.planes, g.outH, g.outW], x.dtype);
    },
    backward: (grad, { attrs }) => [adaptiveAvgPoolBackwardOp([grad], attrs)],
  });

// The gradient is the adjoint of the forward (a linear map), and the adjoint of that is the forward again.
const adaptiveAvgPoolBackwardOp: (inputs: readonly Tensor[], g: AdaptivePoolGeometry) => Tensor =
  registerOp<AdaptivePoolGeometry>({
    name: 'adaptivePoolAvgBackward',
    saves: { inputs: [], output: false },
    forward: ([grad], g) => {
      const out = allocate(grad.dtype, g.planes * g.height * g.width);
      resolveKernel('adaptivePoolAvgBackward', adaptiveAvgPool2dBackwardKernel)(grad._array, out, g);
      return new Tensor(out, [g.planes, g.height, g.width], grad.dtype);
    },
    backward: (h, { attrs }) => [adaptiveAvgPoolOp([h], attrs)],
  });

function checkOut(fn: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1)
    throw new ValueError(`${fn}: outputSize must be a positive integer, got ${JSON.stringify(value)}`);
  return value;
}

/**
 * 1-D adaptive average pooling of `[N, C, L]` (or `[C, L]`) to `outputSize` positions, like
 * `torch.nn.functional.adaptive_avg_pool1d`: output `i` is the mean of the inputs in
 * `[floor(i·L/outputSize), ceil((i+1)·L/outputSize))`, so windows overlap when the sizes do not
 * divide; `outputSize` 1 is global average pooling.
 *
 * Gradient: each upstream value divided by its window's size goes to every position of the window.
 *
 * See https://pytorch.org/docs/stable/generated/torch.nn.AdaptiveAvgPool1d.html
 *
 * @example
 * ```ts
 * adaptiveAvgPool1d(tensor([[[1, 2, 3, 4, 5]]]), 2).toArray(); // [[[2, 4]]]
 * ```
 */
export function adaptiveAvgPool1d(x: Tensor, outputSize: number): Tensor {
  const fn = 'adaptiveAvgPool1d';
  if (!(x instanceof Tensor)) throw new ValueError(`${fn}: input must be a Tensor`);
  if (x.ndim !== 2 && x.ndim !== 3)
    throw new ShapeError(`${fn}: expected a 2-D [C, L] or 3-D [N, C, L] input, got shape ${formatShape(x.shape)}`);
  if (!isFloatingDType(x.dtype)) throw new DTypeError(`${fn}: input must be float32 or float64, got ${x.dtype}`);
  const out = checkOut(fn, outputSize);
  const length = x.shape[x.ndim - 1];
  if (length === 0) throw new ShapeError(`${fn}: input has an empty last dimension (shape ${formatShape(x.shape)})`);
  const planes = x.size / length;
  const g = { planes, height: 1, width: length, outH: 1, outW: out };
  const y = adaptiveAvgPoolOp([reshape(x, [planes, 1, length])], g);
  return reshape(y, [...x.shape.slice(0, -1), out]);
}

function adaptiveMax(fn: string, x: Tensor, outputSize: AdaptiveOutputSize2d): ValuesAndIndices {
  if (!(x instanceof Tensor)) throw new ValueError(`${fn}: input must be a Tensor`);
  if (x.ndim !== 3 && x.ndim !== 4)
    throw new ShapeError(
      `${fn}: expected a 3-D [C, H, W] or 4-D [N, C, H, W] input, got shape ${formatShape(x.shape)}`,
    );
  if (x.dtype !== 'int32' && !isFloatingDType(x.dtype))
    throw new DTypeError(`${fn}: input must be float32, float64 or int32, got ${x.dtype}`);
  const pair =
    typeof outputSize === 'number' ? [outputSize, outputSize] : Array.isArray(outputSize) ? outputSize : null;
  if (
    pair === null ||
    pair.length !== 2 ||
    !pair.every((v) => v === null || (typeof v === 'number' && Number.isInteger(v) && v >= 1))
  )
    throw new ValueError(
      `${fn}: outputSize must be a positive integer or a pair of positive integers or nulls, got ${JSON.stringify(outputSize)}`,
    );
  const height = x.shape[x.ndim - 2];
  const width = x.shape[x.ndim - 1];
  if (height === 0 || width === 0)
    throw new ShapeError(`${fn}: input has an empty spatial dimension (shape ${formatShape(x.shape)})`);
  const outH = pair[0] ?? height;
  const outW = pair[1] ?? width;
  const planes = x.size / (height * width);
  const g = { planes, height, width, outH, outW };
  const indices = new Int32Array(planes * outH * outW);
  resolveKernel('adaptivePoolMaxIndex', adaptiveMaxPool2dIndexKernel)(x._array, indices, g);
  const outShape = [...x.shape.slice(0, -2), outH, outW];
  const values = planeGatherOp([x], {
    indices,
    planes,
    plane: height * width,
    planeShape: x.shape,
    indexShape: outShape,
    fill: Number.NEGATIVE_INFINITY,
  });
  // a copy the tensor owns: the op keeps `indices`
  return { values, indices: new Tensor(copyIndices(indices), outShape, 'int32') };
}

/**
 * 2-D adaptive max pooling of `[N, C, H, W]` (or `[C, H, W]`) to `outputSize`, like
 * `torch.nn.functional.adaptive_max_pool2d`: output `(i, j)` is the maximum of input rows
 * `[floor(i·H/outH), ceil((i+1)·H/outH))` and the same columns; a null size keeps the input's.
 *
 * Gradient: each upstream value goes to its window's maximum (the first one on ties).
 *
 * See https://pytorch.org/docs/stable/generated/torch.nn.AdaptiveMaxPool2d.html
 *
 * @example
 * ```ts
 * adaptiveMaxPool2d(randn([1, 3, 7, 7]), 2).shape; // [1, 3, 2, 2]
 * ```
 */
export function adaptiveMaxPool2d(x: Tensor, outputSize: AdaptiveOutputSize2d): Tensor {
  return adaptiveMax('adaptiveMaxPool2d', x, outputSize).values;
}

/**
 * {@link adaptiveMaxPool2d} that also returns the argmax of each window, like
 * `torch.nn.functional.adaptive_max_pool2d(..., return_indices=True)`: `indices` (int32, the shape of
 * `values`) is each maximum's flat index `y·W + x` into its `H x W` input plane.
 *
 * See https://pytorch.org/docs/stable/generated/torch.nn.AdaptiveMaxPool2d.html
 *
 * @example
 * ```ts
 * const { values, indices } = adaptiveMaxPool2dWithIndices(tensor([[[1, 4], [3, 2]]]), 1);
 * values.toArray(); // [[[4]]]
 * indices.toArray(); // [[[1]]]
 * ```
 */
export function adaptiveMaxPool2dWithIndices(x: Tensor, outputSize: AdaptiveOutputSize2d): ValuesAndIndices {
  return adaptiveMax('adaptiveMaxPool2dWithIndices', x, outputSize);
}
