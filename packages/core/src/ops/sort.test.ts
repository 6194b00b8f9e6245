import { describe, expect, it } from 'vitest';
import {
  AxisError,
  enableGrad,
  Generator,
  gradcheck,
  gradients,
  randint,
  randn,
  gradgradcheck as rawGradgradcheck,
  type Tensor,
  tensor,
  ValueError,
} from '../index';
import { argsort, sort, topk } from './sort';

// NOTE: gradcheck evaluates its function under noGrad for finite differences, so the first-order
// gradients that gradgradcheck differentiates must be recorded explicitly.
function gradgradcheck(f: (...xs: Tensor[]) => Tensor, inputs: Tensor[]): boolean {
  return rawGradgradcheck((...xs: Tensor[]) => enableGrad(() => f(...xs)), inputs);
}

function rnd(shape: number[], seed = 1, requiresGrad = true): Tensor {
  return randn(shape, { dtype: 'float64', generator: new Generator(seed), requiresGrad });
}

const NAN = Number.NaN;

/** Rows of small integers (many ties) with some NaN, as float64. */
function tiedRows(rows: number, n: number, seed: number): number[][] {
  const ints = randint(0, 6, [rows, n], { generator: new Generator(seed) }).toArray() as number[][];
  return ints.map((row, r) => row.map((v, j) => ((r + j * 7) % 11 === 0 ? NAN : v)));
}

/** The stable order of a row, NaN largest (JavaScript's sort is stable). */
function stableOrder(row: number[], descending: boolean): number[] {
  const rank = (v: number) => (Number.isNaN(v) ? Number.POSITIVE_INFINITY : v);
  return row
    .map((_, i) => i)
    .sort((a, b) => {
      const nanA = Number.isNaN(row[a]);
      const nanB = Number.isNaN(row[b]);
      if (nanA !== nanB) return (nanA ? 1 : -1) * (descending ? -1 : 1);
      if (nanA) return 0;
      return descending ? rank(row[b]) - rank(row[a]) : rank(row[a]) - rank(row[b]);
    });
}

function sameNumbers(a: number[], b: number[]): boolean {
  return a.length === b.length && a.every((v, i) => (Number.isNaN(v) ? Number.isNaN(b[i]) : v === b[i]));
}

