import { arange, Generator, manualSeed, ShapeError, type Tensor, tensor, ValueError } from '@nablajs/core';
import { describe, expect, it, vi } from 'vitest';
import { defaultCollate } from './collate';
import { DataLoader } from './data-loader';
import { Subset } from './subset';
import { TensorDataset } from './tensor-dataset';
import type { Dataset } from './types';

/** x[i] = [i, 10 i], y[i] = i, for i in 0..n-1. */
function numbered(n: number): TensorDataset<[Tensor, Tensor]> {
  const i = arange(n);
  return new TensorDataset(i.reshape([n, 1]).mul(tensor([1, 10])), arange(n, undefined, 1, { dtype: 'int32' }));
}

/** The labels of every batch of one epoch. */
function epoch(loader: Iterable<readonly [Tensor, Tensor]>): number[][] {
  return Array.from(loader, ([, y]) => Array.from(y.data));
}

describe('DataLoader', () => {
  it('yields batches in order with a smaller last batch, and length = ceil(n / batchSize)', () => {
    const loader = new DataLoader(numbered(10), { batchSize: 4 });
    expect(loader.length).toBe(3);
    const batches = Array.from(loader);
    expect(batches.length).toBe(3);
    expect(batches.map(([x]) => x.shape)).toEqual([
      [4, 2],
      [4, 2],
      [2, 2],
    ]);
    expect(batches[2][0].toArray()).toEqual([
      [8, 80],
      [9, 90],
    ]);
    expect(batches[2][1].dtype).toBe('int32');
    expect(epoch(loader)).toEqual([
      [0, 1, 2, 3],
      [4, 5, 6, 7],
      [8, 9],
    ]);
  });

  it('drops the last partial batch with dropLast, and length = floor(n / batchSize)', () => {
    const loader = new DataLoader(numbered(10), { batchSize: 4, dropLast: true });
    expect(loader.length).toBe(2);
    expect(epoch(loader)).toEqual([
      [0, 1, 2, 3],
      [4, 5, 6, 7],
    ]);
    const exact = new DataLoader(numbered(8), { batchSize: 4, dropLast: true });
    expect(exact.length).toBe(2);
    expect(epoch(exact).flat()).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
  });

  it('defaults to batches of one item', () => {
    const loader = new DataLoader(numbered(3));
    expect(loader.length).toBe(3);
    expect(Array.from(loader, ([x]) => x.shape)).toEqual([
      [1, 2],
      [1, 2],
      [1, 2],
    ]);
  });

  it('shuffles reproducibly: the same seed gives the same order, each epoch a new permutation', () => {
    const run = (seed: number) => {
      const loader = new DataLoader(numbered(20), { batchSize: 5, shuffle: true, generator: new Generator(seed) });
      return [epoch(loader), epoch(loader), epoch(loader)];
    };
    const [e1, e2, e3] = run(7);
    expect(run(7)).toEqual([e1, e2, e3]);
    for (const e of [e1, e2, e3]) expect([...e.flat()].sort((a, b) => a - b)).toEqual([...Array(20).keys()]);
    expect(e1).not.toEqual(e2);
    expect(e2).not.toEqual(e3);
    expect(e1.flat()).not.toEqual([...Array(20).keys()]);
    expect(run(8)[0]).not.toEqual(e1);
  });

  it('keeps x and y rows together when shuffling', () => {
    const loader = new DataLoader(numbered(12), { batchSize: 5, shuffle: true, generator: new Generator(1) });
    for (const [x, y] of loader) {
      const rows = x.toArray() as number[][];
      rows.forEach((row, k) => {
        expect(row).toEqual([y.data[k], 10 * y.data[k]]);
      });
    }
  });

  it('resumes the same order from a saved generator state', () => {
    const generator = new Generator(3);
    const loader = new DataLoader(numbered(16), { batchSize: 4, shuffle: true, generator });
    epoch(loader);
    const saved = generator.getState();
    const second = epoch(loader);
    const third = epoch(loader);
    const resumed = new Generator(999).setState(saved);
    const again = new DataLoader(numbered(16), { batchSize: 4, shuffle: true, generator: resumed });
    expect([epoch(again), epoch(again)]).toEqual([second, third]);
  });

  it('draws the permutation when an epoch starts, from the global generator by default', () => {
    const loader = new DataLoader(numbered(10), { batchSize: 10, shuffle: true });
    manualSeed(5);
    const a = epoch(loader);
    manualSeed(5);
    expect(epoch(loader)).toEqual(a);
    const generator = new Generator(0);
    const lazy = new DataLoader(numbered(10), { shuffle: true, generator });
    const before = generator.getState();
    const iterator = lazy[Symbol.iterator]();
    expect(generator.getState()).not.toEqual(before);
    iterator.next();
    const unshuffled = new Generator(0);
    epoch(new DataLoader(numbered(10), { generator: unshuffled }));
    expect(unshuffled.getState()).toEqual(new Generator(0).getState());
  });

  it('gathers TensorDataset batches with getBatch (one indexSelect per tensor), never item by item', () => {
    const ds = numbered(10);
    const get = vi.spyOn(ds, 'get');
    const getBatch = vi.spyOn(ds, 'getBatch');
    Array.from(new DataLoader(ds, { batchSize: 4, shuffle: true, generator: new Generator(0) }));
    expect(get).not.toHaveBeenCalled();
    expect(getBatch).toHaveBeenCalledTimes(3);
    expect(getBatch.mock.calls.map(([indices]) => indices.length)).toEqual([4, 4, 2]);
  });

  it('batches a Subset of a TensorDataset through the fast path, with the subset order', () => {
    const ds = numbered(10);
    const sub = new Subset(new Subset(ds, [9, 8, 7, 6, 5, 4]), [5, 0, 2]);
    const [[x, y]] = Array.from(new DataLoader(sub, { batchSize: 3 }));
    expect(Array.from(y.data)).toEqual([4, 9, 7]);
    expect(x.toArray()).toEqual([
      [4, 40],
      [9, 90],
      [7, 70],
    ]);
  });

  it('collates a generic dataset of tuples of tensors and numbers', () => {
    const squares: Dataset<[Tensor, number]> = { length: 5, get: (i) => [tensor([i, i * i]), i % 2] };
    const batches = Array.from(new DataLoader(squares, { batchSize: 2 }));
    expect(batches.length).toBe(3);
    expect(batches[1][0].toArray()).toEqual([
      [2, 4],
      [3, 9],
    ]);
    expect(batches[1][1].dtype).toBe('int32');
    expect(batches[1][1].toArray()).toEqual([0, 1]);
    expect(batches[2][0].shape).toEqual([1, 2]);
  });

  it('uses a custom collate when given one', () => {
    const ds: Dataset<number> = { length: 5, get: (i) => i };
    const sums = Array.from(new DataLoader(ds, { batchSize: 2, collate: (items) => items.reduce((a, b) => a + b, 0) }));
    expect(sums).toEqual([1, 5, 4]);
  });

  it('rejects batchSize 0 or non-integer, an empty dataset and dropLast without a full batch, before iterating', () => {
    const ds = numbered(5);
    expect(() => new DataLoader(ds, { batchSize: 0 })).toThrow(ValueError);
    expect(() => new DataLoader(ds, { batchSize: 0 })).toThrow(
      /DataLoader: batchSize must be a positive integer, got 0/,
    );
    expect(() => new DataLoader(ds, { batchSize: 2.5 })).toThrow(/got 2.5/);
    expect(() => new DataLoader(ds, { batchSize: -1 })).toThrow(ValueError);
    const empty: Dataset<number> = { length: 0, get: () => 0 };
    expect(() => new DataLoader(empty)).toThrow(/DataLoader: the dataset is empty \(length 0\)/);
    expect(() => new DataLoader(ds, { batchSize: 8, dropLast: true })).toThrow(
      /dropLast with batchSize 8 and a dataset of 5 items gives no batches/,
    );
    expect(() => new DataLoader({} as Dataset<number>)).toThrow(/dataset must have a length and a get\(index\) method/);
  });

  it('rejects an unknown option (a snake_case name from PyTorch, say), naming the close one', () => {
    const ds = numbered(5);
    expect(() => new DataLoader(ds, { batch_size: 2 } as never)).toThrow(
      'DataLoader: unknown option "batch_size" (did you mean "batchSize"?); options are batchSize, shuffle, generator, dropLast, collate',
    );
    expect(() => new DataLoader(ds, { drop_last: true } as never)).toThrow(/did you mean "dropLast"/);
    expect(() => new DataLoader(ds, { numWorkers: 2 } as never)).toThrow(/^DataLoader: unknown option "numWorkers"; /);
  });

  it('rejects a dataset that became empty when an epoch starts', () => {
    const items = [1, 2, 3];
    const ds: Dataset<number> = {
      get length() {
        return items.length;
      },
      get: (i) => items[i],
    };
    const loader = new DataLoader(ds);
    items.length = 0;
    expect(() => loader[Symbol.iterator]()).toThrow(/the dataset is empty/);
  });
});

