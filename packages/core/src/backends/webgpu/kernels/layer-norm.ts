// LayerNorm over the last n elements of each row, forward and backward, with the cpu kernels' formulas
// (kernels/cpu/layer-norm.ts) in float32 where the cpu accumulates in doubles: the row statistics by one
// thread per row, the input gradient by one thread per row, and the weight and bias gradients by one
// thread per column summing over the rows in order.

import { ValueError } from '../../../errors';
import { type GpuArray, LINEAR_INDEX, MAIN_ARGS, type ParamSpec, paramsWgsl } from '../context';
import { checkArray, groupsFor } from './common';

const SPEC: ParamSpec = [
  ['rows', 'u32'],
  ['n', 'u32'],
  ['eps', 'f32'],
  ['hasW', 'u32'],
  ['hasB', 'u32'],
];

/** The mean and 1/√(var + eps) of row r of x, in a function every kernel here starts with. */
const ROW_STATS = `
fn row_stats(start: u32) -> vec2f {
  var sum = 0.0;
  for (var j = 0u; j < params.n; j = j + 1u) { sum = sum + x[start + j]; }
  let mean = sum / f32(params.n);
  var sq = 0.0;
  for (var j = 0u; j < params.n; j = j + 1u) { let d = x[start + j] - mean; sq = sq + d * d; }
  return vec2f(mean, 1.0 / sqrt(sq / f32(params.n) + params.eps));
}`;

const FORWARD = `${paramsWgsl(SPEC)}
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> w: array<f32>;
@group(0) @binding(3) var<storage, read> b: array<f32>;
@group(0) @binding(4) var<storage, read_write> out: array<f32>;
${ROW_STATS}
@compute @workgroup_size(256)
fn main(${MAIN_ARGS}) {
  ${LINEAR_INDEX}
  if (i >= params.rows) { return; }
  let start = i * params.n;
  let s = row_stats(start);
  for (var j = 0u; j < params.n; j = j + 1u) {
    var y = (x[start + j] - s.x) * s.y;
    if (params.hasW == 1u) { y = y * w[j]; }
    if (params.hasB == 1u) { y = y + b[j]; }
    out[start + j] = y;
  }
}`;

// Pass 1: per row, its statistics (into stats) and, when wanted (hasB = 1 here means "dx wanted"), dx.
const BACKWARD_ROWS = `${paramsWgsl(SPEC)}
@group(0) @binding(1) var<storage, read> g: array<f32>;
@group(0) @binding(2) var<storage, read> x: array<f32>;
@group(0) @binding(3) var<storage, read> w: array<f32>;
@group(0) @binding(4) var<storage, read_write> dx: array<f32>;
@group(0) @binding(5) var<storage, read_write> stats: array<f32>;
${ROW_STATS}
@compute @workgroup_size(256)
fn main(${MAIN_ARGS}) {
  ${LINEAR_INDEX}
  if (i >= params.rows) { return; }
  let start = i * params.n;
  let s = row_stats(start);
  stats[2u * i] = s.x;
  stats[2u * i + 1u] = s.y;
  if (params.hasB == 0u) { return; }
  var s1 = 0.0;
  var s2 = 0.0;
  for (var j = 0u; j < params.n; j = j + 1u) {
    let xhat = (x[start + j] - s.x) * s.y;
    var gh = g[start + j];
    if (params.hasW == 1u) { gh = gh * w[j]; }
    s1 = s1 + gh;
    s2 = s2 + gh * xhat;
  }
  let m1 = s1 / f32(params.n);
  let m2 = s2 / f32(params.n);
  for (var j = 0u; j < params.n; j = j + 1u) {
    let xhat = (x[start + j] - s.x) * s.y;
    var gh = g[start + j];
    if (params.hasW == 1u) { gh = gh * w[j]; }
    dx[start + j] = s.y * (gh - m1 - xhat * m2);
  }
}`;

