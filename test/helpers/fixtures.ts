import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { type DType, gradients, Tensor } from '@nablajs/core';
import { expect } from 'vitest';

/** A tensor as the golden fixtures write it: row-major `data` of `shape` (see test/fixtures/README.md). */
export interface FixtureTensor {
  shape: number[];
  dtype: 'float64' | 'float32' | 'int64' | 'bool';
  data: (number | boolean | string)[];
}

/** Read and parse a JSON fixture from test/fixtures by file name. */
export function loadFixture<T = unknown>(name: string): T {
  const path = fileURLToPath(new URL(`../fixtures/${name}`, import.meta.url));
  return JSON.parse(readFileSync(path, 'utf8')) as T;
}

function toNumber(v: number | boolean | string): number {
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (v === 'inf') return Number.POSITIVE_INFINITY;
  if (v === '-inf') return Number.NEGATIVE_INFINITY;
  if (v === 'nan') return Number.NaN;
  if (typeof v !== 'number') throw new Error(`fixture: unexpected datum ${JSON.stringify(v)}`);
  return v;
}

/** The nabla dtype a fixture dtype maps to: int64 and bool become int32 (bool as 0/1). */
export function nablaDType(dtype: FixtureTensor['dtype']): DType {
  if (dtype === 'float64' || dtype === 'float32') return dtype;
  return 'int32';
}

/**
 * Build a nabla tensor from a fixture tensor. float32 data go through `Math.fround` (the fixtures
 * write the exact float32 value widened to double), int64 becomes int32 and bool becomes int32 0/1.
 */
export function fromFixture(t: FixtureTensor, options: { requiresGrad?: boolean } = {}): Tensor {
  const dtype = nablaDType(t.dtype);
  const n = t.shape.reduce((a, b) => a * b, 1);
  if (t.data.length !== n) throw new Error(`fixture: ${t.data.length} data for shape [${t.shape.join(',')}]`);
  let data: Float64Array | Float32Array | Int32Array;
  if (dtype === 'float64') data = new Float64Array(n);
  else if (dtype === 'float32') data = new Float32Array(n);
  else data = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const v = toNumber(t.data[i]);
    data[i] = dtype === 'float32' ? Math.fround(v) : v;
  }
  const out = new Tensor(data, t.shape, dtype);
  if (options.requiresGrad) out.requiresGrad = true;
  return out;
}

/** The expected values of a fixture tensor as plain numbers (bool as 0/1). */
export function fixtureValues(t: FixtureTensor): number[] {
  return t.data.map(toNumber);
}

/** A tolerance rule: `|a - b| <= rel * max(1, |b|)` (the golden README's rule for ops and HVPs). */
export interface Tolerance {
  rel: number;
}

/** The golden README's ops/hvp tolerance for a dtype. */
export function opsTolerance(dtype: DType | FixtureTensor['dtype']): Tolerance {
  return { rel: dtype === 'float32' ? 1e-5 : 1e-9 };
}

/**
 * Assert that `actual` matches the fixture tensor `expected` (shape and every element) within
 * `|a - b| <= tol.rel * max(1, |b|)`. On failure the message names the worst element: its flat
 * index, both values and the error relative to the allowed bound.
 */
export function closeTo(actual: Tensor, expected: FixtureTensor, tol: Tolerance, label = 'tensor'): void {
  const wantShape = expected.shape;
  if (actual.shape.length !== wantShape.length || actual.shape.some((d, i) => d !== wantShape[i]))
    throw new Error(`${label}: shape [${actual.shape.join(',')}] but expected [${wantShape.join(',')}]`);
  const want = fixtureValues(expected);
  let worst = -1;
  let worstRatio = 0;
  for (let i = 0; i < want.length; i++) {
    const a = actual.data[i];
    const b = want[i];
    const bound = tol.rel * Math.max(1, Math.abs(b));
    const err = Math.abs(a - b);
    const ratio = Number.isNaN(err) ? Number.POSITIVE_INFINITY : err / bound;
    if (ratio > worstRatio || (Number.isNaN(err) && worst < 0)) {
      worstRatio = ratio;
      worst = i;
    }
  }
  if (worst >= 0 && worstRatio > 1) {
    const a = actual.data[worst];
    const b = want[worst];
    throw new Error(
      `${label}: element ${worst} of shape [${wantShape.join(',')}] is ${a}, expected ${b} ` +
        `(|diff| ${Math.abs(a - b).toExponential(3)} > ${tol.rel} * max(1, |b|); ${worstRatio.toExponential(2)}x the bound)`,
    );
  }
}

/** Assert exact equality of an integer tensor with an int64/bool fixture tensor. */
export function equalInts(actual: Tensor, expected: FixtureTensor, label = 'tensor'): void {
  closeTo(actual, expected, { rel: 0 }, label);
}

/** A fixture case of a one-input function: its input, output, an upstream gradient and the input's gradient. */
export interface ForwardBackwardCase {
  id: string;
  dtype: string;
  input: FixtureTensor;
  output: FixtureTensor;
  upstream: FixtureTensor;
  grads: { input: FixtureTensor };
}

/**
 * Run `run` on the case's input (a leaf that requires gradients) and compare its output, then the input's
 * gradient for the case's upstream gradient, with the fixture (same dtype, within `tol`).
 */
export function checkForwardBackward(c: ForwardBackwardCase, run: (x: Tensor) => Tensor, tol: Tolerance): void {
  const x = fromFixture(c.input, { requiresGrad: true });
  const out = run(x);
  expect(out.dtype).toBe(c.dtype);
  closeTo(out, c.output, tol, `${c.id} output`);
  const [g] = gradients([out], [x], [fromFixture(c.upstream)]);
  if (g === null || g === undefined) throw new Error(`${c.id}: no gradient for the input`);
  expect(g.dtype).toBe(c.dtype);
  closeTo(g, c.grads.input, tol, `${c.id} grad input`);
}

/** A fixture case checked through several calls (a module and its function): output and input gradient. */
export interface OutputGradCase {
  id: string;
  dtype: string;
  output: FixtureTensor;
  upstream: FixtureTensor;
  grad: FixtureTensor;
}

/**
 * Compare `out`, computed from the leaf `x` by way `via` (a module or a function), and the gradient of `x` for
 * the case's upstream gradient with the fixture, within `opsTolerance`.
 */
export function checkOutputAndGrad(c: OutputGradCase, x: Tensor, out: Tensor, via: string): void {
  const tol = opsTolerance(c.dtype as DType);
  expect(out.dtype, `${c.id} (${via}) dtype`).toBe(c.dtype);
  closeTo(out, c.output, tol, `${c.id} (${via}) output`);
  const [g] = gradients([out], [x], [fromFixture(c.upstream)]);
  closeTo(g as Tensor, c.grad, tol, `${c.id} (${via}) grad`);
}
