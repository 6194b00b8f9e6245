import { allocate, type TypedArray } from '../dtype';
import { IndexError, ValueError } from '../errors';
import { sliceAssignKernel, sliceKernel } from '../kernels/cpu/slice';
import { resolveKernel } from '../kernels/registry';
import { registerOp } from '../op';
import { normalizeAxis, shapeSize, shapesEqual } from '../shape';
import { Tensor } from '../tensor';

/**
 * Which elements {@link slice} keeps: one `[start, stop, step]` entry per leading axis, with Python's
 * meaning (`start` defaults to 0, `stop` to the axis size, `step` to 1; negative `start`/`stop` count
 * from the end; out-of-range bounds are clamped). A missing, `null` or `undefined` entry keeps the
 * whole axis, and so do the axes after the last entry.
 */
export type SliceSpec = ReadonlyArray<
  readonly [start?: number | null, stop?: number | null, step?: number] | null | undefined
>;

/** The resolved form of a slice: the first index and the step on every axis, and the result's shape. */
interface SliceAttrs {
  readonly starts: readonly number[];
  readonly steps: readonly number[];
  /** The sliced shape (the output of `slice`, the input of `sliceBackward`). */
  readonly shape: readonly number[];
  /** The shape being sliced (the input of `slice`, the output of `sliceBackward`). */
  readonly full: readonly number[];
}

const sliceOp: (inputs: readonly Tensor[], attrs: SliceAttrs) => Tensor = registerOp<SliceAttrs>({
  name: 'slice',
  saves: { inputs: [], output: false },
  forward: ([x], attrs) => {
    if (shapesEqual(attrs.shape, x.shape)) return x;
    const out = allocate(x.dtype, shapeSize(attrs.shape), false);
    resolveKernel('slice', sliceKernel)(x._array, x.shape, attrs.starts, attrs.steps, out, attrs.shape);
    return new Tensor(out, attrs.shape, x.dtype);
  },
  backward: (g, { attrs }) => [sliceBackwardOp([g], attrs)],
});

/** The rows, row length, and covered range of a slice that differs from the full shape on one axis with step 1. */
interface Block {
  readonly outer: number;
  readonly row: number;
  readonly begin: number;
  readonly end: number;
}

/** The block a step-1 slice along a single axis covers in each outer row, or null for other slices. */
function contiguousBlock(attrs: SliceAttrs): Block | null {
  let axis = -1;
  for (let d = 0; d < attrs.full.length; d++) {
    if (attrs.shape[d] === attrs.full[d]) continue;
    if (axis >= 0 || attrs.steps[d] !== 1) return null;
    axis = d;
  }
  if (axis < 0) return null;
  let outer = 1;
  for (let d = 0; d < axis; d++) outer *= attrs.full[d];
  let inner = 1;
  for (let d = axis + 1; d < attrs.full.length; d++) inner *= attrs.full[d];
  return {
    outer,
    row: attrs.full[axis] * inner,
    begin: attrs.starts[axis] * inner,
    end: (attrs.starts[axis] + attrs.shape[axis]) * inner,
  };
}

/** Zero every element of `out` outside the block of each row (the slice's own elements are written next). */
function zeroAround(out: TypedArray, { outer, row, begin, end }: Block): void {
  for (let o = 0; o < outer; o++) {
    const base = o * row;
    if (begin > 0) out.fill(0, base, base + begin);
    if (end < row) out.fill(0, base + end, base + row);
  }
}

/** Slice's VJP: the gradient scattered into zeros of the sliced tensor's shape. Its own VJP is the slice. */
const sliceBackwardOp: (inputs: readonly Tensor[], attrs: SliceAttrs) => Tensor = registerOp<SliceAttrs>({
  name: 'sliceBackward',
  saves: { inputs: [], output: false },
  forward: ([g], attrs) => {
    if (shapesEqual(attrs.shape, attrs.full)) return g;
    const block = contiguousBlock(attrs);
    const out = allocate(g.dtype, shapeSize(attrs.full), block === null);
    // A slice along one axis with step 1 covers one block of each outer row: zero only around it.
    if (block !== null) zeroAround(out, block);
    resolveKernel('sliceBackward', sliceAssignKernel)(g._array, g.shape, out, attrs.full, attrs.starts, attrs.steps);
    return new Tensor(out, attrs.full, g.dtype);
  },
  backward: (gg, { attrs }) => [sliceOp([gg], attrs)],
});

/** Resolve one Python-style slice bound against an axis of `n` elements (step > 0). */
function resolveBound(fn: string, what: string, value: number | null | undefined, fallback: number, n: number): number {
  if (value === null || value === undefined) return fallback;
  if (!Number.isInteger(value)) throw new ValueError(`${fn}: slice ${what} must be an integer or null, got ${value}`);
  const v = value < 0 ? value + n : value;
  return Math.min(Math.max(v, 0), n);
}

