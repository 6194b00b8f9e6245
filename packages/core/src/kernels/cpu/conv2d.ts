import type { TypedArray } from '../../dtype';
import { resolveKernel } from '../registry';
import { matmulKernel } from './matmul';

/** Everything a 2-D convolution kernel needs to know about its operands' shapes (NCHW, OIHW). */
export interface Conv2dGeometry {
  readonly batch: number;
  readonly inChannels: number;
  readonly height: number;
  readonly width: number;
  readonly outChannels: number;
  readonly groups: number;
  readonly kernelH: number;
  readonly kernelW: number;
  readonly strideH: number;
  readonly strideW: number;
  readonly padH: number;
  readonly padW: number;
  readonly dilationH: number;
  readonly dilationW: number;
  readonly outH: number;
  readonly outW: number;
}

/** What the three convolution kernels share: group sizes, the column matrix and the active matmul kernel. */
interface ConvPlan {
  /** Input channels per group. */
  cg: number;
  /** Output channels per group. */
  og: number;
  /** Rows of the column matrix: `cg * kH * kW`. */
  K: number;
  /** Output positions: `outH * outW`. */
  P: number;
  /** Input positions: `height * width`. */
  HW: number;
  /** The column buffer (in the dtype of `like`), or null when the input stands in for its columns. */
  cols: TypedArray | null;
  /** The active backend's matmul (the wasm backend takes float32 products). */
  matmul: typeof matmulKernel;
}

function convPlan(g: Conv2dGeometry, like: TypedArray): ConvPlan {
  const cg = g.inChannels / g.groups;
  const K = cg * g.kernelH * g.kernelW;
  const P = g.outH * g.outW;
  // NOTE: im2col only copies values, so columns in the input's own dtype lose nothing, and float32
  // columns let a float32-only backend kernel (wasm) take the products.
  const cols = isPointwise(g) ? null : like instanceof Float32Array ? new Float32Array(K * P) : new Float64Array(K * P);
  return {
    cg,
    og: g.outChannels / g.groups,
    K,
    P,
    HW: g.height * g.width,
    cols,
    matmul: resolveKernel('matmul', matmulKernel),
  };
}

/** Whether the convolution is a plain per-pixel matrix product, so the input can stand in for its columns. */
function isPointwise(g: Conv2dGeometry): boolean {
  return g.kernelH === 1 && g.kernelW === 1 && g.strideH === 1 && g.strideW === 1 && g.padH === 0 && g.padW === 0;
}

/** The range `[start, end)` of output positions whose tap at `offset` lands inside `[0, size)`. */
function validRange(offset: number, stride: number, size: number, outSize: number): [number, number] {
  // position = o * stride + offset must satisfy 0 <= position < size
  const start = offset >= 0 ? 0 : Math.ceil(-offset / stride);
  const end = size - offset <= 0 ? 0 : Math.min(outSize, Math.floor((size - 1 - offset) / stride) + 1);
  return [Math.min(start, end), end];
}

/**
 * Unfold `channels` planes of `x` (starting at `xOffset`) into columns: row `(c, ki, kj)` of `cols`
 * (`[channels * kH * kW, outH * outW]`) holds the input pixel each output position sees through that
 * kernel tap, or 0 in the padding.
 *
 * @example
 * ```ts
 * const cols = new Float64Array(1 * 2 * 2 * 4); // 1 channel, 2x2 kernel, 2x2 output
 * im2col(new Float64Array([1, 2, 3, 4, 5, 6, 7, 8, 9]), 0, 1, geometry, cols); // geometry of a 3x3 input
 * ```
 */
export function im2col(x: TypedArray, xOffset: number, channels: number, g: Conv2dGeometry, cols: TypedArray): void {
  const { height: H, width: W, kernelH, kernelW, strideH, strideW, padH, padW, dilationH, dilationW, outH, outW } = g;
  const P = outH * outW;
  let row = 0;
  for (let c = 0; c < channels; c++) {
    const plane = xOffset + c * H * W;
    for (let ki = 0; ki < kernelH; ki++) {
      const [y0, y1] = validRange(ki * dilationH - padH, strideH, H, outH);
      for (let kj = 0; kj < kernelW; kj++, row++) {
        const dst = row * P;
        const xo = kj * dilationW - padW;
        const [x0, x1] = validRange(xo, strideW, W, outW);
        cols.fill(0, dst, dst + y0 * outW);
        for (let oy = y0; oy < y1; oy++) {
          const src = plane + (oy * strideH + ki * dilationH - padH) * W + xo;
          const d = dst + oy * outW;
          for (let ox = 0; ox < x0; ox++) cols[d + ox] = 0;
          for (let ox = x0; ox < x1; ox++) cols[d + ox] = x[src + ox * strideW];
          for (let ox = x1; ox < outW; ox++) cols[d + ox] = 0;
        }
        cols.fill(0, dst + y1 * outW, dst + P);
      }
    }
  }
}

/** The adjoint of {@link im2col}: add every column entry back onto the input pixel it came from. *
 * @example
 * ```ts
 * col2im(cols, 1, geometry, gradInput, 0); // gradInput[p] += every column entry read from pixel p
 * ```
 */
