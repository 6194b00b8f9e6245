import { arange, Generator, IndexError, manualSeed, ShapeError, type Tensor, tensor, ValueError } from '@nablajs/core';
import { describe, expect, it, vi } from 'vitest';
import { defaultCollate } from './collate';
import { DataLoader } from './data-loader';
import { BatchSampler } from './samplers/batch-sampler';
import { RandomSampler } from './samplers/random-sampler';
import type { Sampler } from './samplers/sampler';
import { SequentialSampler } from './samplers/sequential-sampler';
import { SubsetRandomSampler } from './samplers/subset-random-sampler';
import { WeightedRandomSampler } from './samplers/weighted-random-sampler';
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
      'DataLoader: unknown option "batch_size" (did you mean "batchSize"?); options are batchSize, shuffle, generator, dropLast, collate, sampler, batchSampler',
    );
    expect(() => new DataLoader(ds, { drop_last: true } as never)).toThrow(/did you mean "dropLast"/);
    expect(() => new DataLoader(ds, { numWorkers: 2 } as never)).toThrow(/^DataLoader: unknown option "numWorkers"; /);
    expect(() => new DataLoader(ds, { batch_sampler: [] } as never)).toThrow(/did you mean "batchSampler"/);
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

describe('DataLoader with a sampler or a batch sampler', () => {
  it('a SequentialSampler gives the default batches; a RandomSampler the batches of shuffle with the same seed', () => {
    const plain = new DataLoader(numbered(10), { batchSize: 4 });
    const sequential = new DataLoader(numbered(10), { batchSize: 4, sampler: new SequentialSampler(10) });
    expect(sequential.length).toBe(3);
    expect(epoch(sequential)).toEqual(epoch(plain));
    const shuffled = new DataLoader(numbered(10), { batchSize: 4, shuffle: true, generator: new Generator(5) });
    const sampled = new DataLoader(numbered(10), {
      batchSize: 4,
      sampler: new RandomSampler(10, { generator: new Generator(5) }),
    });
    expect(sampled.shuffle).toBe(false);
    expect([epoch(sampled), epoch(sampled)]).toEqual([epoch(shuffled), epoch(shuffled)]);
  });

  it('batches a sampler of another length than the dataset; length = ceil or floor(sampler.length / batchSize)', () => {
    const sampler = new RandomSampler(10, { replacement: true, numSamples: 7, generator: new Generator(0) });
    const loader = new DataLoader(numbered(10), { batchSize: 3, sampler });
    expect(loader.length).toBe(3);
    const batches = epoch(loader);
    expect(batches.map((b) => b.length)).toEqual([3, 3, 1]);
    expect(batches.flat()).toEqual([
      ...new RandomSampler(10, { replacement: true, numSamples: 7, generator: new Generator(0) }),
    ]);
    const dropped = new DataLoader(numbered(10), { batchSize: 3, sampler, dropLast: true });
    expect(dropped.length).toBe(2);
    expect(epoch(dropped).map((b) => b.length)).toEqual([3, 3]);
    const many = new DataLoader(numbered(4), { batchSize: 5, sampler: new RandomSampler(4, { numSamples: 12 }) });
    expect(many.length).toBe(3);
    expect(epoch(many).map((b) => b.length)).toEqual([5, 5, 2]);
  });

  it('a SubsetRandomSampler visits its items only, a new order each epoch, rows kept together, via getBatch', () => {
    const ds = numbered(20);
    const get = vi.spyOn(ds, 'get');
    const getBatch = vi.spyOn(ds, 'getBatch');
    const indices = [1, 3, 5, 7, 9, 11, 13];
    const loader = new DataLoader(ds, {
      batchSize: 3,
      sampler: new SubsetRandomSampler(indices, { generator: new Generator(2) }),
    });
    expect(loader.length).toBe(3);
    const e1 = epoch(loader);
    const e2 = epoch(loader);
    expect([...e1.flat()].sort((a, b) => a - b)).toEqual(indices);
    expect([...e2.flat()].sort((a, b) => a - b)).toEqual(indices);
    expect(e1).not.toEqual(e2);
    for (const [x, y] of loader)
      (x.toArray() as number[][]).forEach((row, k) => {
        expect(row).toEqual([y.data[k], 10 * y.data[k]]);
      });
    expect(get).not.toHaveBeenCalled();
    expect(getBatch).toHaveBeenCalledTimes(9);
  });

  it('a WeightedRandomSampler draws by weight: numSamples indices per epoch, weight 0 never', () => {
    const weights = [0, 1, 0, 3, 0, 0];
    const loader = new DataLoader(numbered(6), {
      batchSize: 50,
      sampler: new WeightedRandomSampler(weights, 4000, { generator: new Generator(10) }),
    });
    expect(loader.length).toBe(80);
    const labels = epoch(loader).flat();
    expect(labels.length).toBe(4000);
    expect(new Set(labels)).toEqual(new Set([1, 3]));
    const ones = labels.filter((v) => v === 1).length / 4000;
    expect(Math.abs(ones - 0.25)).toBeLessThan(5 * Math.sqrt((0.25 * 0.75) / 4000));
    const distinct = new DataLoader(numbered(6), {
      batchSize: 2,
      sampler: new WeightedRandomSampler([1, 2, 3, 4, 5, 6], 6, { replacement: false, generator: new Generator(1) }),
    });
    expect([...epoch(distinct).flat()].sort()).toEqual([0, 1, 2, 3, 4, 5]);
  });

  it('takes an array of indices or a custom sampler, through a Subset and with a custom collate', () => {
    expect(epoch(new DataLoader(numbered(10), { batchSize: 2, sampler: [9, 0, 4] }))).toEqual([[9, 0], [4]]);
    const sub = new Subset(numbered(10), [9, 8, 7, 6, 5]);
    expect(epoch(new DataLoader(sub, { batchSize: 2, sampler: [4, 0, 1] }))).toEqual([[5, 9], [8]]);
    const evens: Sampler = {
      length: 3,
      *[Symbol.iterator]() {
        yield* [0, 2, 4];
      },
    };
    const ds: Dataset<number> = { length: 5, get: (i) => i * i };
    const loader = new DataLoader(ds, { batchSize: 2, sampler: evens, collate: (items) => items.join('+') });
    expect(loader.length).toBe(2);
    expect(Array.from(loader)).toEqual(['0+4', '16']);
  });

  it('a batchSampler makes the batches: BatchSampler over a RandomSampler, or any arrays of indices', () => {
    const batchSampler = new BatchSampler(new RandomSampler(10, { generator: new Generator(4) }), 4, true);
    const loader = new DataLoader(numbered(10), { batchSampler });
    expect(loader.length).toBe(2);
    const e1 = epoch(loader);
    const e2 = epoch(loader);
    expect(e1.map((b) => b.length)).toEqual([4, 4]);
    expect(new Set(e1.flat()).size).toBe(8);
    expect(e1).not.toEqual(e2);
    const same = [...new BatchSampler(new RandomSampler(10, { generator: new Generator(4) }), 4, true)];
    expect(e1).toEqual(same);
    const custom = new DataLoader(numbered(10), {
      batchSampler: [[0], [1, 2], new Int32Array([3, 4, 5])],
      batchSize: 1,
      shuffle: false,
      dropLast: false,
    });
    expect(custom.length).toBe(3);
    expect(epoch(custom)).toEqual([[0], [1, 2], [3, 4, 5]]);
  });

  it('starts the sampler when an epoch starts, and leaves its own generator alone', () => {
    const generator = new Generator(0);
    const unused = new Generator(1);
    const loader = new DataLoader(numbered(8), {
      batchSize: 4,
      sampler: new RandomSampler(8, { generator }),
      generator: unused,
    });
    const before = generator.getState();
    const iterator = loader[Symbol.iterator]();
    expect(generator.getState()).not.toEqual(before);
    iterator.next();
    expect(unused.getState()).toEqual(new Generator(1).getState());
    const batchGen = new Generator(2);
    const batched = new DataLoader(numbered(8), {
      batchSampler: new BatchSampler(new RandomSampler(8, { generator: batchGen }), 4, false),
    });
    const start = batchGen.getState();
    batched[Symbol.iterator]();
    expect(batchGen.getState()).not.toEqual(start);
  });

  it('rejects sampler with shuffle, and batchSampler with batchSize, shuffle, sampler or dropLast, naming them', () => {
    const ds = numbered(6);
    const sampler = new SequentialSampler(6);
    const batchSampler = new BatchSampler(sampler, 2, false);
    expect(() => new DataLoader(ds, { sampler, shuffle: true })).toThrow(ValueError);
    expect(() => new DataLoader(ds, { sampler, shuffle: true })).toThrow(
      'DataLoader: sampler is mutually exclusive with shuffle: true (the sampler decides the order; pass a RandomSampler to shuffle)',
    );
    expect(() => new DataLoader(ds, { batchSampler, batchSize: 2 })).toThrow(
      'DataLoader: batchSampler is mutually exclusive with batchSize, shuffle, sampler and dropLast (the batch sampler ' +
        'makes the batches), got batchSampler with batchSize (2)',
    );
    expect(() => new DataLoader(ds, { batchSampler, shuffle: true })).toThrow(/got batchSampler with shuffle: true$/);
    expect(() => new DataLoader(ds, { batchSampler, sampler })).toThrow(/got batchSampler with sampler$/);
    expect(() => new DataLoader(ds, { batchSampler, dropLast: true })).toThrow(/got batchSampler with dropLast: true$/);
    expect(() => new DataLoader(ds, { batchSampler, batchSize: 3, shuffle: true, sampler, dropLast: true })).toThrow(
      /got batchSampler with batchSize \(3\), shuffle: true, sampler, dropLast: true$/,
    );
    expect(new DataLoader(ds, { sampler, shuffle: false }).length).toBe(6);
  });

  it('rejects a sampler that is not one, an empty one, and dropLast without a full batch', () => {
    const ds = numbered(6);
    expect(() => new DataLoader(ds, { sampler: new Set([1]) as never })).toThrow(
      'DataLoader: sampler must be an iterable of indices with a length (a RandomSampler, say, or an array of indices)',
    );
    expect(() => new DataLoader(ds, { sampler: 3 as never })).toThrow(/sampler must be an iterable/);
    expect(() => new DataLoader(ds, { batchSampler: (function* () {})() as never })).toThrow(
      'DataLoader: batchSampler must be an iterable of arrays of indices with a length (a BatchSampler, say)',
    );
    expect(() => new DataLoader(ds, { sampler: [] })).toThrow(
      'DataLoader: the sampler is empty (length 0); there is nothing to iterate over',
    );
    expect(() => new DataLoader(ds, { batchSampler: new BatchSampler([1], 2, true) })).toThrow(
      'DataLoader: the batchSampler is empty (length 0); there is nothing to iterate over',
    );
    expect(() => new DataLoader(ds, { sampler: [0, 1, 2], batchSize: 4, dropLast: true })).toThrow(
      'DataLoader: dropLast with batchSize 4 and a sampler of 3 indices gives no batches',
    );
    const odd = { length: -1, [Symbol.iterator]: () => [][Symbol.iterator]() };
    expect(() => new DataLoader(ds, { sampler: odd })).toThrow(
      'DataLoader: sampler.length must be a non-negative integer, got -1',
    );
    expect(new DataLoader(numbered(1), { sampler: [0, 0, 0], batchSize: 2 }).length).toBe(2);
    const empty: Dataset<number> = { length: 0, get: () => 0 };
    expect(() => new DataLoader(empty, { sampler: [0] })).toThrow(/the dataset is empty/);
  });

  it('rejects, when it reaches them, indices outside the dataset and bad batches', () => {
    const ds = numbered(5);
    const loader = new DataLoader(ds, { batchSize: 2, sampler: [0, 1, 5] });
    const iterator = loader[Symbol.iterator]();
    expect(iterator.next().done).toBe(false);
    expect(() => iterator.next()).toThrow(IndexError);
    expect(() => Array.from(loader)).toThrow(
      'DataLoader: sampler yielded 5, which is not an index of the dataset (an integer in [0, 5))',
    );
    expect(() => Array.from(new DataLoader(ds, { sampler: [-1] }))).toThrow(
      /sampler yielded -1, which is not an index/,
    );
    expect(() => Array.from(new DataLoader(ds, { sampler: [1.5] }))).toThrow(/sampler yielded 1.5/);
    expect(() => Array.from(new DataLoader(ds, { sampler: ['1'] as never }))).toThrow(/sampler yielded string/);
    expect(() => Array.from(new DataLoader(ds, { sampler: new SubsetRandomSampler([0, 9]) }))).toThrow(
      /sampler yielded 9, which is not an index of the dataset \(an integer in \[0, 5\)\)/,
    );
    expect(() => Array.from(new DataLoader(ds, { batchSampler: [[0, 1], [7]] }))).toThrow(
      'DataLoader: batchSampler yielded 7, which is not an index of the dataset (an integer in [0, 5))',
    );
    expect(() => Array.from(new DataLoader(ds, { batchSampler: [[0], []] }))).toThrow(
      'DataLoader: batchSampler yielded an empty batch (batch 1)',
    );
    expect(() => Array.from(new DataLoader(ds, { batchSampler: [3] as never }))).toThrow(
      'DataLoader: batchSampler yielded 3 as batch 0; it must yield arrays of indices',
    );
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
