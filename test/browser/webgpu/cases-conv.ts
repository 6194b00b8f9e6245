// conv2d (forward, input gradient, weight gradient) with strides, padding, dilation and groups, and
// max / average pooling forward and backward. Convolutions sum in float32 (the cpu in doubles through
// its matmul): 5e-6 relative to max(1, |ref|). Max pooling picks inputs and its gradient adds in the cpu
// kernel's order, so values, argmax indices and gradients are exact; average pooling divides a float32
// sum (the cpu a double one): 1e-6.
import {
  conv2dInputGradWebGpu,
  conv2dWebGpu,
  conv2dWeightGradWebGpu,
} from '../../../packages/core/src/backends/webgpu/kernels/conv2d';
import {
  avgPool2dBackwardWebGpu,
  avgPool2dWebGpu,
  maxPool2dGatherWebGpu,
  maxPool2dScatterWebGpu,
  maxPool2dWebGpu,
} from '../../../packages/core/src/backends/webgpu/kernels/pool2d';
import {
  type Conv2dGeometry,
  conv2dInputGradKernel,
  conv2dKernel,
  conv2dWeightGradKernel,
} from '../../../packages/core/src/kernels/cpu/conv2d';
import {
  avgPool2dBackwardKernel,
  avgPool2dKernel,
  maxPool2dGatherKernel,
  maxPool2dKernel,
  maxPool2dScatterKernel,
  type Pool2dGeometry,
} from '../../../packages/core/src/kernels/cpu/pool2d';
import type { Checker } from './checker';

const outSize = (size: number, k: number, s: number, p: number, d: number) =>
  Math.floor((size + 2 * p - d * (k - 1) - 1) / s) + 1;

function conv(
  batch: number,
  inC: number,
  H: number,
  W: number,
  outC: number,
  groups: number,
  k: [number, number],
  s: [number, number],
  p: [number, number],
  d: [number, number],
): Conv2dGeometry {
  return {
    batch,
    inChannels: inC,
    height: H,
    width: W,
    outChannels: outC,
    groups,
    kernelH: k[0],
    kernelW: k[1],
    strideH: s[0],
    strideW: s[1],
    padH: p[0],
    padW: p[1],
    dilationH: d[0],
    dilationW: d[1],
    outH: outSize(H, k[0], s[0], p[0], d[0]),
    outW: outSize(W, k[1], s[1], p[1], d[1]),
  };
}

export async function runConvCases(c: Checker): Promise<void> {
  const cases: [string, Conv2dGeometry, boolean][] = [
    [
      '3x2 kernel, stride 2x1, pad 1x0, dilation 1x2, 2 groups',
      conv(2, 4, 9, 7, 6, 2, [3, 2], [2, 1], [1, 0], [1, 2]),
      true,
    ],
    ['pointwise 1x1', conv(1, 3, 8, 8, 4, 1, [1, 1], [1, 1], [0, 0], [1, 1]), false],
    ['depthwise 3x3, stride 2, pad 2, dilation 2', conv(2, 6, 11, 10, 6, 6, [3, 3], [2, 2], [2, 2], [2, 2]), true],
    ['5x5 ragged, 3 groups, stride 3', conv(3, 3, 13, 17, 9, 3, [5, 5], [3, 3], [1, 2], [1, 1]), false],
  ];
  for (const [label, g, withBias] of cases) {
    const xs = g.batch * g.inChannels * g.height * g.width;
    const ws = g.outChannels * (g.inChannels / g.groups) * g.kernelH * g.kernelW;
    const os = g.batch * g.outChannels * g.outH * g.outW;
    const x = c.rng.floats(xs);
    const w = c.rng.floats(ws);
    const bias = withBias ? c.rng.floats(g.outChannels) : null;
    const ref = new Float32Array(os);
    conv2dKernel(x, w, bias, ref, g);
    const out = c.array(os);
    conv2dWebGpu(c.upload(x), c.upload(w), bias === null ? null : c.upload(bias), out, g);
    await c.compare(`conv2d ${label}`, [out], [ref], { tolerance: 5e-6 });

    const grad = c.rng.floats(os);
    const refIn = new Float32Array(xs);
    conv2dInputGradKernel(grad, w, refIn, g);
    const gradIn = c.array(xs, 'float32', true);
    conv2dInputGradWebGpu(c.upload(grad), c.upload(w), gradIn, g);
    const refW = new Float32Array(ws);
    conv2dWeightGradKernel(x, grad, refW, g);
    const gradW = c.array(ws);
    conv2dWeightGradWebGpu(c.upload(x), c.upload(grad), gradW, g);
    await c.compare(`conv2d input and weight gradients ${label}`, [gradIn, gradW], [refIn, refW], { tolerance: 5e-6 });
  }
}

