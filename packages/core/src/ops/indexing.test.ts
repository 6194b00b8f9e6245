import { describe, expect, it } from 'vitest';
import {
  AxisError,
  arange,
  DTypeError,
  enableGrad,
  Generator,
  gather,
  gradcheck,
  IndexError,
  indexSelect,
  maskedSelect,
  oneHot,
  randn,
  gradgradcheck as rawGradgradcheck,
  ShapeError,
  scatterAdd,
  type Tensor,
  take,
  tensor,
  ValueError,
  zeros,
} from '../index';

// NOTE: gradcheck evaluates its function under noGrad for finite differences, so the first-order
// gradients that gradgradcheck differentiates must be recorded explicitly.
function gradgradcheck(f: (...xs: Tensor[]) => Tensor, inputs: Tensor[]): boolean {
  return rawGradgradcheck((...xs: Tensor[]) => enableGrad(() => f(...xs)), inputs);
}

function rnd(shape: number[], seed = 1, requiresGrad = true): Tensor {
  return randn(shape, { dtype: 'float64', generator: new Generator(seed), requiresGrad });
}

function ints(values: number[] | number[][] | number[][][]): Tensor {
  return tensor(values, { dtype: 'int32' });
}

describe('indexSelect', () => {
  it('selects along an axis, with repeats', () => {
    const x = tensor([
      [1, 2],
      [3, 4],
      [5, 6],
    ]);
    expect(indexSelect(x, 0, ints([2, 0, 2])).toArray()).toEqual([
      [5, 6],
      [1, 2],
      [5, 6],
    ]);
    expect(indexSelect(x, -1, ints([1])).toArray()).toEqual([[2], [4], [6]]);
    expect(indexSelect(x, 0, tensor(1, { dtype: 'int32' })).toArray()).toEqual([[3, 4]]);
    expect(indexSelect(x, 0, ints([])).shape).toEqual([0, 2]);
    const wide = arange(3 * 40).reshape([3, 40]);
    expect(indexSelect(wide, 0, ints([1])).toArray()).toEqual([Array.from({ length: 40 }, (_, i) => 40 + i)]);
  });

  it('accumulates gradients of repeated indices', () => {
    const x = tensor([1, 2, 3], { dtype: 'float64', requiresGrad: true });
    indexSelect(x, 0, ints([0, 2, 0, 0]))
      .sum()
      .backward();
    expect(x.grad?.toArray()).toEqual([3, 0, 1]);
    gradcheck((a) => indexSelect(a, 1, ints([3, 0, 3, 1])), [rnd([2, 4, 3])]);
    gradcheck((a) => indexSelect(a, 0, ints([1, 1])), [rnd([2, 3])]);
    gradgradcheck((a) => indexSelect(a, -1, ints([2, 0, 2])).square(), [rnd([2, 3])]);
  });

  it('rejects bad indices', () => {
    const x = zeros([3, 2]);
    expect(() => indexSelect(x, 0, ints([0, 3]))).toThrow(IndexError);
    expect(() => indexSelect(x, 0, ints([0, 3]))).toThrow(/index 3 .* size 3/);
    expect(() => indexSelect(x, 0, ints([-1]))).toThrow(IndexError);
    expect(() => indexSelect(x, 0, tensor([0, 1]))).toThrow(DTypeError);
    expect(() => indexSelect(x, 2, ints([0]))).toThrow(AxisError);
    expect(() => indexSelect(x, 0, ints([[0]]))).toThrow(ShapeError);
  });
});

