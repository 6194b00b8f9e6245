// Strided copies: the kernels of slice, its gradient and pad (a slice assigned into a background), and
// permute, as the cpu kernels compute them with `stridedCopy`. One WGSL kernel walks an iteration shape and
// copies src[srcOffset + Σ coord · srcStride] to out[dstOffset + Σ coord · dstStride].

import { ValueError } from '../../../errors';
import { contiguousStrides } from '../../../kernels/cpu/strided';
import { type GpuArray, LINEAR_INDEX, MAIN_ARGS, type ParamSpec, paramsWgsl } from '../context';
import { checkArray, checkShape, groupsFor } from './common';

const SPEC: ParamSpec = [
  ['count', 'u32'],
  ['rank', 'u32'],
  ['srcOffset', 'i32'],
  ['dstOffset', 'i32'],
];

const STRIDED_COPY = `${paramsWgsl(SPEC)}
@group(0) @binding(1) var<storage, read> src: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;
// [shape (rank), srcStrides (rank), dstStrides (rank)]
@group(0) @binding(3) var<storage, read> table: array<i32>;
@compute @workgroup_size(256)
fn main(${MAIN_ARGS}) {
  ${LINEAR_INDEX}
  if (i >= params.count) { return; }
  let rank = params.rank;
  var rest = i;
  var s = params.srcOffset;
  var d = params.dstOffset;
  for (var k = rank; k > 0u; k = k - 1u) {
    let size = u32(table[k - 1u]);
    let coord = i32(rest % size);
    rest = rest / size;
    s = s + coord * table[rank + k - 1u];
    d = d + coord * table[2u * rank + k - 1u];
  }
  out[u32(d)] = src[u32(s)];
}`;

function stridedCopy(
  fn: string,
  src: GpuArray,
  srcOffset: number,
  srcStrides: readonly number[],
  out: GpuArray,
  dstOffset: number,
  dstStrides: readonly number[],
  shape: readonly number[],
): void {
  const count = checkShape(fn, 'shape', shape);
  const context = src.context;
  const table = context.temporary(new Int32Array([...shape, ...srcStrides, ...dstStrides]));
  context.dispatch(
    context.pipeline('stridedCopy', () => STRIDED_COPY),
    [
      [src, 'read'],
      [out, 'write'],
      [table, 'read'],
    ],
    SPEC,
    [count, shape.length, srcOffset, dstOffset],
    groupsFor(count),
  );
}

function checkRank(fn: string, name: string, values: readonly number[], rank: number): void {
  if (values.length !== rank)
    throw new ValueError(`${fn}: ${name} has ${values.length} entries, expected one per dimension (${rank})`);
}

/**
 * `sliceKernel` on the GPU: `out` (of `outShape`) takes `src[starts[d] + i · steps[d]]` along every axis.
 *
 * @example
 * ```ts
 * sliceWebGpu(src, [6, 9], [1, 0], [1, 2], out, [4, 5]); // rows 1..4, every other column
 * ```
 */
export function sliceWebGpu(
  src: GpuArray,
  shape: readonly number[],
  starts: readonly number[],
  steps: readonly number[],
  out: GpuArray,
  outShape: readonly number[],
): void {
  const fn = 'sliceWebGpu';
  checkArray(fn, 'src', src, checkShape(fn, 'shape', shape));
  checkArray(fn, 'out', out, checkShape(fn, 'outShape', outShape));
  for (const [name, v] of [
    ['starts', starts],
    ['steps', steps],
    ['outShape', outShape],
  ] as const)
    checkRank(fn, name, v, shape.length);
  const strides = contiguousStrides(shape);
  const offset = starts.reduce((acc, s, d) => acc + s * strides[d], 0);
  stridedCopy(
    fn,
    src,
    offset,
    strides.map((s, d) => s * steps[d]),
    out,
    0,
    contiguousStrides(outShape),
    outShape,
  );
}

/**
 * `sliceAssignKernel` on the GPU: writes `src` (of `srcShape`) into `out` (of `outShape`, holding the
 * background) at `starts[d] + i · steps[d]`; the rest of `out` is left as it is.
 *
 * @example
 * ```ts
 * sliceAssignWebGpu(src, [3, 4], out, [4, 7], [1, 2], [1, 1]); // pad's interior
 * ```
 */
export function sliceAssignWebGpu(
  src: GpuArray,
  srcShape: readonly number[],
  out: GpuArray,
  outShape: readonly number[],
  starts: readonly number[],
  steps: readonly number[],
): void {
  const fn = 'sliceAssignWebGpu';
  checkArray(fn, 'src', src, checkShape(fn, 'srcShape', srcShape));
  checkArray(fn, 'out', out, checkShape(fn, 'outShape', outShape));
  for (const [name, v] of [
    ['srcShape', srcShape],
    ['starts', starts],
    ['steps', steps],
  ] as const)
    checkRank(fn, name, v, outShape.length);
  const strides = contiguousStrides(outShape);
  const offset = starts.reduce((acc, s, d) => acc + s * strides[d], 0);
  stridedCopy(
    fn,
    src,
    0,
    contiguousStrides(srcShape),
    out,
    offset,
    strides.map((s, d) => s * steps[d]),
    srcShape,
  );
}

/**
 * `permuteKernel` on the GPU: `out` holds `src` (of `shape`) with its axes in the order `perm`.
 *
 * @example
 * ```ts
 * permuteWebGpu(src, [2, 3, 4], [2, 0, 1], out); // out has shape [4, 2, 3]
 * ```
 */
export function permuteWebGpu(src: GpuArray, shape: readonly number[], perm: readonly number[], out: GpuArray): void {
  const fn = 'permuteWebGpu';
  const size = checkShape(fn, 'shape', shape);
  checkArray(fn, 'src', src, size);
  checkArray(fn, 'out', out, size);
  checkRank(fn, 'perm', perm, shape.length);
  const inStrides = contiguousStrides(shape);
  const outShape = perm.map((p) => shape[p]);
  stridedCopy(
    fn,
    src,
    0,
    perm.map((p) => inStrides[p]),
    out,
    0,
    contiguousStrides(outShape),
    outShape,
  );
}
