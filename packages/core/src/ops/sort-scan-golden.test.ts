// PyTorch 1.13.1's numbers for cumsum, cumprod, flip, roll, tril, triu, sort, argsort, topk, any and all
// (test/fixtures/sort-scan.json, made by scripts/fixtures/make_sort_scan_fixture.py): forward values and
// indices, and first-order gradients for a fixed upstream gradient, in float64 and float32.
//
// Everything is compared exactly (NaN with NaN, +0 with -0), except the gradient of cumprod at the first
// zero of each row: PyTorch sums that element's terms with its vectorised reduction (interleaved partial
// sums whose grouping depends on the layout and on the CPU's vector width), nabla left to right, so the two
// may differ by the rounding of those additions. The fixture's largest difference there is 4 ulps of the
// element (float64); the bound is 8 ulps of max(1, |b|): 2^-49 in float64, 2^-20 in float32.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { type DType, gradients, Tensor } from '../index';
import { all, any } from './any-all';
import { cumprod } from './cumprod';
import { cumsum } from './cumsum';
import { flip } from './flip';
import { roll } from './roll';
import { argsort, sort, topk } from './sort';
import { tril, triu } from './tril';

interface FixtureTensor {
  shape: number[];
  dtype: 'float64' | 'float32' | 'int64' | 'int32' | 'bool';
  data: (number | string)[];
}

interface Case {
  id: string;
  op: string;
  dtype: 'float64' | 'float32' | 'int32';
  // biome-ignore lint/suspicious/noExplicitAny: the arguments of eleven ops, by name
  args: Record<string, any>;
  x: FixtureTensor;
  out?: FixtureTensor;
  values?: FixtureTensor;
  indices?: FixtureTensor;
  upstream?: FixtureTensor;
  grad?: FixtureTensor;
}

const path = fileURLToPath(new URL('../../../../test/fixtures/sort-scan.json', import.meta.url));
const doc = JSON.parse(readFileSync(path, 'utf8')) as { format: string; cases: Case[] };

function numbers(t: FixtureTensor): number[] {
  return t.data.map((v) => {
    if (v === 'nan') return Number.NaN;
    if (v === 'inf') return Number.POSITIVE_INFINITY;
    if (v === '-inf') return Number.NEGATIVE_INFINITY;
    return v as number;
  });
}

function load(t: FixtureTensor, requiresGrad = false): Tensor {
  const dtype: DType = t.dtype === 'float64' || t.dtype === 'float32' ? t.dtype : 'int32';
  const data = numbers(t);
  const array =
    dtype === 'float64'
      ? Float64Array.from(data)
      : dtype === 'float32'
        ? Float32Array.from(data)
        : Int32Array.from(data);
  const out = new Tensor(array, t.shape, dtype);
  if (requiresGrad) out.requiresGrad = true;
  return out;
}

/**
 * Compare `actual` with the fixture tensor: the shape, and every element exactly, except those where
 * `loose[i]` is set, which may differ by `rel * max(1, |b|)`.
 */
function expectTensor(label: string, actual: Tensor, expected: FixtureTensor, rel = 0, loose?: boolean[]): void {
  expect(actual.shape, `${label}: shape`).toEqual(expected.shape);
  const want = numbers(expected);
  const got = Array.from(actual.values as ArrayLike<number>);
  for (let i = 0; i < want.length; i++) {
    const a = got[i];
    const b = want[i];
    const tol = loose?.[i] ? rel * Math.max(1, Math.abs(b)) : 0;
    const same = Number.isNaN(b) ? Number.isNaN(a) : a === b || Math.abs(a - b) <= tol;
    if (!same)
      expect.fail(`${label}: element ${i} is ${a}, PyTorch has ${b} (${got.join(', ')} vs ${want.join(', ')})`);
  }
}

/** Run the case's op; the float output that the upstream gradient applies to comes first. */
function run(c: Case, x: Tensor): { out?: Tensor; values?: Tensor; indices?: Tensor } {
  const a = c.args;
  switch (c.op) {
    case 'cumsum':
      return { out: cumsum(x, a.axis) };
    case 'cumprod':
      return { out: cumprod(x, a.axis) };
    case 'flip':
      return { out: flip(x, a.axes) };
    case 'roll':
      return { out: roll(x, a.shifts, a.axes) };
    case 'tril':
      return { out: tril(x, a.diagonal) };
    case 'triu':
      return { out: triu(x, a.diagonal) };
    case 'any':
      return { out: any(x, a.axis, a.keepdims) };
    case 'all':
      return { out: all(x, a.axis, a.keepdims) };
    case 'argsort':
      return { out: argsort(x, a.axis, { descending: a.descending }) };
    case 'sort':
      return sort(x, a.axis, { descending: a.descending, stable: a.stable });
    case 'topk':
      return topk(x, a.k, a.axis, { largest: a.largest, sorted: a.sorted });
    default:
      throw new Error(`unknown op ${c.op}`);
  }
}

/** The first zero of each row of `x` along `axis` (where PyTorch's cumprod gradient is a vectorised sum). */
function firstZeros(x: FixtureTensor, axis: number): boolean[] {
  const data = numbers(x);
  const nd = x.shape.length;
  const a = nd === 0 ? 0 : axis < 0 ? axis + nd : axis;
  const n = nd === 0 ? 1 : x.shape[a];
  let inner = 1;
  for (let d = a + 1; d < nd; d++) inner *= x.shape[d];
  const mask = data.map(() => false);
  for (let start = 0; start < data.length; start += n * inner)
    for (let i = 0; i < inner; i++) {
      for (let k = 0; k < n; k++)
        if (data[start + i + k * inner] === 0) {
          mask[start + i + k * inner] = true;
          break;
        }
    }
  return mask;
}

