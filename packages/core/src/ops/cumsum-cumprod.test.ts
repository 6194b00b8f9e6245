import { describe, expect, it } from 'vitest';
import { AxisError, arange, Generator, gradcheck, gradients, randn, type Tensor, tensor, ValueError } from '../index';
import { cumprod } from './cumprod';
import { cumsum } from './cumsum';
import { gradgradcheck, rnd } from './grad-test-helpers';

/** float64 leaf with the given values (zeros included), for finite differences. */
function leaf(values: number[][], requiresGrad = true): Tensor {
  return tensor(values, { dtype: 'float64', requiresGrad });
}

/** The cumulative sum or product along the last axis, one row at a time, in float64. */
function naive(kind: 'sum' | 'prod', rows: number[][]): number[][] {
  return rows.map((row) => {
    let acc = kind === 'sum' ? 0 : 1;
    return row.map((v) => {
      acc = kind === 'sum' ? acc + v : acc * v;
      return acc;
    });
  });
}

describe('cumsum', () => {
  it('sums along an axis, negative axes included', () => {
    const x = tensor([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    expect(cumsum(x, 1).toArray()).toEqual([
      [1, 3, 6],
      [4, 9, 15],
    ]);
    expect(cumsum(x, -2).toArray()).toEqual([
      [1, 2, 3],
      [5, 7, 9],
    ]);
    expect(cumsum(tensor(4), 0).toArray()).toEqual(4);
    expect(cumsum(tensor([[]]), 1).shape).toEqual([1, 0]);
  });

  it('propagates NaN and infinities forward', () => {
    expect(cumsum(tensor([1, Number.NaN, 2]), 0).toArray()).toEqual([1, Number.NaN, Number.NaN]);
    expect(cumsum(tensor([1, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]), 0).toArray()).toEqual([
      1,
      Number.POSITIVE_INFINITY,
      Number.NaN,
    ]);
  });

  it('keeps int32 as int32, wrapping around on overflow', () => {
    const y = cumsum(tensor([2 ** 31 - 1, 1, 5], { dtype: 'int32' }), 0);
    expect(y.dtype).toBe('int32');
    expect(y.toArray()).toEqual([2 ** 31 - 1, -(2 ** 31), -(2 ** 31) + 5]);
  });

  it('accumulates float32 in float64, rounding each result once', () => {
    const x = tensor([1, 2 ** -24, 2 ** -24, 2 ** -24], { dtype: 'float32' });
    // float32 accumulation would stay at 1 (each 2^-24 rounds away); float64 keeps them.
    expect(cumsum(x, 0).toArray()).toEqual([1, 1, Math.fround(1 + 2 ** -23), Math.fround(1 + 3 * 2 ** -24)]);
  });

  it('agrees with a plain loop on a large float32 tensor (in wasm memory on that backend)', () => {
    const x = randn([7, 300], { generator: new Generator(3) });
    const want = naive('sum', x.toArray() as number[][]).map((row) => row.map(Math.fround));
    expect(cumsum(x, -1).toArray()).toEqual(want);
  });

  it('has the reversed cumulative sum of the upstream gradient as its gradient', () => {
    const x = tensor([1, 2, 3], { dtype: 'float64', requiresGrad: true });
    const [g] = gradients([cumsum(x, 0)], [x], [tensor([1, 10, 100], { dtype: 'float64' })]);
    expect(g?.toArray()).toEqual([111, 110, 100]);
    gradcheck((a) => cumsum(a, 1), [rnd([2, 4, 3])]);
    gradcheck((a) => cumsum(a, -3), [rnd([2, 4, 3], 2)]);
    gradcheck((a) => cumsum(a, 0), [rnd([], 3)]);
    gradgradcheck((a) => cumsum(a, -1).square(), [rnd([3, 5], 4)]);
    gradgradcheck((a) => cumsum(a.square(), 0), [rnd([4, 2], 5)]);
  });

  it('rejects bad arguments, naming the function and the argument', () => {
    expect(() => cumsum(tensor([1, 2]), 1)).toThrow(AxisError);
    expect(() => cumsum(tensor([1, 2]), 1)).toThrow(/cumsum: axis 1/);
    expect(() => cumsum(tensor([1, 2]), 0.5)).toThrow(/cumsum: axis must be an integer/);
    expect(() => cumsum(tensor([1, 2]), undefined as unknown as number)).toThrow(AxisError);
    expect(() => cumsum([1, 2] as unknown as Tensor, 0)).toThrow(ValueError);
    expect(() => cumsum([1, 2] as unknown as Tensor, 0)).toThrow(/cumsum: x must be a Tensor/);
  });
});

describe('cumprod', () => {
  it('multiplies along an axis, negative axes included', () => {
    const x = tensor([
      [1, 2, 3],
      [4, 0, 6],
    ]);
    expect(cumprod(x, 1).toArray()).toEqual([
      [1, 2, 6],
      [4, 0, 0],
    ]);
    expect(cumprod(x, -2).toArray()).toEqual([
      [1, 2, 3],
      [4, 0, 18],
    ]);
    expect(cumprod(tensor([2, Number.NaN, 0]), 0).toArray()).toEqual([2, Number.NaN, Number.NaN]);
    expect(cumprod(tensor(-3), -1).toArray()).toEqual(-3);
  });

  it('keeps int32 as int32, wrapping around like a 64-bit product truncated to 32 bits', () => {
    const y = cumprod(tensor([2 ** 20, 2 ** 12, 3, -1], { dtype: 'int32' }), 0);
    expect(y.dtype).toBe('int32');
    expect(y.toArray()).toEqual([2 ** 20, 0, 0, 0]);
    expect(cumprod(tensor([65537, 65537], { dtype: 'int32' }), 0).toArray()).toEqual([65537, 131073]);
  });

  it('agrees with a plain loop on a large float32 tensor', () => {
    const x = randn([3, 400], { generator: new Generator(6) })
      .mul(0.1)
      .add(1);
    const want = naive('prod', x.toArray() as number[][]).map((row) => row.map(Math.fround));
    expect(cumprod(x, 1).toArray()).toEqual(want);
  });

  it('has exact gradients with zeros (one, two, three per row, first and last)', () => {
    const x = tensor([3, 0, 2], { dtype: 'float64', requiresGrad: true });
    cumprod(x, 0).sum().backward();
    // d/dx0 (x0 + x0 x1 + x0 x1 x2) = 1 + x1 + x1 x2; d/dx1 = x0 + x0 x2; d/dx2 = x0 x1.
    expect(x.grad?.toArray()).toEqual([1, 9, 0]);
    const rows = [
      [0.5, -1.5, 2, 0.75, -1.25],
      [0, -1.5, 2, 0.75, -1.25],
      [0.5, -1.5, 0, 0.75, -1.25],
      [0.5, -1.5, 2, 0.75, 0],
      [0.5, 0, 2, 0, -1.25],
      [0, -1.5, 0, 0.75, 0],
      [0, 0, 0, 0, 0],
    ];
    gradcheck((a) => cumprod(a, 1), [leaf(rows)]);
    gradcheck((a) => cumprod(a, 0), [leaf(rows)]);
    gradcheck((a) => cumprod(a, -1), [rnd([2, 3, 4], 7)]);
    gradcheck((a) => cumprod(a, 1), [leaf([[0], [2]])]);
  });

  it('has exact second derivatives with zeros, and third ones', () => {
    const rows = [
      [0.5, -1.5, 2, 0.75],
      [0, -1.5, 2, 0.75],
      [0.5, 0, 2, 0],
      [0.5, -1.5, 0, 0],
    ];
    gradgradcheck((a) => cumprod(a, 1), [leaf(rows)]);
    gradgradcheck((a) => cumprod(a, -2), [leaf(rows)]);
    gradgradcheck((a) => cumprod(a, 0), [rnd([5, 2], 8)]);
    // The VJP with createGraph is itself differentiable to any order (a gradcheck of a second derivative).
    const v = rnd([4, 4], 9, false);
    gradgradcheck(
      (a) => {
        const [g] = gradients([cumprod(a, 1)], [a], [v], { createGraph: true });
        return (g as Tensor).square();
      },
      [leaf(rows)],
    );
  });

  it('gives the same first-order gradient with and without createGraph', () => {
    const x = leaf([
      [0.5, -1.5, 2, 0.75, -1.25],
      [0.5, 0, 2, 0, -1.25],
      [0, -1.5, 0.25, 0.75, 3],
    ]);
    const v = rnd([3, 5], 10, false);
    const [plain] = gradients([cumprod(x, 1)], [x], [v]);
    const [kept] = gradients([cumprod(x, 1)], [x], [v], { createGraph: true });
    const a = (plain as Tensor).toArray() as number[][];
    const b = (kept as Tensor).toArray() as number[][];
    a.forEach((row, i) => {
      row.forEach((value, j) => {
        expect(b[i][j]).toBeCloseTo(value, 12);
      });
    });
  });

  it('passes the gradient through an axis of size 1 (even at zero, as PyTorch)', () => {
    const x = tensor([[0, Number.NaN]], { dtype: 'float64', requiresGrad: true });
    const [g] = gradients([cumprod(x, 0)], [x], [tensor([[2, 3]], { dtype: 'float64' })]);
    expect(g?.toArray()).toEqual([[2, 3]]);
  });

  it('rejects bad arguments, naming the function and the argument', () => {
    expect(() => cumprod(arange(4), -2)).toThrow(AxisError);
    expect(() => cumprod(arange(4), -2)).toThrow(/cumprod: axis -2/);
    expect(() => cumprod({} as Tensor, 0)).toThrow(/cumprod: x must be a Tensor/);
  });
});
