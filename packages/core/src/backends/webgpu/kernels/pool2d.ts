import { ValueError } from '../../../errors';
import type { Pool2dGeometry } from '../../../kernels/cpu/pool2d';
import { type GpuArray, LINEAR_INDEX, MAIN_ARGS, type ParamSpec, paramsWgsl } from '../context';
import { checkArray, groupsFor } from './common';
import { WGSL_MATH } from './wgsl-math';

// 2-D max and average pooling on the GPU with the cpu kernels' geometry and semantics. Forward kernels
// take one thread per output element; the gradients take one thread per input pixel and gather the
// windows that cover it in the cpu kernel's order (output rows, then columns, ascending), so that no
// two threads write one pixel and max pooling's gradient adds its float32 terms in the cpu's order.

const SPEC: ParamSpec = [
  ['planes', 'i32'],
  ['H', 'i32'],
  ['W', 'i32'],
  ['outH', 'i32'],
  ['outW', 'i32'],
  ['kH', 'i32'],
  ['kW', 'i32'],
  ['sH', 'i32'],
  ['sW', 'i32'],
  ['pH', 'i32'],
  ['pW', 'i32'],
  ['dH', 'i32'],
  ['dW', 'i32'],
  ['count', 'u32'],
  ['countIncludePad', 'u32'],
  ['divisorOverride', 'f32'],
];

function params(g: Pool2dGeometry, count: number, countIncludePad = false, divisorOverride = 0): number[] {
  return [
    g.batch * g.channels,
    g.height,
    g.width,
    g.outH,
    g.outW,
    g.kernelH,
    g.kernelW,
    g.strideH,
    g.strideW,
    g.padH,
    g.padW,
    g.dilationH,
    g.dilationW,
    count,
    countIncludePad ? 1 : 0,
    divisorOverride,
  ];
}

const HEADER = `${paramsWgsl(SPEC)}${WGSL_MATH}
// The first output position (along one axis) whose window may cover input position t: windows start at
// o * s - pad and span a taps; WGSL's integer division truncates, so a non-positive bound is 0.
fn first_window(t: i32, pad: i32, span: i32, s: i32) -> i32 {
  let lo = t + pad - span + 1;
  if (lo <= 0) { return 0; }
  return (lo + s - 1) / s;
}
// Average pooling's window along one axis, as the cpu kernel clips it: (start, end, padded extent).
fn avg_window(o: i32, s: i32, pad: i32, k: i32, size: i32) -> vec3i {
  let st = o * s - pad;
  let en = min(st + k, size + pad);
  return vec3i(max(st, 0), min(en, size), en - st);
}
fn avg_divisor(wy: vec3i, wx: vec3i) -> f32 {
  if (params.divisorOverride != 0.0) { return params.divisorOverride; }
  if (params.countIncludePad != 0u) { return f32(wy.z * wx.z); }
  return f32((wy.y - wy.x) * (wx.y - wx.x));
}
`;

const MAX_FORWARD = `${HEADER}
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;
@group(0) @binding(3) var<storage, read_write> indices: array<i32>;
@compute @workgroup_size(256)
fn main(${MAIN_ARGS}) {
  ${LINEAR_INDEX}
  if (i >= params.count) { return; }
  let p = params;
  let j = i32(i);
  let ox = j % p.outW;
  let oy = (j / p.outW) % p.outH;
  let plane = (j / (p.outW * p.outH)) * p.H * p.W;
  var y0 = oy * p.sH - p.pH;
  let yEnd = min(y0 + (p.kH - 1) * p.dH + 1, p.H);
  if (y0 < 0) { y0 = y0 + ((-y0 + p.dH - 1) / p.dH) * p.dH; }
  var x0 = ox * p.sW - p.pW;
  let xEnd = min(x0 + (p.kW - 1) * p.dW + 1, p.W);
  if (x0 < 0) { x0 = x0 + ((-x0 + p.dW - 1) / p.dW) * p.dW; }
  var best = -inf_f();
  var bestIndex = -1;
  if (y0 < yEnd && x0 < xEnd) { bestIndex = y0 * p.W + x0; }
  for (var y = y0; y < yEnd; y = y + p.dH) {
    for (var xx = x0; xx < xEnd; xx = xx + p.dW) {
      let v = x[plane + y * p.W + xx];
      if (v > best || is_nan(v)) { best = v; bestIndex = y * p.W + xx; }
    }
  }
  out[i] = best;
  indices[i] = bestIndex;
}`;

const MAX_GATHER = `${HEADER}
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> indices: array<i32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;
@compute @workgroup_size(256)
fn main(${MAIN_ARGS}) {
  ${LINEAR_INDEX}
  if (i >= params.count) { return; }
  let plane = (i32(i) / (params.outH * params.outW)) * params.H * params.W;
  let index = indices[i];
  if (index >= 0) { out[i] = x[plane + index]; } else { out[i] = 0.0; }
}`;

