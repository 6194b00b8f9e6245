import { manualSeed, type Tensor, tensor } from '@nablajs/core';
import { Linear, mseLoss } from '@nablajs/nn';
import { sgd } from '@nablajs/optim-sgd';
import { describe, expect, it } from 'vitest';
import type { Batch } from '../batches';
import { fit } from '../fit';
import { gradientAccumulation } from './gradient-accumulation';
import { gradientClipping } from './gradient-clipping';

function samples(n: number): { x: Tensor; y: Tensor } {
  const xs = Array.from({ length: n }, (_, i) => [i / n, 1 - i / n]);
  return { x: tensor(xs), y: tensor(xs.map(([a, b]) => [3 * a - b + 0.5])) };
}

function split(data: { x: Tensor; y: Tensor }, size: number): Batch[] {
  const out: Batch[] = [];
  for (let s = 0; s < data.x.shape[0]; s += size)
    out.push([data.x.slice([[s, s + size]]), data.y.slice([[s, s + size]])]);
  return out;
}

function model(): Linear {
  manualSeed(4);
  return new Linear(2, 1, { dtype: 'float64' });
}

describe('gradientAccumulation', () => {
  it('steps every k batches and at the last batch of the epoch', async () => {
    const m = model();
    const steps: string[] = [];
    await fit({
      model: m,
      data: split(samples(10), 2),
      loss: mseLoss,
      optimizer: sgd(m.parameters(), { lr: 0.1 }),
      epochs: 2,
      plugins: [
        gradientAccumulation(2),
        {
          name: 'spy',
          afterStep: (c) => void (c.stepSkipped ? null : steps.push(`${c.epoch}.${c.batch}@${c.globalStep}`)),
        },
      ],
    });
    expect(steps).toEqual(['0.1@1', '0.3@2', '0.4@3', '1.1@4', '1.3@5', '1.4@6']);
  });

  it('accumulating k batches of the mean loss equals one batch k times larger', async () => {
    const data = samples(12);
    const a = model();
    const b = model();
    const accumulated = await fit({
      model: a,
      data: split(data, 2),
      loss: mseLoss,
      optimizer: sgd(a.parameters(), { lr: 0.2, momentum: 0.9 }),
      epochs: 3,
      plugins: [gradientAccumulation(3)],
    });
    const large = await fit({
      model: b,
      data: split(data, 6),
      loss: mseLoss,
      optimizer: sgd(b.parameters(), { lr: 0.2, momentum: 0.9 }),
      epochs: 3,
    });
    Array.from(a.weight.data).forEach((w, i) => {
      expect(w).toBeCloseTo(b.weight.data[i], 12);
    });
    expect(a.bias?.data[0]).toBeCloseTo(b.bias?.data[0] ?? Number.NaN, 12);
    // the logged loss is not scaled by 1/k
    expect(accumulated.history[0].loss).toBeCloseTo(large.history[0].loss, 12);
  });

  it('clips the accumulated gradient once, before its step', async () => {
    const m = model();
    const clipped: boolean[] = [];
    await fit({
      model: m,
      data: split(samples(8), 2),
      loss: mseLoss,
      optimizer: sgd(m.parameters(), { lr: 0.1 }),
      epochs: 1,
      plugins: [
        gradientAccumulation(2),
        gradientClipping({ maxNorm: 1e-3 }),
        { name: 'r', batchEnd: (c) => void clipped.push(c.batchLogs.gradNorm !== undefined) },
      ],
    });
    expect(clipped).toEqual([false, true, false, true]);
  });

  it('is a no-op for k = 1 and rejects bad k', async () => {
    expect(() => gradientAccumulation(0)).toThrow(/gradientAccumulation: k must be a positive integer, got 0/);
    expect(() => gradientAccumulation(1.5)).toThrow(/got 1.5/);
    const m = model();
    let steps = 0;
    await fit({
      model: m,
      data: split(samples(4), 1),
      loss: mseLoss,
      optimizer: sgd(m.parameters(), { lr: 0.1 }),
      epochs: 1,
      plugins: [
        gradientAccumulation(1),
        {
          name: 'n',
          trainEnd: (c) => {
            steps = c.globalStep;
          },
        },
      ],
    });
    expect(steps).toBe(4);
  });

  it('refuses an optimizer that re-evaluates the loss (its closure would re-run one micro-batch), before any step', async () => {
    const m = model();
    const before = m.weight.toArray();
    const closureOptimizer = Object.assign(sgd(m.parameters(), { lr: 0.1 }), { requiresClosure: true as const });
    await expect(
      fit({
        model: m,
        data: split(samples(4), 1),
        loss: mseLoss,
        optimizer: closureOptimizer,
        epochs: 1,
        plugins: [gradientAccumulation(2)],
      }),
    ).rejects.toThrow(
      'gradientAccumulation: sgd re-evaluates the loss during its step (a closure), which would re-run only the last of the 2 accumulated batches',
    );
    expect(m.weight.toArray()).toEqual(before);
  });
});
