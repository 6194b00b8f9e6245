import type { TypedArray } from '../../dtype';
import {
  eluKernel,
  leakyReluBackwardKernel,
  leakyReluKernel,
  reluKernel,
  sigmoidBackwardKernel,
  sigmoidKernel,
  siluBackwardKernel,
  siluKernel,
  softplusKernel,
  tanhBackwardKernel,
  tanhKernel,
  thresholdBackwardKernel,
} from '../../kernels/cpu/activations';
import type { BinaryKernel } from '../../kernels/cpu/binary';
import {
  addKernel,
  clampBackwardKernel,
  clampKernel,
  divKernel,
  maximumKernel,
  minimumKernel,
  mulKernel,
  powScalarKernel,
  subKernel,
} from '../../kernels/cpu/elementwise';
import { mapUnary } from '../../kernels/cpu/unary';
import { registerKernel } from '../../kernels/registry';
import { alignBytes, MAX_OPERAND_BYTES, type WasmHeap } from './memory';
import { registerReduceKernels } from './reduce-kernels';
import type { WasmRuntime } from './runtime';

// Exports of scripts/wasm/elementwise.mjs (pointers are byte addresses, counts in elements).
type Map1 = (x: number, out: number, n: number, p0?: number, p1?: number) => void;
type Map2 = (a: number, b: number, out: number, n: number, p0?: number, p1?: number) => void;
type Binary = (
  a: number,
  ars: number,
  acs: number,
  b: number,
  brs: number,
  bcs: number,
  out: number,
  rows: number,
  cols: number,
) => void;

interface ElementwiseExports {
  ew_relu: Map1;
  ew_leaky_relu: Map1;
  ew_clamp: Map1;
  ew_neg: Map1;
  ew_abs: Map1;
  ew_square: Map1;
  ew_sqrt: Map1;
  ew_reciprocal: Map1;
  ew_rsqrt: Map1;
  ew_exp: Map1;
  ew_sigmoid: Map1;
  ew_silu: Map1;
  ew_tanh: Map1;
  ew_elu: Map1;
  ew_softplus: Map1;
  ew_threshold_backward: Map2;
  ew_leaky_relu_backward: Map2;
  ew_clamp_backward: Map2;
  ew_sigmoid_backward: Map2;
  ew_tanh_backward: Map2;
  ew_silu_backward: Map2;
  ew_add: Binary;
  ew_sub: Binary;
  ew_mul: Binary;
  ew_div: Binary;
  ew_maximum: Binary;
  ew_minimum: Binary;
}

/**
 * Size limits (elements of the output, or of the input for reductions) of the wasm elementwise kernels.
 * Below `minElements` the cpu kernel runs: the call costs more than the loop. Operands that live in
 * JavaScript memory are copied into the arena (and the result out) only from `copy[family]` elements,
 * where measured to beat the cpu kernel; below it such calls run the cpu kernel. Internal (tests lower
 * them to reach the wasm kernels at every size).
 *
 * @example
 * ```ts
 * ELEMENTWISE_LIMITS.copy.binary; // 256: add() of two 256-element JavaScript arrays copies them
 * ```
 */
export const ELEMENTWISE_LIMITS = {
  minElements: 64,
  copy: { binary: 256, cheap: 256, exp: 64, reduce: 256 },
};

export type Family = keyof typeof ELEMENTWISE_LIMITS.copy;

/**
 * Puts the float32 operands of one kernel call in wasm memory: arrays that live there are used in
 * place, the others are copied into the arena (only when the caller allows it), and after the call
 * {@link Placement.finish} copies the result out if it was computed in the arena.
 */
export class Placement {
  a = 0;
  b = 0;
  out = 0;
  private copyOut = false;
  private readonly heap: WasmHeap;

  constructor(heap: WasmHeap) {
    this.heap = heap;
  }

