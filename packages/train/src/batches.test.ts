import { Generator, tensor } from '@nablajs/core';
import { describe, expect, it } from 'vitest';
import { batchSource, isTensorData } from './batches';

const x = tensor([[0], [1], [2], [3], [4]]);
const y = tensor([0, 1, 2, 3, 4], { dtype: 'int32' });

describe('batchSource', () => {
  it('batches { x, y } in order with a short last batch', () => {
    const source = batchSource('t', 'data', { x, y }, { batchSize: 2 });
    expect(source.batchesPerEpoch).toBe(3);
    const batches = [...source.epoch(new Generator(0))];
    expect(batches.map(([bx]) => Array.from(bx.data))).toEqual([[0, 1], [2, 3], [4]]);
    expect(batches.map(([, by]) => Array.from(by.data))).toEqual([[0, 1], [2, 3], [4]]);
  });

  it('shuffles inputs and targets together, reproducibly per generator state', () => {
    const source = batchSource('t', 'data', { x, y }, { batchSize: 2, shuffle: true });
    const g = new Generator(5);
    const first = [...source.epoch(g)];
    for (const [bx, by] of first) expect(Array.from(bx.data)).toEqual(Array.from(by.data));
    const again = [...source.epoch(new Generator(5))].map(([bx]) => Array.from(bx.data));
    expect(again).toEqual(first.map(([bx]) => Array.from(bx.data)));
    expect(first.flatMap(([bx]) => Array.from(bx.data)).sort()).toEqual([0, 1, 2, 3, 4]);
  });

  it('yields the tensors themselves for a full batch and leaves the generator alone', () => {
    const g = new Generator(1);
    const state = JSON.stringify(g.getState());
    const [[bx, by]] = [...batchSource('t', 'data', { x, y }, { shuffle: true }).epoch(g)];
    expect(bx).toBe(x);
    expect(by).toBe(y);
    expect(JSON.stringify(g.getState())).toBe(state);
  });

  it('re-iterates a custom iterable every epoch and uses its length', () => {
    let iterations = 0;
    const loader = {
      length: 2,
      *[Symbol.iterator]() {
        iterations++;
        yield [x.slice([[0, 2]]), y.slice([[0, 2]])] as const;
        yield [x.slice([[2, 5]]), y.slice([[2, 5]])] as const;
      },
    };
    const source = batchSource('t', 'data', loader);
    expect(source.batchesPerEpoch).toBe(2);
    expect([...source.epoch(new Generator(0))]).toHaveLength(2);
    expect([...source.epoch(new Generator(0))]).toHaveLength(2);
    expect(iterations).toBe(2);
  });

  it('rejects bad data with messages naming what is wrong', () => {
    expect(() => batchSource('fit', 'data', 5)).toThrow(/fit: data must be an iterable of \[inputs, targets\] batches/);
    expect(() => batchSource('fit', 'data', [[x]])).toThrow(/fit: batch 0 of data must be an \[inputs, targets\] pair/);
    expect(() => batchSource('fit', 'data', { x: tensor(1), y: tensor(1) })).toThrow(/need a sample dimension/);
    expect(() => batchSource('fit', 'data', { x, y }, { batchSize: -2 })).toThrow(
      /batchSize must be a positive integer or 'full', got -2/,
    );
    expect(() => batchSource('fit', 'data', { x, y }, { batchSize: 'all' as never })).toThrow(/got "all"/);
    expect(() => batchSource('fit', 'data', { length: 0, *[Symbol.iterator]() {} })).toThrow(
      /fit: data is empty \(no batches\)/,
    );
    expect(isTensorData({ x, y })).toBe(true);
    expect(isTensorData([x, y])).toBe(false);
  });
});