describe('gather / scatterAdd', () => {
  it('gather follows torch.gather (golden gather dim 1 with repeats)', () => {
    const x = tensor([
      [1, 2],
      [3, 4],
    ]);
    expect(
      gather(
        x,
        1,
        ints([
          [0, 0],
          [1, 0],
        ]),
      ).toArray(),
    ).toEqual([
      [1, 1],
      [4, 3],
    ]);
    const y = arange(12).reshape([3, 4]);
    expect(gather(y, 0, ints([[2, 0, 1, 2]])).toArray()).toEqual([[8, 1, 6, 11]]);
    // index smaller than x on the other axis
    expect(gather(y, 1, ints([[3], [0]])).toArray()).toEqual([[3], [4]]);
    const z = arange(24).reshape([2, 3, 4]);
    const i3 = ints([
      [
        [2, 1],
        [0, 0],
      ],
      [
        [1, 2],
        [2, 2],
      ],
    ]);
    // out[i][j][k] = z[i][i3[i][j][k]][k]
    expect(gather(z, 1, i3).toArray()).toEqual([
      [
        [8, 5],
        [0, 1],
      ],
      [
        [16, 21],
        [20, 21],
      ],
    ]);
  });

  it('gather gradients accumulate repeated indices', () => {
    const x = tensor([[1, 2, 3]], { dtype: 'float64', requiresGrad: true });
    gather(x, 1, ints([[2, 2, 0, 2]]))
      .sum()
      .backward();
    expect(x.grad?.toArray()).toEqual([[1, 0, 3]]);
    const index = ints([
      [0, 2, 2, 0],
      [1, 1, 1, 1],
    ]);
    gradcheck((a) => gather(a, 1, index), [rnd([2, 3])]);
    gradcheck(
      (a) =>
        gather(
          a,
          0,
          ints([
            [1, 0],
            [1, 1],
            [0, 1],
          ]),
        ),
      [rnd([2, 3])],
    );
    gradgradcheck((a) => gather(a, -1, index).square(), [rnd([2, 3])]);
  });

  it('scatterAdd adds src at the indexed positions, out of place', () => {
    const base = zeros([2]);
    expect(scatterAdd(base, 0, ints([0, 1, 0]), tensor([1, 2, 3])).toArray()).toEqual([4, 2]);
    expect(Array.from(base.data)).toEqual([0, 0]);
    const x = tensor([
      [1, 1, 1],
      [1, 1, 1],
    ]);
    const out = scatterAdd(
      x,
      0,
      ints([
        [1, 0, 1],
        [1, 1, 0],
      ]),
      tensor([
        [10, 20, 30],
        [40, 50, 60],
      ]),
    );
    expect(out.toArray()).toEqual([
      [1, 21, 61],
      [51, 51, 31],
    ]);
    // src larger than index: only the leading part is used
    const partial = scatterAdd(zeros([3]), 0, ints([2]), tensor([5, 7]));
    expect(partial.toArray()).toEqual([0, 0, 5]);
  });

  it('scatterAdd gradients: g for x, gather of g for src', () => {
    const index = ints([
      [1, 0, 1],
      [1, 1, 0],
    ]);
    gradcheck((a, s) => scatterAdd(a, 0, index, s), [rnd([2, 3], 1), rnd([2, 3], 2)]);
    gradcheck((a, s) => scatterAdd(a, 1, ints([[0, 0]]), s), [rnd([2, 3], 1), rnd([2, 4], 2)]);
    gradgradcheck((a, s) => scatterAdd(a, 0, index, s.square()), [rnd([2, 3], 1), rnd([2, 3], 2)]);
  });

  it('rejects bad arguments', () => {
    const x = zeros([2, 3]);
    expect(() => gather(x, 1, ints([[3]]))).toThrow(/index 3 .* size 3/);
    expect(() => gather(x, 1, ints([[-1]]))).toThrow(IndexError);
    expect(() => gather(x, 1, tensor([[0]]))).toThrow(DTypeError);
    expect(() => gather(x, 1, ints([0]))).toThrow(ShapeError);
    expect(() => gather(x, 1, ints([[0], [0], [0]]))).toThrow(ShapeError);
    expect(() => gather(x, 2, ints([[0]]))).toThrow(AxisError);
    expect(() => scatterAdd(x, 0, ints([[2]]), zeros([1, 1]))).toThrow(IndexError);
    expect(() => scatterAdd(x, 0, ints([[0, 0]]), zeros([1, 1]))).toThrow(/larger than src/);
    expect(() => scatterAdd(x, 0, tensor([[0]]), zeros([1, 1]))).toThrow(DTypeError);
  });
});

