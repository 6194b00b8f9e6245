import { Generator, isGradEnabled, randn, type Tensor, ValueError } from '@nablajs/core';
import { describe, expect, it } from 'vitest';
import { ReLU } from './layers/activations';
import { BatchNorm1d, BatchNorm2d, BatchNorm3d } from './layers/batch-norm';
import { Linear } from './layers/linear';
import { Sequential } from './sequential';
import { updateBn, updateBnAsync } from './update-bn';

const f64 = (shape: number[], seed: number): Tensor =>
  randn(shape, { dtype: 'float64', generator: new Generator(seed) });

/** A Linear -> BatchNorm1d(momentum 0.3) -> ReLU -> Linear -> BatchNorm1d(momentum null) model, float64. */
function model(): { net: Sequential; bn1: BatchNorm1d; bn2: BatchNorm1d } {
  const bn1 = new BatchNorm1d(3, { momentum: 0.3, dtype: 'float64' });
  const bn2 = new BatchNorm1d(2, { momentum: null, dtype: 'float64' });
  const net = new Sequential(
    new Linear(4, 3, { dtype: 'float64' }),
    bn1,
    new ReLU(),
    new Linear(3, 2, { dtype: 'float64' }),
    bn2,
  );
  // The same weights for every model made here, and non-trivial running statistics and counters.
  net.parameters().forEach((p, i) => {
    p.data.set(f64([...p.shape], 50 + i).data);
  });
  for (let i = 0; i < 3; i++) net.forward(f64([5, 4], 100 + i));
  return { net: net.eval(), bn1, bn2 };
}

/** The buffers and momenta of the BatchNorm layers, as plain values. */
function snapshot(...bns: BatchNorm1d[]) {
  return bns.map((bn) => ({
    mean: Array.from(bn.runningMean?.data ?? []),
    variance: Array.from(bn.runningVar?.data ?? []),
    count: bn.numBatchesTracked?.data[0],
    momentum: bn.momentum,
  }));
}

/** Per-channel batch mean and unbiased variance of a [N, C] tensor. */
function stats(x: Tensor): { mean: number[]; variance: number[] } {
  const [n, c] = x.shape;
  const mean: number[] = [];
  const variance: number[] = [];
  for (let ch = 0; ch < c; ch++) {
    let m = 0;
    for (let i = 0; i < n; i++) m += x.data[i * c + ch] / n;
    let ss = 0;
    for (let i = 0; i < n; i++) ss += (x.data[i * c + ch] - m) ** 2;
    mean.push(m);
    variance.push(ss / (n - 1));
  }
  return { mean, variance };
}

const batches = [f64([6, 4], 1), f64([3, 4], 2), f64([5, 4], 3)];

