import { Generator, manualSeed, randperm, tensor, ValueError } from '@nablajs/core';
import { describe, expect, it } from 'vitest';
import { BatchSampler } from './batch-sampler';
import { RandomSampler } from './random-sampler';
import type { Sampler } from './sampler';
import { SequentialSampler } from './sequential-sampler';
import { SubsetRandomSampler } from './subset-random-sampler';
import { WeightedRandomSampler } from './weighted-random-sampler';

const range = (n: number) => [...Array(n).keys()];
const sorted = (values: Iterable<number>) => [...values].sort((a, b) => a - b);

/** How often each of `0..k-1` occurs in `values`, as fractions. */
function frequencies(values: readonly number[], k: number): number[] {
  const counts = new Array<number>(k).fill(0);
  for (const v of values) counts[v]++;
  return counts.map((c) => c / values.length);
}

/**
 * Expect each observed frequency within 5 standard deviations of the expected probability, for `draws`
 * independent draws (a false alarm about once in 1.7 million per cell; the seeds are fixed anyway).
 */
function expectFrequencies(observed: readonly number[], expected: readonly number[], draws: number): void {
  expected.forEach((p, i) => {
    const sd = Math.sqrt((p * (1 - p)) / draws);
    expect(Math.abs(observed[i] - p), `index ${i}: observed ${observed[i]}, expected ${p}`).toBeLessThanOrEqual(
      5 * sd + 1e-12,
    );
  });
}

describe('SequentialSampler', () => {
  it('yields 0..n-1 in order every epoch, length n', () => {
    const sampler = new SequentialSampler(5);
    expect(sampler.length).toBe(5);
    expect([...sampler]).toEqual([0, 1, 2, 3, 4]);
    expect([...sampler]).toEqual([0, 1, 2, 3, 4]);
    expect([...new SequentialSampler(0)]).toEqual([]);
  });

  it('rejects a length that is not a non-negative integer', () => {
    expect(() => new SequentialSampler(-1)).toThrow(ValueError);
    expect(() => new SequentialSampler(-1)).toThrow('SequentialSampler: n must be a non-negative integer, got -1');
    expect(() => new SequentialSampler(2.5)).toThrow(/got 2.5/);
    expect(() => new SequentialSampler('3' as never)).toThrow(/got "3"/);
    expect(() => new SequentialSampler(2 ** 31)).toThrow(/n must be at most 2147483647 \(indices are int32\)/);
  });
});

