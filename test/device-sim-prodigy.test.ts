// Prodigy's fused step where values live on the device (the webgpu backend's path, here on the simulated
// device): d's statistics stay in a float32 array on the device, the gradients never come back, and the
// state dict's statistics arrive at the next await. Compared with the rule on the cpu backend (doubles for
// d's sums, PyTorch's order), which the golden tests pin to the reference.
import { bringToHost, HostReadError, type Tensor, tensor, tidy } from '@nablajs/core';
import { crossEntropy, Linear, ReLU, Sequential } from '@nablajs/nn';
import type { Optimizer, OptimizerStateDict } from '@nablajs/optim';
import { setFusedUpdates } from '@nablajs/optim';
import { type ProdigyOptions, prodigy, prodigyStats } from '@nablajs/optim-prodigy';
import { afterEach, describe, expect, it } from 'vitest';
import {
  type DeviceSimStats,
  fixedBatch,
  fixWeights,
  onCpuThenDevice,
  startDeviceSim,
  stopDeviceSim,
  syncDeviceSim,
  worstDiff,
} from './helpers/device-sim';

afterEach(() => {
  setFusedUpdates(true);
  stopDeviceSim();
});

const { x: X, y: Y } = fixedBatch(16, 6);

function model(): Sequential {
  const m = new Sequential(new Linear(6, 10), new ReLU(), new Linear(10, 4));
  return fixWeights(m);
}

interface Run {
  losses: number[];
  weights: number[][];
  stats: ReturnType<typeof prodigyStats>;
  state: OptimizerStateDict;
}

/** Two groups (the second with its own weight decay), `steps` steps, the loss awaited after each. */
async function train(
  options: Partial<ProdigyOptions>,
  steps: number,
  opts: { zeroFirst?: boolean; load?: OptimizerStateDict; lrs?: [number, number] } = {},
): Promise<Run & { opt: Optimizer }> {
  const m = model();
  const [w1, b1, w2, b2] = m.parameters();
  const [lr1, lr2] = opts.lrs ?? [1, 1];
  const opt = prodigy(
    [
      { params: [w1, b1], lr: lr1 },
      { params: [w2, b2], lr: lr2, weightDecay: 0.02 },
    ],
    options,
  );
  if (opts.load !== undefined) opt.loadStateDict(opts.load);
  const x = tensor(X.slice(), { shape: [16, 6] });
  const y = tensor(Y.slice(), { dtype: 'int32' });
  const losses: number[] = [];
  for (let s = 0; s < steps; s++) {
    const loss = tidy(() => {
      opt.zeroGrad();
      const l = crossEntropy(m.forward(x), y);
      l.backward();
      if (opts.zeroFirst === true && s === 0) for (const p of m.parameters()) (p.grad as Tensor).mul_(0);
      opt.step();
      return l;
    });
    losses.push(await loss.itemAsync());
    loss.dispose();
  }
  // the whole state (as a checkpoint needs it): on the webgpu backend, await syncWebGpuToHost()
  await syncDeviceSim();
  return {
    losses,
    weights: m.parameters().map((p) => Array.from(p.values)),
    stats: prodigyStats(opt),
    state: opt.stateDict(),
    opt,
  };
}

function onBoth(
  options: Partial<ProdigyOptions>,
  steps = 6,
  opts: Parameters<typeof train>[2] = {},
): Promise<{ cpu: Run; device: Run; sim: DeviceSimStats }> {
  return onCpuThenDevice(() => train(options, steps, opts));
}

function expectClose(cpu: Run, device: Run, tol = 2e-5): void {
  expect(device.losses.length).toBe(cpu.losses.length);
  cpu.losses.forEach((l, i) => {
    expect(Math.abs(device.losses[i] - l), `loss ${i}`).toBeLessThan(tol * Math.max(1, Math.abs(l)));
  });
  expect(worstDiff(cpu.weights, device.weights, (v) => Math.max(1, Math.abs(v)))).toBeLessThan(tol);
  // the moves themselves (d is small at first, so the weights alone would hide a wrong step)
  const init = model()
    .parameters()
    .map((p) => Array.from(p.values));
  const moves = (w: number[][]) => w.map((row, i) => row.map((v, j) => v - init[i][j]));
  const [mc, md] = [moves(cpu.weights), moves(device.weights)];
  const largest = Math.max(...mc.flat().map(Math.abs));
  expect(largest).toBeGreaterThan(0);
  expect(worstDiff(mc, md)).toBeLessThan(1e-4 * largest);
  for (const key of ['d', 'dMax', 'dHat', 'dNumerator', 'dDenom'] as const) {
    const a = cpu.stats[key];
    expect(Math.abs(device.stats[key] - a), key).toBeLessThanOrEqual(2e-5 * Math.abs(a));
  }
  expect(device.stats.k).toBe(cpu.stats.k);
}

