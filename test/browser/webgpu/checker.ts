// The test page's bookkeeping: seeded random inputs, GPU arrays made from them (released after each
// comparison), and one report per comparison of GPU results with reference values.
import type { GpuArray, WebGpuContext } from '../../../packages/core/src/backends/webgpu/context';

/** One comparison: exact (every element bit for bit) or within `tolerance` of `|gpu - ref| / max(floor, |ref|)`. */
export interface CaseReport {
  name: string;
  exact: boolean;
  tolerance: number;
  /** The largest `|gpu - ref| / max(floor, |ref|)` (0 when equal; NaN or Infinity marks a NaN where the other is a number). */
  maxError: number;
  /** Elements not bit for bit equal (exact cases) or beyond the tolerance. */
  mismatches: number;
  count: number;
  /** The first element that failed, for the failure message. */
  first?: string;
  error?: string;
}

/** Options of a comparison: exact, or a tolerance relative to `max(floor, |ref|)` (floor default 1). */
export interface CompareOptions {
  exact?: boolean;
  tolerance?: number;
  floor?: number;
  /** Keep the arrays made since the last comparison (to compare them again). */
  keep?: boolean;
}

/** A seeded generator of uniform floats (an LCG: the same inputs on every run). */
export class Rng {
  private state: number;
  constructor(seed: number) {
    this.state = seed >>> 0 || 1;
  }
  next(): number {
    this.state = (Math.imul(this.state, 1664525) + 1013904223) >>> 0;
    return this.state / 4294967296;
  }
  /** `n` float32 values uniform in [lo, hi). */
  floats(n: number, lo = -1, hi = 1): Float32Array {
    const out = new Float32Array(n);
    for (let i = 0; i < n; i++) out[i] = lo + (hi - lo) * this.next();
    return out;
  }
  /** `n` integers in [lo, hi] as float32 (ties for comparisons and max/min). */
  ints(n: number, lo: number, hi: number): Float32Array {
    const out = new Float32Array(n);
    for (let i = 0; i < n; i++) out[i] = lo + Math.floor((hi - lo + 1) * this.next());
    return out;
  }
}

export class Checker {
  readonly context: WebGpuContext;
  readonly rng = new Rng(12345);
  private readonly cases: CaseReport[];
  private live: GpuArray[] = [];

  constructor(context: WebGpuContext, cases: CaseReport[]) {
    this.context = context;
    this.cases = cases;
  }

  /** A GPU array holding `values`. */
  upload(values: Float32Array | Int32Array): GpuArray {
    const a = this.context.upload(values);
    this.live.push(a);
    return a;
  }

  /** A GPU array of `size` elements (zeros, or the stale contents of a pooled buffer when `zero` is false). */
  array(size: number, dtype: 'float32' | 'int32' = 'float32', zero = false): GpuArray {
    const a = zero ? this.context.zeros(size, dtype) : this.context.createArray(size, dtype);
    this.live.push(a);
    return a;
  }

  /** Read `gpu` back (one submission) and compare each with its reference; releases the arrays made since the last comparison. */
  async compare(
    name: string,
    gpu: readonly GpuArray[],
    refs: readonly ArrayLike<number>[],
    options: CompareOptions = {},
  ): Promise<void> {
    const values = await this.context.readMany(gpu);
    const exact = options.exact === true;
    const tolerance = options.tolerance ?? 0;
    const floor = options.floor ?? 1;
    const report: CaseReport = { name, exact, tolerance, maxError: 0, mismatches: 0, count: 0 };
    values.forEach((got, k) => {
      const ref = refs[k];
      if (got.length !== ref.length) {
        report.error = `${name}: output ${k} has ${got.length} elements, the reference ${ref.length}`;
        report.mismatches++;
        return;
      }
      for (let i = 0; i < got.length; i++) {
        const g = got[i];
        const r = exact && !(ref instanceof Int32Array) ? Math.fround(ref[i]) : ref[i];
        report.count++;
        const bothNaN = Number.isNaN(g) && Number.isNaN(r);
        const err = bothNaN || g === r ? 0 : Math.abs(g - r) / Math.max(floor, Math.abs(r));
        const errValue = Number.isNaN(err) ? Number.POSITIVE_INFINITY : err;
        if (errValue > report.maxError) report.maxError = errValue;
        const bad = exact ? !(bothNaN || Object.is(g, r) || (g === 0 && r === 0)) : !(errValue <= tolerance);
        if (bad) {
          report.mismatches++;
          report.first ??= `output ${k}[${i}]: gpu ${g}, reference ${r}`;
        }
      }
    });
    this.cases.push(report);
    if (options.keep === true) return;
    for (const a of this.live) this.context.release(a);
    this.live = [];
  }
}
