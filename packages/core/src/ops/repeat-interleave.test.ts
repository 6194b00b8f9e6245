import { describe, expect, it } from 'vitest';
import {
  AxisError,
  DTypeError,
  gradcheck,
  gradients,
  ShapeError,
  type Tensor,
  tensor,
  ValueError,
  zeros,
} from '../index';
import { gradgradcheck, rnd } from './grad-test-helpers';
import { repeatInterleave } from './repeat-interleave';

function ints(values: number | number[] | number[][]): Tensor {
  return tensor(values, { dtype: 'int32' });
}

describe('repeatInterleave', () => {
  it('repeats each slice in place, flattening without an axis', () => {
    expect(repeatInterleave(tensor([1, 2, 3]), 2).toArray()).toEqual([1, 1, 2, 2, 3, 3]);
    const x = tensor([
      [1, 2],
      [3, 4],
    ]);
    expect(repeatInterleave(x, 2).toArray()).toEqual([1, 1, 2, 2, 3, 3, 4, 4]);
    expect(repeatInterleave(x, ints([0, 2]), 0).toArray()).toEqual([
      [3, 4],
      [3, 4],
    ]);
    expect(repeatInterleave(x, 2, -1).toArray()).toEqual([
      [1, 1, 2, 2],
      [3, 3, 4, 4],
    ]);
    expect(repeatInterleave(x, ints([3, 1]), 1).toArray()).toEqual([
      [1, 1, 1, 2],
      [3, 3, 3, 4],
    ]);
    expect(repeatInterleave(x, ints([1, 0, 2, 1])).toArray()).toEqual([1, 3, 3, 4]);
  });

  it('applies one count (a number, a 0-d or a one-element tensor) to every slice', () => {
    const x = tensor([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    const want = [
      [1, 1, 2, 2, 3, 3],
      [4, 4, 5, 5, 6, 6],
    ];
    expect(repeatInterleave(x, 2, 1).toArray()).toEqual(want);
    expect(repeatInterleave(x, ints(2), 1).toArray()).toEqual(want);
    expect(repeatInterleave(x, ints([2]), 1).toArray()).toEqual(want);
    expect(repeatInterleave(x, 0, 1).shape).toEqual([2, 0]);
    expect(repeatInterleave(x, 0).shape).toEqual([0]);
  });

  it('handles 0-d, empty, int32 and half tensors', () => {
    expect(repeatInterleave(tensor(3), 2).toArray()).toEqual([3, 3]);
    expect(repeatInterleave(zeros([0, 3]), 2, 0).shape).toEqual([0, 3]);
    expect(repeatInterleave(zeros([0, 3]), 2, 1).shape).toEqual([0, 6]);
    expect(repeatInterleave(zeros([0, 3]), ints([]), 0).shape).toEqual([0, 3]);
    expect(repeatInterleave(zeros([0, 3]), ints([5]), 0).shape).toEqual([0, 3]);
    const xi = repeatInterleave(ints([4, -5]), ints([1, 2]));
    expect(xi.dtype).toBe('int32');
    expect(xi.toArray()).toEqual([4, -5, -5]);
    for (const dtype of ['float16', 'bfloat16'] as const) {
      const half = repeatInterleave(tensor([0.5, -2], { dtype }), 2);
      expect(half.dtype).toBe(dtype);
      expect(half.toArray()).toEqual([0.5, 0.5, -2, -2]);
    }
  });

  it('sums the gradients of the copies back', () => {
    const x = tensor([1, 2, 3], { dtype: 'float64', requiresGrad: true });
    const [g] = gradients([repeatInterleave(x, ints([2, 0, 3]))], [x], [tensor([1, 2, 3, 4, 5], { dtype: 'float64' })]);
    expect(g?.toArray()).toEqual([3, 0, 12]);
    const [h] = gradients([repeatInterleave(x, 2)], [x], [tensor([1, 2, 3, 4, 5, 6], { dtype: 'float64' })]);
    expect(h?.toArray()).toEqual([3, 7, 11]);
  });

  it('passes gradcheck and gradgradcheck', () => {
    gradcheck((a) => repeatInterleave(a, 3), [rnd([2, 3], 1)]);
    gradcheck((a) => repeatInterleave(a, 2, -2), [rnd([2, 3, 2], 2)]);
    gradcheck((a) => repeatInterleave(a, ints([2, 0, 1]), 1), [rnd([2, 3], 3)]);
    gradcheck((a) => repeatInterleave(a, ints([1, 3, 0, 2, 1, 1])), [rnd([3, 2], 4)]);
    gradcheck((a) => repeatInterleave(a, 4), [rnd([], 5)]);
    gradgradcheck((a) => repeatInterleave(a.square(), 2, 0), [rnd([2, 3], 6)]);
    gradgradcheck((a) => repeatInterleave(a, ints([3, 1]), -1).square(), [rnd([3, 2], 7)]);
  });

  it('handles tensors that live in wasm memory (large float32)', () => {
    const data = Array.from({ length: 300 }, (_, i) => i - 150);
    const x = tensor(data).reshape([100, 3]);
    const out = repeatInterleave(x, 3, 0).toArray() as number[][];
    expect(out.length).toBe(300);
    for (let r = 0; r < 300; r++) expect(out[r]).toEqual(data.slice(Math.floor(r / 3) * 3, Math.floor(r / 3) * 3 + 3));
    const counts = ints(Array.from({ length: 100 }, (_, i) => i % 4));
    const picked = repeatInterleave(x, counts, 0).toArray() as number[][];
    const want: number[][] = [];
    for (let r = 0; r < 100; r++) for (let k = 0; k < r % 4; k++) want.push(data.slice(r * 3, r * 3 + 3));
    expect(picked).toEqual(want);
  });

  it('rejects bad arguments with named errors', () => {
    const x = zeros([2, 3]);
    expect(() => repeatInterleave(x, -1)).toThrow(ValueError);
    expect(() => repeatInterleave(x, -1)).toThrow(/repeatInterleave: repeats must not be negative, got -1/);
    expect(() => repeatInterleave(x, 1.5)).toThrow(/repeats must be an integer/);
    expect(() => repeatInterleave(x, ints([1, -1, 1]), 1)).toThrow(/must not be negative/);
    expect(() => repeatInterleave(x, tensor([1, 2, 1]), 1)).toThrow(DTypeError);
    expect(() => repeatInterleave(x, ints([[1, 2]]), 1)).toThrow(ShapeError);
    expect(() => repeatInterleave(x, ints([1, 2]), 1)).toThrow(/repeats has 2 counts but there are 3 slices/);
    expect(() => repeatInterleave(x, ints([1, 2]))).toThrow(ShapeError);
    expect(() => repeatInterleave(x, 2, 2)).toThrow(AxisError);
    expect(() => repeatInterleave(tensor(1), 2, 0)).toThrow(AxisError);
    expect(() => repeatInterleave(tensor(1), 2, -1)).toThrow(/x is 0-d/);
    expect(() => repeatInterleave(x, '2' as unknown as number)).toThrow(ValueError);
    expect(() => repeatInterleave([1] as unknown as Tensor, 2)).toThrow(/repeatInterleave: x must be a Tensor/);
  });
});