describe('take / maskedSelect / oneHot', () => {
  it('take reads the flattened tensor, negative indices count from the end', () => {
    const x = tensor([
      [1, 2],
      [3, 4],
    ]);
    expect(
      take(
        x,
        ints([
          [0, 3],
          [-1, 1],
        ]),
      ).toArray(),
    ).toEqual([
      [1, 4],
      [4, 2],
    ]);
    expect(take(x, tensor(2, { dtype: 'int32' })).toArray()).toEqual(3);
    expect(() => take(x, ints([4]))).toThrow(/index 4 .* size 4/);
    expect(() => take(x, ints([-5]))).toThrow(IndexError);
    expect(() => take(x, tensor([0]))).toThrow(DTypeError);
  });

  it('take gradients accumulate repeats', () => {
    const x = tensor([1, 2, 3], { dtype: 'float64', requiresGrad: true });
    take(x, ints([0, -3, 2]))
      .sum()
      .backward();
    expect(x.grad?.toArray()).toEqual([2, 0, 1]);
    gradcheck(
      (a) =>
        take(
          a,
          ints([
            [5, 0],
            [-1, 2],
          ]),
        ),
      [rnd([2, 3])],
    );
    gradgradcheck((a) => take(a, ints([1, 1, 0])).square(), [rnd([3])]);
  });

  it('maskedSelect keeps the masked elements (golden x[m])', () => {
    const x = tensor([
      [1, 2],
      [3, 4],
    ]);
    expect(
      maskedSelect(
        x,
        ints([
          [1, 0],
          [0, 1],
        ]),
      ).toArray(),
    ).toEqual([1, 4]);
    expect(maskedSelect(x, ints([0, 1])).toArray()).toEqual([2, 4]);
    expect(maskedSelect(x, x.gt(2)).toArray()).toEqual([3, 4]);
    expect(maskedSelect(tensor([1, 2]), ints([[1], [0], [1]])).toArray()).toEqual([1, 2, 1, 2]);
    expect(maskedSelect(x, zeros([2, 2])).shape).toEqual([0]);
    expect(() => maskedSelect(x, ints([1, 0, 1]))).toThrow(ShapeError);
  });

  it('maskedSelect gradients go back to the selected positions', () => {
    const x = tensor([1, 2, 3, 4], { dtype: 'float64', requiresGrad: true });
    maskedSelect(x, ints([1, 0, 0, 1]))
      .sum()
      .backward();
    expect(x.grad?.toArray()).toEqual([1, 0, 0, 1]);
    const mask = ints([
      [1, 0, 1],
      [0, 1, 1],
    ]);
    gradcheck((a) => maskedSelect(a, mask), [rnd([2, 3])]);
    gradcheck((a) => maskedSelect(a, mask), [rnd([3])]);
    gradgradcheck((a) => maskedSelect(a, mask).square(), [rnd([2, 3])]);
  });

  it('oneHot encodes int32 class indices', () => {
    const y = oneHot(ints([0, 2]));
    expect(y.dtype).toBe('int32');
    expect(y.toArray()).toEqual([
      [1, 0, 0],
      [0, 0, 1],
    ]);
    expect(oneHot(ints([[1], [0]]), 3).toArray()).toEqual([[[0, 1, 0]], [[1, 0, 0]]]);
    expect(oneHot(ints([]), 2).shape).toEqual([0, 2]);
    expect(() => oneHot(ints([3]), 3)).toThrow(/class index 3 .* numClasses 3/);
    expect(() => oneHot(ints([-1]))).toThrow(IndexError);
    expect(() => oneHot(tensor([1]))).toThrow(DTypeError);
    expect(() => oneHot(ints([]))).toThrow(ValueError);
  });
});

describe('inputs are not mutated', () => {
  it('leaves x, index and src untouched', () => {
    const x = rnd([3, 4], 4, false);
    const index = ints([
      [2, 0, 1, 2],
      [0, 0, 0, 1],
    ]);
    const src = rnd([2, 4], 5, false);
    const before = [Array.from(x.data), Array.from(index.data), Array.from(src.data)];
    gather(x, 0, index);
    scatterAdd(x, 0, index, src);
    indexSelect(x, 1, ints([3, 3]));
    take(x, ints([-1, 0]));
    maskedSelect(x, ints([1, 0, 1, 0]));
    expect([Array.from(x.data), Array.from(index.data), Array.from(src.data)]).toEqual(before);
    const neg = ints([-1, 0]);
    take(x, neg);
    expect(Array.from(neg.data)).toEqual([-1, 0]);
  });
});
