import { ShapeError, ValueError } from '../../../errors';
import { broadcastStrides } from '../../../kernels/cpu/binary';
import type { Comparison } from '../../../kernels/cpu/elementwise';
import { type GpuArray, LINEAR_INDEX, MAIN_ARGS, type ParamSpec, paramsWgsl } from '../context';
import { checkArray, checkShape, groupsFor } from './common';
import { WGSL_MATH } from './wgsl-math';

// Binary elementwise kernels with NumPy broadcasting, each with the arguments of its cpu kernel in
// kernels/cpu/elementwise.ts: (a, aShape, b, bShape, out, outShape), `out` allocated by the caller for
// `outShape`. One shader per op: each thread finds its inputs' offsets from the output index and the
// broadcast strides (0 along a broadcast dimension), which a small table holds.

/** The binary ops, by the name of their cpu kernel's op (`shareMax`/`shareMin` are `extremumShareKernel`). */
export type BinaryOp =
  | 'add'
  | 'sub'
  | 'mul'
  | 'div'
  | 'pow'
  | 'maximum'
  | 'minimum'
  | 'shareMax'
  | 'shareMin'
  | Comparison;

const BODIES: Record<BinaryOp, string> = {
  add: 'x + y',
  sub: 'x - y',
  mul: 'x * y',
  div: 'x / y',
  pow: 'pow_f(x, y)',
  maximum: 'select(y, x, is_nan(x) || x > y)',
  minimum: 'select(y, x, is_nan(x) || x < y)',
  shareMax: 'select(select(select(0.0, 1.0, is_nan(x)), 0.5, x == y), 1.0, x > y)',
  shareMin: 'select(select(select(0.0, 1.0, is_nan(x)), 0.5, x == y), 1.0, x < y)',
  eq: 'select(0.0, 1.0, x == y)',
  ne: 'select(0.0, 1.0, x != y)',
  lt: 'select(0.0, 1.0, x < y)',
  le: 'select(0.0, 1.0, x <= y)',
  gt: 'select(0.0, 1.0, x > y)',
  ge: 'select(0.0, 1.0, x >= y)',
};

const SPEC: ParamSpec = [
  ['n', 'u32'],
  ['rank', 'u32'],
];

/**
 * WGSL statements setting `offsets[k]` (u32 variables) to the element of input k that output element `i` reads,
 * from the table `[outShape (rank), strides of input 0 (rank), strides of input 1, ...]` (0 along a broadcast
 * dimension).
 */
function offsetsWgsl(offsets: readonly string[]): string {
  return `let rank = params.rank;
  var rest = i;
  ${offsets.map((o) => `var ${o} = 0u;`).join(' ')}
  for (var d = rank; d > 0u; d = d - 1u) {
    let size = table[d - 1u];
    let coord = rest % size;
    rest = rest / size;
    ${offsets.map((o, k) => `${o} = ${o} + coord * table[${k + 1}u * rank + d - 1u];`).join('\n    ')}
  }`;
}

/**
 * Run a broadcasting kernel (its shader's bindings: the inputs in order, the output, then the table) over
 * `outShape`: check that every input's shape broadcasts to it (NumPy's rules) and pass the shader the table
 * `[outShape, then each input's broadcast strides]` that {@link offsetsWgsl} reads.
 */
function dispatchBroadcast(
  fn: string,
  pipeline: GPUComputePipeline,
  inputs: readonly (readonly [string, GpuArray, readonly number[]])[],
  out: GpuArray,
  outShape: readonly number[],
): void {
  const context = checkArray(fn, 'out', out, checkShape(fn, 'outShape', outShape));
  const rank = outShape.length;
  const table = new Int32Array((inputs.length + 1) * rank);
  table.set(outShape, 0);
  inputs.forEach(([name, , shape], k) => {
    if (shape.length > rank)
      throw new ShapeError(`${fn}: ${name} [${shape}] has more dimensions than outShape [${outShape}]`);
    shape.forEach((size, d) => {
      if (size !== 1 && size !== outShape[d + rank - shape.length])
        throw new ShapeError(`${fn}: ${name} [${shape}] does not broadcast to outShape [${outShape}]`);
    });
    table.set(broadcastStrides(shape, outShape), (k + 1) * rank);
  });
  context.dispatch(
    pipeline,
    [...inputs.map(([, array]) => [array, 'read'] as const), [out, 'write'], [context.temporary(table), 'read']],
    SPEC,
    [out.size, rank],
    groupsFor(out.size),
  );
}

