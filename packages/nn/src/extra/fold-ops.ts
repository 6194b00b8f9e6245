// unfold (im2col) and fold (col2im), the functional forms of `Unfold` and `Fold` (part of `F`). Both are
// composed from core ops over one precomputed int32 map from (kernel tap, block) to an input pixel:
// `indexSelect` gathers the columns and `scatterAdd` sums them back, so each op's gradient is the other
// and gradients of gradients come from the core ops' own VJPs.

import {
  cast,
  checkOptions,
  DTypeError,
  indexSelect,
  isFloatingDType,
  optionNames,
  pad,
  reshape,
  ShapeError,
  scatterAdd,
  Tensor,
  ValueError,
  zeros,
} from '@nablajs/core';
import { formatShape, type Size2d, toPair } from '../layers/util';

/**
 * The options of a sliding-block extraction shared by {@link unfold}, {@link fold} and the `Unfold` and `Fold`
 * modules, each one integer for both spatial dims or `[height, width]`, with PyTorch's defaults.
 *
 * @example
 * ```ts
 * const blocks: SlidingBlockOptions = { dilation: [1, 2], padding: 1, stride: 2 };
 * new Unfold(3, blocks).forward(randn([1, 2, 6, 6])).shape; // [1, 18, 6]
 * ```
 */
export interface SlidingBlockOptions {
  /** Spacing between the taps of a block (default 1). */
  dilation?: Size2d;
  /** Implicit zeros added on both sides of each spatial dim (default 0). */
  padding?: Size2d;
  /** Step between the starts of neighbouring blocks (default 1). */
  stride?: Size2d;
}

/**
 * Options of {@link unfold}: the block size and the {@link SlidingBlockOptions}.
 *
 * @example
 * ```ts
 * const options: UnfoldOptions = { kernelSize: [2, 3], stride: [1, 2] };
 * F.unfold(randn([2, 3, 4, 7]), options).shape; // [2, 18, 9]
 * ```
 */
export interface UnfoldOptions extends SlidingBlockOptions {
  /** The size of a block (required). */
  kernelSize: Size2d;
}

/**
 * Options of {@link fold}: the size of the image to rebuild, the block size and the {@link SlidingBlockOptions}.
 *
 * @example
 * ```ts
 * const options: FoldOptions = { outputSize: [4, 5], kernelSize: 2 };
 * F.fold(randn([2, 12, 12]), options).shape; // [2, 3, 4, 5]
 * ```
 */
export interface FoldOptions extends SlidingBlockOptions {
  /** The spatial size `[H, W]` of the output, without the padding (required). */
  outputSize: Size2d;
  /** The size of a block (required). */
  kernelSize: Size2d;
}

const UNFOLD_OPTIONS = optionNames<UnfoldOptions>({ kernelSize: true, dilation: true, padding: true, stride: true });
const FOLD_OPTIONS = optionNames<FoldOptions>({
  outputSize: true,
  kernelSize: true,
  dilation: true,
  padding: true,
  stride: true,
});

/** The checked geometry of a sliding-block extraction over an `H x W` image. */
interface BlockGeometry {
  readonly kernel: readonly [number, number];
  readonly dilation: readonly [number, number];
  readonly padding: readonly [number, number];
  readonly stride: readonly [number, number];
  /** The image's `[H, W]`, without the padding. */
  readonly size: readonly [number, number];
  /** The number of blocks along each spatial dim (each at least 1 once checked). */
  readonly blocks: readonly [number, number];
}

/** Parse the kernel, dilation, padding and stride of `options` for `fn`, and count the blocks over `size`. */
function geometry(fn: string, options: SlidingBlockOptions & { kernelSize: Size2d }, size: [number, number]) {
  const kernel = toPair(fn, 'kernelSize', options.kernelSize, 1);
  const dilation = toPair(fn, 'dilation', options.dilation ?? 1, 1);
  const padding = toPair(fn, 'padding', options.padding ?? 0, 0);
  const stride = toPair(fn, 'stride', options.stride ?? 1, 1);
  const along = (d: 0 | 1) =>
    Math.floor((size[d] + 2 * padding[d] - dilation[d] * (kernel[d] - 1) - 1) / stride[d]) + 1;
  const geo: BlockGeometry = { kernel, dilation, padding, stride, size, blocks: [along(0), along(1)] };
  return geo;
}

/** `kernelSize=[2,2], dilation=[1,1], padding=[0,0], stride=[1,1]`: a geometry as error messages print it. */
function describeGeometry(g: BlockGeometry): string {
  const f = formatShape;
  return `kernelSize=${f(g.kernel)}, dilation=${f(g.dilation)}, padding=${f(g.padding)}, stride=${f(g.stride)}`;
}

