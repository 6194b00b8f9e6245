// PyTorch 1.13.1's numbers for scatter, repeatInterleave, nonzero and unique (test/fixtures/scatter-unique.json,
// made by scripts/fixtures/make_scatter_unique_fixture.py): forward values and indices, and first-order
// gradients for a fixed upstream gradient, in float64 and float32.
//
// Everything is compared exactly (NaN with NaN, +0 apart from -0): these ops only move, copy or count
// elements, and the upstream gradients are short dyadic numbers, so their sums are exact in either dtype.
//
// unique is compared element by element where PyTorch's result is defined. Two kinds of cases are not: with
// `sorted: false` PyTorch 1.13's cpu kernel returns its hash table's order, and a NaN lands anywhere in its
// sorted output with a count of 0 and an inverse index of 0. There the test checks what unique's TSDoc
// promises instead: the same distinct values (every NaN one of its own), sorted, the same counts for the
// numbers, and an inverse that rebuilds x.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { type DType, gradients, Tensor } from '../index';
import { nonzero } from './nonzero';
import { repeatInterleave } from './repeat-interleave';
import { scatter } from './scatter';
import { type UniqueResult, unique } from './unique';

interface FixtureTensor {
  shape: number[];
  dtype: 'float64' | 'float32' | 'int64' | 'int32';
  data: (number | string)[];
}

interface Case {
  id: string;
  op: 'scatter' | 'repeatInterleave' | 'nonzero' | 'unique';
  dtype: 'float64' | 'float32' | 'int32';
  args: {
    axis?: number | null;
    value?: number | string;
    repeats?: number;
    sorted?: boolean;
    returnInverse?: boolean;
    returnCounts?: boolean;
  };
  x: FixtureTensor;
  index?: FixtureTensor;
  src?: FixtureTensor;
  repeats?: FixtureTensor;
  out?: FixtureTensor;
  values?: FixtureTensor;
  inverse?: FixtureTensor;
  counts?: FixtureTensor;
  upstream?: FixtureTensor;
  grad?: FixtureTensor;
  grad_src?: FixtureTensor;
}

const path = fileURLToPath(new URL('../../../../test/fixtures/scatter-unique.json', import.meta.url));
const doc = JSON.parse(readFileSync(path, 'utf8')) as { format: string; cases: Case[] };

function toNumber(v: number | string): number {
  if (v === 'nan') return Number.NaN;
  if (v === 'inf') return Number.POSITIVE_INFINITY;
  if (v === '-inf') return Number.NEGATIVE_INFINITY;
  return v as number;
}

function numbers(t: FixtureTensor): number[] {
  return t.data.map(toNumber);
}

/** The fixture tensor as a nabla tensor: float64 and float32 as they are, int64 and int32 as int32. */
function load(t: FixtureTensor, requiresGrad = false): Tensor {
  const dtype: DType = t.dtype === 'float64' || t.dtype === 'float32' ? t.dtype : 'int32';
  const data = numbers(t);
  let array: Float64Array | Float32Array | Int32Array;
  if (dtype === 'float64') array = Float64Array.from(data);
  else if (dtype === 'float32') array = Float32Array.from(data);
  else array = Int32Array.from(data);
  const out = new Tensor(array, t.shape, dtype);
  if (requiresGrad) out.requiresGrad = true;
  return out;
}

/** Exactly equal numbers: NaN with NaN, and -0 only with -0. */
function same(a: number, b: number): boolean {
  return Object.is(a, b);
}

function expectTensor(label: string, actual: Tensor | undefined, expected: FixtureTensor): void {
  if (actual === undefined) expect.fail(`${label}: missing`);
  expect(actual.shape, `${label}: shape`).toEqual(expected.shape);
  const want = numbers(expected);
  const got = Array.from(actual.values as ArrayLike<number>);
  expect(got.length, `${label}: size`).toBe(want.length);
  for (let i = 0; i < want.length; i++)
    if (!same(got[i], want[i]))
      expect.fail(
        `${label}: element ${i} is ${got[i]}, PyTorch has ${want[i]} (${got.join(', ')} vs ${want.join(', ')})`,
      );
}