function pool(
  batch: number,
  channels: number,
  H: number,
  W: number,
  k: [number, number],
  s: [number, number],
  p: [number, number],
  d: [number, number],
): Pool2dGeometry {
  return {
    batch,
    channels,
    height: H,
    width: W,
    kernelH: k[0],
    kernelW: k[1],
    strideH: s[0],
    strideW: s[1],
    padH: p[0],
    padW: p[1],
    dilationH: d[0],
    dilationW: d[1],
    outH: outSize(H, k[0], s[0], p[0], d[0]),
    outW: outSize(W, k[1], s[1], p[1], d[1]),
  };
}

export async function runPoolCases(c: Checker): Promise<void> {
  const maxCases: [string, Pool2dGeometry][] = [
    ['2x2 stride 2', pool(2, 3, 8, 8, [2, 2], [2, 2], [0, 0], [1, 1])],
    ['3x3 stride 1 pad 1 (overlapping)', pool(2, 2, 7, 9, [3, 3], [1, 1], [1, 1], [1, 1])],
    ['3x2 stride 2x1 pad 1x0 dilation 2x3', pool(1, 4, 11, 13, [3, 2], [2, 1], [1, 0], [2, 3])],
  ];
  for (const [label, g] of maxCases) {
    const xs = g.batch * g.channels * g.height * g.width;
    const os = g.batch * g.channels * g.outH * g.outW;
    const x = c.rng.ints(xs, -3, 3); // ties: the first maximum must win
    for (let i = 0; i < xs; i += 3) x[i] += c.rng.next();
    const ref = new Float32Array(os);
    const refIdx = new Int32Array(os);
    maxPool2dKernel(x, ref, refIdx, g);
    const xg = c.upload(x);
    const out = c.array(os);
    const idx = c.array(os, 'int32');
    maxPool2dWebGpu(xg, out, idx, g);
    const h = c.rng.floats(xs);
    const refGather = new Float32Array(os);
    maxPool2dGatherKernel(h, refIdx, refGather, g);
    const gathered = c.array(os);
    maxPool2dGatherWebGpu(c.upload(h), idx, gathered, g);
    const grad = c.rng.floats(os);
    const start = c.rng.floats(xs); // the gradient adds into what gradInput holds
    const refScatter = Float32Array.from(start);
    maxPool2dScatterKernel(grad, refIdx, refScatter, g);
    const scattered = c.upload(start);
    maxPool2dScatterWebGpu(c.upload(grad), idx, scattered, g);
    await c.compare(
      `maxPool2d ${label}: values, indices, gather, gradient`,
      [out, idx, gathered, scattered],
      [ref, refIdx, refGather, refScatter],
      { exact: true },
    );
  }
  const avgCases: [string, Pool2dGeometry, boolean, number][] = [
    ['2x2 stride 2', pool(2, 3, 8, 8, [2, 2], [2, 2], [0, 0], [1, 1]), true, 0],
    ['3x3 stride 2 pad 1, count_include_pad', pool(2, 2, 9, 7, [3, 3], [2, 2], [1, 1], [1, 1]), true, 0],
    ['3x3 stride 2 pad 1, no pad count', pool(2, 2, 9, 7, [3, 3], [2, 2], [1, 1], [1, 1]), false, 0],
    ['3x2 stride 1 pad 1x1, divisor 5', pool(1, 3, 6, 11, [3, 2], [1, 1], [1, 1], [1, 1]), false, 5],
  ];
  for (const [label, g, countIncludePad, divisorOverride] of avgCases) {
    const xs = g.batch * g.channels * g.height * g.width;
    const os = g.batch * g.channels * g.outH * g.outW;
    const x = c.rng.floats(xs);
    const ref = new Float32Array(os);
    avgPool2dKernel(x, ref, g, countIncludePad, divisorOverride);
    const out = c.array(os);
    avgPool2dWebGpu(c.upload(x), out, g, countIncludePad, divisorOverride);
    const grad = c.rng.floats(os);
    const refIn = new Float32Array(xs);
    avgPool2dBackwardKernel(grad, refIn, g, countIncludePad, divisorOverride);
    const gradIn = c.array(xs, 'float32', true);
    avgPool2dBackwardWebGpu(c.upload(grad), gradIn, g, countIncludePad, divisorOverride);
    await c.compare(`avgPool2d ${label}: forward and gradient`, [out, gradIn], [ref, refIn], { tolerance: 1e-6 });
  }
}