// Pass 2: per column j, dw = Σ g · x̂ and db = Σ g over the rows in order (hasW / hasB: which are wanted).
const BACKWARD_COLUMNS = `${paramsWgsl(SPEC)}
@group(0) @binding(1) var<storage, read> g: array<f32>;
@group(0) @binding(2) var<storage, read> x: array<f32>;
@group(0) @binding(3) var<storage, read> stats: array<f32>;
@group(0) @binding(4) var<storage, read_write> dw: array<f32>;
@group(0) @binding(5) var<storage, read_write> db: array<f32>;
@compute @workgroup_size(256)
fn main(${MAIN_ARGS}) {
  ${LINEAR_INDEX}
  if (i >= params.n) { return; }
  var aw = 0.0;
  var ab = 0.0;
  for (var r = 0u; r < params.rows; r = r + 1u) {
    let at = r * params.n + i;
    aw = aw + g[at] * (x[at] - stats[2u * r]) * stats[2u * r + 1u];
    ab = ab + g[at];
  }
  if (params.hasW == 1u) { dw[i] = aw; }
  if (params.hasB == 1u) { db[i] = ab; }
}`;

function checkRows(fn: string, x: GpuArray, rows: number, n: number): void {
  if (!Number.isInteger(rows) || rows < 0 || !Number.isInteger(n) || n < 1 || rows * n !== x.size)
    throw new ValueError(`${fn}: rows (${rows}) times n (${n}) must be x's ${x.size} elements, with n at least 1`);
}

/**
 * `layerNormKernel` on the GPU: each row of `n` elements normalised with its mean and biased variance,
 * times `w` and plus `b` (each null when absent).
 *
 * @example
 * ```ts
 * layerNormWebGpu(x, w, null, 1024, 64, 1e-5, out);
 * ```
 */
export function layerNormWebGpu(
  x: GpuArray,
  w: GpuArray | null,
  b: GpuArray | null,
  rows: number,
  n: number,
  eps: number,
  out: GpuArray,
): void {
  const fn = 'layerNormWebGpu';
  const context = checkArray(fn, 'x', x);
  checkRows(fn, x, rows, n);
  if (w !== null) checkArray(fn, 'w', w, n);
  if (b !== null) checkArray(fn, 'b', b, n);
  checkArray(fn, 'out', out, x.size);
  const none = context.createArray(1);
  context.dispatch(
    context.pipeline('layerNorm', () => FORWARD),
    [
      [x, 'read'],
      [w ?? none, 'read'],
      [b ?? none, 'read'],
      [out, 'write'],
    ],
    SPEC,
    [rows, n, eps, w === null ? 0 : 1, b === null ? 0 : 1],
    groupsFor(rows),
  );
  context.release(none);
}

/**
 * `layerNormBackwardKernel` on the GPU: `dx`, `dw` and `db` (each null when not wanted) from the upstream
 * gradient `g` and the input `x`, with the row statistics recomputed.
 *
 * @example
 * ```ts
 * layerNormBackwardWebGpu(g, x, w, 1024, 64, 1e-5, dx, dw, null);
 * ```
 */
export function layerNormBackwardWebGpu(
  g: GpuArray,
  x: GpuArray,
  w: GpuArray | null,
  rows: number,
  n: number,
  eps: number,
  dx: GpuArray | null,
  dw: GpuArray | null,
  db: GpuArray | null,
): void {
  const fn = 'layerNormBackwardWebGpu';
  const context = checkArray(fn, 'x', x);
  checkRows(fn, x, rows, n);
  checkArray(fn, 'g', g, x.size);
  if (w !== null) checkArray(fn, 'w', w, n);
  if (dx !== null) checkArray(fn, 'dx', dx, x.size);
  if (dw !== null) checkArray(fn, 'dw', dw, n);
  if (db !== null) checkArray(fn, 'db', db, n);
  const stats = context.createArray(Math.max(1, 2 * rows));
  const spare = [context.createArray(1), context.createArray(1), context.createArray(1)];
  context.dispatch(
    context.pipeline('layerNormBackwardRows', () => BACKWARD_ROWS),
    [
      [g, 'read'],
      [x, 'read'],
      [w ?? spare[0], 'read'],
      [dx ?? spare[1], 'write'],
      [stats, 'write'],
    ],
    SPEC,
    [rows, n, eps, w === null ? 0 : 1, dx === null ? 0 : 1],
    groupsFor(rows),
  );
  if (dw !== null || db !== null)
    context.dispatch(
      context.pipeline('layerNormBackwardColumns', () => BACKWARD_COLUMNS),
      [
        [g, 'read'],
        [x, 'read'],
        [stats, 'read'],
        [dw ?? spare[1], 'write'],
        [db ?? spare[2], 'write'],
      ],
      SPEC,
      [rows, n, eps, dw === null ? 0 : 1, db === null ? 0 : 1],
      groupsFor(n),
    );
  context.release(stats);
  for (const s of spare) context.release(s);
}
