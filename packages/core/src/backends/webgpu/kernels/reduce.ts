import { ValueError } from '../../../errors';
import { type ReduceKind, reduceLayout } from '../../../kernels/cpu/reduce';
import { type GpuArray, MAIN_ARGS, type ParamSpec, paramsWgsl } from '../context';
import { checkArray, checkShape } from './common';
import { mapUnaryWebGpu } from './elementwise';
import { WGSL_MATH } from './wgsl-math';

// Reductions on the GPU (softmax is in ./softmax.ts). One 256-thread workgroup per output element: each
// thread folds a strided share of the reduced elements, then the workgroup combines its
// 256 partial results in a tree in workgroup memory (128 + 128, 64 + 64, ...), so any size works and
// inactive threads contribute the identity. Sums are in float32 and in tree order (the cpu kernels sum
// in doubles, in index order).

const REDUCE_SPEC: ParamSpec = [
  ['outCount', 'u32'],
  ['redCount', 'u32'],
  ['keptRank', 'u32'],
  ['redRank', 'u32'],
  ['divisor', 'f32'],
];

/** Per kind: the identity, how an element enters (`v` from `x`), and how two partial results combine. */
const KINDS: Record<ReduceKind, { init: string; map: string; combine: string }> = {
  sum: { init: '0.0', map: 'x', combine: 'p + q' },
  prod: { init: '1.0', map: 'x', combine: 'p * q' },
  max: { init: '-inf_f()', map: 'x', combine: 'select(p, q, q > p || is_nan(q))' },
  min: { init: 'inf_f()', map: 'x', combine: 'select(p, q, q < p || is_nan(q))' },
  sumAbs: { init: '0.0', map: 'abs(x)', combine: 'p + q' },
  sumSquares: { init: '0.0', map: 'x * x', combine: 'p + q' },
  maxAbs: { init: '-inf_f()', map: 'abs(x)', combine: 'select(p, q, q > p || is_nan(q))' },
  minAbs: { init: 'inf_f()', map: 'abs(x)', combine: 'select(p, q, q < p || is_nan(q))' },
};

/**
 * The WGSL of one reduction: `body` runs in every thread of the workgroup of output `o`, with `base` the
 * input offset of its first element, `red_offset(base, r)` that of its reduced element `r`, and
 * `tree(v, combine)` helpers declared by the caller.
 */
function reductionSource(helpers: string, body: string): string {
  return `${paramsWgsl(REDUCE_SPEC)}
@group(0) @binding(1) var<storage, read> xIn: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;
// [keptSizes, keptStrides, redSizes, redStrides]
@group(0) @binding(3) var<storage, read> table: array<u32>;
var<workgroup> partial: array<f32, 256>;
${WGSL_MATH}
${helpers}
fn red_offset(base: u32, r: u32) -> u32 {
  let kr = params.keptRank;
  let rr = params.redRank;
  var off = base;
  var rem = r;
  for (var d = rr; d > 0u; d = d - 1u) {
    let size = table[2u * kr + d - 1u];
    off = off + (rem % size) * table[2u * kr + rr + d - 1u];
    rem = rem / size;
  }
  return off;
}

@compute @workgroup_size(256)
fn main(${MAIN_ARGS}) {
  let o = wid.y * nwg.x + wid.x;
  let kr = params.keptRank;
  var base = 0u;
  var rest = o;
  for (var d = kr; d > 0u; d = d - 1u) {
    let size = table[d - 1u];
    base = base + (rest % size) * table[kr + d - 1u];
    rest = rest / size;
  }
  let live = o < params.outCount;
  ${body}
}`;
}

