import type { TypedArray } from '../../dtype';

/** The shapes and window parameters of a 2-D pooling over `planes = N·C` planes of `height x width`. */
export interface Pool2dGeometry {
  readonly batch: number;
  readonly channels: number;
  readonly height: number;
  readonly width: number;
  readonly outH: number;
  readonly outW: number;
  readonly kernelH: number;
  readonly kernelW: number;
  readonly strideH: number;
  readonly strideW: number;
  readonly padH: number;
  readonly padW: number;
  readonly dilationH: number;
  readonly dilationW: number;
}

/**
 * The cpu kernel of maxPool2d: the maximum of each window (padding counts as -Infinity) and, in
 * `indices`, its flat position `y·width + x` inside the input plane. The first maximum wins ties and
 * a NaN wins over numbers, as in PyTorch.
 *
 * @example
 * ```ts
 * const indices = new Int32Array(out.length);
 * maxPool2dKernel(x.data, out, indices, geometry); // indices[i] = y * width + x of each window's max
 * ```
 */
export function maxPool2dKernel(x: TypedArray, out: TypedArray, indices: Int32Array, g: Pool2dGeometry): void {
  const { height: H, width: W, outH, outW, kernelH, kernelW, strideH, strideW, padH, padW, dilationH, dilationW } = g;
  const planes = g.batch * g.channels;
  for (let p = 0; p < planes; p++) {
    const plane = p * H * W;
    for (let oy = 0; oy < outH; oy++) {
      let y0 = oy * strideH - padH;
      const yEnd = Math.min(y0 + (kernelH - 1) * dilationH + 1, H);
      while (y0 < 0) y0 += dilationH;
      for (let ox = 0; ox < outW; ox++) {
        let x0 = ox * strideW - padW;
        const xEnd = Math.min(x0 + (kernelW - 1) * dilationW + 1, W);
        while (x0 < 0) x0 += dilationW;
        let best = Number.NEGATIVE_INFINITY;
        // NOTE: with a large dilation every tap of a window can fall in the padding; its index is
        // then -1 (PyTorch's would point outside the plane) and it gets no gradient.
        let bestIndex = y0 < yEnd && x0 < xEnd ? y0 * W + x0 : -1;
        for (let y = y0; y < yEnd; y += dilationH) {
          const row = y * W;
          for (let xx = x0; xx < xEnd; xx += dilationW) {
            const v = x[plane + row + xx];
            if (v > best || Number.isNaN(v)) {
              best = v;
              bestIndex = row + xx;
            }
          }
        }
        const o = (p * outH + oy) * outW + ox;
        out[o] = best;
        indices[o] = bestIndex;
      }
    }
  }
}

/** `out[plane, i] = x[plane, indices[plane, i]]`: reads each window's saved argmax (the forward of max pooling, or its gradient's gradient). *
 * @example
 * ```ts
 * maxPool2dGatherKernel(h.data, indices, out, geometry);
 * ```
 */
export function maxPool2dGatherKernel(x: TypedArray, indices: Int32Array, out: TypedArray, g: Pool2dGeometry): void {
  const inPlane = g.height * g.width;
  const outPlane = g.outH * g.outW;
  const planes = g.batch * g.channels;
  for (let p = 0; p < planes; p++) {
    const src = p * inPlane;
    const o = p * outPlane;
    for (let i = 0; i < outPlane; i++) {
      const index = indices[o + i];
      out[o + i] = index >= 0 ? x[src + index] : 0;
    }
  }
}

/** `gradInput[plane, indices[plane, i]] += grad[plane, i]`: the gradient of max pooling (zero-filled `gradInput`). *
 * @example
 * ```ts
 * maxPool2dScatterKernel(grad.data, indices, gradInput, geometry);
 * ```
 */
export function maxPool2dScatterKernel(
  grad: TypedArray,
  indices: Int32Array,
  gradInput: TypedArray,
  g: Pool2dGeometry,
): void {
  const inPlane = g.height * g.width;
  const outPlane = g.outH * g.outW;
  const planes = g.batch * g.channels;
  for (let p = 0; p < planes; p++) {
    const dst = p * inPlane;
    const o = p * outPlane;
    for (let i = 0; i < outPlane; i++) {
      const index = indices[o + i];
      if (index >= 0) gradInput[dst + index] += grad[o + i];
    }
  }
}

