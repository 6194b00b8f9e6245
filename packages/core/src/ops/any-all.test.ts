import { describe, expect, it } from 'vitest';
import { AxisError, DTypeError, Generator, randn, type Tensor, tensor, ValueError, zeros } from '../index';
import { all, any } from './any-all';

describe('any / all', () => {
  const x = () =>
    tensor([
      [0, 2, 0],
      [0, 0, 0],
      [1, -1, 3],
    ]);

  it('reduce everything by default, or the given axes, as int32 0/1', () => {
    expect(any(x()).dtype).toBe('int32');
    expect(any(x()).shape).toEqual([]);
    expect(any(x()).item()).toBe(1);
    expect(all(x()).item()).toBe(0);
    expect(any(x(), 1).toArray()).toEqual([1, 0, 1]);
    expect(all(x(), -1).toArray()).toEqual([0, 0, 1]);
    expect(any(x(), 0, true).toArray()).toEqual([[1, 1, 1]]);
    expect(all(x(), 0, true).toArray()).toEqual([[0, 0, 0]]);
    expect(any(x(), null, true).toArray()).toEqual([[1]]);
    expect(all(x(), [0, 1]).item()).toBe(0);
    expect(all(x(), []).toArray()).toEqual([
      [0, 1, 0],
      [0, 0, 0],
      [1, 1, 1],
    ]);
  });

  it('count NaN (and -0 as zero) the way PyTorch does', () => {
    const t = tensor([Number.NaN, -0, Number.NEGATIVE_INFINITY]);
    expect(any(tensor([0, Number.NaN])).item()).toBe(1);
    expect(all(tensor([Number.NaN, 1])).item()).toBe(1);
    expect(all(t).item()).toBe(0);
    expect(any(tensor([-0, 0])).item()).toBe(0);
    expect(any(tensor(Number.NaN), 0).item()).toBe(1);
  });

  it('give 0 (any) and 1 (all) for empty groups, and work on int32', () => {
    expect(any(zeros([0, 3])).item()).toBe(0);
    expect(all(zeros([0, 3])).item()).toBe(1);
    expect(any(zeros([0, 3]), 0).toArray()).toEqual([0, 0, 0]);
    expect(all(zeros([0, 3]), 0).toArray()).toEqual([1, 1, 1]);
    expect(any(zeros([3, 0]), 1).toArray()).toEqual([0, 0, 0]);
    const ints = tensor(
      [
        [0, 5],
        [0, 0],
      ],
      { dtype: 'int32' },
    );
    expect(any(ints, 1).toArray()).toEqual([1, 0]);
    expect(all(ints, 0).toArray()).toEqual([0, 0]);
  });

  it('agree with a plain loop on a large float32 tensor, and have no gradient', () => {
    const r = randn([16, 40], { generator: new Generator(5), requiresGrad: true });
    const masked = r.detach().gt(0.5).mul(r.detach());
    const rows = masked.toArray() as number[][];
    expect(any(masked, 1).toArray()).toEqual(rows.map((row) => (row.some((v) => v !== 0) ? 1 : 0)));
    expect(all(masked.add(1e-3), 0).toArray()).toEqual(
      rows[0].map((_, j) => (rows.every((row) => Math.fround(row[j] + 1e-3) !== 0) ? 1 : 0)),
    );
    expect(any(r).requiresGrad).toBe(false);
  });

  it('reject bad arguments, naming the function', () => {
    expect(() => any(x(), 2)).toThrow(AxisError);
    expect(() => all(x(), [0, 0])).toThrow(/all: axis 0 appears more than once/);
    expect(() => any(x(), 0, { keepdim: true } as never)).toThrow(ValueError);
    expect(() => all(x(), 0, { keepdim: true } as never)).toThrow(/all: keepdims is a boolean argument/);
    expect(() => any([1] as unknown as Tensor)).toThrow(DTypeError);
  });
});
