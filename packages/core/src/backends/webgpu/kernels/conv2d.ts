import { ValueError } from '../../../errors';
import type { Conv2dGeometry } from '../../../kernels/cpu/conv2d';
import { type GpuArray, MAIN_ARGS, type ParamSpec, paramsWgsl } from '../context';
import { groupsFor } from './common';
import {
  bindingsWgsl,
  checkWindowFields,
  elementKernel,
  launchKernel,
  OUTPUT_POSITION,
  WINDOW_SPEC,
  windowParams,
} from './window';

// 2-D convolution on the GPU (NCHW input, OIHW weight), with the cpu kernels' geometry, strides,
// padding, dilation and groups, computed directly (no im2col buffer): the forward and the input
// gradient take one thread per output element, the weight gradient one 256-thread workgroup per weight
// that sums over the batch and the output positions with a tree in workgroup memory. Float32 sums.

const GEOMETRY: ParamSpec = [
  ['batch', 'i32'],
  ['inC', 'i32'],
  ['H', 'i32'],
  ['W', 'i32'],
  ['outC', 'i32'],
  ['groups', 'i32'],
  ...WINDOW_SPEC,
  ['outH', 'i32'],
  ['outW', 'i32'],
  ['count', 'u32'],
  ['flag', 'u32'],
];

function geometryParams(g: Conv2dGeometry, count: number, flag: number): number[] {
  return [
    g.batch,
    g.inChannels,
    g.height,
    g.width,
    g.outChannels,
    g.groups,
    ...windowParams(g),
    g.outH,
    g.outW,
    count,
    flag,
  ];
}

const FORWARD = elementKernel(
  paramsWgsl(GEOMETRY),
  [
    ['x', 'read'],
    ['w', 'read'],
    ['bias', 'read'],
    ['out', 'read_write'],
  ],
  `${OUTPUT_POSITION}
  let oc = (j / (p.outW * p.outH)) % p.outC;
  let nb = j / (p.outW * p.outH * p.outC);
  let cg = p.inC / p.groups;
  let gi = oc / (p.outC / p.groups);
  var acc = 0.0;
  for (var c = 0; c < cg; c = c + 1) {
    let plane = (nb * p.inC + gi * cg + c) * p.H;
    for (var ki = 0; ki < p.kH; ki = ki + 1) {
      let iy = oy * p.sH - p.pH + ki * p.dH;
      if (iy < 0 || iy >= p.H) { continue; }
      for (var kj = 0; kj < p.kW; kj = kj + 1) {
        let ix = ox * p.sW - p.pW + kj * p.dW;
        if (ix < 0 || ix >= p.W) { continue; }
        acc = acc + w[((oc * cg + c) * p.kH + ki) * p.kW + kj] * x[(plane + iy) * p.W + ix];
      }
    }
  }
  if (p.flag != 0u) { acc = acc + bias[oc]; }
  out[i] = acc;`,
);

const INPUT_GRAD = elementKernel(
  paramsWgsl(GEOMETRY),
  [
    ['grad', 'read'],
    ['w', 'read'],
    ['gradInput', 'read_write'],
  ],
  `  let ix = j % p.W;
  let iy = (j / p.W) % p.H;
  let ch = (j / (p.W * p.H)) % p.inC;
  let nb = j / (p.W * p.H * p.inC);
  let cg = p.inC / p.groups;
  let og = p.outC / p.groups;
  let gi = ch / cg;
  let c = ch % cg;
  var acc = 0.0;
  for (var o = gi * og; o < (gi + 1) * og; o = o + 1) {
    let plane = (nb * p.outC + o) * p.outH;
    for (var ki = 0; ki < p.kH; ki = ki + 1) {
      let ty = iy + p.pH - ki * p.dH;
      if (ty < 0 || ty % p.sH != 0) { continue; }
      let oy = ty / p.sH;
      if (oy >= p.outH) { continue; }
      for (var kj = 0; kj < p.kW; kj = kj + 1) {
        let tx = ix + p.pW - kj * p.dW;
        if (tx < 0 || tx % p.sW != 0) { continue; }
        let ox = tx / p.sW;
        if (ox >= p.outW) { continue; }
        acc = acc + w[((o * cg + c) * p.kH + ki) * p.kW + kj] * grad[(plane + oy) * p.outW + ox];
      }
    }
  }
  gradInput[i] = gradInput[i] + acc;`,
);

