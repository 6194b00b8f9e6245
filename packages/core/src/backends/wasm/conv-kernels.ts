// The wasm backend's convolution and max-pooling kernels (scripts/wasm/conv.mjs): a convolution unfolds a
// run of samples into one column matrix and multiplies it in one product, which the worker threads share,
// instead of one small product per sample.
import type { TypedArray } from '../../dtype';
import {
  type Conv2dGeometry,
  conv2dInputGradKernel,
  conv2dKernel,
  conv2dWeightGradKernel,
} from '../../kernels/cpu/conv2d';
import { maxPool2dKernel, maxPool2dScatterKernel, type Pool2dGeometry } from '../../kernels/cpu/pool2d';
import { registerKernel } from '../../kernels/registry';
import { alignBytes } from './memory';
import { NN_LIMITS } from './nn-kernels';
import { copyBack, isF32, type Operand, placeOperands } from './operands';
import type { WasmRuntime } from './runtime';

// The kernels of scripts/wasm/conv.mjs run through `runtime.sliced` (pointers are byte addresses, counts in
// elements): conv_im2col and conv_col2im, conv_permute, pool_max and pool_max_scatter.

/** Element strides of a conv_permute operand: between its A blocks, between the B rows of a block. */
type Strides = [number, number];

/**
 * Bytes of scratch (column matrix and product) one run of samples may use: a convolution's batch is cut
 * into runs of as many samples as fit (at least one). Internal (tests lower it to reach several runs).
 *
 * @example
 * ```ts
 * CONV_LIMITS.runBytes; // 16 MiB
 * ```
 */
export const CONV_LIMITS = { runBytes: 16 << 20 };

/** The sizes of a convolution's column matrix, per group: K rows, P output positions per sample. */
function sizes(g: Conv2dGeometry) {
  const cg = g.inChannels / g.groups;
  const og = g.outChannels / g.groups;
  const K = cg * g.kernelH * g.kernelW;
  const P = g.outH * g.outW;
  return { cg, og, K, P, HW: g.height * g.width };
}

/** Whether the wasm kernels take this convolution: float32, not a plain per-pixel product, enough work. */
function takes(g: Conv2dGeometry, arrays: (TypedArray | null)[]): boolean {
  const { og, K, P } = sizes(g);
  const pointwise =
    g.kernelH === 1 && g.kernelW === 1 && g.strideH === 1 && g.strideW === 1 && g.padH === 0 && g.padW === 0;
  return !pointwise && g.batch * og * K * P >= NN_LIMITS.minElements * 32 && arrays.every(isF32);
}

/** Samples per run, when each needs `perSample` scratch floats. */
const runLength = (g: Conv2dGeometry, perSample: number) =>
  Math.max(1, Math.min(g.batch, Math.floor(CONV_LIMITS.runBytes / (4 * perSample))));

/** `body(n0, len, gi)` for every run of up to `nb` samples from sample n0, and every group gi of each. */
function forRuns(g: Conv2dGeometry, nb: number, body: (n0: number, len: number, gi: number) => void): void {
  for (let n0 = 0; n0 < g.batch; n0 += nb)
    for (let gi = 0; gi < g.groups; gi++) body(n0, Math.min(nb, g.batch - n0), gi);
}

/**
 * Register the wasm backend's `conv2d`, `conv2dInputGrad`, `conv2dWeightGrad`, `maxPool2d` and
 * `maxPool2dBackward` kernels, with the signatures of the cpu kernels they replace, for float32 arrays.
 * A convolution unfolds runs of samples (up to {@link CONV_LIMITS}.runBytes of scratch) into one column
 * matrix and multiplies it by the weights in one product (shared by the threads), moving the result
 * into the `[batch, channels, H, W]` layout with the bias added. The input gradient folds the product
 * `Wᵀ·grad` back with col2im, in the cpu kernel's order of additions. Sums of products are in float32, in
 * the gemm's order, so results can differ from the cpu kernels' in the last bits; max pooling is exact.
 * Pointwise (1x1, stride 1, no padding) convolutions, other dtypes and tiny sizes keep the cpu kernels.
 *
 * @example
 * ```ts
 * registerConvKernels(runtime); // from initWasmBackend, after the network kernels
 * ```
 */
