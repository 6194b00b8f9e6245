import { describe, expect, it } from 'vitest';
import {
  AxisError,
  arange,
  Generator,
  gradcheck,
  gradients,
  randn,
  ShapeError,
  type Tensor,
  tensor,
  ValueError,
} from '../index';
import { flip } from './flip';
import { gradgradcheck, rnd } from './grad-test-helpers';
import { roll } from './roll';
import { tril, triu } from './tril';

const x23 = () =>
  tensor([
    [1, 2, 3],
    [4, 5, 6],
  ]);

describe('flip', () => {
  it('reverses the given axes', () => {
    expect(flip(x23(), 1).toArray()).toEqual([
      [3, 2, 1],
      [6, 5, 4],
    ]);
    expect(flip(x23(), [0, -1]).toArray()).toEqual([
      [6, 5, 4],
      [3, 2, 1],
    ]);
    expect(flip(x23(), []).toArray()).toEqual(x23().toArray());
    expect(flip(tensor(7), [0]).toArray()).toEqual(7);
    expect(flip(arange(24).reshape([2, 3, 4]), [1]).toArray()).toEqual(
      (arange(24).reshape([2, 3, 4]).toArray() as number[][][]).map((m) => [...m].reverse()),
    );
    const ints = flip(tensor([1, 2, 3], { dtype: 'int32' }), 0);
    expect(ints.dtype).toBe('int32');
    expect(ints.toArray()).toEqual([3, 2, 1]);
  });

  it('flips a large float32 tensor (in wasm memory on that backend)', () => {
    const x = randn([20, 30], { generator: new Generator(2) });
    const want = (x.toArray() as number[][]).map((row) => [...row].reverse()).reverse();
    expect(flip(x, [0, 1]).toArray()).toEqual(want);
  });

  it('flips the gradient back', () => {
    const x = tensor([1, 2, 3], { dtype: 'float64', requiresGrad: true });
    const [g] = gradients([flip(x, 0)], [x], [tensor([10, 20, 30], { dtype: 'float64' })]);
    expect(g?.toArray()).toEqual([30, 20, 10]);
    gradcheck((a) => flip(a, [0, 2]), [rnd([2, 3, 4])]);
    gradgradcheck((a) => flip(a, -1).square(), [rnd([3, 4], 2)]);
  });

  it('rejects bad axes, naming the function', () => {
    expect(() => flip(x23(), [0, 0])).toThrow(AxisError);
    expect(() => flip(x23(), [0, -2])).toThrow(/flip: axis 0 appears more than once/);
    expect(() => flip(x23(), 2)).toThrow(/flip: axis 2 is out of range/);
    expect(() => flip(x23(), undefined as unknown as number)).toThrow(/flip: axes must be/);
    expect(() => flip('x' as unknown as Tensor, 0)).toThrow(ValueError);
  });
});

describe('roll', () => {
  it('rolls along axes, or the flattened tensor without axes', () => {
    expect(roll(x23(), 1).toArray()).toEqual([
      [6, 1, 2],
      [3, 4, 5],
    ]);
    expect(roll(x23(), -7).toArray()).toEqual([
      [2, 3, 4],
      [5, 6, 1],
    ]);
    expect(roll(x23(), 1, 1).toArray()).toEqual([
      [3, 1, 2],
      [6, 4, 5],
    ]);
    expect(roll(x23(), [1, -1], [0, 1]).toArray()).toEqual([
      [5, 6, 4],
      [2, 3, 1],
    ]);
    // A repeated axis adds its shifts up, as torch.roll(x, (1, 1), (1, 1)).
    expect(roll(x23(), [1, 1], [1, 1]).toArray()).toEqual([
      [2, 3, 1],
      [5, 6, 4],
    ]);
    expect(roll(x23(), 300, -1).toArray()).toEqual(x23().toArray());
    expect(roll(tensor(5), 3).toArray()).toEqual(5);
    expect(roll(tensor([[]]), 2, 1).shape).toEqual([1, 0]);
    expect(roll(tensor([[]]), 2).shape).toEqual([1, 0]);
  });

  it('rolls the gradient back', () => {
    const x = tensor([1, 2, 3], { dtype: 'float64', requiresGrad: true });
    const [g] = gradients([roll(x, 1)], [x], [tensor([10, 20, 30], { dtype: 'float64' })]);
    expect(g?.toArray()).toEqual([20, 30, 10]);
    gradcheck((a) => roll(a, [2, -5], [0, 2]), [rnd([3, 2, 4])]);
    gradcheck((a) => roll(a, 4), [rnd([3, 2], 2)]);
    gradgradcheck((a) => roll(a, 1, -2).square(), [rnd([3, 4], 3)]);
  });

  it('rejects bad shifts and axes, naming the function and the argument', () => {
    expect(() => roll(x23(), [1, 2])).toThrow(/roll: without axes, shifts must be one integer/);
    expect(() => roll(x23(), [1, 2], [0])).toThrow(/roll: shifts and axes must have the same length/);
    expect(() => roll(x23(), 1.5)).toThrow(ValueError);
    expect(() => roll(x23(), 1.5)).toThrow(/roll: shifts must be an integer/);
    expect(() => roll(x23(), [])).toThrow(/roll: shifts must hold at least one shift/);
    expect(() => roll(x23(), 1, 2)).toThrow(AxisError);
    expect(() => roll(tensor(1), 1, 0)).toThrow(AxisError);
  });
});

