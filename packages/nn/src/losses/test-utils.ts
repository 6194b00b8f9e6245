// Helpers shared by the loss and functional tests: seeded random tensors, a plain-loop reduction and
// element-wise comparisons. Not part of the public API.
import { type Generator, gradients, Tensor, tensor } from '@nablajs/core';
import { expect } from 'vitest';
import type { Reduction } from './reduction';

/** The three reductions every loss accepts. */
export const REDUCTIONS: readonly Reduction[] = ['mean', 'sum', 'none'];

/**
 * A float tensor of `shape` with values `offset + scale · N(0, 1)` from `gen`.
 *
 * @example
 * ```ts
 * const x = randomTensor([4, 3], new Generator(0), { requiresGrad: true });
 * ```
 */
export function randomTensor(
  shape: readonly number[],
  gen: Generator,
  options: { dtype?: 'float32' | 'float64'; requiresGrad?: boolean; scale?: number; offset?: number } = {},
): Tensor {
  const { dtype = 'float64', requiresGrad = false, scale = 1, offset = 0 } = options;
  const n = shape.reduce((a, b) => a * b, 1);
  const data = dtype === 'float64' ? new Float64Array(n) : new Float32Array(n);
  for (let i = 0; i < n; i++) data[i] = offset + scale * gen.normal();
  const t = new Tensor(data, shape, dtype);
  if (requiresGrad) t.requiresGrad = true;
  return t;
}

/**
 * A float64 tensor of `shape` with values uniform in `[lo, hi)` from `gen`.
 *
 * @example
 * ```ts
 * const p = uniformTensor([4], new Generator(0), 0.05, 0.95);
 * ```
 */
export function uniformTensor(shape: readonly number[], gen: Generator, lo: number, hi: number, requiresGrad = false) {
  const n = shape.reduce((a, b) => a * b, 1);
  const data = new Float64Array(n);
  for (let i = 0; i < n; i++) data[i] = lo + (hi - lo) * gen.uniform();
  const t = new Tensor(data, shape, 'float64');
  if (requiresGrad) t.requiresGrad = true;
  return t;
}

/**
 * An int32 tensor of `shape` with values from `values` (row-major).
 *
 * @example
 * ```ts
 * intTensor([2], [3, -100]);
 * ```
 */
export function intTensor(shape: readonly number[], values: readonly number[]): Tensor {
  return new Tensor(Int32Array.from(values), shape, 'int32');
}

/**
 * The plain-loop reduction of per-element losses: their mean, their sum, or themselves.
 *
 * @example
 * ```ts
 * referenceReduce([1, 2, 3], 'mean'); // 2
 * ```
 */
export function referenceReduce(values: readonly number[], reduction: Reduction): number | number[] {
  if (reduction === 'none') return [...values];
  let s = 0;
  for (const v of values) s += v;
  return reduction === 'sum' ? s : s / values.length;
}

/**
 * Expect `actual` to hold `expected` (a number for a 0-d result, or the row-major values) within
 * `|a - b| <= tol · max(1, |b|)`, and to have `shape` when given.
 *
 * @example
 * ```ts
 * expectValues(mseLoss(a, b), 0.25);
 * ```
 */
export function expectValues(actual: Tensor, expected: number | readonly number[], tol = 1e-12, shape?: number[]) {
  const want = typeof expected === 'number' ? [expected] : expected;
  if (typeof expected === 'number') expect(actual.shape).toEqual([]);
  if (shape !== undefined) expect(actual.shape).toEqual(shape);
  expect(actual.size).toBe(want.length);
  for (let i = 0; i < want.length; i++) {
    const a = actual.values[i];
    const b = want[i];
    if (!(Math.abs(a - b) <= tol * Math.max(1, Math.abs(b))))
      throw new Error(`element ${i}: got ${a}, expected ${b} (tolerance ${tol})`);
  }
}

/**
 * A snapshot of tensors' data, and a check that none of them changed since.
 *
 * @example
 * ```ts
 * const unchanged = snapshot(x, y); mseLoss(x, y); unchanged();
 * ```
 */
export function snapshot(...tensors: Tensor[]): () => void {
  const copies = tensors.map((t) => Array.from(t.values));
  return () => {
    tensors.forEach((t, k) => {
      expect(Array.from(t.values)).toEqual(copies[k]);
    });
  };
}

/** A float64 tensor of `values` (requiring gradients by default), for the activations' kink tests. */
export const f64 = (values: number[], requiresGrad = true) => tensor(values, { dtype: 'float64', requiresGrad });

/** The gradient of `sum(f(x))` at `values`, in float64. */
export function gradAt(f: (x: Tensor) => Tensor, values: number[]): number[] {
  const x = f64(values);
  const [g] = gradients([f(x).sum()], [x]);
  return Array.from((g as Tensor).values);
}

/** `n` random float64 values (`scale` times normal) at least `gap` away from every kink, as a leaf that requires gradients. */
export function awayFrom(kinks: number[], n: number, gen: Generator, scale: number, gap: number): Tensor {
  const data = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let v = scale * gen.normal();
    while (kinks.some((k) => Math.abs(v - k) < gap)) v = scale * gen.normal();
    data[i] = v;
  }
  return tensor(data, { shape: [n], dtype: 'float64', requiresGrad: true });
}
