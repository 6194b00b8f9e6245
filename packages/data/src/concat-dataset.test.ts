import { arange, Generator, IndexError, type Tensor, ValueError } from '@nablajs/core';
import { describe, expect, it } from 'vitest';
import { ConcatDataset } from './concat-dataset';
import { DataLoader } from './data-loader';
import { TensorDataset } from './tensor-dataset';
import type { Dataset } from './types';

const range = (from: number, n: number): Dataset<number> => ({ length: n, get: (i) => from + i });

describe('ConcatDataset', () => {
  it('chains the datasets: lengths add up and each index reaches the dataset whose range holds it', () => {
    const both = new ConcatDataset([range(0, 3), range(100, 0), range(10, 4), range(50, 1)]);
    expect(both.length).toBe(8);
    expect(both.cumulativeSizes).toEqual([3, 3, 7, 8]);
    expect(Array.from({ length: 8 }, (_, i) => both.get(i))).toEqual([0, 1, 2, 10, 11, 12, 13, 50]);
  });

  it('refuses an index out of range, as the other datasets do', () => {
    const both = new ConcatDataset([range(0, 2), range(5, 2)]);
    for (const bad of [-1, 4, 1.5, Number.NaN]) expect(() => both.get(bad)).toThrow(IndexError);
    expect(() => both.get(4)).toThrow(/ConcatDataset.get: index 4 is out of range for 4 items/);
  });

  it('refuses what is not a non-empty array of datasets, naming the entry', () => {
    expect(() => new ConcatDataset([])).toThrow(/ConcatDataset: datasets must not be empty/);
    expect(() => new ConcatDataset(range(0, 2) as never)).toThrow(ValueError);
    expect(() => new ConcatDataset([range(0, 2), { length: 2 } as never])).toThrow(/datasets\[1\] must have/);
    expect(() => new ConcatDataset([{ length: -1, get: () => 0 }])).toThrow(/datasets\[0\]/);
  });

  it('feeds a shuffled DataLoader whose batches mix the datasets and cover every item once', () => {
    const a = new TensorDataset(arange(0, 6).reshape([6, 1]), arange(0, 6));
    const b = new TensorDataset(arange(100, 104).reshape([4, 1]), arange(100, 104));
    const loader = new DataLoader(new ConcatDataset([a, b]), {
      batchSize: 4,
      shuffle: true,
      generator: new Generator(3),
    });
    const seen: number[] = [];
    for (const [x, y] of loader as Iterable<[Tensor, Tensor]>) {
      expect(x.shape[1]).toBe(1);
      seen.push(...Array.from(y.values));
    }
    expect([...seen].sort((p, q) => p - q)).toEqual([0, 1, 2, 3, 4, 5, 100, 101, 102, 103]);
    expect(seen).not.toEqual([0, 1, 2, 3, 4, 5, 100, 101, 102, 103]);
  });
});
