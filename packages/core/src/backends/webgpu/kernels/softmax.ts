import { ValueError } from '../../../errors';
import { type GpuArray, MAIN_ARGS, type ParamSpec, paramsWgsl } from '../context';
import { checkArray } from './common';
import { WGSL_MATH } from './wgsl-math';

// Softmax and log-softmax on the GPU, forward and backward: one 256-thread workgroup per row, the row max
// and the sums as tree reductions in workgroup memory (float32, where the cpu kernels sum in doubles).

const SOFTMAX_SPEC: ParamSpec = [
  ['outer', 'u32'],
  ['n', 'u32'],
  ['inner', 'u32'],
  ['log', 'u32'],
];

/** Softmax (forward or backward): one workgroup per row `(o, j)`, whose elements are `n` apart by `inner`. */
function softmaxSource(backward: boolean): string {
  const inputs = backward
    ? '@group(0) @binding(1) var<storage, read> gIn: array<f32>;\n@group(0) @binding(2) var<storage, read> yIn: array<f32>;\n@group(0) @binding(3) var<storage, read_write> out: array<f32>;'
    : '@group(0) @binding(1) var<storage, read> xIn: array<f32>;\n@group(0) @binding(2) var<storage, read_write> out: array<f32>;';
  const body = backward
    ? `
  var s = 0.0;
  for (var r = lid.x; r < n; r = r + 256u) {
    let e = base + r * inner;
    if (logMode) { s = s + gIn[e]; } else { s = s + gIn[e] * yIn[e]; }
  }
  let total = tree_sum(s, lid.x);
  if (inRange) {
    for (var r = lid.x; r < n; r = r + 256u) {
      let e = base + r * inner;
      if (logMode) { out[e] = gIn[e] - exp(yIn[e]) * total; } else { out[e] = yIn[e] * (gIn[e] - total); }
    }
  }`
    : `
  var m = -inf_f();
  for (var r = lid.x; r < n; r = r + 256u) {
    let v = xIn[base + r * inner];
    if (v > m || is_nan(v)) { m = v; }
  }
  partial[lid.x] = m;
  workgroupBarrier();
  for (var w = 128u; w > 0u; w = w >> 1u) {
    if (lid.x < w) { let q = partial[lid.x + w]; if (q > partial[lid.x] || is_nan(q)) { partial[lid.x] = q; } }
    workgroupBarrier();
  }
  let rowMax = partial[0];
  workgroupBarrier();
  var s = 0.0;
  for (var r = lid.x; r < n; r = r + 256u) { s = s + exp(xIn[base + r * inner] - rowMax); }
  let total = tree_sum(s, lid.x);
  if (inRange) {
    let logTotal = log(total);
    for (var r = lid.x; r < n; r = r + 256u) {
      let e = base + r * inner;
      if (logMode) { out[e] = xIn[e] - rowMax - logTotal; } else { out[e] = exp(xIn[e] - rowMax) / total; }
    }
  }`;
  return `${paramsWgsl(SOFTMAX_SPEC)}${inputs}
var<workgroup> partial: array<f32, 256>;
${WGSL_MATH}
fn tree_sum(v: f32, t: u32) -> f32 {
  partial[t] = v;
  workgroupBarrier();
  for (var w = 128u; w > 0u; w = w >> 1u) {
    if (t < w) { partial[t] = partial[t] + partial[t + w]; }
    workgroupBarrier();
  }
  let total = partial[0];
  workgroupBarrier();
  return total;
}

@compute @workgroup_size(256)
fn main(${MAIN_ARGS}) {
  let row = wid.y * nwg.x + wid.x;
  let n = params.n;
  let inner = params.inner;
  let logMode = params.log != 0u;
  let inRange = row < params.outer * inner;
  let base = (row / inner) * n * inner + row % inner;
  ${body}
}`;
}

function checkSoftmax(fn: string, x: GpuArray, outer: number, n: number, inner: number, out: GpuArray): void {
  for (const [name, v] of [
    ['outer', outer],
    ['n', n],
    ['inner', inner],
  ] as const)
    if (!Number.isInteger(v) || v < 0) throw new ValueError(`${fn}: ${name} must be a non-negative integer, got ${v}`);
  checkArray(fn, 'x', x, outer * n * inner);
  checkArray(fn, 'out', out, outer * n * inner);
}

/**
 * `softmaxKernel` on the GPU: softmax (or, with `log`, log-softmax) along the middle axis of the
 * `outer x n x inner` array `x`, the row max subtracted before exponentiating.
 *
 * @example
 * ```ts
 * softmaxWebGpu(logits, 32, 10, 1, probs, false); // 32 rows of 10 classes
 * ```
 */
export function softmaxWebGpu(x: GpuArray, outer: number, n: number, inner: number, out: GpuArray, log: boolean): void {
  checkSoftmax('softmaxWebGpu', x, outer, n, inner, out);
  if (n === 0 || outer * inner === 0) return;
  const context = x.context;
  const pipeline = context.pipeline('softmax', () => softmaxSource(false));
  context.dispatch(
    pipeline,
    [
      [x, 'read'],
      [out, 'write'],
    ],
    SOFTMAX_SPEC,
    [outer, n, inner, log ? 1 : 0],
    outer * inner,
  );
}

/**
 * `softmaxBackwardKernel` on the GPU: from the upstream gradient `g` and the forward output `y`,
 * `y · (g - sum(g · y))` for softmax, `g - exp(y) · sum(g)` for log-softmax.
 *
 * @example
 * ```ts
 * softmaxBackwardWebGpu(g, y, 32, 10, 1, gradX, true);
 * ```
 */
export function softmaxBackwardWebGpu(
  g: GpuArray,
  y: GpuArray,
  outer: number,
  n: number,
  inner: number,
  out: GpuArray,
  log: boolean,
): void {
  checkSoftmax('softmaxBackwardWebGpu', g, outer, n, inner, out);
  checkArray('softmaxBackwardWebGpu', 'y', y, g.size);
  if (n === 0 || outer * inner === 0) return;
  const context = g.context;
  const pipeline = context.pipeline('softmaxBackward', () => softmaxSource(true));
  context.dispatch(
    pipeline,
    [
      [g, 'read'],
      [y, 'read'],
      [out, 'write'],
    ],
    SOFTMAX_SPEC,
    [outer, n, inner, log ? 1 : 0],
    outer * inner,
  );
}
