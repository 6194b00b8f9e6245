import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  type Conv2dGeometry,
  conv2dInputGradKernel,
  conv2dKernel,
  conv2dWeightGradKernel,
} from '../../kernels/cpu/conv2d';
import { maxPool2dKernel, maxPool2dScatterKernel, type Pool2dGeometry } from '../../kernels/cpu/pool2d';
import { meanKernel, sumKernel } from '../../kernels/cpu/reduce';
import { getBackend, type Kernel, resolveKernel, setBackend } from '../../kernels/registry';
import { CONV_LIMITS } from './conv-kernels';
import { getWasmRuntime, initWasmBackend } from './index';
import { NN_LIMITS } from './nn-kernels';
import { lcgValues, placeOperand, relDiff } from './test-utils';

type Mode = 'resident' | 'copy';
const MODES: Mode[] = ['resident', 'copy'];

const outSize = (size: number, k: number, s: number, p: number, d: number) =>
  Math.floor((size + 2 * p - d * (k - 1) - 1) / s) + 1;

/** A convolution geometry from its sizes and window (the output size follows PyTorch's formula). */
function conv(
  batch: number,
  inChannels: number,
  [height, width]: [number, number],
  outChannels: number,
  [kernelH, kernelW]: [number, number],
  { stride = [1, 1], pad = [0, 0], dilation = [1, 1], groups = 1 } = {},
): Conv2dGeometry {
  const [strideH, strideW] = stride;
  const [padH, padW] = pad;
  const [dilationH, dilationW] = dilation;
  return {
    batch,
    inChannels,
    height,
    width,
    outChannels,
    groups,
    kernelH,
    kernelW,
    strideH,
    strideW,
    padH,
    padW,
    dilationH,
    dilationW,
    outH: outSize(height, kernelH, strideH, padH, dilationH),
    outW: outSize(width, kernelW, strideW, padW, dilationW),
  };
}

// Stride 1 with "same" padding (im2col copies whole spans of rows), strides and dilations with padding (row
// by row, taps that fall outside on both sides), groups without padding (row by row, vectors), a kernel
// wider than the image with large padding, the CNN's own, and rows shorter than a vector.
const CONVS: [string, Conv2dGeometry][] = [
  ['3x3, stride 1, padding 1', conv(5, 3, [9, 11], 4, [3, 3], { pad: [1, 1] })],
  [
    '3x2, stride 2x3, padding 2x1, dilation 2x1',
    conv(4, 2, [10, 13], 3, [3, 2], { stride: [2, 3], pad: [2, 1], dilation: [2, 1] }),
  ],
  ['groups 2, 3x3, no padding', conv(3, 4, [8, 7], 6, [3, 3], { groups: 2 })],
  [
    '5x5 with dilation 2 and padding 4 on a 3x4 image',
    conv(3, 2, [3, 4], 2, [5, 5], { pad: [4, 4], dilation: [2, 2] }),
  ],
  ['the CNN bench conv 8 -> 16 channels on 14x14', conv(6, 8, [14, 14], 16, [3, 3], { pad: [1, 1] })],
  ['3x3 with padding 1 on 1x3 images (spans shorter than a vector)', conv(2, 2, [1, 3], 3, [3, 3], { pad: [1, 1] })],
];

