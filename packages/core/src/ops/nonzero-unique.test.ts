import { describe, expect, it } from 'vitest';
import { AxisError, ShapeError, type Tensor, tensor, ValueError, zeros } from '../index';
import { nonzero } from './nonzero';
import { unique } from './unique';

const NAN = Number.NaN;

function ints(values: number | number[] | number[][]): Tensor {
  return tensor(values, { dtype: 'int32' });
}

describe('nonzero', () => {
  it('lists the coordinates of nonzero elements in row-major order', () => {
    const out = nonzero(
      tensor([
        [0, 3],
        [5, 0],
      ]),
    );
    expect(out.dtype).toBe('int32');
    expect(out.toArray()).toEqual([
      [0, 1],
      [1, 0],
    ]);
    expect(nonzero(tensor([0, NAN, -0, 2, Number.NEGATIVE_INFINITY])).toArray()).toEqual([[1], [3], [4]]);
    const flat = new Array<number>(24).fill(0);
    flat[5] = 1;
    flat[23] = -1;
    expect(nonzero(tensor(flat).reshape([2, 3, 4])).toArray()).toEqual([
      [0, 1, 1],
      [1, 2, 3],
    ]);
    expect(nonzero(ints([0, -4, 0, 7])).toArray()).toEqual([[1], [3]]);
  });

  it('gives [1, 0] or [0, 0] for a 0-d tensor, and no rows for an empty or all-zero one', () => {
    expect(nonzero(tensor(2)).shape).toEqual([1, 0]);
    expect(nonzero(tensor(NAN)).shape).toEqual([1, 0]);
    expect(nonzero(tensor(-0)).shape).toEqual([0, 0]);
    expect(nonzero(zeros([2, 0, 3])).shape).toEqual([0, 3]);
    expect(nonzero(zeros([2, 3])).shape).toEqual([0, 2]);
  });

  it('reads half tensors by value (-0 is zero)', () => {
    for (const dtype of ['float16', 'bfloat16'] as const) {
      expect(nonzero(tensor([0, 1, -0, -2, NAN], { dtype })).toArray()).toEqual([[1], [3], [4]]);
    }
  });

  it('is not differentiable', () => {
    const out = nonzero(tensor([1, 0, 2], { dtype: 'float64', requiresGrad: true }));
    expect(out.requiresGrad).toBe(false);
    expect(() => nonzero([1] as unknown as Tensor)).toThrow(/nonzero: x must be a Tensor/);
  });
});

