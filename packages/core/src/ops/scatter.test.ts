import { describe, expect, it } from 'vitest';
import {
  AxisError,
  DTypeError,
  gather,
  getOp,
  gradcheck,
  gradients,
  IndexError,
  ones,
  ShapeError,
  type Tensor,
  tensor,
  ValueError,
  zeros,
} from '../index';
import { gradgradcheck, rnd } from './grad-test-helpers';
import { scatter } from './scatter';

function ints(values: number | number[] | number[][] | number[][][]): Tensor {
  return tensor(values, { dtype: 'int32' });
}

describe('scatter', () => {
  it('writes src at the indexed positions of a copy of x', () => {
    const rows = ints([
      [2, 0],
      [1, 2],
    ]);
    const src = tensor([
      [7, 8],
      [9, 6],
    ]);
    expect(scatter(zeros([3, 2]), 0, rows, src).toArray()).toEqual([
      [0, 8],
      [9, 0],
      [7, 6],
    ]);
    expect(scatter(ones([4]), 0, ints([3, 0]), -1).toArray()).toEqual([-1, 1, 1, -1]);
    // along the last axis, with a negative axis; only the first two columns of src are used
    const x = tensor([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    const out = scatter(
      x,
      -1,
      ints([[2], [0]]),
      tensor([
        [10, 11],
        [12, 13],
      ]),
    );
    expect(out.toArray()).toEqual([
      [1, 2, 10],
      [12, 5, 6],
    ]);
    expect(x.toArray()).toEqual([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    expect(getOp('scatter')?.name).toBe('scatter');
  });

  it('lets the last write along the axis win among repeated indices', () => {
    const src = tensor([
      [1, 2],
      [3, 4],
      [5, 6],
    ]);
    const index = ints([
      [0, 1],
      [0, 1],
      [1, 1],
    ]);
    expect(scatter(zeros([2, 2]), 0, index, src).toArray()).toEqual([
      [3, 0],
      [5, 6],
    ]);
    expect(scatter(zeros([1, 3]), 1, ints([[2, 2, 0, 2]]), tensor([[1, 2, 3, 4]])).toArray()).toEqual([[3, 0, 4]]);
  });

  it("follows PyTorch's gradients: g zeroed where written for x, g gathered at index for src", () => {
    const x = tensor([0, 0, 0], { dtype: 'float64', requiresGrad: true });
    const src = tensor([1, 2, 3], { dtype: 'float64', requiresGrad: true });
    const out = scatter(x, 0, ints([2, 0, 2]), src);
    expect(out.toArray()).toEqual([2, 0, 3]);
    const [gx, gs] = gradients([out], [x, src], [tensor([10, 20, 30], { dtype: 'float64' })]);
    expect(gx?.toArray()).toEqual([0, 20, 0]);
    // each repeated index receives the gradient, also the overwritten one (PyTorch's formula)
    expect(gs?.toArray()).toEqual([30, 10, 30]);
  });

  it('passes gradcheck and gradgradcheck', () => {
    const perm = ints([
      [2, 0, 1, 3],
      [0, 3, 2, 1],
      [1, 2, 3, 0],
    ]);
    gradcheck((a, s) => scatter(a, 1, perm, s), [rnd([3, 4], 1), rnd([3, 4], 2)]);
    gradcheck((a, s) => scatter(a, -2, ints([[1, 0, 2, 2]]), s), [rnd([3, 4], 3), rnd([1, 4], 4)]);
    // src larger than index: zero gradient where src is not read (PyTorch throws there)
    gradcheck((a, s) => scatter(a, 0, ints([[2], [0]]), s), [rnd([3, 2], 5), rnd([3, 3], 6)]);
    gradcheck((a) => scatter(a, 1, perm, 0.5), [rnd([3, 4], 7)]);
    gradcheck((a, s) => scatter(a, 0, ints(0), s), [rnd([], 8), rnd([], 9)]);
    gradcheck((a, s) => scatter(a, -1, ints([[[1, 0]], [[0, 1]]]), s), [rnd([2, 1, 2], 10), rnd([2, 1, 2], 11)]);
    gradgradcheck((a, s) => scatter(a.square(), 1, perm, s.mul(s)), [rnd([3, 4], 12), rnd([3, 4], 13)]);
    gradgradcheck((a, s) => scatter(a, 0, ints([[2], [0]]), s.square()), [rnd([3, 2], 14), rnd([3, 3], 15)]);
    gradgradcheck((a) => scatter(a.square(), -1, perm, 2), [rnd([3, 4], 16)]);
  });

  it('gives gradients of gradients through the VJP', () => {
    const x = tensor([1, 2, 3], { dtype: 'float64', requiresGrad: true });
    const src = tensor([4, 5], { dtype: 'float64', requiresGrad: true });
    const out = scatter(x.square(), 0, ints([0, 2]), src.square());
    const [gx, gs] = gradients([out.sum()], [x, src], undefined, { createGraph: true });
    expect(gx?.toArray()).toEqual([0, 4, 0]);
    expect(gs?.toArray()).toEqual([8, 10]);
    const [ggx] = gradients([(gx as Tensor).sum()], [x]);
    expect(ggx?.toArray()).toEqual([0, 2, 0]);
    const [ggs] = gradients([(gs as Tensor).sum()], [src]);
    expect(ggs?.toArray()).toEqual([2, 2]);
  });

  it('reads 0-d tensors as 1-D of size 1, as PyTorch does', () => {
    expect(scatter(tensor(1), 0, ints(0), tensor(5)).shape).toEqual([]);
    expect(scatter(tensor(1), -1, ints(0), tensor(5)).item()).toBe(5);
    expect(scatter(tensor(1), 0, ints([0]), tensor([5])).shape).toEqual([]);
    expect(scatter(tensor([1]), 0, ints(0), tensor(5)).toArray()).toEqual([5]);
    expect(scatter(tensor(1), 0, ints(0), 7).item()).toBe(7);
  });

  it('returns a copy of x for an empty index, whatever its shape', () => {
    const x = tensor([[1, 2, 3]], { dtype: 'float64', requiresGrad: true });
    const src = tensor([[4, 5, 6]], { dtype: 'float64', requiresGrad: true });
    const out = scatter(x, 0, ints([]), src);
    expect(out.toArray()).toEqual([[1, 2, 3]]);
    expect(out).not.toBe(x);
    const [gx, gs] = gradients([out], [x, src], [tensor([[1, 2, 3]], { dtype: 'float64' })]);
    expect(gx?.toArray()).toEqual([[1, 2, 3]]);
    expect(gs?.toArray()).toEqual([[0, 0, 0]]);
    expect(scatter(x, 1, tensor([], { dtype: 'int32' }).reshape([0, 7, 2]), 1).toArray()).toEqual([[1, 2, 3]]);
    expect(scatter(zeros([0, 3]), 1, ints([]).reshape([0, 2]), zeros([0, 2])).shape).toEqual([0, 3]);
  });

  it("converts a number to x's dtype and requires src to have it", () => {
    const xi = tensor([1, 2, 3], { dtype: 'int32' });
    expect(scatter(xi, 0, ints([1]), 2.7).toArray()).toEqual([1, 2, 3]);
    expect(scatter(xi, 0, ints([0]), -2.7).toArray()).toEqual([-2, 2, 3]);
    expect(scatter(xi, 0, ints([2, 0]), ints([7, 8])).toArray()).toEqual([8, 2, 7]);
    expect(scatter(zeros([2]), 0, ints([0]), 0.1).values[0]).toBe(Math.fround(0.1));
    expect(scatter(zeros([2], { dtype: 'float64' }), 0, ints([0]), 0.1).values[0]).toBe(0.1);
    for (const dtype of ['float16', 'bfloat16'] as const) {
      const half = scatter(zeros([3], { dtype }), 0, ints([1]), 1.0001);
      expect(half.dtype).toBe(dtype);
      expect(half.toArray()).toEqual([0, 1, 0]);
      const moved = scatter(zeros([3], { dtype }), 0, ints([2, 0]), tensor([0.5, -3], { dtype }));
      expect(moved.toArray()).toEqual([-3, 0, 0.5]);
    }
    expect(() => scatter(zeros([2]), 0, ints([0]), tensor([1], { dtype: 'float64' }))).toThrow(DTypeError);
    expect(() => scatter(zeros([2]), 0, ints([0]), tensor([1], { dtype: 'float64' }))).toThrow(
      /scatter: src must have the dtype of x \(float32\), got float64/,
    );
  });

  it('handles tensors that live in wasm memory (large float32)', () => {
    const rows = 40;
    const cols = 16;
    const x = tensor(Array.from({ length: rows * cols }, (_, i) => i)).reshape([rows, cols]);
    const idx: number[][] = [];
    const srcRows: number[][] = [];
    for (let r = 0; r < rows; r++) {
      idx.push(Array.from({ length: cols }, (_, c) => (r * 7 + c * 3) % rows));
      srcRows.push(Array.from({ length: cols }, (_, c) => -(r * cols + c)));
    }
    const out = scatter(x, 0, ints(idx), tensor(srcRows)).toArray() as number[][];
    const want = (x.toArray() as number[][]).map((row) => [...row]);
    for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) want[idx[r][c]][c] = srcRows[r][c];
    expect(out).toEqual(want);
    // and its src gradient is gather's
    const s = tensor(srcRows, { requiresGrad: true });
    const g = tensor(Array.from({ length: rows * cols }, (_, i) => i % 5)).reshape([rows, cols]);
    const [gs] = gradients([scatter(x, 0, ints(idx), s)], [s], [g]);
    expect(gs?.toArray()).toEqual(gather(g, 0, ints(idx)).toArray());
  });

  it('rejects bad arguments with named errors', () => {
    const x = zeros([2, 3]);
    expect(() => scatter(x, 0, ints([[2]]), 1)).toThrow(IndexError);
    expect(() => scatter(x, 0, ints([[2]]), 1)).toThrow(/scatter: index 2 is out of range for a dimension of size 2/);
    expect(() => scatter(x, 1, ints([[-1]]), 1)).toThrow(IndexError);
    expect(() => scatter(x, 0, tensor([[0]]), 1)).toThrow(DTypeError);
    expect(() => scatter(x, 0, tensor([[0]]), 1)).toThrow(/scatter: index must be an int32 tensor/);
    expect(() => scatter(x, 0, ints([0]), 1)).toThrow(ShapeError);
    expect(() => scatter(x, 0, ints([[0]]), zeros([1]))).toThrow(/src has 1 dims but x has 2/);
    expect(() => scatter(x, 0, ints([[0, 0]]), zeros([1, 1]))).toThrow(/larger than src/);
    expect(() => scatter(x, 0, ints([[0, 0, 0, 0]]), 1)).toThrow(/larger than x .* at dim 1/);
    expect(scatter(x, 0, ints([[0], [1], [0]]), 1).toArray()).toEqual([
      [1, 0, 0],
      [1, 0, 0],
    ]);
    expect(() => scatter(x, 2, ints([[0]]), 1)).toThrow(AxisError);
    expect(() => scatter(x, 0.5, ints([[0]]), 1)).toThrow(AxisError);
    expect(() => scatter(x, 0, ints([[0]]), '1' as unknown as number)).toThrow(ValueError);
    expect(() => scatter([1] as unknown as Tensor, 0, ints([[0]]), 1)).toThrow(/scatter: x must be a Tensor/);
    expect(() => scatter(x, 0, [0] as unknown as Tensor, 1)).toThrow(/scatter: index must be a Tensor/);
  });
});