describe('defaultCollate', () => {
  it('stacks tensors and turns numbers into int32 or float32 tensors', () => {
    const batch = defaultCollate([
      { image: tensor([1, 2]), label: 3, weight: 0.5 },
      { image: tensor([3, 4]), label: 4, weight: 1 },
    ]);
    expect(batch.image.toArray()).toEqual([
      [1, 2],
      [3, 4],
    ]);
    expect(batch.label.dtype).toBe('int32');
    expect(batch.weight.dtype).toBe('float32');
    expect(batch.weight.toArray()).toEqual([0.5, 1]);
  });

  it('names the item and field whose shape or type differs', () => {
    expect(() => defaultCollate([[tensor([1, 2])], [tensor([1, 2, 3])]])).toThrow(ShapeError);
    expect(() => defaultCollate([[tensor([1, 2])], [tensor([1, 2, 3])]])).toThrow(
      /defaultCollate: field \[0\] of item 1 has shape \[3\] but field \[0\] of item 0 has shape \[2\]/,
    );
    expect(() => defaultCollate([{ a: 1 }, { b: 2 }])).toThrow(/item 1 has no field "a"/);
    expect(() => defaultCollate(['a', 'b'])).toThrow(/cannot collate item 0 of type string/);
    expect(() => defaultCollate([])).toThrow(ValueError);
  });
});
