import { Generator, manualSeed, tensor } from '@nablajs/core';
import { crossEntropy, Linear, mseLoss } from '@nablajs/nn';
import { sgd } from '@nablajs/optim-sgd';
import { describe, expect, it } from 'vitest';
import { fit } from './fit';
import { metricsPlugin } from './plugins/metrics';
import { Trainer } from './trainer';
import type { TrainPlugin } from './types';

const x = tensor([
  [2, 0],
  [0, 2],
  [3, 1],
  [1, 3],
]);
const y = tensor([0, 1, 0, 1], { dtype: 'int32' });

describe('Trainer', () => {
  it('fits like fit() with the same settings', async () => {
    manualSeed(0);
    const a = new Linear(2, 2);
    const trainer = new Trainer({
      model: a,
      loss: crossEntropy,
      optimizer: sgd(a.parameters(), { lr: 0.5 }),
      metrics: { accuracy: true },
      generator: new Generator(3),
    });
    const viaTrainer = await trainer.fit({ data: { x, y }, epochs: 5, batchSize: 2 });
    manualSeed(0);
    const b = new Linear(2, 2);
    const direct = await fit({
      model: b,
      data: { x, y },
      loss: crossEntropy,
      optimizer: sgd(b.parameters(), { lr: 0.5 }),
      metrics: { accuracy: true },
      generator: new Generator(3),
      epochs: 5,
      batchSize: 2,
    });
    const strip = (h: typeof direct.history) => h.map(({ epochTime: _a, stepsPerSecond: _b, ...rest }) => rest);
    expect(strip(viaTrainer.history)).toEqual(strip(direct.history));
    expect(viaTrainer.history[4].accuracy).toBe(1);
  });

  it("runs the trainer's plugins before the call's", async () => {
    manualSeed(0);
    const model = new Linear(2, 2);
    const order: string[] = [];
    const p = (name: string): TrainPlugin => ({ name, trainStart: () => void order.push(name) });
    const trainer = new Trainer({ model, loss: crossEntropy, optimizer: sgd(model.parameters()), plugins: [p('a')] });
    await trainer.fit({ data: { x, y }, epochs: 1, plugins: [p('b')] });
    expect(order).toEqual(['a', 'b']);
  });

  it('evaluates with its metrics and those of its metric plugins, and predicts', async () => {
    manualSeed(0);
    const model = new Linear(2, 2);
    const trainer = new Trainer({
      model,
      loss: crossEntropy,
      optimizer: null,
      plugins: [metricsPlugin({ custom: { size: (o) => o.shape[0] } }), { name: 'noop', step: () => {} }],
      metrics: { accuracy: true },
    });
    const logs = trainer.evaluate({ x, y }, { batchSize: 3 });
    expect(Object.keys(logs).sort()).toEqual(['accuracy', 'loss', 'size']);
    expect(logs.loss).toBeCloseTo(crossEntropy(model.forward(x), y).item(), 6);
    expect(logs.size).toBeCloseTo((3 * 3 + 1 * 1) / 4, 12);
    const out = trainer.predict(x);
    expect(out.shape).toEqual([4, 2]);
    expect(out.requiresGrad).toBe(false);
  });

  it('rejects bad options', () => {
    const model = new Linear(1, 1);
    expect(() => new Trainer({ model, loss: mseLoss } as never)).toThrow(/Trainer: optimizer is required/);
    expect(() => new Trainer({ model: {} as never, loss: mseLoss, optimizer: null })).toThrow(
      /Trainer: model has no forward\(\) method/,
    );
  });
});