const MAX_SCATTER = `${HEADER}
@group(0) @binding(1) var<storage, read> grad: array<f32>;
@group(0) @binding(2) var<storage, read> indices: array<i32>;
@group(0) @binding(3) var<storage, read_write> gradInput: array<f32>;
@compute @workgroup_size(256)
fn main(${MAIN_ARGS}) {
  ${LINEAR_INDEX}
  if (i >= params.count) { return; }
  let p = params;
  let j = i32(i);
  let pixel = j % (p.H * p.W);
  let ix = pixel % p.W;
  let iy = pixel / p.W;
  let outPlane = (j / (p.H * p.W)) * p.outH * p.outW;
  var v = gradInput[i];
  let yLast = min(p.outH - 1, (iy + p.pH) / p.sH);
  let xLast = min(p.outW - 1, (ix + p.pW) / p.sW);
  for (var oy = first_window(iy, p.pH, (p.kH - 1) * p.dH + 1, p.sH); oy <= yLast; oy = oy + 1) {
    for (var ox = first_window(ix, p.pW, (p.kW - 1) * p.dW + 1, p.sW); ox <= xLast; ox = ox + 1) {
      let o = outPlane + oy * p.outW + ox;
      if (indices[o] == pixel) { v = v + grad[o]; }
    }
  }
  gradInput[i] = v;
}`;

const AVG_FORWARD = `${HEADER}
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;
@compute @workgroup_size(256)
fn main(${MAIN_ARGS}) {
  ${LINEAR_INDEX}
  if (i >= params.count) { return; }
  let p = params;
  let j = i32(i);
  let ox = j % p.outW;
  let oy = (j / p.outW) % p.outH;
  let plane = (j / (p.outW * p.outH)) * p.H * p.W;
  let wy = avg_window(oy, p.sH, p.pH, p.kH, p.H);
  let wx = avg_window(ox, p.sW, p.pW, p.kW, p.W);
  var s = 0.0;
  for (var y = wy.x; y < wy.y; y = y + 1) {
    for (var xx = wx.x; xx < wx.y; xx = xx + 1) { s = s + x[plane + y * p.W + xx]; }
  }
  if (wy.x >= wy.y || wx.x >= wx.y) { out[i] = 0.0; } else { out[i] = s / avg_divisor(wy, wx); }
}`;

const AVG_BACKWARD = `${HEADER}
@group(0) @binding(1) var<storage, read> grad: array<f32>;
@group(0) @binding(2) var<storage, read_write> gradInput: array<f32>;
@compute @workgroup_size(256)
fn main(${MAIN_ARGS}) {
  ${LINEAR_INDEX}
  if (i >= params.count) { return; }
  let p = params;
  let j = i32(i);
  let pixel = j % (p.H * p.W);
  let ix = pixel % p.W;
  let iy = pixel / p.W;
  let outPlane = (j / (p.H * p.W)) * p.outH * p.outW;
  var v = gradInput[i];
  let yLast = min(p.outH - 1, (iy + p.pH) / p.sH);
  let xLast = min(p.outW - 1, (ix + p.pW) / p.sW);
  for (var oy = first_window(iy, p.pH, p.kH, p.sH); oy <= yLast; oy = oy + 1) {
    let wy = avg_window(oy, p.sH, p.pH, p.kH, p.H);
    if (iy < wy.x || iy >= wy.y) { continue; }
    for (var ox = first_window(ix, p.pW, p.kW, p.sW); ox <= xLast; ox = ox + 1) {
      let wx = avg_window(ox, p.sW, p.pW, p.kW, p.W);
      if (ix < wx.x || ix >= wx.y) { continue; }
      v = v + grad[outPlane + oy * p.outW + ox] / avg_divisor(wy, wx);
    }
  }
  gradInput[i] = v;
}`;

function checkGeometry(fn: string, g: Pool2dGeometry): [number, number] {
  for (const key of Object.keys(g) as (keyof Pool2dGeometry)[]) {
    const v = g[key];
    const min = key.startsWith('stride') || key.startsWith('dilation') || key.startsWith('kernel') ? 1 : 0;
    if (!Number.isInteger(v) || v < min)
      throw new ValueError(`${fn}: geometry.${key} must be an integer >= ${min}, got ${v}`);
  }
  const planes = g.batch * g.channels;
  return [planes * g.height * g.width, planes * g.outH * g.outW];
}

/**
 * `maxPool2dKernel` on the GPU: each window's maximum into `out` and its flat position `y·width + x`
 * in the input plane into the int32 array `indices` (-1 for a window entirely in the padding).
 *
 * @example
 * ```ts
 * maxPool2dWebGpu(x, out, indices, geometry); // indices: context.createArray(out.size, 'int32')
 * ```
 */