describe('RandomSampler', () => {
  it('draws a new permutation every epoch, reproducibly, the same as DataLoader shuffling (randperm)', () => {
    const run = (seed: number) => {
      const sampler = new RandomSampler(20, { generator: new Generator(seed) });
      return [[...sampler], [...sampler], [...sampler]];
    };
    const [e1, e2, e3] = run(4);
    expect(run(4)).toEqual([e1, e2, e3]);
    for (const e of [e1, e2, e3]) expect(sorted(e)).toEqual(range(20));
    expect(e1).not.toEqual(e2);
    expect(e2).not.toEqual(e3);
    expect(run(5)[0]).not.toEqual(e1);
    const g = new Generator(4);
    expect(Array.from(randperm(20, { generator: g }).data)).toEqual(e1);
    expect(Array.from(randperm(20, { generator: g }).data)).toEqual(e2);
    expect(new RandomSampler(20).length).toBe(20);
  });

  it('draws the whole epoch when its iteration starts', () => {
    const generator = new Generator(0);
    const sampler = new RandomSampler(10, { generator });
    const before = generator.getState();
    const iterator = sampler[Symbol.iterator]();
    const after = generator.getState();
    expect(after).not.toEqual(before);
    const first = [...{ [Symbol.iterator]: () => iterator }];
    expect(generator.getState()).toEqual(after);
    expect([...new RandomSampler(10, { generator: new Generator(0) })]).toEqual(first);
  });

  it('without replacement, numSamples above n gives whole permutations, then part of one more', () => {
    const sampler = new RandomSampler(5, { numSamples: 13, generator: new Generator(2) });
    expect(sampler.length).toBe(13);
    const epoch = [...sampler];
    expect(epoch.length).toBe(13);
    expect(sorted(epoch.slice(0, 5))).toEqual(range(5));
    expect(sorted(epoch.slice(5, 10))).toEqual(range(5));
    expect(new Set(epoch.slice(10)).size).toBe(3);
    const g = new Generator(2);
    const perms = [0, 1, 2].map(() => Array.from(randperm(5, { generator: g }).data));
    expect(epoch).toEqual([...perms[0], ...perms[1], ...perms[2].slice(0, 3)]);
  });

  it('without replacement, numSamples below n gives distinct indices', () => {
    const sampler = new RandomSampler(1000, { numSamples: 300, generator: new Generator(3) });
    for (let e = 0; e < 5; e++) {
      const epoch = [...sampler];
      expect(epoch.length).toBe(300);
      expect(new Set(epoch).size).toBe(300);
      expect(epoch.every((i) => Number.isInteger(i) && i >= 0 && i < 1000)).toBe(true);
    }
  });

  it('with replacement, draws numSamples uniform indices with repeats', () => {
    const sampler = new RandomSampler(4, { replacement: true, numSamples: 40_000, generator: new Generator(11) });
    expect(sampler.length).toBe(40_000);
    const epoch = [...sampler];
    expect(epoch.length).toBe(40_000);
    expectFrequencies(frequencies(epoch, 4), [0.25, 0.25, 0.25, 0.25], 40_000);
    const small = [...new RandomSampler(10, { replacement: true, generator: new Generator(0) })];
    expect(small.length).toBe(10);
    expect(new Set(small).size).toBeLessThan(10);
    expect([...new RandomSampler(10, { replacement: true, generator: new Generator(0) })]).toEqual(small);
  });

  it("uses core's global generator when given none, read when each epoch starts", () => {
    const sampler = new RandomSampler(12);
    manualSeed(9);
    const a = [...sampler];
    manualSeed(9);
    expect([...sampler]).toEqual(a);
    expect([...sampler]).not.toEqual(a);
  });

  it('rejects bad arguments, naming them, and unknown options', () => {
    expect(() => new RandomSampler(0)).toThrow('RandomSampler: n must be a positive integer, got 0');
    expect(() => new RandomSampler(-2)).toThrow(/RandomSampler: n must be a positive integer, got -2/);
    expect(() => new RandomSampler(3, { numSamples: 0 })).toThrow(
      'RandomSampler: numSamples must be a positive integer, got 0',
    );
    expect(() => new RandomSampler(3, { numSamples: 1.5 })).toThrow(/numSamples must be a positive integer/);
    expect(() => new RandomSampler(3, { replacement: 1 as never })).toThrow(
      'RandomSampler: replacement must be a boolean, got 1',
    );
    expect(() => new RandomSampler(3, { generator: {} as never })).toThrow(
      /RandomSampler: generator must be a Generator/,
    );
    expect(() => new RandomSampler(3, { num_samples: 2 } as never)).toThrow(
      /RandomSampler: unknown option "num_samples" \(did you mean "numSamples"\?\)/,
    );
  });
});