function runScatter(c: Case): void {
  const x = load(c.x, c.grad !== undefined);
  const index = load(c.index as FixtureTensor);
  const src = c.src === undefined ? toNumber(c.args.value as number | string) : load(c.src, c.grad_src !== undefined);
  const out = scatter(x, c.args.axis as number, index, src);
  expect(out.dtype).toBe(c.dtype);
  expectTensor('out', out, c.out as FixtureTensor);
  if (c.grad === undefined) return;
  const wrt = c.grad_src === undefined ? [x] : [x, src as Tensor];
  const grads = gradients([out], wrt, [load(c.upstream as FixtureTensor)]);
  expectTensor('grad', grads[0] ?? undefined, c.grad);
  if (c.grad_src !== undefined) expectTensor('grad of src', grads[1] ?? undefined, c.grad_src);
}

function runRepeatInterleave(c: Case): void {
  const x = load(c.x, c.grad !== undefined);
  const repeats = c.repeats === undefined ? (c.args.repeats as number) : load(c.repeats);
  const out = repeatInterleave(x, repeats, c.args.axis ?? undefined);
  expect(out.dtype).toBe(c.dtype);
  expectTensor('out', out, c.out as FixtureTensor);
  if (c.grad === undefined) return;
  const [g] = gradients([out], [x], [load(c.upstream as FixtureTensor)]);
  expect(g?.dtype).toBe(c.dtype);
  expectTensor('grad', g ?? undefined, c.grad);
}

function runNonzero(c: Case): void {
  const out = nonzero(load(c.x));
  expect(out.dtype).toBe('int32');
  expectTensor('out', out, c.out as FixtureTensor);
}

/** Where PyTorch 1.13's unique is defined: sorted, and no NaN in x. */
function uniqueIsExact(c: Case): boolean {
  return c.args.sorted === true && !numbers(c.x).some(Number.isNaN);
}

/** The slices of `data` (of `shape`) along `axis` (every element when `axis` is null), each as a list. */
function slicesOf(data: number[], shape: readonly number[], axis: number | null): number[][] {
  if (axis === null) return data.map((v) => [v]);
  const a = axis < 0 ? axis + shape.length : axis;
  const n = shape[a];
  let inner = 1;
  for (let d = a + 1; d < shape.length; d++) inner *= shape[d];
  const outer = n === 0 ? 0 : data.length / (n * inner);
  return Array.from({ length: n }, (_, j) => {
    const slice: number[] = [];
    for (let o = 0; o < outer; o++) for (let i = 0; i < inner; i++) slice.push(data[(o * n + j) * inner + i]);
    return slice;
  });
}

/** Lexicographic, NaN above every number (the order unique promises). */
function compareSlices(p: number[], q: number[]): number {
  for (let t = 0; t < p.length; t++) {
    const nanP = Number.isNaN(p[t]);
    const nanQ = Number.isNaN(q[t]);
    if (nanP !== nanQ) return nanP ? 1 : -1;
    if (!nanP && p[t] !== q[t]) return p[t] < q[t] ? -1 : 1;
  }
  return 0;
}

const keyOf = (slice: number[]): string => slice.map((v) => (Object.is(v, -0) ? '0' : String(v))).join(',');

/**
 * What unique promises where PyTorch's answer is not defined: `values` sorted, its NaN-free slices distinct
 * and those of PyTorch (the same first representative of -0 and 0), as many NaN-holding slices as PyTorch
 * has, `inverse` rebuilding x (a NaN with a NaN), `counts` its histogram: PyTorch's for NaN-free slices, 1
 * for the others.
 */
