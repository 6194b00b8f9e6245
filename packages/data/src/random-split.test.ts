import { arange, Generator, manualSeed, type Tensor, ValueError } from '@nablajs/core';
import { describe, expect, it } from 'vitest';
import { randomSplit, splitTrainValTest } from './random-split';
import type { Subset } from './subset';
import { TensorDataset } from './tensor-dataset';
import type { Dataset } from './types';

const range = (n: number): Dataset<number> => ({ length: n, get: (i) => i });
const items = (s: Subset<number>): number[] => Array.from({ length: s.length }, (_, i) => s.get(i));

describe('randomSplit', () => {
  it('splits counts into disjoint subsets covering the dataset', () => {
    const parts = randomSplit(range(10), [5, 3, 2], { generator: new Generator(0) });
    expect(parts.map((p) => p.length)).toEqual([5, 3, 2]);
    const all = parts.flatMap(items);
    expect([...all].sort((a, b) => a - b)).toEqual([...Array(10).keys()]);
    expect(all).not.toEqual([...Array(10).keys()]);
  });

  it('turns fractions into floor(n f) and hands the remainder out from the first split, like PyTorch', () => {
    expect(randomSplit(range(10), [0.33, 0.33, 0.34]).map((p) => p.length)).toEqual([4, 3, 3]);
    expect(randomSplit(range(1797), [0.8, 0.2]).map((p) => p.length)).toEqual([1438, 359]);
    expect(randomSplit(range(5), [0.5, 0.5]).map((p) => p.length)).toEqual([3, 2]);
    expect(randomSplit(range(3), [0.1, 0.1, 0.8]).map((p) => p.length)).toEqual([1, 0, 2]);
  });

  it('is reproducible by generator, and uses the global generator by default', () => {
    const a = randomSplit(range(50), [25, 25], { generator: new Generator(4) }).map(items);
    expect(randomSplit(range(50), [25, 25], { generator: new Generator(4) }).map(items)).toEqual(a);
    expect(randomSplit(range(50), [25, 25], { generator: new Generator(5) }).map(items)).not.toEqual(a);
    manualSeed(11);
    const b = randomSplit(range(50), [25, 25]).map(items);
    manualSeed(11);
    expect(randomSplit(range(50), [25, 25]).map(items)).toEqual(b);
  });

  it('rejects lengths that do not add up, negative or non-integer counts', () => {
    expect(() => randomSplit(range(10), [5, 4])).toThrow(
      /randomSplit: the lengths \[5, 4\] sum to 9, but the dataset has 10 items/,
    );
    expect(() => randomSplit(range(10), [-1, 11])).toThrow(/lengths\[0\] must be a finite number >= 0, got -1/);
    expect(() => randomSplit(range(10), [2.5, 7.5])).toThrow(/lengths\[0\] = 2.5/);
    expect(() => randomSplit(range(10), [0.5, 0.4])).toThrow(ValueError);
    expect(() => randomSplit(range(10), [])).toThrow(/non-empty array/);
  });
});

describe('splitTrainValTest', () => {
  it('rounds fractions up for val and test and gives the rest to train', () => {
    const { train, val, test } = splitTrainValTest(range(1797), { val: 0.1, test: 0.2, seed: 0 });
    expect([train.length, val.length, test.length]).toEqual([1257, 180, 360]);
    const all = [train, val, test].flatMap(items);
    expect(new Set(all).size).toBe(1797);
  });

  it('accepts integer counts and empty splits', () => {
    const { train, val, test } = splitTrainValTest(range(100), { test: 30 });
    expect([train.length, val.length, test.length]).toEqual([70, 0, 30]);
  });

  it('gives the same split for the same seed, a different one for another seed', () => {
    const split = (seed: number) => {
      const s = splitTrainValTest(range(40), { val: 0.25, test: 0.25, seed });
      return [items(s.train), items(s.val), items(s.test)];
    };
    expect(split(1)).toEqual(split(1));
    expect(split(1)).not.toEqual(split(2));
  });

  it('works on a TensorDataset: the subsets return its rows', () => {
    const x = arange(6).reshape([6, 1]);
    const { train, test } = splitTrainValTest(new TensorDataset(x, x.mul(2)), { test: 2, seed: 3 });
    const [xi, yi] = test.get(0) as [Tensor, Tensor];
    expect(yi.item()).toBe(2 * xi.item());
    expect(train.length).toBe(4);
  });

  it('rejects splits that leave no training data and bad sizes', () => {
    expect(() => splitTrainValTest(range(10), { val: 0.5, test: 0.5 })).toThrow(
      /splitTrainValTest: val \(5 items\) and test \(5 items\) leave no training items out of 10/,
    );
    expect(() => splitTrainValTest(range(10), { test: -0.1 })).toThrow(
      /test must be a fraction in \[0, 1\) or a count >= 1/,
    );
    expect(() => splitTrainValTest(range(10), { test: 2.5 })).toThrow(
      /neither a fraction in \[0, 1\) nor an integer count/,
    );
    expect(() => splitTrainValTest(range(10), { test: 0.2, seed: 0.5 })).toThrow(/seed must be an integer/);
  });
});

describe('split options', () => {
  it('reject unknown keys, naming the close one', () => {
    const ds = new TensorDataset(arange(0, 10));
    expect(() => randomSplit(ds, [0.5, 0.5], { seed: 1 } as never)).toThrow(
      'randomSplit: unknown option "seed"; options are generator',
    );
    expect(() => splitTrainValTest(ds, { test_size: 0.2 } as never)).toThrow(
      /^splitTrainValTest: unknown option "test_size" \(did you mean "test"\?\)/,
    );
  });
});
