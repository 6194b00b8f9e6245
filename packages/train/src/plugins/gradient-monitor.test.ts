import { manualSeed, tensor } from '@nablajs/core';
import { Linear, mseLoss, Sequential, Tanh } from '@nablajs/nn';
import { sgd } from '@nablajs/optim-sgd';
import { describe, expect, it } from 'vitest';
import { fit } from '../fit';
import type { Trainable } from '../types';
import { gradientMonitor, layerOf, namedParametersOf } from './gradient-monitor';

const data = {
  x: tensor([
    [1, 0],
    [0, 1],
    [1, 1],
    [-1, 2],
  ]),
  y: tensor([[1], [0], [1], [2]]),
};

/** Three layers whose last two have tiny weights: the first layer's gradient is ~1e-10 (vanishing). */
function badModel(): Sequential {
  manualSeed(0);
  const model = new Sequential(new Linear(2, 8), new Tanh(), new Linear(8, 8), new Tanh(), new Linear(8, 1));
  for (const i of [2, 4]) (model.getSubmodule(String(i)) as Linear).weight.data.fill(1e-5);
  return model;
}

describe('gradientMonitor', () => {
  it('names the vanishing layer of a deliberately bad model, once per epoch', async () => {
    const model = badModel();
    const warnings: string[] = [];
    const monitor = gradientMonitor({ warn: (m) => void warnings.push(m) });
    await fit({
      model,
      data,
      loss: mseLoss,
      optimizer: sgd(model.parameters(), { lr: 0 }),
      epochs: 2,
      batchSize: 2,
      shuffle: false,
      plugins: [monitor],
    });
    expect(warnings).toHaveLength(2);
    expect(warnings[0]).toMatch(
      /^gradientMonitor: vanishing gradients at epoch 0, batch 0 in layer '0' \(norm \d\.\d\de-\d+ < 1\.00e-7\); the layers before these barely learn/,
    );
    expect(warnings[1]).toMatch(/at epoch 1, batch 0 in layer '0'/);
    expect(monitor.norms['0']).toBeLessThan(1e-7);
    expect(monitor.norms['2']).toBeGreaterThan(1e-7);
    expect(monitor.norms['4']).toBeGreaterThan(1e-3);
    expect(Object.keys(monitor.norms).sort()).toEqual(['0', '2', '4', 'total']);
  });

  it('computes the L2 norm per layer and per parameter, and logs them as grad_norm/<name>', async () => {
    manualSeed(1);
    const model = new Sequential(new Linear(2, 1));
    const logs: Record<string, number>[] = [];
    let expected: Record<string, number> = {};
    await fit({
      model,
      data,
      loss: mseLoss,
      optimizer: sgd(model.parameters(), { lr: 0 }),
      epochs: 1,
      plugins: [
        gradientMonitor({ level: 'parameter', logNorms: true, warn: () => {} }),
        {
          name: 'read',
          afterBackward: () => {
            const sq = (n: string) => {
              const g = (model.getSubmodule('0') as Linear)[n === 'w' ? 'weight' : 'bias']?.grad?.data ?? [];
              return Array.from(g).reduce((s, v) => s + v * v, 0);
            };
            expected = { w: Math.sqrt(sq('w')), b: Math.sqrt(sq('b')), total: Math.sqrt(sq('w') + sq('b')) };
          },
          batchEnd: (c) => void logs.push({ ...c.batchLogs }),
        },
      ],
    });
    expect(logs[0]['grad_norm/0.weight']).toBeCloseTo(expected.w, 6);
    expect(logs[0]['grad_norm/0.bias']).toBeCloseTo(expected.b, 6);
    expect(logs[0]['grad_norm/total']).toBeCloseTo(expected.total, 6);
    expect(expected.total).toBeGreaterThan(0);
  });

  it('warns about exploding gradients, and checks only every n-th step', async () => {
    manualSeed(0);
    const model = new Sequential(new Linear(2, 4), new Linear(4, 1));
    const warnings: string[] = [];
    const checked: number[] = [];
    const monitor = gradientMonitor({ every: 2, warn: (m) => void warnings.push(m), logNorms: true });
    await fit({
      model,
      data: { x: data.x, y: data.y.mul(1e5) },
      loss: mseLoss,
      optimizer: sgd(model.parameters(), { lr: 0 }),
      epochs: 1,
      batchSize: 1,
      shuffle: false,
      plugins: [
        monitor,
        { name: 'r', batchEnd: (c) => void ('grad_norm/total' in c.batchLogs ? checked.push(c.batch) : 0) },
      ],
    });
    expect(checked).toEqual([0, 2]);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(
      /exploding gradients at epoch 0, batch 0 in layers '0' \(norm .* > 1\.00e\+3\), '1' \(norm/,
    );
    expect(warnings[0]).toMatch(/lower the learning rate or add gradientClipping/);
  });

  it('names parameters of models without namedParameters as param<i>', () => {
    const p = tensor([1]);
    const model: Trainable = { forward: (x) => x, parameters: () => [p], train: () => {}, eval: () => {} };
    expect(namedParametersOf(model)).toEqual([['param0', p]]);
    expect([layerOf('net.0.weight'), layerOf('weight')]).toEqual(['net.0', '(model)']);
  });

  it('rejects bad options', () => {
    expect(() => gradientMonitor({ every: 0 })).toThrow(/gradientMonitor: every must be a positive integer, got 0/);
    expect(() => gradientMonitor({ vanishing: 1, exploding: 0.5 })).toThrow(
      /exploding must be a number above vanishing/,
    );
    expect(() => gradientMonitor({ level: 'module' as never })).toThrow(/level must be 'layer' or 'parameter'/);
  });
});
