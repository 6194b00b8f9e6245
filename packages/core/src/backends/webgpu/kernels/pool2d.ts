import type { Pool2dGeometry } from '../../../kernels/cpu/pool2d';
import { type GpuArray, type ParamSpec, paramsWgsl } from '../context';
import { groupsFor } from './common';
import { WGSL_MATH } from './wgsl-math';
import {
  checkWindowFields,
  elementKernel,
  launchKernel,
  OUTPUT_POSITION,
  type WgslBinding,
  WINDOW_SPEC,
  windowParams,
} from './window';

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
  ...WINDOW_SPEC,
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
    ...windowParams(g),
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

/** WGSL: the output position (`ox`, `oy`) of element `j` and the offset of its input plane. */
const OUTPUT_PLANE = `${OUTPUT_POSITION}
  let plane = (j / (p.outW * p.outH)) * p.H * p.W;`;

/**
 * A gradient kernel with one thread per input pixel that visits, in the cpu kernel's order, the output
 * positions whose windows (spanning `spanH` by `spanW` taps) may cover it: `row` runs per output row,
 * `inner` per output position, both adding into `v`, the pixel's gradient.
 */
function inputPixelKernel(bindings: readonly WgslBinding[], spanH: string, spanW: string, row: string, inner: string) {
  return elementKernel(
    HEADER,
    bindings,
    `  let pixel = j % (p.H * p.W);
  let ix = pixel % p.W;
  let iy = pixel / p.W;
  let outPlane = (j / (p.H * p.W)) * p.outH * p.outW;
  var v = gradInput[i];
  let yLast = min(p.outH - 1, (iy + p.pH) / p.sH);
  let xLast = min(p.outW - 1, (ix + p.pW) / p.sW);
  for (var oy = first_window(iy, p.pH, ${spanH}, p.sH); oy <= yLast; oy = oy + 1) {${row}
    for (var ox = first_window(ix, p.pW, ${spanW}, p.sW); ox <= xLast; ox = ox + 1) {
${inner}
    }
  }
  gradInput[i] = v;`,
  );
}

const MAX_FORWARD = elementKernel(
  HEADER,
  [
    ['x', 'read'],
    ['out', 'read_write'],
    ['indices', 'read_write', 'i32'],
  ],
  `${OUTPUT_PLANE}
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
  indices[i] = bestIndex;`,
);

const MAX_GATHER = elementKernel(
  HEADER,
  [
    ['x', 'read'],
    ['indices', 'read', 'i32'],
    ['out', 'read_write'],
  ],
  `  let plane = (j / (p.outH * p.outW)) * p.H * p.W;
  let index = indices[i];
  if (index >= 0) { out[i] = x[plane + index]; } else { out[i] = 0.0; }`,
);

const MAX_SCATTER = inputPixelKernel(
  [
    ['grad', 'read'],
    ['indices', 'read', 'i32'],
    ['gradInput', 'read_write'],
  ],
  '(p.kH - 1) * p.dH + 1',
  '(p.kW - 1) * p.dW + 1',
  '',
  `      let o = outPlane + oy * p.outW + ox;
      if (indices[o] == pixel) { v = v + grad[o]; }`,
);

const AVG_FORWARD = elementKernel(
  HEADER,
  [
    ['x', 'read'],
    ['out', 'read_write'],
  ],
  `${OUTPUT_PLANE}
  let wy = avg_window(oy, p.sH, p.pH, p.kH, p.H);
  let wx = avg_window(ox, p.sW, p.pW, p.kW, p.W);
  var s = 0.0;
  for (var y = wy.x; y < wy.y; y = y + 1) {
    for (var xx = wx.x; xx < wx.y; xx = xx + 1) { s = s + x[plane + y * p.W + xx]; }
  }
  if (wy.x >= wy.y || wx.x >= wx.y) { out[i] = 0.0; } else { out[i] = s / avg_divisor(wy, wx); }`,
);

const AVG_BACKWARD = inputPixelKernel(
  [
    ['grad', 'read'],
    ['gradInput', 'read_write'],
  ],
  'p.kH',
  'p.kW',
  `
    let wy = avg_window(oy, p.sH, p.pH, p.kH, p.H);
    if (iy < wy.x || iy >= wy.y) { continue; }`,
  `      let wx = avg_window(ox, p.sW, p.pW, p.kW, p.W);
      if (ix < wx.x || ix >= wx.y) { continue; }
      v = v + grad[outPlane + oy * p.outW + ox] / avg_divisor(wy, wx);`,
);

function checkGeometry(fn: string, g: Pool2dGeometry): [number, number] {
  checkWindowFields(fn, g, (key) => key.startsWith('stride') || key.startsWith('dilation') || key.startsWith('kernel'));
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
  launchKernel(
    fn,
    'maxPool2d',
    () => MAX_FORWARD,
    [
      ['x', x, xs, 'read'],
      ['out', out, os, 'write'],
      ['indices', indices, os, 'write', 'int32'],
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
  launchKernel(
    fn,
    'maxPool2dGather',
    () => MAX_GATHER,
    [
      ['x', x, xs, 'read'],
      ['indices', indices, os, 'read', 'int32'],
      ['out', out, os, 'write'],
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
  launchKernel(
    fn,
    'maxPool2dScatter',
    () => MAX_SCATTER,
    [
      ['grad', grad, os, 'read'],
      ['indices', indices, os, 'read', 'int32'],
      ['gradInput', gradInput, xs, 'write'],
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
  launchKernel(
    fn,
    'avgPool2d',
    () => AVG_FORWARD,
    [
      ['x', x, xs, 'read'],
      ['out', out, os, 'write'],
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
  launchKernel(
    fn,
    'avgPool2dBackward',
    () => AVG_BACKWARD,
    [
      ['grad', grad, os, 'read'],
      ['gradInput', gradInput, xs, 'write'],
    ],
    SPEC,
    params(g, xs, countIncludePad, divisorOverride),
    groupsFor(xs),
  );
}