function reduceSource(kind: ReduceKind): string {
  const { init, map, combine } = KINDS[kind];
  return reductionSource(
    `fn combine(p: f32, q: f32) -> f32 { return ${combine}; }`,
    `var acc = ${init};
  if (live) {
    for (var r = lid.x; r < params.redCount; r = r + 256u) {
      let x = xIn[red_offset(base, r)];
      acc = combine(acc, ${map});
    }
  }
  partial[lid.x] = acc;
  workgroupBarrier();
  for (var s = 128u; s > 0u; s = s >> 1u) {
    if (lid.x < s) { partial[lid.x] = combine(partial[lid.x], partial[lid.x + s]); }
    workgroupBarrier();
  }
  if (lid.x == 0u && live) { out[o] = partial[0] / params.divisor; }`,
  );
}

// The variance in two passes within the workgroup: the mean (a tree sum over the count), then the tree sum
// of the squared deviations from it, divided by the divisor (count - correction).
function varianceSource(): string {
  return reductionSource(
    `fn tree_sum(v: f32, t: u32) -> f32 {
  partial[t] = v;
  workgroupBarrier();
  for (var w = 128u; w > 0u; w = w >> 1u) {
    if (t < w) { partial[t] = partial[t] + partial[t + w]; }
    workgroupBarrier();
  }
  let total = partial[0];
  workgroupBarrier();
  return total;
}`,
    `var s = 0.0;
  if (live) { for (var r = lid.x; r < params.redCount; r = r + 256u) { s = s + xIn[red_offset(base, r)]; } }
  let mean = tree_sum(s, lid.x) / f32(params.redCount);
  var q = 0.0;
  if (live) {
    for (var r = lid.x; r < params.redCount; r = r + 256u) {
      let d = xIn[red_offset(base, r)] - mean;
      q = q + d * d;
    }
  }
  let total = tree_sum(q, lid.x);
  if (lid.x == 0u && live) { out[o] = total / params.divisor; }`,
  );
}

/**
 * `reduceKernel` on the GPU, with its arguments: reduce `x` (of `shape`) over the sorted, distinct `axes`
 * into `out` (the reduced shape), dividing each result by `divisor` (1 except for a mean). NaN wins in
 * max and min, as in the cpu kernel.
 *
 * @example
 * ```ts
 * reduceWebGpu('sum', x, [4, 5, 6], [0, 2], out); // out: [5]
 * reduceWebGpu('sum', x, [4, 5, 6], [1], out, 5); // the mean over axis 1, out: [4, 6]
 * reduceWebGpu('variance', x, [4, 5, 6], [1], out, 4); // the unbiased variance over axis 1
 * ```
 */
export function reduceWebGpu(
  kind: ReduceKind | 'variance',
  x: GpuArray,
  shape: readonly number[],
  axes: readonly number[],
  out: GpuArray,
  divisor = 1,
): void {
  const fn = `reduceWebGpu(${String(kind)})`;
  if (kind !== 'variance' && !Object.hasOwn(KINDS, kind))
    throw new ValueError(
      `reduceWebGpu: kind must be one of ${Object.keys(KINDS).join(', ')} or variance, got ${String(kind)}`,
    );
  const context = checkArray(fn, 'x', x, checkShape(fn, 'shape', shape));
  axes.forEach((axis, i) => {
    if (!Number.isInteger(axis) || axis < 0 || axis >= shape.length || (i > 0 && axis <= axes[i - 1]))
      throw new ValueError(`${fn}: axes must be sorted, distinct axes of a ${shape.length}-d shape, got [${axes}]`);
  });
  let outCount = 1;
  for (let d = 0; d < shape.length; d++) if (!axes.includes(d)) outCount *= shape[d];
  checkArray(fn, 'out', out, outCount);
  if (outCount === 0) return;
  // Merged dimensions (size-1 ones dropped), with the input stride of each.
  const { sizes, reduced } = reduceLayout(shape, axes);
  const strides = new Array<number>(sizes.length);
  let s = 1;
  for (let d = sizes.length - 1; d >= 0; d--) {
    strides[d] = s;
    s *= sizes[d];
  }
  const kept = sizes.map((_, d) => d).filter((d) => !reduced[d]);
  const red = sizes.map((_, d) => d).filter((d) => reduced[d]);
  const redCount = red.reduce((p, d) => p * sizes[d], 1);
  const table = Int32Array.from([
    ...kept.map((d) => sizes[d]),
    ...kept.map((d) => strides[d]),
    ...red.map((d) => sizes[d]),
    ...red.map((d) => strides[d]),
  ]);
  const pipeline = context.pipeline(`reduce:${kind}`, () =>
    kind === 'variance' ? varianceSource() : reduceSource(kind),
  );
  context.dispatch(
    pipeline,
    [
      [x, 'read'],
      [out, 'write'],
      [context.temporary(table), 'read'],
    ],
    REDUCE_SPEC,
    [outCount, redCount, kept.length, red.length, divisor],
    outCount,
  );
}