describe('unique', () => {
  it('returns the sorted distinct elements, with inverse and counts when asked', () => {
    const { values, inverse, counts } = unique(tensor([3, 1, 3, 2, 1]), { returnInverse: true, returnCounts: true });
    expect(values.toArray()).toEqual([1, 2, 3]);
    expect(inverse.dtype).toBe('int32');
    expect(inverse.toArray()).toEqual([2, 0, 2, 1, 0]);
    expect(counts.dtype).toBe('int32');
    expect(counts.toArray()).toEqual([2, 1, 2]);
    const alone = unique(
      tensor([
        [2, 1],
        [1, 2],
      ]),
    );
    expect(Object.keys(alone)).toEqual(['values']);
    expect(alone.values.toArray()).toEqual([1, 2]);
    const grid = unique(
      tensor([
        [2, 1],
        [1, 2],
      ]),
      { returnInverse: true },
    );
    expect(grid.inverse.toArray()).toEqual([
      [1, 0],
      [0, 1],
    ]);
    expect('counts' in grid).toBe(false);
  });

  it('types inverse and counts as present exactly when they are asked for (checked by tsc)', () => {
    // Assignments to Tensor compile only where the type says the member is there; the ts-expect-error
    // lines fail the typecheck if an optional member became required.
    const withInverse: Tensor = unique(tensor([1]), { returnInverse: true }).inverse;
    const withCounts: Tensor = unique(tensor([1]), { returnCounts: true, axis: 0 }).counts;
    // @ts-expect-error inverse was not asked for: Tensor | undefined
    const noInverse: Tensor = unique(tensor([1])).inverse;
    const flag = Math.random() < 0;
    // @ts-expect-error a boolean flag that is not literally true may leave it out
    const maybe: Tensor = unique(tensor([1]), { returnInverse: flag }).inverse;
    expect(withInverse.toArray()).toEqual([0]);
    expect(withCounts.toArray()).toEqual([1]);
    expect(noInverse).toBeUndefined();
    expect(maybe).toBeUndefined();
  });

  it('keeps every NaN apart, after the numbers, and merges -0 with 0 (the first one kept)', () => {
    const x = tensor([NAN, 1, NAN, -0, 0, 1], { dtype: 'float64' });
    const { values, inverse, counts } = unique(x, { returnInverse: true, returnCounts: true });
    const v = Array.from(values.values);
    expect(v.length).toBe(4);
    expect(Object.is(v[0], -0)).toBe(true);
    expect(v[1]).toBe(1);
    expect(v.slice(2).every(Number.isNaN)).toBe(true);
    expect(inverse.toArray()).toEqual([2, 1, 3, 0, 0, 1]);
    expect(counts.toArray()).toEqual([2, 2, 1, 1]);
    expect(Object.is(unique(tensor([0, -0], { dtype: 'float64' })).values.values[0], 0)).toBe(true);
  });

  it('returns sorted values with sorted: false too', () => {
    const x = ints([5, 3, 5, 1, 3, 9, 0, -2]);
    const a = unique(x, { sorted: false, returnInverse: true, returnCounts: true });
    const b = unique(x, { returnInverse: true, returnCounts: true });
    expect(a.values.toArray()).toEqual([-2, 0, 1, 3, 5, 9]);
    expect(a.inverse.toArray()).toEqual(b.inverse.toArray());
    expect(a.counts.toArray()).toEqual(b.counts.toArray());
  });

  it('handles 0-d, empty, int32 and half tensors', () => {
    const scalar = unique(tensor(4.5), { returnInverse: true, returnCounts: true });
    expect(scalar.values.shape).toEqual([1]);
    expect(scalar.inverse.shape).toEqual([]);
    expect(scalar.counts.toArray()).toEqual([1]);
    const empty = unique(zeros([0, 3]), { returnInverse: true, returnCounts: true });
    expect(empty.values.shape).toEqual([0]);
    expect(empty.inverse.shape).toEqual([0, 3]);
    expect(empty.counts.shape).toEqual([0]);
    expect(unique(ints([4, -1, 4])).values.dtype).toBe('int32');
    for (const dtype of ['float16', 'bfloat16'] as const) {
      const half = unique(tensor([1, NAN, -2, 1, 0.5], { dtype }), { returnCounts: true });
      expect(half.values.dtype).toBe(dtype);
      const v = half.values.toArray() as number[];
      expect(v.slice(0, 3)).toEqual([-2, 0.5, 1]);
      expect(Number.isNaN(v[3])).toBe(true);
      expect(half.counts.toArray()).toEqual([1, 1, 2, 1]);
    }
  });

  it('finds distinct slices along an axis, in lexicographic order', () => {
    const rows = tensor([
      [1, 2, 1],
      [0, 5, 0],
      [1, 2, 1],
      [0, 1, 0],
    ]);
    const byRow = unique(rows, { axis: 0, returnInverse: true, returnCounts: true });
    expect(byRow.values.toArray()).toEqual([
      [0, 1, 0],
      [0, 5, 0],
      [1, 2, 1],
    ]);
    expect(byRow.inverse.toArray()).toEqual([2, 1, 2, 0]);
    expect(byRow.counts.toArray()).toEqual([1, 1, 2]);
    const byColumn = unique(rows, { axis: -1, returnInverse: true, returnCounts: true });
    expect(byColumn.values.toArray()).toEqual([
      [1, 2],
      [0, 5],
      [1, 2],
      [0, 1],
    ]);
    expect(byColumn.inverse.toArray()).toEqual([0, 1, 0]);
    expect(byColumn.counts.toArray()).toEqual([2, 1]);
    // slices with a NaN never merge; they sort as if NaN were the largest number
    const nan = unique(
      tensor([
        [1, NAN],
        [1, NAN],
        [0, 2],
      ]),
      { axis: 0, returnInverse: true, returnCounts: true },
    );
    expect(nan.values.shape).toEqual([3, 2]);
    expect(nan.inverse.toArray()).toEqual([1, 2, 0]);
    expect(nan.counts.toArray()).toEqual([1, 1, 1]);
    const empty = unique(zeros([2, 0]), { axis: 1, returnInverse: true, returnCounts: true });
    expect(empty.values.shape).toEqual([2, 0]);
    expect(empty.inverse.shape).toEqual([0]);
  });

  it('is not differentiable', () => {
    const x = tensor([2, 1, 2], { dtype: 'float64', requiresGrad: true });
    expect(unique(x).values.requiresGrad).toBe(false);
    expect(unique(x.reshape([3, 1]), { axis: 0 }).values.requiresGrad).toBe(false);
  });

  it('handles tensors that live in wasm memory (large float32)', () => {
    const data = Array.from({ length: 600 }, (_, i) => ((i * 37) % 50) / 4);
    const { values, counts } = unique(tensor(data), { returnCounts: true });
    expect(values.toArray()).toEqual(Array.from({ length: 50 }, (_, k) => k / 4));
    expect(counts.toArray()).toEqual(new Array(50).fill(12));
  });

  it('rejects bad arguments with named errors', () => {
    const x = zeros([2, 3]);
    expect(() => unique(x, { return_inverse: true } as never)).toThrow(/unique: unknown option "return_inverse"/);
    expect(() => unique(x, { returnCounts: 1 } as never)).toThrow(ValueError);
    expect(() => unique(x, { sorted: 'no' } as never)).toThrow(/unique: sorted must be a boolean/);
    expect(() => unique(x, { axis: 2 })).toThrow(AxisError);
    expect(() => unique(x, { axis: 0.5 })).toThrow(AxisError);
    expect(() => unique(x, { axis: '0' } as never)).toThrow(AxisError);
    expect(() => unique(tensor(1), { axis: 0 })).toThrow(/unique: axis 0 was given but x is 0-d/);
    expect(() => unique(zeros([0, 3]), { axis: 1 })).toThrow(ShapeError);
    expect(() => unique(zeros([3, 0]), { axis: 0 })).toThrow(/has a dimension of size 0 \(1\) other than axis 0/);
    expect(unique(zeros([0, 3]), { axis: 0 }).values.shape).toEqual([0, 3]);
    expect(() => unique([1] as unknown as Tensor)).toThrow(/unique: x must be a Tensor/);
  });
});