/**
 * The window of each output row (or column) of average pooling, following PyTorch: `start`/`end`
 * clip it to the input, and `padded` is its extent clipped to the padded input (what
 * `countIncludePad` divides by).
 */
function avgWindows(outSize: number, stride: number, pad: number, kernel: number, size: number) {
  const start = new Int32Array(outSize);
  const end = new Int32Array(outSize);
  const padded = new Int32Array(outSize);
  for (let o = 0; o < outSize; o++) {
    const s = o * stride - pad;
    const e = Math.min(s + kernel, size + pad);
    padded[o] = e - s;
    start[o] = Math.max(s, 0);
    end[o] = Math.min(e, size);
  }
  return { start, end, padded };
}

/** The divisor of each output position of average pooling (`divisorOverride` 0 means none). */
function avgDivisors(g: Pool2dGeometry, countIncludePad: boolean, divisorOverride: number) {
  const rows = avgWindows(g.outH, g.strideH, g.padH, g.kernelH, g.height);
  const cols = avgWindows(g.outW, g.strideW, g.padW, g.kernelW, g.width);
  const divisors = new Float64Array(g.outH * g.outW);
  for (let oy = 0; oy < g.outH; oy++) {
    for (let ox = 0; ox < g.outW; ox++) {
      let d: number;
      if (divisorOverride !== 0) d = divisorOverride;
      else if (countIncludePad) d = rows.padded[oy] * cols.padded[ox];
      else d = (rows.end[oy] - rows.start[oy]) * (cols.end[ox] - cols.start[ox]);
      divisors[oy * g.outW + ox] = d;
    }
  }
  return { rows, cols, divisors };
}

/**
 * The cpu kernel of avgPool2d: the sum of each window divided like PyTorch does (the window clipped
 * to the padded input when `countIncludePad`, to the input otherwise, or `divisorOverride` unless it
 * is 0). A window that lies entirely in the padding gives 0.
 *
 * @example
 * ```ts
 * avgPool2dKernel(x.data, out, geometry, true, 0); // count_include_pad=True, no divisor override
 * ```
 */
export function avgPool2dKernel(
  x: TypedArray,
  out: TypedArray,
  g: Pool2dGeometry,
  countIncludePad: boolean,
  divisorOverride: number,
): void {
  const { height: H, width: W, outH, outW } = g;
  const { rows, cols, divisors } = avgDivisors(g, countIncludePad, divisorOverride);
  const planes = g.batch * g.channels;
  for (let p = 0; p < planes; p++) {
    const plane = p * H * W;
    for (let oy = 0; oy < outH; oy++) {
      const y0 = rows.start[oy];
      const y1 = rows.end[oy];
      for (let ox = 0; ox < outW; ox++) {
        const x0 = cols.start[ox];
        const x1 = cols.end[ox];
        let s = 0;
        for (let y = y0; y < y1; y++) {
          const row = plane + y * W;
          for (let xx = x0; xx < x1; xx++) s += x[row + xx];
        }
        out[(p * outH + oy) * outW + ox] = y0 >= y1 || x0 >= x1 ? 0 : s / divisors[oy * outW + ox];
      }
    }
  }
}

/** The gradient of avgPool2d: spread each upstream value over its window, divided like the forward (zero-filled `gradInput`). *
 * @example
 * ```ts
 * avgPool2dBackwardKernel(grad.data, gradInput, geometry, true, 0);
 * ```
 */
export function avgPool2dBackwardKernel(
  grad: TypedArray,
  gradInput: TypedArray,
  g: Pool2dGeometry,
  countIncludePad: boolean,
  divisorOverride: number,
): void {
  const { height: H, width: W, outH, outW } = g;
  const { rows, cols, divisors } = avgDivisors(g, countIncludePad, divisorOverride);
  const planes = g.batch * g.channels;
  for (let p = 0; p < planes; p++) {
    const plane = p * H * W;
    for (let oy = 0; oy < outH; oy++) {
      const y0 = rows.start[oy];
      const y1 = rows.end[oy];
      for (let ox = 0; ox < outW; ox++) {
        const x0 = cols.start[ox];
        const x1 = cols.end[ox];
        const v = grad[(p * outH + oy) * outW + ox] / divisors[oy * outW + ox];
        for (let y = y0; y < y1; y++) {
          const row = plane + y * W;
          for (let xx = x0; xx < x1; xx++) gradInput[row + xx] += v;
        }
      }
    }
  }
}