/** `sumKernel` on the GPU. @example sumWebGpu(x, [2, 3], [1], out); */
export function sumWebGpu(x: GpuArray, shape: readonly number[], axes: readonly number[], out: GpuArray): void {
  reduceWebGpu('sum', x, shape, axes, out);
}

/** `meanKernel` on the GPU: the sum divided by `count`, the number of elements in each reduced group. @example meanWebGpu(x, [2, 3], [0], out, 2); */
export function meanWebGpu(
  x: GpuArray,
  shape: readonly number[],
  axes: readonly number[],
  out: GpuArray,
  count: number,
): void {
  reduceWebGpu('sum', x, shape, axes, out, count);
}

/**
 * `varianceKernel` on the GPU: per group, the sum of squared deviations from the group's mean, divided by
 * `divisor` (the count minus the correction). Two passes in one workgroup, each a float32 tree sum (the cpu
 * kernel sums in doubles).
 *
 * @example
 * ```ts
 * varianceWebGpu(x, [8, 4, 3, 3], [0, 2, 3], out, 72); // batch norm's biased variance per channel
 * ```
 */
export function varianceWebGpu(
  x: GpuArray,
  shape: readonly number[],
  axes: readonly number[],
  out: GpuArray,
  divisor: number,
): void {
  reduceWebGpu('variance', x, shape, axes, out, divisor);
}

/**
 * `normKernel` on the GPU for `p` = 1, 2 or ±Infinity (the sum of absolute values, the square root of the
 * sum of squares, the largest or smallest absolute value), float32 tree sums. The other orders stay on the
 * cpu kernel (see the adapter's condition).
 *
 * @example
 * ```ts
 * normWebGpu(x, [4, 5], [0, 1], 2, out); // the Frobenius norm, out: [1]
 * ```
 */
export function normWebGpu(
  x: GpuArray,
  shape: readonly number[],
  axes: readonly number[],
  p: number,
  out: GpuArray,
): void {
  const direct: Record<string, ReduceKind> = { 1: 'sumAbs', Infinity: 'maxAbs', '-Infinity': 'minAbs' };
  const kind = direct[String(p)];
  if (kind !== undefined) {
    reduceWebGpu(kind, x, shape, axes, out);
    return;
  }
  if (p !== 2) throw new ValueError(`normWebGpu: p must be 1, 2 or ±Infinity, got ${p}`);
  const squares = x.context.createArray(out.size);
  reduceWebGpu('sumSquares', x, shape, axes, squares);
  mapUnaryWebGpu('sqrt', squares, out);
  x.context.release(squares);
}

/** `maxKernel` on the GPU (NaN wins). @example maxWebGpu(x, [2, 3], [1], out); */
export function maxWebGpu(x: GpuArray, shape: readonly number[], axes: readonly number[], out: GpuArray): void {
  reduceWebGpu('max', x, shape, axes, out);
}

/** `minKernel` on the GPU (NaN wins). @example minWebGpu(x, [2, 3], [1], out); */
export function minWebGpu(x: GpuArray, shape: readonly number[], axes: readonly number[], out: GpuArray): void {
  reduceWebGpu('min', x, shape, axes, out);
}
