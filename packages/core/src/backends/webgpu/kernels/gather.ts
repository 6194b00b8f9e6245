// gather and scatterAdd along one axis with an int32 index array, as the cpu kernels in
// kernels/cpu/gather.ts. gather is one thread per index position. scatterAdd has no float atomics in WGSL,
// so it is one thread per output element, which adds the source elements whose index names it in the
// order of the index axis: the order in which the cpu kernel adds them, so the sums are the same bits.

import { ValueError } from '../../../errors';
import { contiguousStrides } from '../../../kernels/cpu/strided';
import { type GpuArray, LINEAR_INDEX, MAIN_ARGS, type ParamSpec, paramsWgsl } from '../context';
import { checkArray, checkShape, groupsFor } from './common';

const SPEC: ParamSpec = [
  ['n', 'u32'],
  ['rank', 'u32'],
  ['axis', 'u32'],
];

const GATHER = `${paramsWgsl(SPEC)}
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> index: array<i32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;
// [indexShape (rank), xStrides (rank)]
@group(0) @binding(4) var<storage, read> table: array<u32>;
@compute @workgroup_size(256)
fn main(${MAIN_ARGS}) {
  ${LINEAR_INDEX}
  if (i >= params.n) { return; }
  let rank = params.rank;
  var rest = i;
  var at = 0u;
  for (var d = rank; d > 0u; d = d - 1u) {
    let coord = rest % table[d - 1u];
    rest = rest / table[d - 1u];
    if (d - 1u != params.axis) { at = at + coord * table[rank + d - 1u]; }
  }
  at = at + u32(index[i]) * table[rank + params.axis];
  out[i] = x[at];
}`;

const SCATTER_ADD = `${paramsWgsl(SPEC)}
@group(0) @binding(1) var<storage, read_write> out: array<f32>;
@group(0) @binding(2) var<storage, read> index: array<i32>;
@group(0) @binding(3) var<storage, read> src: array<f32>;
// [outShape (rank), indexShape (rank), indexStrides (rank), srcStrides (rank)]
@group(0) @binding(4) var<storage, read> table: array<u32>;
@compute @workgroup_size(256)
fn main(${MAIN_ARGS}) {
  ${LINEAR_INDEX}
  if (i >= params.n) { return; }
  let rank = params.rank;
  let axis = params.axis;
  var rest = i;
  var ip = 0u;
  var sp = 0u;
  var want = 0;
  for (var d = rank; d > 0u; d = d - 1u) {
    let coord = rest % table[d - 1u];
    rest = rest / table[d - 1u];
    if (d - 1u == axis) {
      want = i32(coord);
    } else {
      // No index position has this coordinate: nothing lands here.
      if (coord >= table[rank + d - 1u]) { return; }
      ip = ip + coord * table[2u * rank + d - 1u];
      sp = sp + coord * table[3u * rank + d - 1u];
    }
  }
  var v = out[i];
  let len = table[rank + axis];
  for (var j = 0u; j < len; j = j + 1u) {
    if (index[ip + j * table[2u * rank + axis]] == want) { v = v + src[sp + j * table[3u * rank + axis]]; }
  }
  out[i] = v;
}`;

function checkAxis(fn: string, axis: number, rank: number): void {
  if (!Number.isInteger(axis) || axis < 0 || axis >= rank)
    throw new ValueError(`${fn}: axis must be an integer in [0, ${rank}), got ${axis}`);
}

/**
 * `gatherKernel` on the GPU: `out[p] = x[... index[p] (at axis) ...]` over the positions `p` of `index`
 * (indices already checked by the op; rank at least 1).
 *
 * @example
 * ```ts
 * gatherWebGpu(x, [2, 3], index, [2, 1], 1, out); // one element of each row
 * ```
 */
export function gatherWebGpu(
  x: GpuArray,
  xShape: readonly number[],
  index: GpuArray,
  indexShape: readonly number[],
  axis: number,
  out: GpuArray,
): void {
  const fn = 'gatherWebGpu';
  const context = checkArray(fn, 'x', x, checkShape(fn, 'xShape', xShape));
  const n = checkShape(fn, 'indexShape', indexShape);
  checkArray(fn, 'index', index, n, 'int32');
  checkArray(fn, 'out', out, n);
  if (indexShape.length !== xShape.length)
    throw new ValueError(`${fn}: index has rank ${indexShape.length} but x has rank ${xShape.length}`);
  checkAxis(fn, axis, xShape.length);
  const table = context.temporary(new Int32Array([...indexShape, ...contiguousStrides(xShape)]));
  context.dispatch(
    context.pipeline('gather', () => GATHER),
    [
      [x, 'read'],
      [index, 'read'],
      [out, 'write'],
      [table, 'read'],
    ],
    SPEC,
    [n, xShape.length, axis],
    groupsFor(n),
  );
}

/**
 * `scatterAddKernel` on the GPU, in place on `out`: `out[... index[p] (at axis) ...] += src[p]`, each
 * output element adding its sources in the index axis' order, as the cpu kernel does (rank at least 1).
 *
 * @example
 * ```ts
 * scatterAddWebGpu(out, [2, 3], index, [2, 1], src, [2, 1], 1);
 * ```
 */