describe('wasm convolution and max-pooling kernels', () => {
  const blocks: [number, number][] = [];
  const saved = { min: NN_LIMITS.minElements, run: CONV_LIMITS.runBytes };
  let previous = 'cpu';

  beforeAll(async () => {
    previous = getBackend();
    expect(await initWasmBackend()).toBe(true);
    NN_LIMITS.minElements = 1;
  });
  afterEach(() => {
    CONV_LIMITS.runBytes = saved.run;
    const heap = getWasmRuntime()?.heap;
    for (const [ptr, bytes] of blocks.splice(0)) heap?.release(ptr, bytes);
  });
  afterAll(() => {
    NN_LIMITS.minElements = saved.min;
    setBackend(previous);
  });

  function place(data: Float32Array, mode: Mode): Float32Array {
    const heap = getWasmRuntime()?.heap;
    if (!heap) throw new Error('no wasm runtime');
    return placeOperand(heap, data, mode, blocks);
  }

  function wasm<K extends Kernel>(name: string, cpu: K): K {
    setBackend('wasm');
    const kernel = resolveKernel(name, cpu);
    setBackend(previous);
    expect(kernel).not.toBe(cpu);
    return kernel;
  }

  for (const [name, g] of CONVS)
    for (const mode of MODES)
      for (const runs of ['one run', 'runs of 2 samples'] as const)
        it(`conv2d and its two gradients match float64 (${name}; ${mode}; ${runs})`, () => {
          const { batch, inChannels: ic, outChannels: oc, groups } = g;
          const K = (ic / groups) * g.kernelH * g.kernelW;
          const P = g.outH * g.outW;
          if (runs !== 'one run') CONV_LIMITS.runBytes = 2 * 4 * (K + oc / groups) * P;
          const x = lcgValues(batch * ic * g.height * g.width, 1);
          const w = lcgValues(oc * K, 2);
          const b = lcgValues(oc, 3);
          const gy = lcgValues(batch * oc * P, 4);
          const f64 = (a: Float32Array) => Float64Array.from(a);
          // Float64 references from the cpu kernels.
          const want = new Float64Array(gy.length);
          conv2dKernel(f64(x), f64(w), f64(b), want, g);
          const wantGx = new Float64Array(x.length);
          conv2dInputGradKernel(f64(gy), f64(w), wantGx, g);
          const wantGw = new Float64Array(w.length);
          conv2dWeightGradKernel(f64(x), f64(gy), wantGw, g);

          const out = place(new Float32Array(gy.length).fill(99), mode);
          wasm('conv2d', conv2dKernel)(place(x, mode), place(w, mode), place(b, mode), out, g);
          expect(relDiff(out, want)).toBeLessThan(1e-5);
          const noBias = place(new Float32Array(gy.length).fill(99), mode);
          wasm('conv2d', conv2dKernel)(place(x, mode), place(w, mode), null, noBias, g);
          for (let i = 0; i < noBias.length; i++)
            expect(out[i]).toBe(Math.fround(noBias[i] + b[Math.floor(i / P) % oc]));
          const gx = place(new Float32Array(x.length), mode); // zero-filled, as the op allocates it
          wasm('conv2dInputGrad', conv2dInputGradKernel)(place(gy, mode), place(w, mode), gx, g);
          expect(relDiff(gx, wantGx)).toBeLessThan(1e-5);
          const gw = place(new Float32Array(w.length).fill(99), mode);
          wasm('conv2dWeightGrad', conv2dWeightGradKernel)(place(x, mode), place(gy, mode), gw, g);
          expect(relDiff(gw, wantGw)).toBeLessThan(1e-5);
        });

  it('conv2d input gradient adds onto the pixels in the cpu kernel order (to the bit on sums of copies)', () => {
    // With one output channel of weight 1 the columns of Wᵀ·grad are copies of the gradient, so each
    // input pixel's gradient is a sum of float32 values whose order decides the rounding.
    const g = conv(2, 1, [6, 7], 1, [3, 3], { pad: [1, 1] });
    const gy = lcgValues(2 * g.outH * g.outW, 9, -1e4, 1e4).map((v, i) => (i % 3 === 0 ? v * 1e-6 : v));
    const w = new Float32Array(9).fill(1);
    const want = new Float32Array(2 * 42);
    conv2dInputGradKernel(gy, w, want, g);
    const got = new Float32Array(2 * 42);
    wasm('conv2dInputGrad', conv2dInputGradKernel)(gy, w, got, g);
    expect(Array.from(got)).toEqual(Array.from(want));
  });

  // A convolution's bias gradient, sum(grad, [0, 2, 3]): every axis but the channels, in the cpu kernel's order.
  for (const [shape, axes] of [
    [
      [6, 9, 7, 5],
      [0, 2, 3],
    ],
    [
      [3, 8, 14, 14],
      [0, 2, 3],
    ],
    [
      [4, 1, 9, 11],
      [0, 2, 3],
    ],
    [
      [5, 4, 1, 23],
      [0, 2, 3],
    ],
    [
      [2, 3, 4, 50],
      [0, 2],
    ],
  ] as [number[], number[]][])
    for (const mode of MODES)
      it(`sum and mean of [${shape}] over [${axes}] equal the cpu kernels to the bit (${mode})`, () => {
        const n = shape.reduce((a, b) => a * b, 1);
        // Wide magnitudes, so that the order of the double sums shows in the float32 results.
        const x = lcgValues(n, 40, -1, 1).map((v, i) => v * 10 ** ((i % 7) - 3));
        const kept = shape.filter((_, d) => !axes.includes(d)).reduce((a, b) => a * b, 1);
        const want = new Float32Array(kept);
        sumKernel(x, shape, axes, want);
        const got = place(new Float32Array(kept).fill(99), mode);
        wasm('sum', sumKernel)(place(x, mode), shape, axes, got);
        expect(Array.from(got)).toEqual(Array.from(want));
        const count = n / kept;
        meanKernel(x, shape, axes, want, count);
        wasm('mean', meanKernel)(place(x, mode), shape, axes, got, count);
        expect(Array.from(got)).toEqual(Array.from(want));
      });

  const pool = (
    planes: [number, number],
    [height, width]: [number, number],
    k: number,
    s: number,
    p: number,
    d: number,
  ): Pool2dGeometry => ({
    batch: planes[0],
    channels: planes[1],
    height,
    width,
    outH: outSize(height, k, s, p, d),
    outW: outSize(width, k, s, p, d),
    kernelH: k,
    kernelW: k,
    strideH: s,
    strideW: s,
    padH: p,
    padW: p,
    dilationH: d,
    dilationW: d,
  });
  const POOLS: [string, Pool2dGeometry][] = [
    ['2x2 stride 2', pool([3, 4], [10, 9], 2, 2, 0, 1)],
    ['2x2 stride 2, 11 windows a row (4 at a time, the last 4 overlapping)', pool([2, 3], [7, 23], 2, 2, 0, 1)],
    ['2x2 stride 2, 3 windows a row (one at a time)', pool([2, 2], [6, 7], 2, 2, 0, 1)],
    ['3x3 stride 2 padding 1 (overlapping)', pool([2, 3], [11, 8], 3, 2, 1, 1)],
    ['3x3 stride 1 padding 1 dilation 2', pool([2, 2], [7, 9], 3, 1, 1, 2)],
  ];
  for (const [name, g] of POOLS)
    for (const mode of MODES)
      it(`maxPool2d and its gradient equal the cpu kernels to the bit (${name}; ${mode})`, () => {
        const planes = g.batch * g.channels;
        // Rounded values give ties; some NaNs and infinities.
        const x = lcgValues(planes * g.height * g.width, 5, -4, 4).map((v) => Math.round(v * 2) / 2);
        for (let i = 7; i < x.length; i += 41) x[i] = Number.NaN;
        for (let i = 3; i < x.length; i += 53) x[i] = Number.NEGATIVE_INFINITY;
        const n = planes * g.outH * g.outW;
        const want = new Float32Array(n);
        const wantIdx = new Int32Array(n);
        maxPool2dKernel(x, want, wantIdx, g);
        const got = place(new Float32Array(n).fill(99), mode);
        const idx = new Int32Array(n).fill(-7);
        wasm('maxPool2d', maxPool2dKernel)(place(x, mode), got, idx, g);
        expect(Array.from(got)).toEqual(Array.from(want));
        expect(Array.from(idx)).toEqual(Array.from(wantIdx));
        const gy = lcgValues(n, 6);
        const wantGx = new Float32Array(x.length);
        maxPool2dScatterKernel(gy, wantIdx, wantGx, g);
        const gx = place(new Float32Array(x.length), mode);
        wasm('maxPool2dBackward', maxPool2dScatterKernel)(place(gy, mode), idx, gx, g);
        expect(Array.from(gx)).toEqual(Array.from(wantGx));
        expect(Array.from(idx)).toEqual(Array.from(wantIdx)); // the argmax is read, not changed
      });
});