function resolveSpec(fn: string, x: Tensor, spec: SliceSpec): SliceAttrs {
  if (!Array.isArray(spec)) throw new ValueError(`${fn}: spec must be an array of [start, stop, step] entries`);
  if (spec.length > x.ndim)
    throw new IndexError(`${fn}: too many indices: ${spec.length} slice entries for a tensor of ${x.ndim} dims`);
  const starts: number[] = [];
  const steps: number[] = [];
  const shape: number[] = [];
  for (let d = 0; d < x.ndim; d++) {
    const n = x.shape[d];
    const entry = d < spec.length ? spec[d] : undefined;
    if (entry === null || entry === undefined) {
      starts.push(0);
      steps.push(1);
      shape.push(n);
      continue;
    }
    if (!Array.isArray(entry))
      throw new ValueError(
        `${fn}: spec[${d}] must be a [start, stop, step] array or null, got ${JSON.stringify(entry)}`,
      );
    const step = entry[2] ?? 1;
    if (!Number.isInteger(step) || step <= 0)
      throw new ValueError(`${fn}: spec[${d}] step must be a positive integer, got ${step}`);
    const start = resolveBound(fn, `spec[${d}] start`, entry[0], 0, n);
    const stop = resolveBound(fn, `spec[${d}] stop`, entry[1], n, n);
    starts.push(start);
    steps.push(step);
    shape.push(stop > start ? Math.ceil((stop - start) / step) : 0);
  }
  return { starts, steps, shape, full: [...x.shape] };
}

/**
 * Basic slicing, like Python's `x[a:b:c, ...]` on a PyTorch tensor: keep, on each leading axis, the
 * elements `start, start + step, ...` before `stop` (see {@link SliceSpec}). `step` must be a positive
 * integer. The result is a copy, except when it keeps everything.
 *
 * Gradient: the upstream gradient placed at the kept positions of a zero tensor of `x`'s shape.
 *
 * @example
 * ```ts
 * const x = arange(12).reshape([3, 4]);
 * slice(x, [[1], [null, null, 2]]).toArray(); // x[1:, ::2] = [[4, 6], [8, 10]]
 * slice(x, [null, [-1]]).toArray(); // x[:, -1:] = [[3], [7], [11]]
 * ```
 */
export function slice(x: Tensor, spec: SliceSpec): Tensor {
  if (!(x instanceof Tensor)) throw new ValueError(`slice: x must be a Tensor, got ${typeof x}`);
  const attrs = resolveSpec('slice', x, spec);
  if (shapesEqual(attrs.shape, x.shape) && !x.requiresGrad) return x;
  return sliceOp([x], attrs);
}

/**
 * The elements `start` to `stop` (exclusive, already within `[0, size]`) of `x` along `axis`, like
 * `torch.narrow`; shared by concat's, split's and pad's implementations.
 *
 * @example
 * ```ts
 * narrow(arange(6).reshape([2, 3]), 1, 1, 3).toArray(); // [[1, 2], [4, 5]]
 * ```
 */
export function narrow(x: Tensor, axis: number, start: number, stop: number): Tensor {
  const a = normalizeAxis(axis, x.ndim, 'narrow');
  if (!Number.isInteger(start) || !Number.isInteger(stop) || start < 0 || stop < start || stop > x.shape[a])
    throw new IndexError(`narrow: range [${start}, ${stop}) is out of bounds for axis ${a} of size ${x.shape[a]}`);
  const starts = x.shape.map(() => 0);
  const steps = x.shape.map(() => 1);
  const shape = [...x.shape];
  starts[a] = start;
  shape[a] = stop - start;
  if (shapesEqual(shape, x.shape) && !x.requiresGrad) return x;
  return sliceOp([x], { starts, steps, shape, full: [...x.shape] });
}

/**
 * Slice with per-axis `starts` and `sizes` (step 1, already within bounds) on every axis: the crop
 * used by pad's backward and by negative padding.
 *
 * @example
 * ```ts
 * crop(arange(6).reshape([2, 3]), [0, 1], [2, 2]).toArray(); // [[1, 2], [4, 5]]
 * ```
 */
export function crop(x: Tensor, starts: readonly number[], sizes: readonly number[]): Tensor {
  const shape = [...sizes];
  if (shapesEqual(shape, x.shape) && !x.requiresGrad) return x;
  return sliceOp([x], { starts: [...starts], steps: x.shape.map(() => 1), shape, full: [...x.shape] });
}