describe('updateBn', () => {
  it('recomputes the running statistics as the plain average of the batches statistics', () => {
    const { net, bn1 } = model();
    const first = net.children()[0] as Linear;
    updateBn(batches, net);
    const perBatch = batches.map((x) => stats(first.forward(x)));
    for (let ch = 0; ch < 3; ch++) {
      const mean = perBatch.reduce((s, b) => s + b.mean[ch], 0) / 3;
      const variance = perBatch.reduce((s, b) => s + b.variance[ch], 0) / 3;
      expect(bn1.runningMean?.data[ch]).toBeCloseTo(mean, 12);
      expect(bn1.runningVar?.data[ch]).toBeCloseTo(variance, 12);
    }
    expect(bn1.numBatchesTracked?.data[0]).toBe(3);
  });

  it('restores every momentum and the model mode, and records no gradients', () => {
    const { net, bn1, bn2 } = model();
    const modes: boolean[] = [];
    net.registerForwardHook(() => {
      modes.push(net.training, isGradEnabled(), bn1.momentum === null);
    });
    updateBn(batches, net);
    expect(modes).toEqual([true, false, true, true, false, true, true, false, true]);
    expect([bn1.momentum, bn2.momentum, net.training, bn1.training]).toEqual([0.3, null, false, false]);
    expect(net.parameters().every((p) => p.grad === null)).toBe(true);
    // Back in training mode after a pass started there.
    updateBn(batches, net.train());
    expect(bn2.training).toBe(true);
  });

  it('takes the first element of array batches, and gives the same result as tensors', () => {
    const a = model();
    const b = model();
    updateBn(batches, a.net);
    updateBn(
      batches.map((x, i) => (i === 1 ? x : ([x, 'ignored'] as const))),
      b.net,
    );
    expect(snapshot(b.bn1, b.bn2)).toEqual(snapshot(a.bn1, a.bn2));
  });

  it('handles BatchNorm2d and BatchNorm3d, from a generator', () => {
    const bn2d = new BatchNorm2d(2, { dtype: 'float64' });
    const bn3d = new BatchNorm3d(2, { dtype: 'float64' });
    function* data() {
      yield f64([3, 2, 2, 2], 7);
      yield f64([2, 2, 2, 2], 8);
    }
    updateBn(data(), bn2d);
    const x = f64([3, 2, 2, 2], 7);
    let m = 0;
    for (let i = 0; i < 3; i++) for (let k = 0; k < 4; k++) m += x.data[i * 8 + k];
    const y = f64([2, 2, 2, 2], 8);
    let m2 = 0;
    for (let i = 0; i < 2; i++) for (let k = 0; k < 4; k++) m2 += y.data[i * 8 + k];
    expect(bn2d.runningMean?.data[0]).toBeCloseTo((m / 12 + m2 / 8) / 2, 12);
    updateBn([f64([2, 2, 1, 2, 2], 9)], bn3d);
    expect(bn3d.numBatchesTracked?.data[0]).toBe(1);
  });

  it('with no BatchNorm layer (or none with running statistics), returns without reading the data', () => {
    let read = 0;
    const counting = {
      *[Symbol.iterator]() {
        read++;
        yield f64([2, 4], 1);
      },
    };
    updateBn(counting, new Sequential(new Linear(4, 2)));
    const untracked = new BatchNorm1d(4, { trackRunningStats: false });
    updateBn(counting, new Sequential(new Linear(4, 4), untracked));
    expect(read).toBe(0);
    expect(untracked.momentum).toBe(0.1);
  });

  it('with no batches, leaves the statistics reset (mean 0, variance 1, count 0)', () => {
    const { net, bn1 } = model();
    updateBn([], net);
    expect(snapshot(bn1)).toEqual([{ mean: [0, 0, 0], variance: [1, 1, 1], count: 0, momentum: 0.3 }]);
  });

  it('a bad batch stops the pass and puts back the statistics, momenta and mode', () => {
    const { net, bn1, bn2 } = model();
    const before = snapshot(bn1, bn2);
    expect(() => updateBn([batches[0], [] as never, batches[1]], net)).toThrow(ValueError);
    expect(() => updateBn([batches[0], batches[1], [3, batches[1]] as never], net)).toThrow(
      'updateBn: batch 2 is an array whose first element is a number; expected a Tensor or an array whose first element is a Tensor',
    );
    expect(() => updateBn([batches[0], f64([2, 5], 4)], net)).toThrow(/Linear/);
    expect(snapshot(bn1, bn2)).toEqual(before);
    expect(net.training).toBe(false);
  });

  it('rejects a bad model or data, naming updateBn and changing nothing', () => {
    const { net, bn1 } = model();
    const before = snapshot(bn1);
    expect(() => updateBn(batches, {} as never)).toThrow('updateBn: model must be a Module, got an object');
    expect(() => updateBn(5 as never, net)).toThrow('updateBn: batches must be an iterable of batches, got a number');
    async function* stream() {
      yield batches[0];
    }
    expect(() => updateBn(stream() as never, net)).toThrow(
      'updateBn: batches is an async iterable; use updateBnAsync, which returns a Promise',
    );
    expect(snapshot(bn1)).toEqual(before);
  });
});

describe('updateBnAsync', () => {
  it('over an async iterable, gives the same statistics as updateBn', async () => {
    const a = model();
    const b = model();
    updateBn(batches, a.net);
    async function* stream() {
      for (const x of batches) yield [x, null] as const;
    }
    const done = updateBnAsync(stream(), b.net);
    expect(done).toBeInstanceOf(Promise);
    await done;
    expect(snapshot(b.bn1, b.bn2)).toEqual(snapshot(a.bn1, a.bn2));
    expect(b.net.training).toBe(false);
    const c = model();
    await updateBnAsync(batches, c.net);
    expect(snapshot(c.bn1, c.bn2)).toEqual(snapshot(a.bn1, a.bn2));
  });

  it('rejects on a bad batch, restoring the statistics and mode', async () => {
    const { net, bn1, bn2 } = model();
    const before = snapshot(bn1, bn2);
    async function* stream() {
      yield batches[0];
      yield 'text';
    }
    await expect(updateBnAsync(stream() as never, net)).rejects.toThrow(
      'updateBnAsync: batch 1 is a string; expected a Tensor or an array whose first element is a Tensor',
    );
    await expect(updateBnAsync(null as never, net)).rejects.toThrow(
      'updateBnAsync: batches must be an iterable or async iterable of batches, got null',
    );
    expect(snapshot(bn1, bn2)).toEqual(before);
    expect(net.training).toBe(false);
  });
});