export function maxPool2dWebGpu(x: GpuArray, out: GpuArray, indices: GpuArray, g: Pool2dGeometry): void {
  const fn = 'maxPool2dWebGpu';
  const [xs, os] = checkGeometry(fn, g);
  const context = checkArray(fn, 'x', x, xs);
  checkArray(fn, 'out', out, os);
  checkArray(fn, 'indices', indices, os, 'int32');
  const pipeline = context.pipeline('maxPool2d', () => MAX_FORWARD);
  context.dispatch(
    pipeline,
    [
      [x, 'read'],
      [out, 'write'],
      [indices, 'write'],
    ],
    SPEC,
    params(g, os),
    groupsFor(os),
  );
}

/** `maxPool2dGatherKernel` on the GPU: `out[i] = x[plane, indices[i]]`. @example maxPool2dGatherWebGpu(x, indices, out, geometry); */
export function maxPool2dGatherWebGpu(x: GpuArray, indices: GpuArray, out: GpuArray, g: Pool2dGeometry): void {
  const fn = 'maxPool2dGatherWebGpu';
  const [xs, os] = checkGeometry(fn, g);
  const context = checkArray(fn, 'x', x, xs);
  checkArray(fn, 'indices', indices, os, 'int32');
  checkArray(fn, 'out', out, os);
  const pipeline = context.pipeline('maxPool2dGather', () => MAX_GATHER);
  context.dispatch(
    pipeline,
    [
      [x, 'read'],
      [indices, 'read'],
      [out, 'write'],
    ],
    SPEC,
    params(g, os),
    groupsFor(os),
  );
}

/**
 * `maxPool2dScatterKernel` on the GPU: adds `grad` into `gradInput` at the saved argmax positions
 * (the gradient of max pooling), in the cpu kernel's order, so the float32 sums are the cpu's.
 *
 * @example
 * ```ts
 * maxPool2dScatterWebGpu(grad, indices, gradInput, geometry);
 * ```
 */
export function maxPool2dScatterWebGpu(
  grad: GpuArray,
  indices: GpuArray,
  gradInput: GpuArray,
  g: Pool2dGeometry,
): void {
  const fn = 'maxPool2dScatterWebGpu';
  const [xs, os] = checkGeometry(fn, g);
  const context = checkArray(fn, 'grad', grad, os);
  checkArray(fn, 'indices', indices, os, 'int32');
  checkArray(fn, 'gradInput', gradInput, xs);
  const pipeline = context.pipeline('maxPool2dScatter', () => MAX_SCATTER);
  context.dispatch(
    pipeline,
    [
      [grad, 'read'],
      [indices, 'read'],
      [gradInput, 'write'],
    ],
    SPEC,
    params(g, xs),
    groupsFor(xs),
  );
}

/**
 * `avgPool2dKernel` on the GPU: each window's sum divided as PyTorch divides it (`countIncludePad`,
 * `divisorOverride` unless 0).
 *
 * @example
 * ```ts
 * avgPool2dWebGpu(x, out, geometry, true, 0);
 * ```
 */
export function avgPool2dWebGpu(
  x: GpuArray,
  out: GpuArray,
  g: Pool2dGeometry,
  countIncludePad: boolean,
  divisorOverride: number,
): void {
  const fn = 'avgPool2dWebGpu';
  const [xs, os] = checkGeometry(fn, g);
  const context = checkArray(fn, 'x', x, xs);
  checkArray(fn, 'out', out, os);
  const pipeline = context.pipeline('avgPool2d', () => AVG_FORWARD);
  context.dispatch(
    pipeline,
    [
      [x, 'read'],
      [out, 'write'],
    ],
    SPEC,
    params(g, os, countIncludePad, divisorOverride),
    groupsFor(os),
  );
}

/**
 * `avgPool2dBackwardKernel` on the GPU: adds each upstream value, divided like the forward, into
 * `gradInput` over its window (zero-filled by the caller as for the cpu kernel).
 *
 * @example
 * ```ts
 * avgPool2dBackwardWebGpu(grad, gradInput, geometry, true, 0);
 * ```
 */
export function avgPool2dBackwardWebGpu(
  grad: GpuArray,
  gradInput: GpuArray,
  g: Pool2dGeometry,
  countIncludePad: boolean,
  divisorOverride: number,
): void {
  const fn = 'avgPool2dBackwardWebGpu';
  const [xs, os] = checkGeometry(fn, g);
  const context = checkArray(fn, 'grad', grad, os);
  checkArray(fn, 'gradInput', gradInput, xs);
  const pipeline = context.pipeline('avgPool2dBackward', () => AVG_BACKWARD);
  context.dispatch(
    pipeline,
    [
      [grad, 'read'],
      [gradInput, 'write'],
    ],
    SPEC,
    params(g, xs, countIncludePad, divisorOverride),
    groupsFor(xs),
  );
}
