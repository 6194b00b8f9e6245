import { tensor } from '@nablajs/core';
import { describe, expect, it } from 'vitest';
import { DataLoader } from './data-loader';
import { IterableDataLoader, type IterableDataset } from './iterable-data-loader';
import { TensorDataset } from './tensor-dataset';

/** Yields `[i]` and `[10 i]` for i < n, a new pass each time; counts its passes. */
class Counting implements IterableDataset<readonly [ReturnType<typeof tensor>, ReturnType<typeof tensor>]> {
  passes = 0;
  constructor(
    private readonly n: number,
    readonly length?: number,
  ) {}
  *[Symbol.iterator]() {
    this.passes++;
    for (let i = 0; i < this.n; i++) yield [tensor([i]), tensor([10 * i])] as const;
  }
}

describe('IterableDataLoader', () => {
  it('groups consecutive items into batches, a new pass each epoch, the last smaller unless dropLast', () => {
    const data = new Counting(7);
    const loader = new IterableDataLoader(data, { batchSize: 3 });
    for (let epoch = 0; epoch < 2; epoch++) {
      const batches = [...loader];
      expect(batches.map(([x]) => x.toArray())).toEqual([[[0], [1], [2]], [[3], [4], [5]], [[6]]]);
      expect(batches.map(([, y]) => y.shape)).toEqual([
        [3, 1],
        [3, 1],
        [1, 1],
      ]);
    }
    expect(data.passes).toBe(2);
    expect([...new IterableDataLoader(data, { batchSize: 3, dropLast: true })].length).toBe(2);
    expect(loader.length).toBeNull(); // no length: known only by reading it
  });

  it("gives PyTorch's len(loader) when the dataset has a length, and takes a collate", () => {
    expect(new IterableDataLoader(new Counting(7, 7), { batchSize: 3 }).length).toBe(3);
    expect(new IterableDataLoader(new Counting(7, 7), { batchSize: 3, dropLast: true }).length).toBe(2);
    const sums = new IterableDataLoader(new Counting(4), {
      batchSize: 2,
      collate: (items) => items.reduce((acc, [x]) => acc + x.item(), 0),
    });
    expect([...sums]).toEqual([1, 5]);
    expect([...new IterableDataLoader([1, 2, 3], { batchSize: 2, collate: (xs) => xs.join('+') })]).toEqual([
      '1+2',
      '3',
    ]);
  });

  it('refuses what fixes an order, a one-shot generator on its second pass, and bad options', () => {
    const data = new Counting(3);
    expect(() => new IterableDataLoader(data, { shuffle: true } as object)).toThrow(
      /IterableDataLoader: shuffle does not apply: an iterable dataset is read in its own order/,
    );
    expect(() => new IterableDataLoader(data, { sampler: [0, 1] } as object)).toThrow(
      /IterableDataLoader: sampler does not apply/,
    );
    expect(() => new IterableDataLoader(data, { batchSize: 0 })).toThrow(/batchSize must be a positive integer/);
    expect(() => new IterableDataLoader(data, { batchsize: 2 } as object)).toThrow(/IterableDataLoader/);
    expect(() => new IterableDataLoader(5 as unknown as IterableDataset<number>)).toThrow(/must be iterable/);
    function* once() {
      yield 1;
      yield 2;
    }
    const loader = new IterableDataLoader(once(), { collate: (xs) => xs[0] });
    expect([...loader]).toEqual([1, 2]);
    expect(() => [...loader]).toThrow(/yielded no items in this pass; a generator object can be read only once/);
  });

  it('DataLoader points an iterable dataset to it', () => {
    expect(() => new DataLoader(new Counting(3) as never)).toThrow(/use IterableDataLoader/);
    expect(() => new DataLoader({} as never)).toThrow(/must have a length and a get\(index\) method$/);
    expect(new DataLoader(new TensorDataset(tensor([[1], [2]]), tensor([0, 1]))).length).toBe(2);
  });
});