const WEIGHT_GRAD = `${paramsWgsl(GEOMETRY)}
${bindingsWgsl([
  ['x', 'read'],
  ['grad', 'read'],
  ['gradWeight', 'read_write'],
])}
var<workgroup> partial: array<f32, 256>;
@compute @workgroup_size(256)
fn main(${MAIN_ARGS}) {
  let e = wid.y * nwg.x + wid.x;
  let p = params;
  let cg = p.inC / p.groups;
  let j = i32(e);
  let kj = j % p.kW;
  let ki = (j / p.kW) % p.kH;
  let c = (j / (p.kW * p.kH)) % cg;
  let o = j / (p.kW * p.kH * cg);
  let gi = o / (p.outC / p.groups);
  let positions = p.outH * p.outW;
  var acc = 0.0;
  if (e < p.count) {
    for (var t = i32(lid.x); t < p.batch * positions; t = t + 256) {
      let nb = t / positions;
      let oy = (t % positions) / p.outW;
      let ox = t % p.outW;
      let iy = oy * p.sH - p.pH + ki * p.dH;
      let ix = ox * p.sW - p.pW + kj * p.dW;
      if (iy >= 0 && iy < p.H && ix >= 0 && ix < p.W) {
        acc = acc + grad[((nb * p.outC + o) * p.outH + oy) * p.outW + ox] * x[((nb * p.inC + gi * cg + c) * p.H + iy) * p.W + ix];
      }
    }
  }
  partial[lid.x] = acc;
  workgroupBarrier();
  for (var s = 128u; s > 0u; s = s >> 1u) {
    if (lid.x < s) { partial[lid.x] = partial[lid.x] + partial[lid.x + s]; }
    workgroupBarrier();
  }
  if (lid.x == 0u && e < p.count) { gradWeight[e] = partial[0]; }
}`;

/** Check a geometry's fields and the arrays' sizes; returns [input size, weight size, output size]. */
function checkGeometry(fn: string, g: Conv2dGeometry): [number, number, number] {
  checkWindowFields(fn, g, (key) => key.startsWith('stride') || key.startsWith('dilation') || key === 'groups');
  if (g.inChannels % g.groups !== 0 || g.outChannels % g.groups !== 0)
    throw new ValueError(
      `${fn}: geometry.groups (${g.groups}) must divide inChannels (${g.inChannels}) and outChannels (${g.outChannels})`,
    );
  return [
    g.batch * g.inChannels * g.height * g.width,
    g.outChannels * (g.inChannels / g.groups) * g.kernelH * g.kernelW,
    g.batch * g.outChannels * g.outH * g.outW,
  ];
}

/**
 * `conv2dKernel` on the GPU, with its arguments: `out` (`[batch, outChannels, outH, outW]`) is
 * overwritten with the convolution of `x` by `weight` plus `bias` (or none when `null`).
 *
 * @example
 * ```ts
 * conv2dWebGpu(x, weight, bias, out, geometry);
 * ```
 */
export function conv2dWebGpu(
  x: GpuArray,
  weight: GpuArray,
  bias: GpuArray | null,
  out: GpuArray,
  g: Conv2dGeometry,
): void {
  const fn = 'conv2dWebGpu';
  const [xs, ws, os] = checkGeometry(fn, g);
  launchKernel(
    fn,
    'conv2d',
    () => FORWARD,
    [
      ['x', x, xs, 'read'],
      ['weight', weight, ws, 'read'],
      ['bias', bias ?? weight, bias === null ? undefined : g.outChannels, 'read'],
      ['out', out, os, 'write'],
    ],
    GEOMETRY,
    geometryParams(g, os, bias === null ? 0 : 1),
    groupsFor(os),
  );
}

/**
 * `conv2dInputGradKernel` on the GPU: adds the gradient with respect to the input into `gradInput`
 * (`[batch, inChannels, height, width]`, zero-filled by the caller as for the cpu kernel).
 *
 * @example
 * ```ts
 * conv2dInputGradWebGpu(grad, weight, gradInput, geometry);
 * ```
 */
export function conv2dInputGradWebGpu(grad: GpuArray, weight: GpuArray, gradInput: GpuArray, g: Conv2dGeometry): void {
  const fn = 'conv2dInputGradWebGpu';
  const [xs, ws, os] = checkGeometry(fn, g);
  launchKernel(
    fn,
    'conv2dInputGrad',
    () => INPUT_GRAD,
    [
      ['grad', grad, os, 'read'],
      ['weight', weight, ws, 'read'],
      ['gradInput', gradInput, xs, 'write'],
    ],
    GEOMETRY,
    geometryParams(g, xs, 0),
    groupsFor(xs),
  );
}

/**
 * `conv2dWeightGradKernel` on the GPU: `gradWeight` (`[outChannels, inChannels/groups, kH, kW]`) is
 * overwritten with the gradient with respect to the weight, summed over the batch.
 *
 * @example
 * ```ts
 * conv2dWeightGradWebGpu(x, grad, gradWeight, geometry);
 * ```
 */
export function conv2dWeightGradWebGpu(x: GpuArray, grad: GpuArray, gradWeight: GpuArray, g: Conv2dGeometry): void {
  const fn = 'conv2dWeightGradWebGpu';
  const [xs, ws, os] = checkGeometry(fn, g);
  launchKernel(
    fn,
    'conv2dWeightGrad',
    () => WEIGHT_GRAD,
    [
      ['x', x, xs, 'read'],
      ['grad', grad, os, 'read'],
      ['gradWeight', gradWeight, ws, 'write'],
    ],
    GEOMETRY,
    geometryParams(g, ws, 0),
    ws,
  );
}