describe('SubsetRandomSampler', () => {
  it('yields the given indices in a new random order every epoch, reproducibly', () => {
    const indices = [3, 14, 15, 92, 65, 35, 89, 79];
    const run = () => {
      const sampler = new SubsetRandomSampler(indices, { generator: new Generator(6) });
      return [[...sampler], [...sampler]];
    };
    const [e1, e2] = run();
    expect(run()).toEqual([e1, e2]);
    expect(sorted(e1)).toEqual(sorted(indices));
    expect(sorted(e2)).toEqual(sorted(indices));
    expect(e1).not.toEqual(e2);
    const perm = Array.from(randperm(8, { generator: new Generator(6) }).data);
    expect(e1).toEqual(perm.map((p) => indices[p]));
  });

  it('takes typed arrays and 1-D tensors, copies the indices, and reports them', () => {
    const source = new Int32Array([5, 6, 7]);
    const sampler = new SubsetRandomSampler(source, { generator: new Generator(0) });
    source[0] = 100;
    expect(sampler.length).toBe(3);
    expect(Array.from(sampler.indices)).toEqual([5, 6, 7]);
    expect(sorted(sampler)).toEqual([5, 6, 7]);
    const fromTensor = new SubsetRandomSampler(tensor([2, 4], { dtype: 'int32' }));
    expect(sorted(fromTensor)).toEqual([2, 4]);
    expect([...new SubsetRandomSampler([])]).toEqual([]);
  });

  it('rejects indices that are not non-negative integers, and unknown options', () => {
    expect(() => new SubsetRandomSampler([0, -1])).toThrow(
      'SubsetRandomSampler: indices[1] must be an integer >= 0, got -1',
    );
    expect(() => new SubsetRandomSampler([0.5])).toThrow(/indices\[0\] must be an integer >= 0, got 0.5/);
    expect(() => new SubsetRandomSampler([Number.NaN])).toThrow(/got NaN/);
    expect(() => new SubsetRandomSampler(['1'] as never)).toThrow(/indices\[0\] must be a number, got "1"/);
    expect(() => new SubsetRandomSampler(5 as never)).toThrow(
      'SubsetRandomSampler: indices must be an array of numbers, a typed array or a 1-D tensor',
    );
    expect(() => new SubsetRandomSampler(tensor([[1, 2]]))).toThrow(
      /indices must be 1-D, got a tensor of shape \[1,2\]/,
    );
    expect(() => new SubsetRandomSampler([1], { seed: 1 } as never)).toThrow(
      /SubsetRandomSampler: unknown option "seed"/,
    );
  });
});