  /** Place `a` (and `b`) and `out`; false when a copy is needed but `copy` is false or it is too large. */
  place(copy: boolean, out: Float32Array, a: Float32Array, b?: Float32Array): boolean {
    const po = this.heap.pointerOf(out);
    if (po < 0 && !copy) return false;
    const pa = this.heap.pointerOf(a);
    if (pa < 0 && !copy) return false;
    const pb = b === undefined ? 0 : this.heap.pointerOf(b);
    this.copyOut = po < 0;
    if (pa >= 0 && pb >= 0 && po >= 0) {
      this.a = pa;
      this.b = pb;
      this.out = po;
      return true;
    }
    if (!copy) return false;
    const aBytes = pa < 0 ? alignBytes(a.length * 4) : 0;
    const bBytes = pb < 0 && b !== undefined ? alignBytes(b.length * 4) : 0;
    const outBytes = po < 0 ? out.length * 4 : 0;
    const bytes = aBytes + bBytes + outBytes;
    if (bytes > MAX_OPERAND_BYTES) return false;
    // NOTE: the arena may grow the memory, so the view is taken after it.
    const at = this.heap.arena(bytes);
    const f32 = this.heap.f32;
    this.a = pa < 0 ? at : pa;
    this.b = pb < 0 ? at + aBytes : pb;
    this.out = po < 0 ? at + aBytes + bBytes : po;
    if (pa < 0) f32.set(a, this.a >> 2);
    if (pb < 0 && b !== undefined) f32.set(b, this.b >> 2);
    return true;
  }

  /** Copy the result into `out` when it was computed in the arena. */
  finish(out: Float32Array): void {
    if (this.copyOut) {
      const start = this.out >> 2;
      out.set(this.heap.f32.subarray(start, start + out.length));
    }
  }
}

/** Whether the operands of a call are float32 arrays and there are enough elements for the wasm kernel. */
export function worthIt(n: number, a: TypedArray, b: TypedArray, out: TypedArray): boolean {
  return (
    n >= ELEMENTWISE_LIMITS.minElements &&
    a instanceof Float32Array &&
    b instanceof Float32Array &&
    out instanceof Float32Array
  );
}

export const copies = (family: Family, n: number): boolean => n >= ELEMENTWISE_LIMITS.copy[family];

// A kernel's extra arguments (a slope, bounds, a threshold, or mapUnary's scalar function) are passed on
// as they come; `accepts` rejects the values the wasm kernel cannot reproduce exactly.
type Extra = unknown;
type UnaryCpu = (x: TypedArray, out: TypedArray, p0?: Extra, p1?: Extra) => void;
type Map2Cpu = (a: TypedArray, b: TypedArray, out: TypedArray, p0?: Extra, p1?: Extra) => void;
type Accepts = (p0: Extra, p1: Extra) => boolean;

const asNumber = (p: Extra): number => (typeof p === 'number' ? p : 0);
/** Whether `p` is a float32 value (so that comparing float32 data with it in float32 is exact). */
const isFloat32 = (p: Extra): boolean => typeof p === 'number' && Math.fround(p) === p;

/** An elementwise kernel `(x, out, ...extra)` over float32 `x`, running `fn` when it applies, else `cpu`. */
function mapKernel(place: Placement, fn: Map1, cpu: UnaryCpu, family: Family, accepts?: Accepts): UnaryCpu {
  return (x, out, p0, p1) => {
    const n = out.length;
    if (!worthIt(n, x, x, out) || (accepts !== undefined && !accepts(p0, p1))) cpu(x, out, p0, p1);
    else if (!place.place(copies(family, n), out as Float32Array, x as Float32Array)) cpu(x, out, p0, p1);
    else {
      fn(place.a, place.out, n, asNumber(p0), asNumber(p1));
      place.finish(out as Float32Array);
    }
  };
}

/** An elementwise kernel `(a, b, out, ...extra)` over same-length float32 arrays (the gradients of activations). */
function map2Kernel(place: Placement, fn: Map2, cpu: Map2Cpu, family: Family, accepts?: Accepts): Map2Cpu {
  return (a, b, out, p0, p1) => {
    const n = out.length;
    if (!worthIt(n, a, b, out) || (accepts !== undefined && !accepts(p0, p1))) cpu(a, b, out, p0, p1);
    else if (!place.place(copies(family, n), out as Float32Array, a as Float32Array, b as Float32Array))
      cpu(a, b, out, p0, p1);
    else {
      fn(place.a, place.b, place.out, n, asNumber(p0), asNumber(p1));
      place.finish(out as Float32Array);
    }
  };
}

/** A broadcast seen as a rows x cols output, each operand read with a row stride and a column step of 0 or 1. */
const plan = { ars: 0, acs: 0, brs: 0, bcs: 0, rows: 0, cols: 0 };

