import { ShapeError, ValueError } from '../../../errors';
import { broadcastShapes, shapeSize } from '../../../shape';
import type { GpuArray, ParamSpec } from '../context';
import { paramsWgsl } from '../context';
import { checkArray, checkShape } from './common';

// Matrix products on the GPU, tiled: a 16 x 16 workgroup computes a 16 x 16 tile of C, loading 16 x 16
// tiles of op(A) and op(B) into workgroup memory in turn. Transposed operands are read in place (only
// the index changes), ragged sizes are padded with zeros in the tiles, and a batch of products is one
// dispatch whose third dimension picks the product (each with its own offsets into A, B and C).
// Products are summed in float32 (the cpu kernel sums in doubles), in tile order.

const TILE = 16;

const SPEC: ParamSpec = [
  ['m', 'u32'],
  ['k', 'u32'],
  ['n', 'u32'],
  ['transA', 'u32'],
  ['transB', 'u32'],
  ['accumulate', 'u32'],
  ['batchBase', 'u32'],
];

const SOURCE = `${paramsWgsl(SPEC)}
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(3) var<storage, read_write> c: array<f32>;
// [aOffset, bOffset, cOffset] of each product of the batch
@group(0) @binding(4) var<storage, read> offsets: array<u32>;
var<workgroup> tileA: array<array<f32, ${TILE}>, ${TILE}>;
var<workgroup> tileB: array<array<f32, ${TILE}>, ${TILE}>;

@compute @workgroup_size(${TILE}, ${TILE})
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let m = params.m;
  let k = params.k;
  let n = params.n;
  let batch = params.batchBase + wid.z;
  let aBase = offsets[3u * batch];
  let bBase = offsets[3u * batch + 1u];
  let cBase = offsets[3u * batch + 2u];
  let row = wid.y * ${TILE}u + lid.y;
  let col = wid.x * ${TILE}u + lid.x;
  var acc = 0.0;
  for (var t = 0u; t < k; t = t + ${TILE}u) {
    let p = t + lid.x;
    var av = 0.0;
    if (row < m && p < k) {
      if (params.transA != 0u) { av = a[aBase + p * m + row]; } else { av = a[aBase + row * k + p]; }
    }
    tileA[lid.y][lid.x] = av;
    let q = t + lid.y;
    var bv = 0.0;
    if (q < k && col < n) {
      if (params.transB != 0u) { bv = b[bBase + col * k + q]; } else { bv = b[bBase + q * n + col]; }
    }
    tileB[lid.y][lid.x] = bv;
    workgroupBarrier();
    for (var s = 0u; s < ${TILE}u; s = s + 1u) {
      acc = acc + tileA[lid.y][s] * tileB[s][lid.x];
    }
    workgroupBarrier();
  }
  if (row < m && col < n) {
    let o = cBase + row * n + col;
    if (params.accumulate != 0u) { c[o] = c[o] + acc; } else { c[o] = acc; }
  }
}`;

function checkSizes(fn: string, m: number, k: number, n: number): void {
  for (const [name, v] of [
    ['m', m],
    ['k', k],
    ['n', n],
  ] as const)
    if (!Number.isInteger(v) || v < 0) throw new ValueError(`${fn}: ${name} must be a non-negative integer, got ${v}`);
}

/** Dispatch the products whose offsets `table` lists (3 per product), in chunks of at most 65535. */
function runProducts(
  a: GpuArray,
  b: GpuArray,
  out: GpuArray,
  table: Int32Array,
  m: number,
  k: number,
  n: number,
  transA: boolean,
  transB: boolean,
  accumulate: boolean,
): void {
  const context = a.context;
  const count = table.length / 3;
  if (m === 0 || n === 0 || count === 0) return;
  const pipeline = context.pipeline('matmul', () => SOURCE);
  const offsets = context.temporary(table);
  const maxZ = context.maxWorkgroupsPerDimension;
  const gx = Math.ceil(n / TILE);
  const gy = Math.ceil(m / TILE);
  for (let base = 0; base < count; base += maxZ) {
    const z = Math.min(maxZ, count - base);
    context.dispatch(
      pipeline,
      [
        [a, 'read'],
        [b, 'read'],
        [out, 'write'],
        [offsets, 'read'],
      ],
      SPEC,
      [m, k, n, transA ? 1 : 0, transB ? 1 : 0, accumulate ? 1 : 0, base],
      [gx, gy, z],
    );
  }
}