describe('tril / triu', () => {
  const m = () =>
    tensor([
      [1, 2, 3],
      [4, 5, 6],
      [7, 8, 9],
    ]);

  it('keeps a triangle, for any diagonal', () => {
    expect(tril(m()).toArray()).toEqual([
      [1, 0, 0],
      [4, 5, 0],
      [7, 8, 9],
    ]);
    expect(tril(m(), -1).toArray()).toEqual([
      [0, 0, 0],
      [4, 0, 0],
      [7, 8, 0],
    ]);
    expect(triu(m(), 1).toArray()).toEqual([
      [0, 2, 3],
      [0, 0, 6],
      [0, 0, 0],
    ]);
    expect(triu(m(), -5).toArray()).toEqual(m().toArray());
    expect(tril(m(), -5).toArray()).toEqual([
      [0, 0, 0],
      [0, 0, 0],
      [0, 0, 0],
    ]);
    expect(triu(tensor([[1, 2, 3, 4]]), 2).toArray()).toEqual([[0, 0, 3, 4]]);
    expect(tril(tensor([[1], [2], [3]]), -1).toArray()).toEqual([[0], [2], [3]]);
  });

  it('works on batches, replaces NaN outside the triangle with 0, keeps int32', () => {
    const x = tensor([
      [
        [Number.NaN, Number.NaN],
        [Number.NaN, Number.NaN],
      ],
      [
        [1, 2],
        [3, 4],
      ],
    ]);
    expect(triu(x).toArray()).toEqual([
      [
        [Number.NaN, Number.NaN],
        [0, Number.NaN],
      ],
      [
        [1, 2],
        [0, 4],
      ],
    ]);
    const ints = tril(
      tensor(
        [
          [1, 2],
          [3, 4],
        ],
        { dtype: 'int32' },
      ),
    );
    expect(ints.dtype).toBe('int32');
    expect(ints.toArray()).toEqual([
      [1, 0],
      [3, 4],
    ]);
    expect(tril(tensor([[]]).reshape([0, 2, 0])).shape).toEqual([0, 2, 0]);
  });

  it('masks the gradient the same way', () => {
    const x = tensor(
      [
        [1, 2],
        [3, 4],
      ],
      { dtype: 'float64', requiresGrad: true },
    );
    const [g] = gradients(
      [tril(x)],
      [x],
      [
        tensor(
          [
            [1, 1],
            [1, 1],
          ],
          { dtype: 'float64' },
        ),
      ],
    );
    expect(g?.toArray()).toEqual([
      [1, 0],
      [1, 1],
    ]);
    gradcheck((a) => tril(a, 1), [rnd([2, 3, 4])]);
    gradcheck((a) => triu(a, -1), [rnd([2, 4, 3], 2)]);
    gradgradcheck((a) => tril(a).square(), [rnd([3, 3], 3)]);
    gradgradcheck((a) => triu(a, 1).square(), [rnd([2, 3, 2], 4)]);
  });

  it('rejects tensors of fewer than 2 dims and non-integer diagonals', () => {
    expect(() => tril(tensor([1, 2]))).toThrow(ShapeError);
    expect(() => triu(tensor([1, 2]))).toThrow(/triu: x must have at least 2 dims/);
    expect(() => tril(m(), 0.5)).toThrow(ValueError);
    expect(() => triu(m(), Number.NaN)).toThrow(/triu: diagonal must be an integer/);
  });
});
