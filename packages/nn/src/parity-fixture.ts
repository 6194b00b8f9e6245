// Test helper (not part of the public API): reads test/fixtures/nn-parity.json, written by
// scripts/fixtures/make_nn_parity_fixture.py from PyTorch 1.13 (see test/fixtures/README.md).
import { Tensor } from '@nablajs/core';
import { expect } from 'vitest';

/** A tensor as the fixture writes it: row-major `data`, non-finite values as `'nan'`, `'inf'`, `'-inf'`. */
export interface ParityTensor {
  shape: number[];
  dtype: 'float64' | 'float32' | 'int64';
  data: (number | string)[];
}

/** A module whose state dict PyTorch saved, with its eval (and, for BatchNorm, train) outputs. */
export interface StateDictCase {
  id: string;
  kind: 'batchnorm' | 'bce_with_logits';
  reduction?: 'mean' | 'sum' | 'none';
  state_dict: Record<string, ParityTensor>;
  x: ParityTensor;
  y?: ParityTensor;
  eval_out: ParityTensor;
  train_out?: ParityTensor;
  state_after?: Record<string, ParityTensor>;
}

/** A class-index loss (`crossEntropy` or `nllLoss`) with its value and input gradient in PyTorch. */
export interface ClassIndexLossCase {
  id: string;
  fn: 'crossEntropy' | 'nllLoss';
  options: { reduction: 'mean' | 'sum' | 'none'; weight?: number[]; ignoreIndex?: number; labelSmoothing?: number };
  x: ParityTensor;
  target: ParityTensor;
  upstream: ParityTensor;
  loss: ParityTensor;
  grad: ParityTensor;
}

/** The whole fixture. */
export interface ParityFixture {
  torch: string;
  state_dicts: StateDictCase[];
  class_index_losses: ClassIndexLossCase[];
}

/** Read test/fixtures/nn-parity.json. */
export function loadParityFixture(read: (path: URL, encoding: 'utf8') => string): ParityFixture {
  // The reader is the caller's `readFileSync`: a test file that imports `node:fs` itself stays out of the
  // browser suites (test/browser/helpers/build.ts looks for that import), which cannot read files.
  return JSON.parse(read(new URL('../../../test/fixtures/nn-parity.json', import.meta.url), 'utf8')) as ParityFixture;
}

function toNumber(v: number | string): number {
  if (v === 'nan') return Number.NaN;
  if (v === 'inf') return Number.POSITIVE_INFINITY;
  if (v === '-inf') return Number.NEGATIVE_INFINITY;
  if (typeof v !== 'number') throw new Error(`nn-parity.json: unexpected datum ${JSON.stringify(v)}`);
  return v;
}

/** The fixture tensor as a nabla tensor (int64 becomes int32). */
export function fromParity(t: ParityTensor): Tensor {
  const values = t.data.map(toNumber);
  if (t.dtype === 'int64') return new Tensor(Int32Array.from(values), t.shape, 'int32');
  const data = t.dtype === 'float64' ? Float64Array.from(values) : Float32Array.from(values);
  return new Tensor(data, t.shape, t.dtype);
}

/**
 * Expect `got` to have the fixture's shape and values within `|a - b| <= rel · max(1, |b|)`, with NaN
 * where PyTorch has NaN, infinities equal, and +0 and -0 equal.
 */
export function expectParity(got: Tensor, want: ParityTensor, label: string, rel = 1e-10): void {
  expect(got.shape, `${label}: shape`).toEqual(want.shape);
  const values = Array.from(got.values, Number);
  const expected = want.data.map(toNumber);
  expect(values.length, `${label}: size`).toBe(expected.length);
  expected.forEach((b, i) => {
    const a = values[i];
    if (Number.isNaN(b)) expect(a, `${label}[${i}]`).toBeNaN();
    else if (!Number.isFinite(b)) expect(a, `${label}[${i}]`).toBe(b);
    else expect(Math.abs(a - b), `${label}[${i}]: ${a} vs ${b}`).toBeLessThanOrEqual(rel * Math.max(1, Math.abs(b)));
  });
}