describe('WeightedRandomSampler', () => {
  it('with replacement, draws each index with probability proportional to its weight', () => {
    const weights = [1, 0, 2, 3, 4];
    const draws = 100_000;
    const sampler = new WeightedRandomSampler(weights, draws, { generator: new Generator(123) });
    expect(sampler.length).toBe(draws);
    expect(sampler.replacement).toBe(true);
    const epoch = [...sampler];
    expect(epoch.length).toBe(draws);
    const observed = frequencies(epoch, 5);
    expect(observed[1]).toBe(0);
    expectFrequencies(observed, [0.1, 0, 0.2, 0.3, 0.4], draws);
  });

  it('over-samples a rare class to balance it (weights one over the class count)', () => {
    const labels = [...Array(95).fill(0), ...Array(5).fill(1)];
    const counts = [95, 5];
    const sampler = new WeightedRandomSampler(
      labels.map((c) => 1 / counts[c]),
      20_000,
      { generator: new Generator(0) },
    );
    const classes = [...sampler].map((i) => labels[i]);
    expectFrequencies(frequencies(classes, 2), [0.5, 0.5], 20_000);
  });

  it('handles extreme and many weights: a zero-weight index is never drawn', () => {
    const weights = new Float64Array(1000);
    weights[0] = 1e-300;
    weights[999] = 1e300;
    weights[500] = 5e299;
    const epoch = [...new WeightedRandomSampler(weights, 3000, { generator: new Generator(1) })];
    expect(new Set(epoch)).toEqual(new Set([500, 999]));
    const only = [...new WeightedRandomSampler([0, 0, 7, 0], 50, { generator: new Generator(2) })];
    expect(only).toEqual(Array(50).fill(2));
  });

  it('without replacement, draws distinct indices, never one of weight 0', () => {
    const weights = [0.1, 0.9, 0.4, 0.7, 3.0, 0.6, 0, 0];
    const sampler = new WeightedRandomSampler(weights, 6, { replacement: false, generator: new Generator(5) });
    for (let e = 0; e < 50; e++) {
      const epoch = [...sampler];
      expect(epoch.length).toBe(6);
      expect(sorted(epoch)).toEqual([0, 1, 2, 3, 4, 5]);
    }
    const many = new WeightedRandomSampler(
      Array.from({ length: 5000 }, (_, i) => 1 + (i % 7)),
      4000,
      { replacement: false, generator: new Generator(8) },
    );
    const epoch = [...many];
    expect(new Set(epoch).size).toBe(4000);
  });

  it('without replacement, draws one after another in proportion to the weights left (first and second draw)', () => {
    const weights = [1, 2, 3, 4];
    const total = 10;
    const epochs = 40_000;
    const sampler = new WeightedRandomSampler(weights, 2, { replacement: false, generator: new Generator(77) });
    const first: number[] = [];
    const included = new Array<number>(4).fill(0);
    let repeats = 0;
    for (let e = 0; e < epochs; e++) {
      const [a, b] = sampler;
      if (a === b) repeats++;
      first.push(a);
      included[a]++;
      included[b]++;
    }
    expect(repeats).toBe(0);
    expectFrequencies(
      frequencies(first, 4),
      weights.map((w) => w / total),
      epochs,
    );
    // P(i among the two) = P(i first) + sum over j != i of P(j first) P(i second | j first)
    const inclusion = weights.map(
      (wi, i) => wi / total + weights.reduce((s, wj, j) => (j === i ? s : s + (wj / total) * (wi / (total - wj))), 0),
    );
    expectFrequencies(
      included.map((c) => c / epochs),
      inclusion,
      epochs,
    );
  });

  it('is reproducible with a seeded generator, draws anew every epoch, and copies the weights', () => {
    const weights = [0.5, 1, 1.5, 2];
    const run = (replacement: boolean) => {
      const sampler = new WeightedRandomSampler(weights, 4, { replacement, generator: new Generator(31) });
      return [[...sampler], [...sampler], [...sampler]];
    };
    for (const replacement of [true, false]) {
      const epochs = run(replacement);
      expect(run(replacement)).toEqual(epochs);
      expect(new Set(epochs.map((e) => e.join())).size).toBeGreaterThan(1);
    }
    const mutable = new Float64Array([1, 2]);
    const sampler = new WeightedRandomSampler(mutable, 3);
    mutable[0] = -1;
    expect(Array.from(sampler.weights)).toEqual([1, 2]);
    sampler.weights[0] = 100;
    expect(Array.from(sampler.weights)).toEqual([1, 2]);
    expect(sorted(new WeightedRandomSampler(tensor([0, 1, 1]), 4, { generator: new Generator(0) })).at(0)).toBe(1);
  });

  it("uses core's global generator when given none, read when each epoch starts", () => {
    const sampler = new WeightedRandomSampler([1, 2, 3], 20);
    manualSeed(4);
    const a = [...sampler];
    manualSeed(4);
    expect([...sampler]).toEqual(a);
  });

  it('rejects bad weights, numSamples and options, as torch does, naming the argument', () => {
    const W = WeightedRandomSampler;
    expect(() => new W([1, -0.5], 2)).toThrow(ValueError);
    expect(() => new W([1, -0.5], 2)).toThrow(
      'WeightedRandomSampler: weights[1] must be a finite number >= 0, got -0.5',
    );
    expect(() => new W([1, Number.NaN], 2)).toThrow(/weights\[1\] must be a finite number >= 0, got NaN/);
    expect(() => new W([Number.POSITIVE_INFINITY], 2)).toThrow(
      /weights\[0\] must be a finite number >= 0, got Infinity/,
    );
    expect(() => new W([0, 0, 0], 2)).toThrow(
      'WeightedRandomSampler: all 3 weights are 0; at least one must be positive',
    );
    expect(() => new W([], 2)).toThrow('WeightedRandomSampler: weights is empty; give one weight per item');
    expect(() => new W([1e308, 1e308], 2)).toThrow(/the weights sum to Infinity \(overflow\); scale them down/);
    expect(() => new W(tensor([[1, 2]]), 2)).toThrow(/weights must be 1-D, got a tensor of shape \[1,2\]/);
    expect(() => new W('12' as never, 2)).toThrow(/weights must be an array of numbers/);
    expect(() => new W([1, 2], 0)).toThrow('WeightedRandomSampler: numSamples must be a positive integer, got 0');
    expect(() => new W([1, 2], 2.5)).toThrow(/numSamples must be a positive integer, got 2.5/);
    expect(() => new W([1, 2], 2, { replacement: 'no' } as never)).toThrow(
      'WeightedRandomSampler: replacement must be a boolean, got "no"',
    );
    expect(() => new W([1, 0, 2], 3, { replacement: false })).toThrow(
      'WeightedRandomSampler: without replacement, numSamples (3) cannot exceed the number of nonzero weights (2): ' +
        'each index is drawn at most once and indices of weight 0 never',
    );
    expect([...new W([1, 0, 2], 2, { replacement: false, generator: new Generator(0) })].sort()).toEqual([0, 2]);
    expect(() => new W([1, 2], 2, { num_samples: 2 } as never)).toThrow(/unknown option "num_samples"/);
  });
});