/**
 * For every kernel tap (row-major) and then every block (row-major), the flat position `y·W + x` in the
 * `H x W` image that the tap of the block reads, or `H·W` (a slot that stays zero) where it reads the padding.
 * This is the order of PyTorch's columns: a channel's `kh·kw` rows, each holding the `L` blocks.
 */
function blockIndex(g: BlockGeometry): { index: Int32Array; readsPadding: boolean } {
  const [kh, kw] = g.kernel;
  const [bh, bw] = g.blocks;
  const [h, w] = g.size;
  const index = new Int32Array(kh * kw * bh * bw);
  let readsPadding = false;
  let k = 0;
  for (let i = 0; i < kh; i++)
    for (let j = 0; j < kw; j++)
      for (let by = 0; by < bh; by++) {
        const y = by * g.stride[0] + i * g.dilation[0] - g.padding[0];
        for (let bx = 0; bx < bw; bx++) {
          const x = bx * g.stride[1] + j * g.dilation[1] - g.padding[1];
          const inside = y >= 0 && y < h && x >= 0 && x < w;
          if (!inside) readsPadding = true;
          index[k++] = inside ? y * w + x : h * w;
        }
      }
  return { index, readsPadding };
}

function checkInputTensor(fn: string, input: unknown, dims: readonly [number, number], layout: string): Tensor {
  if (!(input instanceof Tensor))
    throw new ValueError(`${fn}: input must be a Tensor, got ${input === null ? 'null' : typeof input}`);
  if (input.ndim !== dims[0] && input.ndim !== dims[1])
    throw new ShapeError(`${fn}: input must be ${layout} tensor, got shape ${formatShape(input.shape)}`);
  if (!isFloatingDType(input.dtype))
    throw new DTypeError(`${fn}: input must be a floating-point tensor, got ${input.dtype}`);
  const batched = input.ndim === dims[1];
  if (input.shape.some((d, i) => d === 0 && !(batched && i === 0)))
    throw new ShapeError(
      `${fn}: input may only have a zero batch size; its other dims must be non-zero, got shape ${formatShape(input.shape)}`,
    );
  return input;
}

/**
 * Extract the sliding blocks of a batch of images into columns (im2col), like PyTorch 1.13's
 * `torch.nn.functional.unfold`. An input `[N, C, H, W]` (or an unbatched `[C, H, W]`) gives `[N, C·kh·kw, L]`
 * (or `[C·kh·kw, L]`): row `c·kh·kw + i·kw + j` holds tap `(i, j)` of channel `c` of every block, and the
 * `L = Lh·Lw` blocks run row-major, `Lh = ⌊(H + 2·padding − dilation·(kh − 1) − 1) / stride⌋ + 1` (likewise
 * `Lw`), which must be at least 1. Taps that fall in the padding read zeros.
 *
 * Composed from `pad`, `reshape` and `indexSelect` over a precomputed int32 index; its gradient is {@link fold}
 * of the upstream gradient (overlapping taps sum), and double backward works.
 *
 * See https://pytorch.org/docs/1.13/generated/torch.nn.functional.unfold.html
 *
 * @example
 * ```ts
 * const x = arange(9).reshape([1, 1, 3, 3]);
 * F.unfold(x, { kernelSize: 2 }).toArray(); // [[[0, 1, 3, 4], [1, 2, 4, 5], [3, 4, 6, 7], [4, 5, 7, 8]]]
 * F.unfold(randn([2, 3, 8, 8]), { kernelSize: 3, padding: 1, stride: 2 }).shape; // [2, 27, 16]
 * ```
 */
export function unfold(input: Tensor, options: UnfoldOptions): Tensor {
  const fn = 'unfold';
  const x = checkInputTensor(fn, input, [3, 4], 'a 3-D [C, H, W] or 4-D [N, C, H, W]');
  checkOptions(fn, options, UNFOLD_OPTIONS);
  if (options === undefined) throw new ValueError(`${fn}: options with a kernelSize are required`);
  const batched = x.ndim === 4;
  const n = batched ? x.shape[0] : 1;
  const [c, h, w] = x.shape.slice(-3);
  const g = geometry(fn, options, [h, w]);
  if (g.blocks[0] < 1 || g.blocks[1] < 1)
    throw new ShapeError(
      `${fn}: the blocks of ${describeGeometry(g)} do not fit the input of spatial size ${formatShape([h, w])}: ` +
        `the array of blocks would be ${formatShape(g.blocks)}, each must be at least 1 (input shape ${formatShape(x.shape)})`,
    );
  const { index, readsPadding } = blockIndex(g);
  let flat = reshape(x, [n, c, h * w]);
  // The slot h·w, a zero appended to every plane, stands for the whole padding.
  if (readsPadding) flat = pad(flat, [0, 1]);
  const cols = indexSelect(flat, 2, new Tensor(index, [index.length], 'int32'));
  const k = g.kernel[0] * g.kernel[1];
  const l = g.blocks[0] * g.blocks[1];
  return reshape(cols, batched ? [n, c * k, l] : [c * k, l]);
}

