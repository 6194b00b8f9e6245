import { type Tensor, tensor } from '@nablajs/core';
import { describe, expect, it } from 'vitest';
import { chain } from './chain';
import { defineOptimizer } from './define';
import { swaWeights } from './swa';
import { addWeightDecay, flipIfMaximize, scaleByLearningRate } from './transforms/basic';

const sgd = defineOptimizer({
  name: 'sgd-swa-test',
  defaults: { lr: 0.1, maximize: false, weightDecay: 0 },
  rule: chain(flipIfMaximize(), addWeightDecay(), scaleByLearningRate()),
});

function fresh(dtype: 'float32' | 'float64' = 'float64'): Tensor[] {
  return [tensor([1, -2], { dtype, requiresGrad: true }), tensor([0.5], { dtype, requiresGrad: true })];
}

const loss = (ps: Tensor[]) => ps[0].sub(3).square().sum().add(ps[1].pow(4).sum());
const values = (ts: Tensor[]) => ts.map((t) => Array.from(t.data));

describe('swaWeights', () => {
  it('starts as a copy, copies at the first update, then keeps the running mean of the values seen', () => {
    const p = tensor([1, 10], { dtype: 'float64' });
    const swa = swaWeights([p]);
    expect(Array.from(swa.averages()[0].data)).toEqual([1, 10]);
    expect(swa.numAveraged).toBe(0);
    const seen = [
      [2, 0],
      [4, 3],
      [9, -6],
      [1, 1],
    ];
    seen.forEach((v, k) => {
      p.data.set(v);
      swa.update();
      const mean = [0, 1].map((j) => seen.slice(0, k + 1).reduce((s, r) => s + r[j], 0) / (k + 1));
      expect(Array.from(swa.averages()[0].data)).toEqual(mean);
    });
    expect(swa.numAveraged).toBe(4);
  });

  it('averages float32 tensors in float32 arithmetic, each operation rounded (as PyTorch)', () => {
    const p = tensor([0.1, 1e-3, 7.3], { dtype: 'float32' });
    const swa = swaWeights([p]);
    const f = Math.fround;
    const manual = Float32Array.from(p.data);
    for (let k = 0; k < 12; k++) {
      p.data.set([Math.sin(k) * 3.7, Math.cos(k) / 7, k * 0.37 + 0.11]);
      swa.update();
      for (let j = 0; j < 3; j++) manual[j] = k === 0 ? p.data[j] : manual[j] + f(f(p.data[j] - manual[j]) / (k + 1));
    }
    const avg = swa.averages()[0];
    expect(avg.dtype).toBe('float32');
    expect(Array.from(avg.data)).toEqual(Array.from(manual));
  });

  it('takes a custom element-wise avgFn from the second update on, with the number averaged so far', () => {
    const p = tensor([0], { dtype: 'float64' });
    const calls: number[] = [];
    const swa = swaWeights([p], {
      avgFn: (averaged, current, n) => {
        calls.push(n);
        return 0.75 * averaged + 0.25 * current;
      },
    });
    p.data[0] = 4;
    swa.update(); // copy
    p.data[0] = 8;
    swa.update();
    p.data[0] = 0;
    swa.update();
    expect(swa.averages()[0].data[0]).toBe(0.75 * (0.75 * 4 + 0.25 * 8));
    expect(calls).toEqual([1, 2]);
  });

  it('an avgFn that returns a non-number is an error that changes no average', () => {
    const ps = fresh();
    let bad = false;
    const swa = swaWeights(ps, { avgFn: (a, c) => (bad && c === 0.5 ? (undefined as never) : (a + c) / 2) });
    swa.update();
    ps[0].data.set([3, 3]);
    swa.update();
    const before = values(swa.averages());
    bad = true;
    expect(() => swa.update()).toThrow(
      'swaWeights.update: avgFn returned undefined for element 0 of params[1], expected a number',
    );
    expect(values(swa.averages())).toEqual(before);
    expect(swa.numAveraged).toBe(2);
  });

  it('hooked with onAfterStep, averages the SGD iterates', () => {
    const ps = fresh();
    const opt = sgd(ps);
    const swa = swaWeights(ps);
    opt.onAfterStep(() => swa.update());
    const sums = [new Float64Array(2), new Float64Array(1)];
    for (let k = 0; k < 10; k++) {
      opt.zeroGrad();
      loss(ps).backward();
      opt.step();
      ps.forEach((p, i) => {
        for (let j = 0; j < p.size; j++) sums[i][j] += p.data[j];
      });
    }
    swa.averages().forEach((a, i) => {
      Array.from(a.data).forEach((v, j) => {
        expect(v).toBeCloseTo(sums[i][j] / 10, 14);
      });
    });
  });

  it('swap() exchanges values and averages in place; update() refuses while swapped', () => {
    const ps = fresh();
    const swa = swaWeights(ps);
    swa.update();
    ps[0].data.set([5, 6]);
    ps[1].data.set([7]);
    swa.update();
    const raw = values(ps);
    const avg = values(swa.averages());
    expect(avg).toEqual([[3, 2], [3.75]]);
    const versions = ps.map((p) => p.version);
    swa.swap();
    expect(swa.swapped).toBe(true);
    expect(ps.map((p) => p.version)).toEqual(versions.map((v) => v + 1));
    expect(values(ps)).toEqual(avg);
    expect(values(swa.averages())).toEqual(avg);
    expect(() => swa.update()).toThrow(/swaWeights.update: the averaged weights are swapped in/);
    swa.swap();
    expect(values(ps)).toEqual(raw);
  });

  it('round-trips its state through JSON and continues identically', () => {
    const ps = fresh('float32');
    const swa = swaWeights(ps);
    for (let k = 0; k < 3; k++) {
      ps[0].data[0] += 1.1;
      swa.update();
    }
    const saved = JSON.parse(JSON.stringify(swa.stateDict()));
    expect(saved.kind).toBe('swaWeights');
    expect(saved.numAveraged).toBe(3);
    const other = swaWeights(ps);
    other.loadStateDict(saved);
    expect(other.numAveraged).toBe(3);
    ps[1].data[0] = -1;
    swa.update();
    other.update();
    expect(values(other.averages())).toEqual(values(swa.averages()));
  });

  it('rejects a state that does not fit, leaving itself untouched', () => {
    const ps = fresh();
    const swa = swaWeights(ps);
    swa.update();
    const before = JSON.stringify(swa.stateDict());
    expect(() => swa.loadStateDict(swaWeights([ps[0]]).stateDict())).toThrow(
      /swaWeights.loadStateDict: the saved averages do not fit these parameters/,
    );
    expect(() => swa.loadStateDict({ ...JSON.parse(before), numAveraged: -1 })).toThrow(
      'swaWeights.loadStateDict: numAveraged must be an integer in [0, inf), got -1',
    );
    expect(() => swa.loadStateDict({ kind: 'emaWeights' } as never)).toThrow(
      /expected an object from swaWeights\(\).stateDict\(\)/,
    );
    expect(JSON.stringify(swa.stateDict())).toBe(before);
    swa.swap();
    expect(() => swa.loadStateDict(JSON.parse(before))).toThrow(/swapped in/);
  });

  it('validates its options and tensors, naming swaWeights, without touching the tensors', () => {
    const ps = fresh();
    const before = values(ps);
    expect(() => swaWeights(ps, { avgFn: 0.5 as never })).toThrow(
      'swaWeights: avgFn must be a function (averaged, current, numAveraged) => number, got number',
    );
    expect(() => swaWeights(ps, { use_buffers: true } as never)).toThrow(
      /swaWeights: unknown option "use_buffers"; options are avgFn/,
    );
    expect(() => swaWeights([tensor([1], { dtype: 'int32' })])).toThrow(
      'swaWeights: params[0] is int32; only float32 and float64 tensors can be averaged',
    );
    expect(() => swaWeights([ps[0], [1] as never])).toThrow('swaWeights: params[1] is not a Tensor');
    expect(() => swaWeights(3 as never)).toThrow('swaWeights: params must be an iterable of tensors, got number');
    expect(values(ps)).toEqual(before);
  });
});