describe('sort', () => {
  it('sorts along an axis with the original positions', () => {
    const { values, indices } = sort(
      tensor([
        [3, 1, 2],
        [0, 5, 0],
      ]),
    );
    expect(values.toArray()).toEqual([
      [1, 2, 3],
      [0, 0, 5],
    ]);
    expect(indices.dtype).toBe('int32');
    expect(indices.toArray()).toEqual([
      [1, 2, 0],
      [0, 2, 1],
    ]);
    const down = sort(
      tensor([
        [3, 1],
        [0, 5],
      ]),
      0,
      { descending: true },
    );
    expect(down.values.toArray()).toEqual([
      [3, 5],
      [0, 1],
    ]);
    expect(down.indices.toArray()).toEqual([
      [0, 1],
      [1, 0],
    ]);
  });

  it('puts NaN above everything and keeps ties (-0 and 0 too) in order', () => {
    const x = tensor([2, NAN, -0, 1, 0, NAN, -0, Number.NEGATIVE_INFINITY]);
    const up = sort(x);
    expect(up.indices.toArray()).toEqual([7, 2, 4, 6, 3, 0, 1, 5]);
    expect(up.values.toArray()).toEqual([Number.NEGATIVE_INFINITY, -0, 0, -0, 1, 2, NAN, NAN]);
    expect(sort(x, 0, { descending: true }).indices.toArray()).toEqual([1, 5, 0, 3, 2, 4, 6, 7]);
  });

  it('is stable by default on long rows with ties, and the unstable sort orders the values too', () => {
    const rows = tiedRows(6, 57, 1);
    for (const descending of [false, true]) {
      const stable = sort(tensor(rows, { dtype: 'float64' }), -1, { descending });
      const unstable = sort(tensor(rows, { dtype: 'float64' }), -1, { descending, stable: false });
      const stableIdx = stable.indices.toArray() as number[][];
      const unstableIdx = unstable.indices.toArray() as number[][];
      rows.forEach((row, r) => {
        expect(stableIdx[r]).toEqual(stableOrder(row, descending));
        const want = stableOrder(row, descending).map((i) => row[i]);
        expect(
          sameNumbers(
            unstableIdx[r].map((i) => row[i]),
            want,
          ),
        ).toBe(true);
        expect([...unstableIdx[r]].sort((a, b) => a - b)).toEqual(row.map((_, i) => i));
      });
    }
  });

  it('sorts int32, 0-d and empty tensors, and float16 by value', () => {
    const ints = sort(tensor([3, -1, 3, 0], { dtype: 'int32' }), 0, { descending: true });
    expect(ints.values.dtype).toBe('int32');
    expect(ints.values.toArray()).toEqual([3, 3, 0, -1]);
    expect(ints.indices.toArray()).toEqual([0, 2, 3, 1]);
    const scalar = sort(tensor(4));
    expect(scalar.values.toArray()).toEqual(4);
    expect(scalar.indices.toArray()).toEqual(0);
    expect(sort(tensor([[]]), 0).values.shape).toEqual([1, 0]);
    const half = sort(tensor([0.5, -2, 1.5], { dtype: 'float16' }));
    expect(half.values.dtype).toBe('float16');
    expect(half.values.toArray()).toEqual([-2, 0.5, 1.5]);
  });

  it('scatters the gradient of the values back to their positions', () => {
    const x = tensor([3, 1, 2], { dtype: 'float64', requiresGrad: true });
    const [g] = gradients([sort(x).values], [x], [tensor([10, 20, 30], { dtype: 'float64' })]);
    expect(g?.toArray()).toEqual([30, 10, 20]);
    expect(sort(x).indices.requiresGrad).toBe(false);
    gradcheck((a) => sort(a, 1).values, [rnd([2, 5, 3])]);
    gradcheck((a) => sort(a, 0, { descending: true, stable: false }).values, [rnd([4, 3], 2)]);
    gradcheck((a) => sort(a, 0).values, [rnd([], 3)]);
    gradgradcheck((a) => sort(a, -1).values.square(), [rnd([3, 4], 4)]);
  });

  it('rejects bad arguments, naming the function and the argument', () => {
    const x = tensor([1, 2]);
    expect(() => sort(x, 1)).toThrow(AxisError);
    expect(() => sort(x, 1)).toThrow(/sort: axis 1/);
    expect(() => sort(x, 0, { decending: true } as never)).toThrow(
      /sort: unknown option "decending" \(did you mean "descending"\?\)/,
    );
    expect(() => sort(x, 0, { descending: 1 } as never)).toThrow(ValueError);
    expect(() => sort(x, 0, { stable: 'yes' } as never)).toThrow(/sort: stable must be a boolean/);
    expect(() => sort([1] as unknown as Tensor)).toThrow(/sort: x must be a Tensor/);
  });
});

describe('argsort', () => {
  it('returns the positions that sort, stably', () => {
    expect(argsort(tensor([2, 0, 1, 0])).toArray()).toEqual([1, 3, 2, 0]);
    expect(argsort(tensor([2, 0, 1, 0]), 0, { descending: true }).toArray()).toEqual([0, 2, 1, 3]);
    expect(
      argsort(
        tensor([
          [1, NAN],
          [NAN, 0],
        ]),
        0,
      ).toArray(),
    ).toEqual([
      [0, 1],
      [1, 0],
    ]);
    const x = tensor([2, 1], { requiresGrad: true });
    expect(argsort(x).requiresGrad).toBe(false);
    expect(() => argsort(x, 0, { largest: true } as never)).toThrow(/argsort: unknown option "largest"/);
    expect(() => argsort(x, -2)).toThrow(/argsort: axis -2/);
  });
});

