import { manualSeed, type Tensor, tensor } from '@nablajs/core';
import { crossEntropy, Linear } from '@nablajs/nn';
import { sgd } from '@nablajs/optim-sgd';
import { describe, expect, it } from 'vitest';
import type { Batch } from '../batches';
import { createContext } from '../context';
import { fit } from '../fit';
import { hasMetrics, metricsPlugin } from './metrics';

const labels = (...v: number[]) => tensor(v, { dtype: 'int32' });

describe('metricsPlugin', () => {
  it('logs batch values and running epoch means weighted by batch size', async () => {
    const plugin = metricsPlugin({ accuracy: true, custom: { first: (o: Tensor) => o.data[0] } });
    const ctx = createContext({ model: new Linear(2, 2), optimizer: null, lossFn: crossEntropy, epochs: 1 });
    await plugin.epochStart?.(ctx);
    ctx.output = tensor([
      [1, 0],
      [1, 0],
      [0, 1],
    ]);
    ctx.targets = labels(0, 0, 0);
    await plugin.batchEnd?.(ctx);
    expect(ctx.batchLogs.accuracy).toBeCloseTo(2 / 3, 12);
    ctx.batchLogs = {};
    ctx.output = tensor([[0, 5]]);
    ctx.targets = labels(1);
    await plugin.batchEnd?.(ctx);
    expect(ctx.batchLogs).toEqual({ accuracy: 1, first: 0 });
    expect(ctx.epochLogs.accuracy).toBeCloseTo(3 / 4, 12);
    expect(ctx.epochLogs.first).toBeCloseTo((1 * 3 + 0 * 1) / 4, 12);
    await plugin.epochStart?.(ctx);
    ctx.output = tensor([[0, 5]]);
    ctx.targets = labels(0);
    await plugin.batchEnd?.(ctx);
    expect(ctx.epochLogs.accuracy).toBe(0);
  });

  it('exposes its metric functions (the loop evaluates them on validation data)', () => {
    const plugin = metricsPlugin({ accuracy: true });
    expect(hasMetrics(plugin)).toBe(true);
    expect(Object.keys(plugin.metrics)).toEqual(['accuracy']);
    expect(hasMetrics({ name: 'x' })).toBe(false);
  });

  it('in fit: training accuracy, valAccuracy and custom val metrics in the history', async () => {
    manualSeed(1);
    const model = new Linear(2, 2);
    const x = tensor([
      [2, 0],
      [0, 2],
      [3, 1],
      [1, 3],
    ]);
    const y = labels(0, 1, 0, 1);
    const batches: Batch[] = [
      [x.slice([[0, 2]]), y.slice([[0, 2]])],
      [x.slice([[2, 4]]), y.slice([[2, 4]])],
    ];
    const seenBatchAccuracy: number[] = [];
    const { history } = await fit({
      model,
      data: batches,
      validation: [[x, y]],
      loss: crossEntropy,
      optimizer: sgd(model.parameters(), { lr: 1 }),
      epochs: 20,
      plugins: [
        metricsPlugin({ accuracy: true, custom: { count: (o) => o.shape[0] } }),
        { name: 'read', batchEnd: (ctx) => void seenBatchAccuracy.push(ctx.batchLogs.accuracy) },
      ],
    });
    expect(seenBatchAccuracy).toHaveLength(40);
    const last = history[19];
    expect(last.accuracy).toBe(1);
    expect(last.valAccuracy).toBe(1);
    expect(last.count).toBe(2);
    expect(last.valCount).toBe(4);
    expect(history[0].valAccuracy).toBeLessThanOrEqual(1);
  });

  it('rejects bad options', () => {
    expect(() => metricsPlugin({ custom: { lr: () => 0 } })).toThrow(
      /metricsPlugin: custom metric name 'lr' is reserved/,
    );
    expect(() => metricsPlugin({ accuracy: 'yes' as never })).toThrow(/metricsPlugin: accuracy must be true or false/);
  });
});