/**
 * `matmulKernel` on the GPU, with its arguments: `C = op(A) · op(B)` for one pair of matrices inside
 * larger arrays, `A` (`[m, k]`, or `[k, m]` when `transA`) at `aOffset`, `B` (`[k, n]`, or `[n, k]`
 * when `transB`) at `bOffset`, `C` (`[m, n]`) at `outOffset`, overwritten or, with `accumulate`, added
 * to. The transposes are read in place; sums are in float32.
 *
 * @example
 * ```ts
 * matmulWebGpu(a, 0, b, 0, c, 0, 2, 3, 4, false, false, false); // c = a (2x3) · b (3x4)
 * ```
 */
export function matmulWebGpu(
  a: GpuArray,
  aOffset: number,
  b: GpuArray,
  bOffset: number,
  out: GpuArray,
  outOffset: number,
  m: number,
  k: number,
  n: number,
  transA: boolean,
  transB: boolean,
  accumulate: boolean,
): void {
  const fn = 'matmulWebGpu';
  checkSizes(fn, m, k, n);
  checkArray(fn, 'a', a);
  checkArray(fn, 'b', b);
  checkArray(fn, 'out', out);
  if (aOffset < 0 || aOffset + m * k > a.size)
    throw new ShapeError(`${fn}: a (${a.size} elements) has no [${m}, ${k}] matrix at ${aOffset}`);
  if (bOffset < 0 || bOffset + k * n > b.size)
    throw new ShapeError(`${fn}: b (${b.size} elements) has no [${k}, ${n}] matrix at ${bOffset}`);
  if (outOffset < 0 || outOffset + m * n > out.size)
    throw new ShapeError(`${fn}: out (${out.size} elements) has no [${m}, ${n}] matrix at ${outOffset}`);
  runProducts(a, b, out, Int32Array.of(aOffset, bOffset, outOffset), m, k, n, transA, transB, accumulate);
}

/**
 * A batch of products in one dispatch, with `torch.matmul`'s batch broadcasting (what the matmul op
 * does around the cpu kernel): `a` is `[...aBatch, m, k]` (`[..., k, m]` when `transA`), `b` is
 * `[...bBatch, k, n]` (`[..., n, k]` when `transB`), and `out` is `[...broadcast(aBatch, bBatch), m, n]`,
 * overwritten.
 *
 * @example
 * ```ts
 * batchedMatmulWebGpu(a, [4, 1], b, [3], out, 5, 6, 7, false, true); // out: [4, 3, 5, 7]
 * ```
 */
export function batchedMatmulWebGpu(
  a: GpuArray,
  aBatch: readonly number[],
  b: GpuArray,
  bBatch: readonly number[],
  out: GpuArray,
  m: number,
  k: number,
  n: number,
  transA: boolean,
  transB: boolean,
): void {
  const fn = 'batchedMatmulWebGpu';
  checkSizes(fn, m, k, n);
  checkArray(fn, 'a', a, checkShape(fn, 'aBatch', aBatch) * m * k);
  checkArray(fn, 'b', b, checkShape(fn, 'bBatch', bBatch) * k * n);
  const batch = broadcastShapes(aBatch, bBatch, fn);
  const count = shapeSize(batch);
  checkArray(fn, 'out', out, count * m * n);
  const aStrides = batchStrides(aBatch, batch, m * k);
  const bStrides = batchStrides(bBatch, batch, k * n);
  const table = new Int32Array(3 * count);
  const index = new Array<number>(batch.length).fill(0);
  for (let i = 0; i < count; i++) {
    let ao = 0;
    let bo = 0;
    for (let d = 0; d < batch.length; d++) {
      ao += index[d] * aStrides[d];
      bo += index[d] * bStrides[d];
    }
    table[3 * i] = ao;
    table[3 * i + 1] = bo;
    table[3 * i + 2] = i * m * n;
    for (let d = batch.length - 1; d >= 0; d--) {
      if (++index[d] < batch[d]) break;
      index[d] = 0;
    }
  }
  runProducts(a, b, out, table, m, k, n, transA, transB, false);
}

/** Element strides of each batch dimension of an operand of batch shape `shape` broadcast to `batch` (0 where broadcast). */
function batchStrides(shape: readonly number[], batch: readonly number[], matSize: number): number[] {
  const strides = new Array<number>(batch.length).fill(0);
  const lead = batch.length - shape.length;
  let s = matSize;
  for (let d = shape.length - 1; d >= 0; d--) {
    strides[d + lead] = shape[d] === 1 ? 0 : s;
    s *= shape[d];
  }
  return strides;
}