describe('BatchSampler', () => {
  it('groups a sampler into batches, the last smaller unless dropLast (the PyTorch docs example)', () => {
    const keep = new BatchSampler(new SequentialSampler(10), 3, false);
    expect(keep.length).toBe(4);
    expect([...keep]).toEqual([[0, 1, 2], [3, 4, 5], [6, 7, 8], [9]]);
    const drop = new BatchSampler(new SequentialSampler(10), 3, true);
    expect(drop.length).toBe(3);
    expect([...drop]).toEqual([
      [0, 1, 2],
      [3, 4, 5],
      [6, 7, 8],
    ]);
    expect([...new BatchSampler([4, 2, 7, 1], 2, true)]).toEqual([
      [4, 2],
      [7, 1],
    ]);
    expect(new BatchSampler(new SequentialSampler(2), 5, true).length).toBe(0);
  });

  it('iterates its sampler once per epoch: a random sampler reshuffles, reproducibly', () => {
    const run = () => {
      const batches = new BatchSampler(new RandomSampler(10, { generator: new Generator(3) }), 4, false);
      return [[...batches], [...batches]];
    };
    const [e1, e2] = run();
    expect(run()).toEqual([e1, e2]);
    expect(e1.map((b) => b.length)).toEqual([4, 4, 2]);
    expect(sorted(e1.flat())).toEqual(range(10));
    expect(e1.flat()).not.toEqual(e2.flat());
    expect(e1.flat()).toEqual([...new RandomSampler(10, { generator: new Generator(3) })]);
  });

  it('follows a custom sampler and its length', () => {
    const evens: Sampler = {
      length: 5,
      *[Symbol.iterator]() {
        for (let i = 0; i < 10; i += 2) yield i;
      },
    };
    const batches = new BatchSampler(evens, 2, false);
    expect(batches.length).toBe(3);
    expect([...batches]).toEqual([[0, 2], [4, 6], [8]]);
  });

  it('rejects a batch size that is not a positive integer, a non-boolean dropLast and a non-sampler', () => {
    const s = new SequentialSampler(4);
    expect(() => new BatchSampler(s, 0, false)).toThrow('BatchSampler: batchSize must be a positive integer, got 0');
    expect(() => new BatchSampler(s, 1.5, false)).toThrow(/batchSize must be a positive integer, got 1.5/);
    expect(() => new BatchSampler(s, true as never, false)).toThrow(/batchSize must be a positive integer, got true/);
    expect(() => new BatchSampler(s, 2, 0 as never)).toThrow('BatchSampler: dropLast must be a boolean, got 0');
    expect(() => new BatchSampler(s, 2, undefined as never)).toThrow(/dropLast must be a boolean, got undefined/);
    expect(() => new BatchSampler(new Set([1, 2]) as never, 2, false)).toThrow(
      'BatchSampler: sampler must be an iterable of indices with a length (a sampler, or an array of indices)',
    );
    expect(() => new BatchSampler(null as never, 2, false)).toThrow(/sampler must be an iterable/);
  });
});
