import { describe, expect, it } from 'vitest';
import { arange, eye, full, linspace, ones, onesLike, ShapeError, tensor, ValueError, zeros, zerosLike } from './index';

describe('tensor()', () => {
  it('infers the shape of nested arrays and defaults to float32', () => {
    const t = tensor([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    expect(t.shape).toEqual([2, 3]);
    expect(t.dtype).toBe('float32');
    expect(t.data).toBeInstanceOf(Float32Array);
    expect(t.ndim).toBe(2);
    expect(t.size).toBe(6);
  });

  it('keeps a typed array dtype and copies its data', () => {
    const src = new Float64Array([1, 2, 3, 4]);
    const t = tensor(src, { shape: [2, 2] });
    expect(t.dtype).toBe('float64');
    src[0] = 99;
    expect(t.data[0]).toBe(1);
  });

  it('makes 0-d tensors from numbers', () => {
    const t = tensor(2.5, { dtype: 'float64' });
    expect(t.shape).toEqual([]);
    expect(t.item()).toBe(2.5);
  });

  it('rejects ragged arrays, bad shapes and non-integer int32 values', () => {
    expect(() => tensor([[1, 2], [3]])).toThrow(ShapeError);
    expect(() => tensor([[1, 2], [3]])).toThrow(/ragged/);
    expect(() => tensor([1, 2, 3], { shape: [2, 2] })).toThrow(/shape \[2,2\] needs 4 values, got 3/);
    expect(() => tensor([1.5], { dtype: 'int32' })).toThrow(/int32 values must be integers, got 1.5/);
    expect(() => tensor([1], { dtype: 'int64' as never })).toThrow(/dtype must be one of/);
  });

  it('rounds to float32 on storage', () => {
    expect(tensor([0.1]).data[0]).toBe(Math.fround(0.1));
  });
});

describe('filled tensors', () => {
  it('zeros, ones, full and their Like forms', () => {
    expect(Array.from(zeros([2]).data)).toEqual([0, 0]);
    expect(Array.from(ones([2], { dtype: 'int32' }).data)).toEqual([1, 1]);
    expect(full([2, 2], 7).toArray()).toEqual([
      [7, 7],
      [7, 7],
    ]);
    const like = tensor([1, 2, 3], { dtype: 'float64' });
    expect(zerosLike(like).dtype).toBe('float64');
    expect(Array.from(onesLike(like).data)).toEqual([1, 1, 1]);
    expect(() => zeros([2, -1])).toThrow(ValueError);
  });

  it('arange counts like Python range, with float steps', () => {
    expect(Array.from(arange(5).data)).toEqual([0, 1, 2, 3, 4]);
    expect(Array.from(arange(1, 2, 0.25).data)).toEqual([1, 1.25, 1.5, 1.75]);
    expect(Array.from(arange(5, 0, -2).data)).toEqual([5, 3, 1]);
    expect(() => arange(0, 10, 0)).toThrow(/step must be nonzero/);
  });

  it('linspace includes both ends exactly', () => {
    const t = linspace(0, 1, 5, { dtype: 'float64' });
    expect(Array.from(t.data)).toEqual([0, 0.25, 0.5, 0.75, 1]);
    expect(linspace(-1, 0.3, 7, { dtype: 'float64' }).data[6]).toBe(0.3);
  });

  it('linspace with one step gives [start], as torch.linspace and numpy.linspace do', () => {
    expect(Array.from(linspace(2, 5, 1, { dtype: 'float64' }).data)).toEqual([2]);
    expect(Array.from(linspace(-3, 7, 1).data)).toEqual([-3]);
    expect(Array.from(linspace(0.5, -1, 2, { dtype: 'float64' }).data)).toEqual([0.5, -1]);
    expect(linspace(2, 5, 0).shape).toEqual([0]);
  });

  it('eye puts ones on the diagonal, also for rectangular shapes', () => {
    expect(eye(2, 3).toArray()).toEqual([
      [1, 0, 0],
      [0, 1, 0],
    ]);
  });
});

describe('shapes too large for a typed array', () => {
  it('give a named error with the function, the argument and the limit, not a RangeError', () => {
    expect(() => zeros([2 ** 31, 2 ** 31])).toThrow(
      'zeros: shape [2147483648,2147483648] has 4611686018427388000 elements, more than the 4294967295 a typed array can hold',
    );
    expect(() => zeros([2 ** 31, 2 ** 31])).toThrow(ValueError);
  });
});