/** `[outer, n, inner]`: the layout of `shape` around `axis` (a 0-d tensor is one row of one). */
function layout(shape: number[], axis: number): { outer: number; n: number; inner: number; a: number } {
  const nd = shape.length;
  if (nd === 0) return { outer: 1, n: 1, inner: 1, a: 0 };
  const a = axis < 0 ? axis + nd : axis;
  let outer = 1;
  let inner = 1;
  for (let d = 0; d < a; d++) outer *= shape[d];
  for (let d = a + 1; d < nd; d++) inner *= shape[d];
  return { outer, n: shape[a], inner, a };
}

/** Whether a row of `x` along `axis` holds two equal values (NaN equal to NaN, -0 to 0). */
function hasTies(x: FixtureTensor, axis: number): boolean {
  const data = numbers(x);
  const { outer, n, inner } = layout(x.shape, axis);
  for (let o = 0; o < outer; o++)
    for (let i = 0; i < inner; i++) {
      const row = Array.from({ length: n }, (_, k) => data[o * n * inner + i + k * inner]);
      const keys = new Set(row.map((v) => (Number.isNaN(v) ? 'nan' : String(v === 0 ? 0 : v))));
      if (keys.size < row.length) return true;
    }
  return false;
}

/**
 * The checks of a sort or topk whose rows hold ties, whose order PyTorch leaves unspecified (its unstable
 * sort, argsort and topk): the values are PyTorch's (as a sorted list per row when `sorted` is false), the
 * indices point at those values in `x`, and the gradient is the upstream gradient scattered to them.
 */
function expectTiedResult(c: Case, x: Tensor, result: { out?: Tensor; values?: Tensor; indices?: Tensor }): void {
  const indices = (result.out ?? result.indices) as Tensor;
  expect(indices.dtype).toBe('int32');
  const idx = Array.from(indices.values as ArrayLike<number>);
  const xs = numbers(c.x);
  const { outer, inner } = layout(c.x.shape, c.args.axis ?? -1);
  const n = layout(c.x.shape, c.args.axis ?? -1).n;
  const k = c.x.shape.length === 0 ? 1 : idx.length / (outer * inner);
  const picked = idx.map((j, p) => {
    const o = Math.floor(p / (k * inner));
    const i = p % inner;
    return { at: o * n * inner + i + j * inner, row: o * inner + i };
  });
  const ours = picked.map(({ at }) => xs[at]);
  const key = (v: number) => (Number.isNaN(v) ? Number.POSITIVE_INFINITY * 2 : v);
  if (c.values !== undefined) {
    const values = Array.from((result.values as Tensor).values as ArrayLike<number>);
    expect(values.map(key), 'values are x at the indices').toEqual(ours.map(key));
    const theirs = numbers(c.values);
    if (c.args.sorted === false) {
      // each row's k values as a sorted list
      const byRow = (vs: number[]) =>
        Array.from({ length: outer * inner }, (_, r) =>
          vs
            .filter((_, p) => picked[p].row === r)
            .map(key)
            .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)),
        );
      expect(byRow(values), 'values').toEqual(byRow(theirs));
    } else expectTensor('values', result.values as Tensor, c.values);
  } else {
    // argsort: the values the indices pick are those PyTorch's indices pick
    const theirs = numbers(c.out as FixtureTensor).map((j, p) => xs[picked[p].at - idx[p] * inner + j * inner]);
    expect(ours.map(key), 'argsort picks').toEqual(theirs.map(key));
  }
  if (c.grad !== undefined) {
    const [g] = gradients([result.values as Tensor], [x], [load(c.upstream as FixtureTensor)]);
    const up = numbers(c.upstream as FixtureTensor);
    const want = xs.map(() => 0);
    picked.forEach(({ at }, p) => {
      want[at] += up[p];
    });
    expect(Array.from((g as Tensor).values as ArrayLike<number>), 'grad').toEqual(want);
  }
}

describe('sort-scan fixture (PyTorch 1.13.1)', () => {
  it('is the expected file', () => {
    expect(doc.format).toBe('nabla-sort-scan/v1');
    expect(doc.cases.length).toBeGreaterThan(200);
  });

  for (const c of doc.cases) {
    it(c.id, () => {
      const x = load(c.x, c.grad !== undefined);
      const result = run(c, x);
      const unspecified = c.op === 'topk' || c.op === 'argsort' || (c.op === 'sort' && c.args.stable !== true);
      if (unspecified && (hasTies(c.x, c.args.axis ?? -1) || c.args.sorted === false)) {
        expectTiedResult(c, x, result);
        return;
      }
      if (c.out !== undefined) {
        expect(result.out?.dtype).toBe(
          c.dtype === 'int32' || c.op === 'any' || c.op === 'all' || c.op === 'argsort' ? 'int32' : c.dtype,
        );
        expectTensor('out', result.out as Tensor, c.out);
      }
      if (c.values !== undefined) {
        expectTensor('values', result.values as Tensor, c.values);
        expect(result.indices?.dtype).toBe('int32');
        expectTensor('indices', result.indices as Tensor, c.indices as FixtureTensor);
      }
      if (c.grad !== undefined) {
        const y = (result.out ?? result.values) as Tensor;
        const [g] = gradients([y], [x], [load(c.upstream as FixtureTensor)]);
        expect(g?.dtype).toBe(c.dtype);
        if (c.op === 'cumprod')
          expectTensor(
            'grad',
            g as Tensor,
            c.grad,
            c.dtype === 'float32' ? 2 ** -20 : 2 ** -49,
            firstZeros(c.x, c.args.axis),
          );
        else expectTensor('grad', g as Tensor, c.grad);
      }
    });
  }
});
