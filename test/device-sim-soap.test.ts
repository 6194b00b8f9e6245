// SOAP's fused step where values live on the device (the webgpu backend's path, here on the simulated device):
// rotations and Gram matrices as tensor ops, the elementwise parts as kernels, and only eigh and the QR refresh
// as host tasks. Compared with the rule on the cpu backend, which the golden tests pin to the reference.
import { bringToHost, tensor } from '@nablajs/core';
import { Conv2d, Flatten, Linear, Sequential, Tanh } from '@nablajs/nn';
import { type SoapOptions, soap } from '@nablajs/optim-soap';
import { afterEach, describe, expect, it } from 'vitest';
import {
  type DeviceSimStats,
  fixedBatch,
  fixWeights,
  onCpuThenDevice,
  stopDeviceSim,
  syncDeviceSim,
  worstDiff,
} from './helpers/device-sim';
import { awaitedStep } from './helpers/train-step';

afterEach(() => stopDeviceSim());

const { x: X, y: Y } = fixedBatch(8, 50);

function model(): Sequential {
  const m = new Sequential(
    new Conv2d(2, 3, 3),
    new Tanh(),
    new Flatten(),
    new Linear(27, 6),
    new Tanh(),
    new Linear(6, 4),
  );
  return fixWeights(m);
}

interface Run {
  losses: number[];
  weights: number[][];
  state: unknown;
}

async function train(options: Partial<SoapOptions>, steps: number, nudge = 1): Promise<Run> {
  const m = model();
  const opt = soap(m.parameters(), options);
  const x = tensor(
    X.map((v) => v * nudge),
    { shape: [8, 2, 5, 5] },
  );
  const y = tensor(Y.slice(), { dtype: 'int32' });
  const losses: number[] = [];
  for (let s = 0; s < steps; s++) losses.push(await awaitedStep(opt, m, x, y));
  await bringToHost(m.parameters());
  await syncDeviceSim();
  return { losses, weights: m.parameters().map((p) => Array.from(p.values)), state: opt.stateDict().state };
}

async function onBoth(
  options: Partial<SoapOptions>,
  steps = 7,
): Promise<{ cpu: Run; device: Run; sim: DeviceSimStats; spread: number }> {
  // how far a one-rounding change of the input moves the cpu run: SOAP's eigenbases amplify float32 noise
  const nudged = await train(options, steps, 1 + 2 ** -23);
  const r = await onCpuThenDevice(() => train(options, steps));
  return { ...r, spread: worstDiff(r.cpu.weights, nudged.weights) };
}

/**
 * The device run against the cpu run: the losses within 1e-4, the weights within the spread of a
 * one-rounding input change (float32 steps where the rule rounds doubles once), and the weights really moved.
 */
function expectClose(r: { cpu: Run; device: Run; spread: number }): void {
  const { cpu, device, spread } = r;
  cpu.losses.forEach((l, i) => {
    expect(Math.abs(device.losses[i] - l), `loss ${i}`).toBeLessThan(1e-4 * Math.max(1, Math.abs(l)));
  });
  const init = model()
    .parameters()
    .map((p) => Array.from(p.values));
  expect(worstDiff(cpu.weights, init)).toBeGreaterThan(1e-3);
  expect(spread).toBeLessThan(0.1);
  expect(worstDiff(cpu.weights, device.weights)).toBeLessThanOrEqual(Math.max(1e-6, spread));
  expect(cpu.losses.at(-1)).toBeLessThan(cpu.losses[0]);
}

describe('SOAP on the simulated device (the fused step of the webgpu backend)', () => {
  it("trains to the cpu rule's losses and weights; only eigh and the QR refreshes wait for the host", async () => {
    const r = await onBoth({ preconditionFrequency: 3, lr: 0.002 });
    const sim = r.sim;
    expectClose(r);
    expect(sim.refused).toEqual([]);
    expect(sim.fallbacks).toEqual({});
    // one eigh task per parameter's first step that has a factor (the 3 weights and, 1-D, none of the biases),
    // then a refresh per weight at steps 3 and 6 of the 6 SOAP steps after the first
    expect(sim.waitedAt.every((at) => at.includes('optim-soap/src/fused.ts'))).toBe(true);
    expect(sim.waitedTasks).toBe(3 + 2 * 3);
  });

  it.each([
    [
      'merged dimensions, channels last, normalized gradients',
      { mergeDims: true, dataFormat: 'channels_last', normalizeGrads: true },
    ],
    [
      '1-d preconditioning, a dimension too large, no bias correction',
      { precondition1d: true, maxPrecondDim: 8, correctBias: false },
    ],
    ['shampooBeta and weight decay', { shampooBeta: 0.9, weightDecay: 0.1, preconditionFrequency: 2 }],
  ])('matches the cpu rule with %s', async (_name, options) => {
    const r = await onBoth({ lr: 0.002, ...(options as Partial<SoapOptions>) });
    expectClose(r);
    expect(r.sim.refused).toEqual([]);
    expect(r.sim.fallbacks).toEqual({});
  });

  it('keeps its state readable after a sync, in the layout of the cpu rule', async () => {
    const { cpu, device } = await onBoth({ preconditionFrequency: 2, lr: 0.002 }, 4);
    expect(worstDiff(cpu.weights, device.weights)).toBeLessThan(1e-4);
    const shapeOf = (st: unknown) => JSON.stringify(st, (_k, v) => (typeof v === 'number' ? 0 : v));
    expect(shapeOf(device.state)).toBe(shapeOf(cpu.state));
    expect((cpu.state as unknown[]).length).toBe(1);
  });
});