function binarySource(op: BinaryOp): string {
  return `${paramsWgsl(SPEC)}
@group(0) @binding(1) var<storage, read> aIn: array<f32>;
@group(0) @binding(2) var<storage, read> bIn: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;
// [outShape (rank), aStrides (rank), bStrides (rank)]
@group(0) @binding(4) var<storage, read> table: array<u32>;
${WGSL_MATH}
@compute @workgroup_size(256)
fn main(${MAIN_ARGS}) {
  ${LINEAR_INDEX}
  if (i >= params.n) { return; }
  ${offsetsWgsl(['ai', 'bi'])}
  let x = aIn[ai];
  let y = bIn[bi];
  out[i] = ${BODIES[op]};
}`;
}

/**
 * Run the binary op `op` with broadcasting: `out[i] = op(a[...], b[...])` over `outShape`, with the
 * semantics of the op's cpu kernel (`addKernel`, `powKernel`, `maximumKernel` with NaN winning,
 * `compareKernel`'s 1 or 0, `extremumShareKernel`'s 1, 0.5 or 0 as `shareMax`/`shareMin`).
 *
 * @example
 * ```ts
 * binaryWebGpu('add', a, [2, 3], b, [3], out, [2, 3]); // b added to each row of a
 * ```
 */
export function binaryWebGpu(
  op: BinaryOp,
  a: GpuArray,
  aShape: readonly number[],
  b: GpuArray,
  bShape: readonly number[],
  out: GpuArray,
  outShape: readonly number[],
): void {
  const fn = `binaryWebGpu(${String(op)})`;
  if (!Object.hasOwn(BODIES, op))
    throw new ValueError(`binaryWebGpu: op must be one of ${Object.keys(BODIES).join(', ')}, got ${String(op)}`);
  const context = checkArray(fn, 'a', a, checkShape(fn, 'aShape', aShape));
  checkArray(fn, 'b', b, checkShape(fn, 'bShape', bShape));
  dispatchBroadcast(
    fn,
    context.pipeline(`binary:${op}`, () => binarySource(op)),
    [
      ['aShape', a, aShape],
      ['bShape', b, bShape],
    ],
    out,
    outShape,
  );
}

function whereSource(condType: 'f32' | 'i32'): string {
  return `${paramsWgsl(SPEC)}
@group(0) @binding(1) var<storage, read> cIn: array<${condType}>;
@group(0) @binding(2) var<storage, read> aIn: array<f32>;
@group(0) @binding(3) var<storage, read> bIn: array<f32>;
@group(0) @binding(4) var<storage, read_write> out: array<f32>;
// [outShape (rank), condStrides (rank), aStrides (rank), bStrides (rank)]
@group(0) @binding(5) var<storage, read> table: array<u32>;
@compute @workgroup_size(256)
fn main(${MAIN_ARGS}) {
  ${LINEAR_INDEX}
  if (i >= params.n) { return; }
  ${offsetsWgsl(['ci', 'ai', 'bi'])}
  // The value not chosen is not read into the result at all (no arithmetic): Inf and NaN stay out of it.
  out[i] = select(bIn[bi], aIn[ai], cIn[ci] != ${condType === 'f32' ? '0.0' : '0'});
}`;
}

/**
 * `where` with broadcasting, as the cpu kernel `whereKernel`: `out[i] = cond[...] != 0 ? a[...] : b[...]`
 * over `outShape`, for a float32 or int32 condition and float32 values.
 *
 * @example
 * ```ts
 * whereWebGpu(mask, [4], a, [4], zero, [], out, [4]); // a where mask is non-zero, else 0
 * ```
 */
export function whereWebGpu(
  cond: GpuArray,
  condShape: readonly number[],
  a: GpuArray,
  aShape: readonly number[],
  b: GpuArray,
  bShape: readonly number[],
  out: GpuArray,
  outShape: readonly number[],
): void {
  const fn = 'whereWebGpu';
  const condType = cond !== null && typeof cond === 'object' && cond.dtype === 'int32' ? 'i32' : 'f32';
  const context = checkArray(
    fn,
    'cond',
    cond,
    checkShape(fn, 'condShape', condShape),
    condType === 'i32' ? 'int32' : 'float32',
  );
  checkArray(fn, 'a', a, checkShape(fn, 'aShape', aShape));
  checkArray(fn, 'b', b, checkShape(fn, 'bShape', bShape));
  const pipeline = context.pipeline(`where:${condType}`, () => whereSource(condType));
  dispatchBroadcast(
    fn,
    pipeline,
    [
      ['condShape', cond, condShape],
      ['aShape', a, aShape],
      ['bShape', b, bShape],
    ],
    out,
    outShape,
  );
}