describe('topk', () => {
  it('returns the k largest or smallest values with their positions', () => {
    const x = tensor([
      [1, 9, 4, 7],
      [3, 2, 8, 0],
    ]);
    const { values, indices } = topk(x, 2);
    expect(values.toArray()).toEqual([
      [9, 7],
      [8, 3],
    ]);
    expect(indices.toArray()).toEqual([
      [1, 3],
      [2, 0],
    ]);
    const low = topk(x, 1, 0, { largest: false });
    expect(low.values.toArray()).toEqual([[1, 2, 4, 0]]);
    expect(low.indices.toArray()).toEqual([[0, 1, 0, 1]]);
    expect(topk(x, 0).values.shape).toEqual([2, 0]);
    expect(topk(tensor(3), 1).values.toArray()).toEqual(3);
  });

  it('counts NaN as the largest value', () => {
    const x = tensor([1, NAN, 3, 2]);
    expect(topk(x, 2).indices.toArray()).toEqual([1, 2]);
    expect(topk(x, 2, 0, { largest: false }).indices.toArray()).toEqual([0, 3]);
    expect(topk(x, 4, 0, { largest: false }).indices.toArray()).toEqual([0, 3, 2, 1]);
  });

  it('selects the right values on long rows with ties, sorted or not (both selection paths)', () => {
    for (const [n, ks] of [
      [40, [1, 3, 17, 40]],
      [200, [1, 3, 5, 60]],
    ] as const) {
      const rows = tiedRows(4, n, n);
      const x = tensor(rows, { dtype: 'float64' });
      for (const k of ks) {
        for (const largest of [true, false]) {
          for (const sorted of [true, false]) {
            const { values, indices } = topk(x, k, -1, { largest, sorted });
            const vals = values.toArray() as number[][];
            const idx = indices.toArray() as number[][];
            rows.forEach((row, r) => {
              const want = stableOrder(row, largest)
                .slice(0, k)
                .map((i) => row[i]);
              expect(
                sameNumbers(
                  idx[r].map((i) => row[i]),
                  vals[r],
                ),
              ).toBe(true);
              expect(new Set(idx[r]).size).toBe(k);
              const got = sorted ? vals[r] : stableOrder(vals[r], largest).map((i) => vals[r][i]);
              expect(sameNumbers(got, want)).toBe(true);
            });
          }
        }
      }
    }
  });

  it('sends the gradient of the values to their positions, zero elsewhere', () => {
    const x = tensor([3, 1, 2], { dtype: 'float64', requiresGrad: true });
    const [g] = gradients([topk(x, 2).values], [x], [tensor([10, 20], { dtype: 'float64' })]);
    expect(g?.toArray()).toEqual([10, 0, 20]);
    gradcheck((a) => topk(a, 2, 1).values, [rnd([2, 5, 3])]);
    gradcheck((a) => topk(a, 3, -1, { largest: false, sorted: false }).values, [rnd([3, 70], 2)]);
    gradgradcheck((a) => topk(a, 2, 0).values.square(), [rnd([4, 3], 3)]);
  });

  it('rejects bad arguments, naming the function and the argument', () => {
    const x = tensor([[1, 2, 3]]);
    expect(() => topk(x, 4)).toThrow(ValueError);
    expect(() => topk(x, 4)).toThrow(/topk: k must be an integer in \[0, 3\]/);
    expect(() => topk(x, -1)).toThrow(/topk: k must be/);
    expect(() => topk(x, 1.5)).toThrow(/topk: k must be/);
    expect(() => topk(x, 1, 2)).toThrow(AxisError);
    expect(() => topk(tensor(1), 0)).toThrow(/topk: k must be 1 for a 0-d tensor/);
    expect(() => topk(x, 1, -1, { sort: true } as never)).toThrow(
      /topk: unknown option "sort" \(did you mean "sorted"\?\)/,
    );
    expect(() => topk(x, 1, -1, { largest: 0 } as never)).toThrow(/topk: largest must be a boolean/);
  });
});