describe('Prodigy on the simulated device (the fused step of the webgpu backend)', () => {
  it("trains to the cpu rule's losses, weights and estimate of d, without reading a gradient back", async () => {
    const { cpu, device, sim } = await onBoth({});
    expectClose(cpu, device);
    // d grew from d0 by almost two orders of magnitude, so the estimate was really exercised
    expect(cpu.stats.d).toBeGreaterThan(1e-5);
    expect(cpu.losses.at(-1)).toBeLessThan(cpu.losses[0]);
    expect(sim.refused).toEqual([]);
    expect(sim.fallbacks).toEqual({});
    // the only host tasks that waited copy the statistics into the state (one per step), none runs the rule
    expect(sim.waitedTasks).toBe(6);
    expect(sim.waitedAt.every((at) => at.includes('optim-prodigy/src/fused.ts'))).toBe(true);
    // the per-parameter step counts and the state's arrays agree with the cpu rule's
    const [cs, ds] = [cpu.state.state, device.state.state] as unknown as { step: number[] }[][];
    expect(ds.map((g) => g.step)).toEqual(cs.map((g) => g.step));
  });

  it('without the fused step, runs the rule as host tasks that bring the gradients back (the same numbers)', async () => {
    const cpu = await train({}, 3);
    const sim = startDeviceSim();
    setFusedUpdates(false);
    const device = await train({}, 3);
    expect(sim.waitedAt.some((at) => at.includes('optim/src/'))).toBe(true);
    expect(sim.waitedAt.some((at) => at.includes('optim-prodigy/src/fused.ts'))).toBe(false);
    expect(device.weights).toEqual(cpu.weights);
  });

  it.each([
    ['coupled weight decay', { weightDecay: 0.05, decouple: false }],
    ['decoupled weight decay, bias correction', { weightDecay: 0.05, useBiasCorrection: true }],
    ['beta1 = 0', { betas: [0, 0.999] as [number, number] }],
    ['safeguard warmup, dCoef and a growth rate', { safeguardWarmup: true, dCoef: 0.7, growthRate: 1.5 }],
    ['sliceP 3 and beta3', { sliceP: 3, beta3: 0.99 }],
  ])('matches the cpu rule with %s', async (_name, options) => {
    const { cpu, device, sim } = await onBoth(options as Partial<ProdigyOptions>);
    expectClose(cpu, device);
    expect(sim.refused).toEqual([]);
  });

  it('leaves a group with lr 0 out of the estimate, as the rule does', async () => {
    const { cpu, device } = await onBoth({}, 5, { lrs: [1, 0] });
    expectClose(cpu, device);
  });

  it('moves nothing and keeps d on a step whose gradients are all zero', async () => {
    const { cpu, device } = await onBoth({}, 4, { zeroFirst: true });
    expectClose(cpu, device);
    // the first step was skipped: k counts the three others
    expect(cpu.stats.k).toBe(3);
  });

  it('refuses the state dict until the step is awaited, then gives the statistics; a loaded state dict goes back to the device', async () => {
    const sim = startDeviceSim();
    const m = model();
    const opt = prodigy(m.parameters(), {});
    const x = tensor(X.slice(), { shape: [16, 6] });
    const y = tensor(Y.slice(), { dtype: 'int32' });
    const step = () =>
      tidy(() => {
        opt.zeroGrad();
        const l = crossEntropy(m.forward(x), y);
        l.backward();
        opt.step();
        return l;
      });
    const l1 = step();
    expect(() => opt.stateDict()).toThrow(HostReadError);
    expect(() => opt.stateDict()).toThrow(/prodigy\.stateDict: 1 step\(s\) of this optimizer still wait .*await/);
    expect(() => opt.loadStateDict({ name: 'prodigy', paramGroups: [], state: [] })).toThrow(
      /prodigy\.loadStateDict: 1 step\(s\) .*await/,
    );
    await l1.itemAsync();
    await syncDeviceSim();
    const after1 = prodigyStats(opt);
    expect(after1.k).toBe(1);
    const saved = opt.stateDict();
    await bringToHost(m.parameters());
    const savedParams = m.parameters().map((p) => Float32Array.from(p.values));
    for (let i = 0; i < 3; i++) await step().itemAsync();
    await syncDeviceSim();
    const first = prodigyStats(opt);
    expect(first.k).toBe(4);
    expect(first.d).toBeGreaterThan(after1.d);
    // back to the state and parameters after step 1: the same three steps give the same statistics, so the
    // loaded numbers reached the device
    opt.loadStateDict(saved);
    expect(prodigyStats(opt)).toEqual(after1);
    await bringToHost(m.parameters());
    m.parameters().forEach((p, i) => {
      p.values.set(savedParams[i]);
      p.markModified();
    });
    for (let i = 0; i < 3; i++) await step().itemAsync();
    await syncDeviceSim();
    expect(prodigyStats(opt)).toEqual(first);
    expect(sim.refused).toEqual([]);
  });
});