export function scatterAddWebGpu(
  out: GpuArray,
  outShape: readonly number[],
  index: GpuArray,
  indexShape: readonly number[],
  src: GpuArray,
  srcShape: readonly number[],
  axis: number,
): void {
  const fn = 'scatterAddWebGpu';
  const context = checkArray(fn, 'out', out, checkShape(fn, 'outShape', outShape));
  checkArray(fn, 'index', index, checkShape(fn, 'indexShape', indexShape), 'int32');
  checkArray(fn, 'src', src, checkShape(fn, 'srcShape', srcShape));
  const rank = outShape.length;
  if (indexShape.length !== rank || srcShape.length !== rank)
    throw new ValueError(
      `${fn}: out, index and src must have one rank, got ${rank}, ${indexShape.length}, ${srcShape.length}`,
    );
  checkAxis(fn, axis, rank);
  const table = context.temporary(
    new Int32Array([...outShape, ...indexShape, ...contiguousStrides(indexShape), ...contiguousStrides(srcShape)]),
  );
  context.dispatch(
    context.pipeline('scatterAdd', () => SCATTER_ADD),
    [
      [out, 'write'],
      [index, 'read'],
      [src, 'read'],
      [table, 'read'],
    ],
    SPEC,
    [out.size, rank, axis],
    groupsFor(out.size),
  );
}

const SELECT_SPEC: ParamSpec = [
  ['total', 'u32'],
  ['size', 'u32'],
  ['inner', 'u32'],
  ['n', 'u32'],
];

const INDEX_SELECT = `${paramsWgsl(SELECT_SPEC)}
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> index: array<i32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;
@compute @workgroup_size(256)
fn main(${MAIN_ARGS}) {
  ${LINEAR_INDEX}
  if (i >= params.total) { return; }
  let k = i % params.inner;
  let j = (i / params.inner) % params.n;
  let o = i / (params.inner * params.n);
  out[i] = x[(o * params.size + u32(index[j])) * params.inner + k];
}`;

// One thread per element of out ([outer, size, inner]): it adds the source rows whose index names its row,
// in the order of the index, as the cpu kernel does.
const INDEX_ADD = `${paramsWgsl(SELECT_SPEC)}
@group(0) @binding(1) var<storage, read> src: array<f32>;
@group(0) @binding(2) var<storage, read> index: array<i32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;
@compute @workgroup_size(256)
fn main(${MAIN_ARGS}) {
  ${LINEAR_INDEX}
  if (i >= params.total) { return; }
  let k = i % params.inner;
  let row = i32((i / params.inner) % params.size);
  let o = i / (params.inner * params.size);
  var v = out[i];
  for (var j = 0u; j < params.n; j = j + 1u) {
    if (index[j] == row) { v = v + src[(o * params.n + j) * params.inner + k]; }
  }
  out[i] = v;
}`;

function checkSelect(fn: string, outer: number, size: number, inner: number): void {
  for (const [name, v] of [
    ['outer', outer],
    ['size', size],
    ['inner', inner],
  ] as const)
    if (!Number.isInteger(v) || v < 0) throw new ValueError(`${fn}: ${name} must be a non-negative integer, got ${v}`);
}

/**
 * `indexSelectKernel` on the GPU: `out[o, i, k] = x[o, index[i], k]` with x viewed as `[outer, size, inner]`
 * (indices already checked by the op).
 *
 * @example
 * ```ts
 * indexSelectWebGpu(x, 1, 65, 64, index, out); // rows of an embedding table
 * ```
 */
export function indexSelectWebGpu(
  x: GpuArray,
  outer: number,
  size: number,
  inner: number,
  index: GpuArray,
  out: GpuArray,
): void {
  const fn = 'indexSelectWebGpu';
  checkSelect(fn, outer, size, inner);
  const context = checkArray(fn, 'x', x, outer * size * inner);
  checkArray(fn, 'index', index, undefined, 'int32');
  const total = outer * index.size * inner;
  checkArray(fn, 'out', out, total);
  context.dispatch(
    context.pipeline('indexSelect', () => INDEX_SELECT),
    [
      [x, 'read'],
      [index, 'read'],
      [out, 'write'],
    ],
    SELECT_SPEC,
    [total, size, inner, index.size],
    groupsFor(total),
  );
}

/**
 * `indexAddKernel` on the GPU, in place on `out` (`[outer, size, inner]`): `out[o, index[i], k] += src[o, i, k]`,
 * each element adding its sources in the index's order, as the cpu kernel does.
 *
 * @example
 * ```ts
 * indexAddWebGpu(grad, 1, 65, 64, index, gradWeight);
 * ```
 */
export function indexAddWebGpu(
  src: GpuArray,
  outer: number,
  size: number,
  inner: number,
  index: GpuArray,
  out: GpuArray,
): void {
  const fn = 'indexAddWebGpu';
  checkSelect(fn, outer, size, inner);
  const context = checkArray(fn, 'out', out, outer * size * inner);
  checkArray(fn, 'index', index, undefined, 'int32');
  checkArray(fn, 'src', src, outer * index.size * inner);
  context.dispatch(
    context.pipeline('indexAdd', () => INDEX_ADD),
    [
      [src, 'read'],
      [index, 'read'],
      [out, 'write'],
    ],
    SELECT_SPEC,
    [out.size, size, inner, index.size],
    groupsFor(out.size),
  );
}
