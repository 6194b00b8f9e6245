// Lookahead where values live on the device (the webgpu backend's path, here on the simulated device): the
// inner optimizer's fused step, then the `lookaheadSync` kernel every k steps; no gradient comes back.
// Compared with the rule on the cpu backend, whose numbers the unit tests pin.
import { noGrad, type Tensor, tensor } from '@nablajs/core';
import { Linear, ReLU, Sequential } from '@nablajs/nn';
import optimPlugin, { createOptimizer, setFusedUpdates, usePlugin } from '@nablajs/optim';
import adamPlugin from '@nablajs/optim-adam';
import rmspropPlugin from '@nablajs/optim-rmsprop';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { fixedBatch, fixWeights, onCpuThenDevice, stopDeviceSim, syncDeviceSim, worstDiff } from './helpers/device-sim';
import { awaitedStep, signDescentPlugin } from './helpers/train-step';

beforeAll(() => {
  for (const plugin of [optimPlugin, adamPlugin, rmspropPlugin]) usePlugin(plugin);
  usePlugin(signDescentPlugin);
});

afterEach(() => {
  stopDeviceSim();
});

const { x: X, y: Y } = fixedBatch(16, 6);

/** Two groups with their own alpha, 7 steps (two syncs at k = 3), the loss awaited after each. */
async function train(options: Record<string, unknown>): Promise<{ losses: number[]; weights: number[][] }> {
  const m = fixWeights(new Sequential(new Linear(6, 10), new ReLU(), new Linear(10, 4)));
  const [w1, b1, w2, b2] = m.parameters();
  const opt = createOptimizer(
    'lookahead',
    [
      { params: [w1, b1], alpha: 0.5 },
      { params: [w2, b2], alpha: 0.8 },
    ],
    { k: 3, ...options },
  );
  const x = tensor(X.slice(), { shape: [16, 6] });
  const y = tensor(Y.slice(), { dtype: 'int32' });
  const losses: number[] = [];
  for (let s = 0; s < 7; s++) losses.push(await awaitedStep(opt, m, x, y));
  await syncDeviceSim();
  return { losses, weights: m.parameters().map((p) => Array.from(p.values)) };
}

function expectClose(cpu: { losses: number[]; weights: number[][] }, device: typeof cpu): void {
  cpu.losses.forEach((l, i) => {
    expect(Math.abs(device.losses[i] - l), `loss ${i}`).toBeLessThan(2e-5);
  });
  expect(worstDiff(cpu.weights, device.weights)).toBeLessThan(2e-6);
}

describe('Lookahead on the simulated device (the webgpu backend: the inner fused step, then the sync kernel)', () => {
  it.each([
    ['Adam', { inner: 'adam', lr: 0.01 }],
    // RMSprop's own alpha is inner.alpha beside Lookahead's
    ['RMSprop', { inner: 'rmsprop', lr: 0.01, innerOptions: { alpha: 0.9 } }],
  ])("takes the cpu rule's steps around %s without reading a gradient back", async (_name, options) => {
    const { cpu, device, sim } = await onCpuThenDevice(() => train(options));
    expectClose(cpu, device);
    expect(cpu.losses.at(-1)).toBeLessThan(cpu.losses[0]);
    expect(sim.waitedTasks).toBe(0);
    expect(sim.refused).toEqual([]);
    expect(sim.fallbacks).toEqual({});
  });

  it('runs the rule as host tasks around an inner optimizer without a fused step (the same numbers)', async () => {
    const { cpu, device, sim } = await onCpuThenDevice(() => train({ inner: 'signDescent', lr: 0.01 }));
    expectClose(cpu, device);
    expect(sim.waitedTasks).toBe(7);
    expect(sim.waitedAt.every((at) => at.includes('optim/src/'))).toBe(true);
  });

  it('starts its slow weights from parameters whose values are still on the device', async () => {
    const run = async () => {
      const p = tensor([1, -2, 3], { requiresGrad: true });
      noGrad(() => p.mul_(2)); // on the device (simulated): not readable until awaited
      const opt = createOptimizer('lookahead', [p], { inner: 'adam', lr: 0.1, k: 2, alpha: 0.5 });
      for (let s = 0; s < 2; s++) {
        opt.zeroGrad();
        (p.mul(p).sum() as Tensor).backward();
        opt.step();
      }
      await syncDeviceSim();
      return Array.from(p.values);
    };
    const { cpu, device, sim } = await onCpuThenDevice(run);
    expect(sim.refused).toEqual([]);
    // Adam's two steps move each weight by about 2·lr against its sign, and the sync halves that: the slow
    // weights started at [2, -4, 6], not at the values before mul_
    [2, -4, 6].forEach((w0, j) => {
      expect(Math.abs(cpu[j] - (w0 - Math.sign(w0) * 0.1))).toBeLessThan(1e-3);
      expect(Math.abs(device[j] - cpu[j])).toBeLessThan(1e-6);
    });
  });
});

describe('a rule step after fused steps on the simulated device', () => {
  it('brings the state the fused kernels left on the device back before the rule reads it (the same numbers)', async () => {
    const run = async () => {
      const m = fixWeights(new Sequential(new Linear(6, 4)));
      const opt = createOptimizer('lookahead', m.parameters(), { inner: 'adam', lr: 0.01, k: 2 });
      const x = tensor(X.slice(), { shape: [16, 6] });
      const y = tensor(Y.slice(), { dtype: 'int32' });
      for (let s = 0; s < 5; s++) {
        // fused steps, then the rule from the third on: Adam's moments and the slow weights come from the device
        setFusedUpdates(s < 2);
        await awaitedStep(opt, m, x, y);
      }
      setFusedUpdates(true);
      await syncDeviceSim();
      return m.parameters().map((p) => Array.from(p.values));
    };
    const { cpu, device, sim } = await onCpuThenDevice(run);
    expect(sim.refused).toEqual([]);
    expect(sim.waitedTasks).toBe(3);
    expect(worstDiff(cpu, device)).toBeLessThan(2e-6);
  });
});