/**
 * Fit the broadcast of `aShape` and `bShape` to `outShape` into {@link plan}: after dropping size-1
 * dimensions and merging neighbours where each operand is either present or broadcast alike, at most
 * two blocks may remain. False otherwise (the cpu kernel's walker handles those).
 */
function planBroadcast(
  a: TypedArray,
  aShape: readonly number[],
  b: TypedArray,
  bShape: readonly number[],
  n: number,
  outShape: readonly number[],
): boolean {
  if (a.length === n || b.length === n) {
    // Same shapes, or one side a scalar.
    if ((a.length === n || a.length === 1) && (b.length === n || b.length === 1)) {
      plan.rows = 1;
      plan.cols = n;
      plan.ars = 0;
      plan.brs = 0;
      plan.acs = a.length === n ? 1 : 0;
      plan.bcs = b.length === n ? 1 : 0;
      return plan.acs + plan.bcs > 0;
    }
  }
  const nd = outShape.length;
  let blocks = 0;
  let lastA = false;
  let lastB = false;
  let rows = 1;
  let cols = 1;
  let rowA = false;
  let rowB = false;
  for (let d = 0; d < nd; d++) {
    const size = outShape[d];
    if (size === 1) continue;
    const hasA = aShape[d - nd + aShape.length] === size;
    const hasB = bShape[d - nd + bShape.length] === size;
    if (blocks > 0 && hasA === lastA && hasB === lastB) {
      if (blocks === 1) rows *= size;
      else cols *= size;
      continue;
    }
    blocks++;
    if (blocks > 2) return false;
    if (blocks === 1) {
      rows = size;
      rowA = hasA;
      rowB = hasB;
    } else cols = size;
    lastA = hasA;
    lastB = hasB;
  }
  if (blocks < 2) return false;
  // Block 1 is the rows, block 2 the columns; lastA/lastB say whether each operand spans the columns.
  plan.rows = rows;
  plan.cols = cols;
  plan.acs = lastA ? 1 : 0;
  plan.bcs = lastB ? 1 : 0;
  plan.ars = rowA ? (lastA ? cols : 1) : 0;
  plan.brs = rowB ? (lastB ? cols : 1) : 0;
  return true;
}

/** A broadcasting binary kernel with the signature of the cpu kernel `cpu`. */
function binaryKernel(place: Placement, fn: Binary, cpu: BinaryKernel): BinaryKernel {
  return (a, aShape, b, bShape, out, outShape) => {
    const n = out.length;
    if (
      !worthIt(n, a, b, out) ||
      !planBroadcast(a, aShape, b, bShape, n, outShape) ||
      !place.place(copies('binary', n), out as Float32Array, a as Float32Array, b as Float32Array)
    ) {
      cpu(a, aShape, b, bShape, out, outShape);
      return;
    }
    fn(place.a, plan.ars, plan.acs, place.b, plan.brs, plan.bcs, place.out, plan.rows, plan.cols);
    place.finish(out as Float32Array);
  };
}

/** exp's cpu kernel (a loop of its op file's own, not exported). */
function expCpu(x: TypedArray, out: TypedArray): void {
  for (let i = 0; i < x.length; i++) out[i] = Math.exp(x[i]);
}

/**
 * Register the wasm backend's elementwise, reduction and softmax kernels, each with the signature of
 * the cpu kernel it replaces, for float32 arrays: broadcasting `add`, `sub`, `mul`, `div`, `maximum`,
 * `minimum` (same shapes, scalars, row and column vectors), cheap unary ops and activations and their
 * gradients, `sum`, `mean`, `max` and `min` over leading, trailing or middle contiguous axes, and
 * softmax and log-softmax with their gradients along the last axis. float64 and int32 arrays, small
 * arrays and other layouts keep the cpu kernels; results are the cpu kernels' (see
 * scripts/wasm/elementwise.mjs), bit for bit for `max` and `min` (NaN payloads and signed zeros
 * included), within 1 ulp for exp, `tanh`, `elu` and `softplus`.
 *
 * @example
 * ```ts
 * registerElementwiseKernels(runtime); // from initWasmBackend, after the matmul kernel
 * ```
 */