/**
 * Sum columns of sliding blocks back into a batch of images (col2im), like PyTorch 1.13's
 * `torch.nn.functional.fold`, the adjoint of {@link unfold}: an input `[N, C·kh·kw, L]` (or an unbatched
 * `[C·kh·kw, L]`) gives `[N, C, H, W]` (or `[C, H, W]`) with `[H, W] = outputSize`. Each column entry is added
 * to the pixel its tap covers (entries that land in the padding are dropped), so overlapping blocks sum:
 * `fold(unfold(x))` is `x` times the number of blocks covering each pixel. The input's second-to-last dim must
 * be divisible by `kh·kw`, and `L` must equal the number of blocks that {@link unfold} would take from an
 * `outputSize` image with the same options.
 *
 * Composed from `scatterAdd`, `reshape` and `pad` over a precomputed int32 index; its gradient is
 * {@link unfold} of the upstream gradient, and double backward works. Half-precision inputs are summed in
 * float32 and rounded once.
 *
 * See https://pytorch.org/docs/1.13/generated/torch.nn.functional.fold.html
 *
 * @example
 * ```ts
 * const cols = ones([1, 4, 4]); // 2x2 blocks of a 3x3 image: 4 taps, 4 blocks
 * F.fold(cols, { outputSize: 3, kernelSize: 2 }).toArray(); // [[[[1, 2, 1], [2, 4, 2], [1, 2, 1]]]]
 * F.fold(randn([2, 27, 16]), { outputSize: 8, kernelSize: 3, padding: 1, stride: 2 }).shape; // [2, 3, 8, 8]
 * ```
 */
export function fold(input: Tensor, options: FoldOptions): Tensor {
  const fn = 'fold';
  const x = checkInputTensor(fn, input, [2, 3], 'a 2-D [C·kh·kw, L] or 3-D [N, C·kh·kw, L]');
  checkOptions(fn, options, FOLD_OPTIONS);
  if (options === undefined) throw new ValueError(`${fn}: options with an outputSize and a kernelSize are required`);
  const [h, w] = toPair(fn, 'outputSize', options.outputSize, 1);
  const g = geometry(fn, options, [h, w]);
  const batched = x.ndim === 3;
  const n = batched ? x.shape[0] : 1;
  const [rows, l] = x.shape.slice(-2);
  const k = g.kernel[0] * g.kernel[1];
  if (rows % k !== 0)
    throw new ShapeError(
      `${fn}: input's dim ${x.ndim - 2} (size ${rows}) must be divisible by the ${k} = ${g.kernel[0]}·${g.kernel[1]} ` +
        `taps of kernelSize ${formatShape(g.kernel)} (input shape ${formatShape(x.shape)})`,
    );
  const [bh, bw] = g.blocks;
  if (bh < 1 || bw < 1 || bh * bw !== l)
    throw new ShapeError(
      `${fn}: input's last dim L = ${l} must equal the number of blocks that ${describeGeometry(g)} take from ` +
        `outputSize ${formatShape([h, w])}, ${bh < 1 || bw < 1 ? 'none (the blocks do not fit)' : `${bh}·${bw} = ${bh * bw}`} ` +
        `(input shape ${formatShape(x.shape)})`,
    );
  const c = rows / k;
  const { index, readsPadding } = blockIndex(g);
  // scatterAdd wants an index of the source's shape: the map, once per plane.
  const planes = n * c;
  const full = new Int32Array(planes * index.length);
  for (let p = 0; p < planes; p++) full.set(index, p * index.length);
  const half = x.dtype === 'float16' || x.dtype === 'bfloat16';
  const src = reshape(half ? cast(x, 'float32') : x, [n, c, k * l]);
  const slots = h * w + (readsPadding ? 1 : 0);
  let image = scatterAdd(zeros([n, c, slots], { dtype: src.dtype }), 2, new Tensor(full, src.shape, 'int32'), src);
  if (readsPadding) image = pad(image, [0, -1]);
  image = reshape(image, batched ? [n, c, h, w] : [c, h, w]);
  return half ? cast(image, x.dtype) : image;
}
