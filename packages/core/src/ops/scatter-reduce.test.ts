import { describe, expect, it } from 'vitest';
import { gradcheck } from '../autograd/gradcheck';
import { tensor, zeros } from '../creation';
import { DTypeError, IndexError, ShapeError, ValueError } from '../errors';
import type { Tensor } from '../tensor';
import { gradgradcheck, rnd } from './grad-test-helpers';
import { scatter } from './scatter';
import { type ScatterReduction, scatterReduce } from './scatter-reduce';

const int = (values: number[][] | number[]) => tensor(values, { dtype: 'int32' });
const index = int([
  [0, 2, 1],
  [2, 2, 0],
  [0, 1, 1],
]);

describe('scatterReduce', () => {
  for (const reduce of ['sum', 'prod', 'mean', 'amax', 'amin'] as ScatterReduction[])
    for (const includeSelf of [true, false])
      it(`${reduce}${includeSelf ? '' : ', includeSelf false'}: gradients and gradients of gradients match finite differences`, () => {
        const f = (x: Tensor, src: Tensor) => scatterReduce(x, 0, index, src, reduce, { includeSelf });
        const x = rnd([3, 4], 1);
        const src = rnd([4, 3], 2); // larger than index on axis 0: its last row is never read
        expect(gradcheck(f, [x, src])).toBe(true);
        expect(gradgradcheck((a, b) => f(a, b).square(), [x, src])).toBe(true);
      });

  it('reduces in the order of index, from the identity without includeSelf', () => {
    const x = tensor([1, 2, 3, 4]);
    const idx = int([0, 1, 0, 1, 2, 1]);
    const src = tensor([1, 2, 3, 4, 5, 6]);
    expect(scatterReduce(x, 0, idx, src, 'sum').toArray()).toEqual([5, 14, 8, 4]);
    expect(scatterReduce(x, 0, idx, src, 'prod').toArray()).toEqual([3, 96, 15, 4]);
    expect(scatterReduce(x, 0, idx, src, 'mean').toArray()).toEqual([Math.fround(5 / 3), 14 / 4, 4, 4]);
    expect(scatterReduce(x, 0, idx, src, 'amax', { includeSelf: false }).toArray()).toEqual([3, 6, 5, 4]);
    expect(scatterReduce(x, 0, idx, src, 'amin', { includeSelf: false }).toArray()).toEqual([1, 2, 5, 4]);
    expect(x.scatterReduce(0, idx, src, 'mean', { includeSelf: false }).toArray()).toEqual([2, 4, 5, 4]);
  });

  it('int32: wraps like int32 arithmetic, and the mean is a floor division as in PyTorch', () => {
    expect(scatterReduce(int([1, 2, 3]), 0, int([0, 0]), int([4, -8]), 'mean').toArray()).toEqual([-1, 2, 3]);
    expect(scatterReduce(int([0]), 0, int([0, 0]), int([2147483647, 1]), 'sum').toArray()).toEqual([-2147483648]);
    expect(scatterReduce(int([5, 5]), 0, int([1, 1]), int([-3, 7]), 'amax', { includeSelf: false }).toArray()).toEqual([
      5, 7,
    ]);
  });

  it('scatter with reduce is scatterReduce with sum or prod, a number scattered as a tensor of it', () => {
    expect(scatter(tensor([1, 1, 1]), 0, int([0, 0]), 5, { reduce: 'add' }).toArray()).toEqual([11, 1, 1]);
    expect(scatter(tensor([1, 1, 1]), 0, int([0, 0]), tensor([3, 2]), { reduce: 'multiply' }).toArray()).toEqual([
      6, 1, 1,
    ]);
    const x = rnd([3], 3);
    expect(gradcheck((a: Tensor) => scatter(a, 0, int([0, 0]), 2.5, { reduce: 'multiply' }), [x])).toBe(true);
  });

  it('refuses bad arguments with errors that name them, leaving the inputs as they were', () => {
    const x = tensor([1, 2, 3]);
    const src = tensor([4, 5]);
    expect(() => scatterReduce(x, 0, int([0, 3]), src, 'sum')).toThrow(IndexError);
    expect(() => scatterReduce(x, 0, int([0, 1]), src, 'max' as ScatterReduction)).toThrow(
      /scatterReduce: reduce must be one of 'sum', 'prod', 'mean', 'amax', 'amin', got "max"/,
    );
    expect(() => scatterReduce(x, 0, tensor([0, 1]), src, 'sum')).toThrow(DTypeError);
    expect(() => scatterReduce(x, 0, int([0, 1]), tensor([4, 5], { dtype: 'float64' }), 'sum')).toThrow(
      /scatterReduce: src must have the dtype of x \(float32\), got float64/,
    );
    expect(() => scatterReduce(x, 0, int([0, 1, 2]), src, 'sum')).toThrow(ShapeError);
    expect(() => scatterReduce(zeros([2, 2]), 0, int([0, 1]), src, 'sum')).toThrow(/same number of dims/);
    expect(() => scatterReduce(x, 0, int([0, 1]), src, 'sum', { includeSelf: 1 } as never)).toThrow(ValueError);
    expect(() => scatterReduce(x, 0, int([0, 1]), src, 'sum', { include_self: false } as never)).toThrow(
      /unknown option "include_self"/,
    );
    expect(() => scatter(x, 0, int([0, 1]), src, { reduce: 'sum' } as never)).toThrow(
      /scatter: reduce must be 'add' or 'multiply'/,
    );
    expect(x.toArray()).toEqual([1, 2, 3]);
    expect(src.toArray()).toEqual([4, 5]);
  });
});