export function registerElementwiseKernels(runtime: WasmRuntime): void {
  const ex = runtime.exports as unknown as ElementwiseExports;
  const place = new Placement(runtime.heap);

  const binaries: [string, Binary, BinaryKernel][] = [
    ['add', ex.ew_add, addKernel],
    ['sub', ex.ew_sub, subKernel],
    ['mul', ex.ew_mul, mulKernel],
    ['div', ex.ew_div, divKernel],
    ['maximum', ex.ew_maximum, maximumKernel],
    ['minimum', ex.ew_minimum, minimumKernel],
  ];
  for (const [name, fn, cpu] of binaries) registerKernel(name, binaryKernel(place, fn, cpu), 'wasm');

  const bothFloat32 = (lo: Extra, hi: Extra) => isFloat32(lo) && isFloat32(hi);
  const maps: [string, Map1, UnaryCpu, Family, Accepts?][] = [
    ['relu', ex.ew_relu, reluKernel, 'cheap'],
    ['leakyRelu', ex.ew_leaky_relu, leakyReluKernel as UnaryCpu, 'cheap'],
    // clamp's bounds may be any numbers: rounding them to float32 commutes with min and max.
    ['clamp', ex.ew_clamp, clampKernel as UnaryCpu, 'cheap'],
    ['neg', ex.ew_neg, mapUnary as UnaryCpu, 'cheap'],
    ['abs', ex.ew_abs, mapUnary as UnaryCpu, 'cheap'],
    ['square', ex.ew_square, mapUnary as UnaryCpu, 'cheap'],
    ['sqrt', ex.ew_sqrt, mapUnary as UnaryCpu, 'cheap'],
    ['reciprocal', ex.ew_reciprocal, mapUnary as UnaryCpu, 'cheap'],
    ['rsqrt', ex.ew_rsqrt, mapUnary as UnaryCpu, 'cheap'],
    ['exp', ex.ew_exp, expCpu, 'exp'],
    ['sigmoid', ex.ew_sigmoid, sigmoidKernel, 'exp'],
    ['silu', ex.ew_silu, siluKernel, 'exp'],
    // Within 1 ulp of the cpu kernels (Math.tanh, Math.expm1, Math.log1p of Math.exp), not bit for bit.
    ['tanh', ex.ew_tanh, tanhKernel, 'exp'],
    ['elu', ex.ew_elu, eluKernel as UnaryCpu, 'exp'],
    ['softplus', ex.ew_softplus, softplusKernel as UnaryCpu, 'exp'],
  ];
  for (const [name, fn, cpu, family, accepts] of maps)
    registerKernel(name, mapKernel(place, fn, cpu, family, accepts), 'wasm');

  const grads: [string, Map2, Map2Cpu, Family, Accepts?][] = [
    ['thresholdBackward', ex.ew_threshold_backward, thresholdBackwardKernel as Map2Cpu, 'cheap', isFloat32],
    ['leakyReluBackward', ex.ew_leaky_relu_backward, leakyReluBackwardKernel as Map2Cpu, 'cheap'],
    ['clampBackward', ex.ew_clamp_backward, clampBackwardKernel as Map2Cpu, 'cheap', bothFloat32],
    ['sigmoidBackward', ex.ew_sigmoid_backward, sigmoidBackwardKernel, 'cheap'],
    ['tanhBackward', ex.ew_tanh_backward, tanhBackwardKernel, 'cheap'],
    ['siluBackward', ex.ew_silu_backward, siluBackwardKernel, 'exp'],
  ];
  for (const [name, fn, cpu, family, accepts] of grads)
    registerKernel(name, map2Kernel(place, fn, cpu, family, accepts), 'wasm');

  // pow with exponent 2 or -1 is square or reciprocal, exactly as the cpu kernel computes them.
  const powFallback = (x: TypedArray, out: TypedArray, exponent: Extra) => powScalarKernel(x, out, exponent as number);
  const square = mapKernel(place, ex.ew_square, powFallback, 'cheap', (e) => e === 2);
  const reciprocal = mapKernel(place, ex.ew_reciprocal, powFallback, 'cheap', (e) => e === -1);
  registerKernel(
    'powScalar',
    (x: TypedArray, out: TypedArray, exponent: number) => (exponent === 2 ? square : reciprocal)(x, out, exponent),
    'wasm',
  );

  registerReduceKernels(runtime, place);
}