export function col2im(
  cols: TypedArray,
  channels: number,
  g: Conv2dGeometry,
  out: TypedArray,
  outOffset: number,
): void {
  const { height: H, width: W, kernelH, kernelW, strideH, strideW, padH, padW, dilationH, dilationW, outH, outW } = g;
  const P = outH * outW;
  let row = 0;
  for (let c = 0; c < channels; c++) {
    const plane = outOffset + c * H * W;
    for (let ki = 0; ki < kernelH; ki++) {
      const [y0, y1] = validRange(ki * dilationH - padH, strideH, H, outH);
      for (let kj = 0; kj < kernelW; kj++, row++) {
        const xo = kj * dilationW - padW;
        const [x0, x1] = validRange(xo, strideW, W, outW);
        for (let oy = y0; oy < y1; oy++) {
          const dst = plane + (oy * strideH + ki * dilationH - padH) * W + xo;
          const s = row * P + oy * outW;
          for (let ox = x0; ox < x1; ox++) out[dst + ox * strideW] += cols[s + ox];
        }
      }
    }
  }
}

/**
 * The cpu kernel of conv2d: for each sample and group, unfold the input with {@link im2col} and
 * multiply the group's weights `[outChannels/groups, inChannels/groups·kH·kW]` by the columns, then
 * add the bias. `out` (`[batch, outChannels, outH, outW]`) is overwritten.
 *
 * @example
 * ```ts
 * conv2dKernel(x.data, w.data, null, out, geometry); // out: [batch, outChannels, outH, outW]
 * ```
 */
export function conv2dKernel(
  x: TypedArray,
  weight: TypedArray,
  bias: TypedArray | null,
  out: TypedArray,
  g: Conv2dGeometry,
): void {
  const { cg, og, K, P, HW, cols, matmul } = convPlan(g, x);
  for (let n = 0; n < g.batch; n++) {
    for (let gi = 0; gi < g.groups; gi++) {
      const xOffset = (n * g.inChannels + gi * cg) * HW;
      const outOffset = (n * g.outChannels + gi * og) * P;
      if (cols === null) matmul(weight, gi * og * K, x, xOffset, out, outOffset, og, K, P, false, false, false);
      else {
        im2col(x, xOffset, cg, g, cols);
        matmul(weight, gi * og * K, cols, 0, out, outOffset, og, K, P, false, false, false);
      }
    }
    if (bias !== null) {
      for (let o = 0; o < g.outChannels; o++) {
        const bv = bias[o];
        const base = (n * g.outChannels + o) * P;
        for (let i = 0; i < P; i++) out[base + i] += bv;
      }
    }
  }
}

/**
 * The gradient of conv2d with respect to its input (a transposed convolution): for each sample and
 * group, `Wᵀ · grad` gives the gradient of the columns, folded back with {@link col2im}.
 * `gradInput` (`[batch, inChannels, height, width]`) must be zero-filled.
 *
 * @example
 * ```ts
 * conv2dInputGradKernel(grad.data, w.data, gradInput, geometry);
 * ```
 */
export function conv2dInputGradKernel(
  grad: TypedArray,
  weight: TypedArray,
  gradInput: TypedArray,
  g: Conv2dGeometry,
): void {
  const { cg, og, K, P, HW, cols, matmul } = convPlan(g, grad);
  for (let n = 0; n < g.batch; n++) {
    for (let gi = 0; gi < g.groups; gi++) {
      const xOffset = (n * g.inChannels + gi * cg) * HW;
      const gOffset = (n * g.outChannels + gi * og) * P;
      if (cols === null) matmul(weight, gi * og * K, grad, gOffset, gradInput, xOffset, K, og, P, true, false, false);
      else {
        matmul(weight, gi * og * K, grad, gOffset, cols, 0, K, og, P, true, false, false);
        col2im(cols, cg, g, gradInput, xOffset);
      }
    }
  }
}

/**
 * The gradient of conv2d with respect to its weight: `grad · colsᵀ` summed over the batch, per group.
 * `gradWeight` (`[outChannels, inChannels/groups, kH, kW]`) is overwritten.
 *
 * @example
 * ```ts
 * conv2dWeightGradKernel(x.data, grad.data, gradWeight, geometry);
 * ```
 */
export function conv2dWeightGradKernel(
  x: TypedArray,
  grad: TypedArray,
  gradWeight: TypedArray,
  g: Conv2dGeometry,
): void {
  const { cg, og, K, P, HW, cols, matmul } = convPlan(g, x);
  gradWeight.fill(0);
  for (let n = 0; n < g.batch; n++) {
    for (let gi = 0; gi < g.groups; gi++) {
      const xOffset = (n * g.inChannels + gi * cg) * HW;
      const gOffset = (n * g.outChannels + gi * og) * P;
      if (cols === null) matmul(grad, gOffset, x, xOffset, gradWeight, gi * og * K, og, P, K, false, true, true);
      else {
        im2col(x, xOffset, cg, g, cols);
        matmul(grad, gOffset, cols, 0, gradWeight, gi * og * K, og, P, K, false, true, true);
      }
    }
  }
}
