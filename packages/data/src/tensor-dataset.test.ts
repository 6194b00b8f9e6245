import { arange, IndexError, ShapeError, type Tensor, tensor, ValueError, zeros } from '@nablajs/core';
import { describe, expect, it } from 'vitest';
import { Subset } from './subset';
import { TensorDataset } from './tensor-dataset';

const x = tensor([
  [1, 2],
  [3, 4],
  [5, 6],
]);
const y = tensor([7, 8, 9], { dtype: 'int32' });

describe('TensorDataset', () => {
  it('has the shared first dimension as length and returns rows', () => {
    const ds = new TensorDataset(x, y);
    expect(ds.length).toBe(3);
    const [xi, yi] = ds.get(1);
    expect(xi.shape).toEqual([2]);
    expect(xi.toArray()).toEqual([3, 4]);
    expect(yi.shape).toEqual([]);
    expect(yi.dtype).toBe('int32');
    expect(yi.item()).toBe(8);
  });

  it('gathers a batch with one indexSelect per tensor, in the given order, with repeats', () => {
    const ds = new TensorDataset(x, y);
    const [xb, yb] = ds.getBatch(Int32Array.from([2, 0, 2]));
    expect(xb.toArray()).toEqual([
      [5, 6],
      [1, 2],
      [5, 6],
    ]);
    expect(yb.toArray()).toEqual([9, 7, 9]);
  });

  it('does not copy or change the tensors it holds', () => {
    const before = Array.from(x.data);
    const ds = new TensorDataset(x, y);
    expect(ds.tensors[0]).toBe(x);
    ds.get(0).forEach((t) => {
      t.data[0] = 100;
    });
    expect(Array.from(x.data)).toEqual(before);
  });

  it('rejects mismatched sample counts, naming the sizes and shapes', () => {
    expect(() => new TensorDataset(zeros([100, 3]), zeros([99]))).toThrow(ShapeError);
    expect(() => new TensorDataset(zeros([100, 3]), zeros([99]))).toThrow(
      /TensorDataset: every tensor must have the same number of samples \(first dimension\), got 100 vs 99 \(shapes \[100,3\], \[99\]\)/,
    );
  });

  it('rejects no tensors, 0-d tensors, non-tensors and bad indices', () => {
    expect(() => new TensorDataset()).toThrow(ValueError);
    expect(() => new TensorDataset(tensor(1))).toThrow(/tensors\[0\] is 0-d/);
    expect(() => new TensorDataset(x, [1, 2, 3] as unknown as Tensor)).toThrow(/tensors\[1\] is not a Tensor/);
    const ds = new TensorDataset(x);
    expect(() => ds.get(3)).toThrow(IndexError);
    expect(() => ds.get(-1)).toThrow(/index -1 is out of range for 3 samples/);
    expect(() => ds.get(0.5)).toThrow(IndexError);
  });
});

describe('Subset', () => {
  const ds = new TensorDataset(arange(10).reshape([10, 1]), arange(10, 20, 1, { dtype: 'int32' }));

  it('maps its indices onto the dataset', () => {
    const sub = new Subset(ds, [4, 1, 7]);
    expect(sub.length).toBe(3);
    expect(sub.get(0)[0].toArray()).toEqual([4]);
    expect(sub.get(2)[1].item()).toBe(17);
    expect(Array.from(sub.indices)).toEqual([4, 1, 7]);
  });

  it('copies the indices it is given and accepts a tensor of indices', () => {
    const indices = [0, 1];
    const sub = new Subset(ds, indices);
    indices[0] = 9;
    expect(sub.get(0)[0].toArray()).toEqual([0]);
    expect(new Subset(ds, tensor([3, 2], { dtype: 'int32' })).get(1)[0].toArray()).toEqual([2]);
  });

  it('rejects indices out of range, at construction and in get', () => {
    expect(() => new Subset(ds, [0, 10])).toThrow(
      /Subset: indices\[1\] = 10 is out of range for a dataset of length 10/,
    );
    expect(() => new Subset(ds, [1.5])).toThrow(IndexError);
    expect(() => new Subset(ds, [0]).get(1)).toThrow(/Subset.get: index 1 is out of range for 1 items/);
  });
});