function expectUniqueContract(c: Case, result: UniqueResult, axis: number | null): void {
  const values = result.values;
  const ours = slicesOf(Array.from(values.values as ArrayLike<number>), values.shape, axis);
  const theirs = slicesOf(numbers(c.values as FixtureTensor), (c.values as FixtureTensor).shape, axis);
  for (let k = 1; k < ours.length; k++)
    expect(compareSlices(ours[k - 1], ours[k]), `values ${k - 1} and ${k} in order`).toBeLessThanOrEqual(0);
  const hasNaN = (s: number[]) => s.some(Number.isNaN);
  const plain = (list: number[][]) =>
    list
      .filter((s) => !hasNaN(s))
      .sort(compareSlices)
      .map((s) => s.map((v) => (Object.is(v, -0) ? '-0' : String(v))).join(','));
  expect(plain(ours), 'the NaN-free values').toEqual(plain(theirs));
  expect(ours.filter(hasNaN).length, 'how many values hold a NaN').toBe(theirs.filter(hasNaN).length);
  const xs = slicesOf(numbers(c.x), c.x.shape, axis);
  if (c.args.returnInverse) {
    const inverse = Array.from((result.inverse as Tensor).values as ArrayLike<number>);
    expect(result.inverse?.shape).toEqual(axis === null ? c.x.shape : [xs.length]);
    xs.forEach((s, i) => {
      const picked = ours[inverse[i]];
      expect(
        picked.every((v, t) => (Number.isNaN(v) ? Number.isNaN(s[t]) : v === s[t])),
        `inverse ${i}`,
      ).toBe(true);
    });
    const nanSlots = xs.map((s, i) => (hasNaN(s) ? inverse[i] : -1)).filter((k) => k >= 0);
    expect(new Set(nanSlots).size, 'every NaN its own value').toBe(nanSlots.length);
  }
  if (c.args.returnCounts) {
    const counts = Array.from((result.counts as Tensor).values as ArrayLike<number>);
    const theirCounts = numbers(c.counts as FixtureTensor);
    const theirByKey = new Map(theirs.map((s, k) => [keyOf(s), theirCounts[k]]));
    ours.forEach((s, k) => {
      expect(counts[k], `count of value ${k}`).toBe(hasNaN(s) ? 1 : theirByKey.get(keyOf(s)));
    });
  }
}

function runUnique(c: Case): void {
  const axis = c.args.axis ?? null;
  const result = unique(load(c.x), {
    sorted: c.args.sorted,
    returnInverse: c.args.returnInverse,
    returnCounts: c.args.returnCounts,
    axis,
  });
  expect(result.values.dtype).toBe(c.dtype);
  expect('inverse' in result).toBe(c.args.returnInverse === true);
  expect('counts' in result).toBe(c.args.returnCounts === true);
  if (result.inverse !== undefined) expect(result.inverse.dtype).toBe('int32');
  if (result.counts !== undefined) expect(result.counts.dtype).toBe('int32');
  expect(result.values.shape, 'values: shape').toEqual((c.values as FixtureTensor).shape);
  if (!uniqueIsExact(c)) {
    expectUniqueContract(c, result, axis);
    return;
  }
  expectTensor('values', result.values, c.values as FixtureTensor);
  if (c.inverse !== undefined) expectTensor('inverse', result.inverse, c.inverse);
  if (c.counts !== undefined) expectTensor('counts', result.counts, c.counts);
}

describe('scatter-unique fixture (PyTorch 1.13.1)', () => {
  it('is the expected file', () => {
    expect(doc.format).toBe('nabla-scatter-unique/v1');
    expect(doc.cases.length).toBeGreaterThan(140);
  });

  for (const c of doc.cases) {
    it(c.id, () => {
      if (c.op === 'scatter') runScatter(c);
      else if (c.op === 'repeatInterleave') runRepeatInterleave(c);
      else if (c.op === 'nonzero') runNonzero(c);
      else runUnique(c);
    });
  }
});