export function registerConvKernels(runtime: WasmRuntime): void {
  const heap = runtime.heap;
  /**
   * conv_im2col (or, `fold`, conv_col2im) over samples [n0, n0 + nb) of group gi of the image at `image`,
   * shared by the threads sample by sample (each sample has its own columns and pixels).
   */
  const columns = (
    fold: boolean,
    image: number,
    cols: number,
    g: Conv2dGeometry,
    n0: number,
    nb: number,
    gi: number,
  ) => {
    const { cg, K, P, HW } = sizes(g);
    const x = image + (n0 * g.inChannels + gi * cg) * HW * 4;
    const geometry = [g.height, g.width, g.kernelH, g.kernelW, g.strideH, g.strideW, g.padH, g.padW];
    const rest = [g.dilationH, g.dilationW, g.outH, g.outW, g.inChannels * HW, nb * P];
    const args = [...(fold ? [cols, x] : [x, cols]), nb, cg, ...geometry, ...rest];
    const strides = args.map(() => 0);
    strides[fold ? 1 : 0] = g.inChannels * HW * 4;
    strides[fold ? 0 : 1] = P * 4;
    runtime.sliced(fold ? 'conv_col2im' : 'conv_im2col', args, strides, 2, nb, K * P);
  };
  /**
   * conv_permute of A blocks of B rows of P floats (see scripts/wasm/conv.mjs), shared by the threads
   * block by block (each writes its own rows).
   */
  const permute = (src: number, dst: number, bias: number, A: number, B: number, P: number, s: Strides, d: Strides) =>
    runtime.sliced(
      'conv_permute',
      [src, dst, bias, A, B, P, s[0], s[1], d[0], d[1]],
      [s[0] * 4, d[0] * 4, 4, 0, 0, 0, 0, 0, 0, 0],
      3,
      A,
      B * P,
    );
  /** The [og, nb·P] gradient of group gi, samples [n0, n0 + nb), from the [batch, outChannels, P] one. */
  const gatherGrad = (grad: number, to: number, g: Conv2dGeometry, n0: number, nb: number, gi: number) => {
    const { og, P } = sizes(g);
    const from = grad + (n0 * g.outChannels + gi * og) * P * 4;
    permute(from, to, 0, og, nb, P, [P, g.outChannels * P], [nb * P, P]);
  };

  registerKernel(
    'conv2d',
    (x: TypedArray, weight: TypedArray, bias: TypedArray | null, out: TypedArray, g: Conv2dGeometry) => {
      const { og, K, P } = sizes(g);
      const nb = runLength(g, (K + og) * P);
      const ops: Operand[] = [
        { arr: x as Float32Array, read: true, write: false },
        { arr: weight as Float32Array, read: true, write: false },
        { arr: bias as Float32Array | null, read: true, write: false },
        { arr: out as Float32Array, read: false, write: true },
      ];
      const colBytes = alignBytes(K * nb * P * 4);
      const ptrs = takes(g, [x, weight, bias, out]) ? placeOperands(heap, ops, colBytes + og * nb * P * 4) : null;
      if (ptrs === null) return conv2dKernel(x, weight, bias, out, g);
      const [px, pw, pb, pout, cols] = ptrs;
      const product = cols + colBytes;
      forRuns(g, nb, (n0, len, gi) => {
        columns(false, px, cols, g, n0, len, gi);
        runtime.gemm(pw + gi * og * K * 4, K, 1, cols, len * P, 1, product, len * P, og, K, len * P, true);
        const dst = pout + (n0 * g.outChannels + gi * og) * P * 4;
        const b = bias === null ? 0 : pb + gi * og * 4;
        permute(product, dst, b, og, len, P, [len * P, P], [P, g.outChannels * P]);
      });
      copyBack(heap, ops, ptrs);
    },
    'wasm',
  );

  registerKernel(
    'conv2dInputGrad',
    (grad: TypedArray, weight: TypedArray, gradInput: TypedArray, g: Conv2dGeometry) => {
      const { og, K, P } = sizes(g);
      const nb = runLength(g, (K + og) * P);
      const ops: Operand[] = [
        { arr: grad as Float32Array, read: true, write: false },
        { arr: weight as Float32Array, read: true, write: false },
        // Zero-filled by the caller and added to: read in too when it is copied.
        { arr: gradInput as Float32Array, read: true, write: true },
      ];
      const gradBytes = alignBytes(og * nb * P * 4);
      const ptrs = takes(g, [grad, weight, gradInput]) ? placeOperands(heap, ops, gradBytes + K * nb * P * 4) : null;
      if (ptrs === null) return conv2dInputGradKernel(grad, weight, gradInput, g);
      const [pg, pw, pin, g2] = ptrs;
      const cols = g2 + gradBytes;
      forRuns(g, nb, (n0, len, gi) => {
        gatherGrad(pg, g2, g, n0, len, gi);
        runtime.gemm(pw + gi * og * K * 4, 1, K, g2, len * P, 1, cols, len * P, K, og, len * P, true);
        columns(true, pin, cols, g, n0, len, gi);
      });
      copyBack(heap, ops, ptrs);
    },
    'wasm',
  );

  registerKernel(
    'conv2dWeightGrad',
    (x: TypedArray, grad: TypedArray, gradWeight: TypedArray, g: Conv2dGeometry) => {
      const { og, K, P } = sizes(g);
      const nb = runLength(g, (K + og) * P);
      const ops: Operand[] = [
        { arr: x as Float32Array, read: true, write: false },
        { arr: grad as Float32Array, read: true, write: false },
        { arr: gradWeight as Float32Array, read: false, write: true },
      ];
      const gradBytes = alignBytes(og * nb * P * 4);
      const colBytes = alignBytes(K * nb * P * 4);
      const ptrs = takes(g, [x, grad, gradWeight]) ? placeOperands(heap, ops, gradBytes + colBytes + K * og * 4) : null;
      if (ptrs === null) return conv2dWeightGradKernel(x, grad, gradWeight, g);
      const [px, pg, pgw, g2] = ptrs;
      const cols = g2 + gradBytes;
      const t = cols + colBytes;
      forRuns(g, nb, (n0, len, gi) => {
        gatherGrad(pg, g2, g, n0, len, gi);
        columns(false, px, cols, g, n0, len, gi);
        // gWᵀ[k, o] = Σ_j cols[k, j] G[o, j] (the long rows of cols as A: whole register tiles), then
        // transposed into gW: the first run writes, the others add.
        runtime.gemm(cols, len * P, 1, g2, 1, len * P, t, og, K, len * P, og, true);
        const f = heap.f32;
        const at = pgw / 4 + gi * og * K;
        const tt = t / 4;
        for (let o = 0; o < og; o++)
          for (let k = 0; k < K; k++)
            f[at + o * K + k] = n0 === 0 ? f[tt + k * og + o] : f[at + o * K + k] + f[tt + k * og + o];
      });
      copyBack(heap, ops, ptrs);
    },
    'wasm',
  );

  /** Addresses of the int32 argmax array inside the scratch at `at`, copied in when `read`. */
  const placeIndices = (indices: Int32Array, at: number, read: boolean) => {
    if (read) new Int32Array(heap.f32.buffer, at, indices.length).set(indices);
    return at;
  };
  const poolTakes = (g: Pool2dGeometry, arrays: TypedArray[]) =>
    g.batch * g.channels * g.outH * g.outW >= NN_LIMITS.minElements && arrays.every(isF32);

  registerKernel(
    'maxPool2d',
    (x: TypedArray, out: TypedArray, indices: Int32Array, g: Pool2dGeometry) => {
      const ops: Operand[] = [
        { arr: x as Float32Array, read: true, write: false },
        { arr: out as Float32Array, read: false, write: true },
      ];
      const ptrs = poolTakes(g, [x, out]) ? placeOperands(heap, ops, indices.length * 4) : null;
      if (ptrs === null) return maxPool2dKernel(x, out, indices, g);
      const idx = placeIndices(indices, ptrs[2], false);
      const window = [g.kernelH, g.kernelW, g.strideH, g.strideW, g.padH, g.padW, g.dilationH, g.dilationW];
      const planes = g.batch * g.channels;
      const [inPlane, outPlane] = [g.height * g.width, g.outH * g.outW];
      // Shared by the threads plane by plane.
      runtime.sliced(
        'pool_max',
        [ptrs[0], ptrs[1], idx, planes, g.height, g.width, g.outH, g.outW, ...window],
        [inPlane * 4, outPlane * 4, outPlane * 4, ...window.map(() => 0), 0, 0, 0, 0, 0],
        3,
        planes,
        inPlane,
      );
      copyBack(heap, ops, ptrs);
      // NOTE: the scratch is read before any other call can reuse it.
      indices.set(new Int32Array(heap.f32.buffer, idx, indices.length));
    },
    'wasm',
  );

  registerKernel(
    'maxPool2dBackward',
    (grad: TypedArray, indices: Int32Array, gradInput: TypedArray, g: Pool2dGeometry) => {
      const ops: Operand[] = [
        { arr: grad as Float32Array, read: true, write: false },
        // Zero-filled by the caller and added to: read in too when it is copied.
        { arr: gradInput as Float32Array, read: true, write: true },
      ];
      const ptrs = poolTakes(g, [grad, gradInput]) ? placeOperands(heap, ops, indices.length * 4) : null;
      if (ptrs === null) return maxPool2dScatterKernel(grad, indices, gradInput, g);
      const idx = placeIndices(indices, ptrs[2], true);
      const [inPlane, outPlane] = [g.height * g.width, g.outH * g.outW];
      const planes = g.batch * g.channels;
      runtime.sliced(
        'pool_max_scatter',
        [ptrs[0], idx, ptrs[1], planes, inPlane, outPlane],
        [outPlane * 4, outPlane * 4, inPlane * 4, 0, 0, 0],
        3,
        planes,
        inPlane,
      );
      copyBack(heap, ops, ptrs);
    },
    'wasm',
  );
}
