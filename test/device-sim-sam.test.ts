// SAM's step where values live on the device (the webgpu backend's path, here on the simulated device):
// `stepAsync(closure)` climbs to w + ε, re-evaluates and returns to w with tensor ops, then the base
// optimizer takes its fused step; no gradient comes back. Compared with the rule on the cpu backend
// (`step(closure)`, the norm in doubles), which the golden tests pin to davda54/sam.
import { endScope, HostReadError, mul, startScope, type Tensor, tensor } from '@nablajs/core';
import { crossEntropy, Linear, ReLU, Sequential } from '@nablajs/nn';
import { type ClosureOptimizer, setFusedUpdates, usePlugin } from '@nablajs/optim';
import adamPlugin from '@nablajs/optim-adam';
import prodigyPlugin from '@nablajs/optim-prodigy';
import { SAM_GRAD_NORM, type SamOptions, sam } from '@nablajs/optim-sam';
import sgdPlugin from '@nablajs/optim-sgd';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
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
import { signDescentPlugin } from './helpers/train-step';

beforeAll(() => {
  usePlugin(sgdPlugin);
  usePlugin(adamPlugin);
  usePlugin(prodigyPlugin);
  // a base optimizer without a fused step: its rule runs as a host task after SAM's device part
  usePlugin(signDescentPlugin);
});

afterEach(() => {
  setFusedUpdates(true);
  stopDeviceSim();
});

const { x: X, y: Y } = fixedBatch(16, 6);

interface Run {
  losses: number[];
  weights: number[][];
  grads: (number[] | null)[];
  norm: unknown;
}

/**
 * Two groups (the second adaptive, with its own ρ), `steps` steps; `extra`, a parameter the loss reads only
 * at w + ε (the closure's even calls), so it has no gradient at w.
 */
async function train(
  options: SamOptions,
  steps: number,
  onDevice: boolean,
  setup?: (opt: ClosureOptimizer) => void,
): Promise<Run> {
  const m = fixWeights(new Sequential(new Linear(6, 10), new ReLU(), new Linear(10, 4)));
  const [w1, b1, w2, b2] = m.parameters();
  const extra = tensor([0.3, -0.2], { requiresGrad: true });
  const opt = sam(
    [
      { params: [w1, b1, extra], rho: 0.05 },
      { params: [w2, b2], rho: 0.2, adaptive: true },
    ],
    options,
  ) as ClosureOptimizer;
  setup?.(opt);
  const x = tensor(X.slice(), { shape: [16, 6] });
  const y = tensor(Y.slice(), { dtype: 'int32' });
  let calls = 0;
  const closure = (): Tensor => {
    opt.zeroGrad();
    const base = crossEntropy(m.forward(x), y);
    const l = calls++ % 2 === 1 ? base.add(mul(extra, extra).sum().mul(0.5)) : base;
    l.backward();
    return l;
  };
  const losses: number[] = [];
  for (let s = 0; s < steps; s++) {
    if (onDevice) expect(opt.closureStepOnDevice()).toBe(true);
    if (!onDevice) {
      losses.push(opt.step(closure));
      continue;
    }
    // the step's temporaries (its losses included) are disposed before the loss is read
    const scope = startScope();
    const pending = opt.stepAsync(closure);
    endScope(scope);
    losses.push(await pending);
  }
  await syncDeviceSim();
  const params = [...m.parameters(), extra];
  return {
    losses,
    weights: params.map((p) => Array.from(p.values)),
    grads: params.map((p) => (p.grad === null ? null : Array.from(p.grad.values))),
    norm: (opt.stateDict().global as Record<string, unknown> | undefined)?.[SAM_GRAD_NORM],
  };
}

function onBoth(
  options: SamOptions,
  steps = 5,
  setup?: (opt: ClosureOptimizer) => void,
): Promise<{ cpu: Run; device: Run; sim: DeviceSimStats }> {
  return onCpuThenDevice((onDevice) => train(options, steps, onDevice, setup));
}

/** The largest difference, relative to the cpu value where it is above 1. */
const worst = (a: readonly (readonly number[] | null)[], b: readonly (readonly number[] | null)[]) =>
  worstDiff(a, b, (v) => Math.max(1, Math.abs(v)));

function expectClose(cpu: Run, device: Run, tol = 2e-5): void {
  cpu.losses.forEach((l, i) => {
    expect(Math.abs(device.losses[i] - l), `loss ${i}`).toBeLessThan(tol * Math.max(1, Math.abs(l)));
  });
  expect(worst(cpu.weights, device.weights)).toBeLessThan(tol);
  // after the step p.grad holds the gradients at w + ε, extra's included
  expect(worst(cpu.grads, device.grads)).toBeLessThan(tol);
  expect(typeof cpu.norm).toBe('number');
  expect(Math.abs((device.norm as number) - (cpu.norm as number))).toBeLessThan(1e-5 * (cpu.norm as number));
}

describe('SAM on the simulated device (the webgpu backend: stepAsync keeps the step on the GPU)', () => {
  it.each([
    ['SGD with momentum', { base: 'sgd', lr: 0.1, momentum: 0.9 }],
    ['Adam', { base: 'adam', lr: 0.01 }],
  ] as [string, SamOptions][])(
    "takes the cpu rule's steps around %s without reading a gradient back",
    async (_name, options) => {
      const { cpu, device, sim } = await onBoth(options);
      expectClose(cpu, device);
      expect(cpu.losses.at(-1)).toBeLessThan(cpu.losses[0]);
      // extra is read only at w + ε: it has a gradient after the step and never moves
      expect(cpu.weights.at(-1)).toEqual([Math.fround(0.3), Math.fround(-0.2)]);
      expect(cpu.grads.at(-1)).not.toBeNull();
      expect(sim.refused).toEqual([]);
      expect(sim.fallbacks).toEqual({});
      // the only host tasks that waited copy the norm into the state, one a step
      expect(sim.waitedTasks).toBe(5);
      expect(sim.waitedAt.every((at) => at.includes('optim-sam/src/device.ts'))).toBe(true);
    },
  );

  it('runs a base optimizer without a fused step as a host task after the device part (the same numbers)', async () => {
    const { cpu, device, sim } = await onBoth({ base: 'signDescent', lr: 0.01 }, 3);
    expectClose(cpu, device);
    expect(sim.waitedAt.some((at) => at.includes('optim/src/runtime.ts'))).toBe(true);
    expect(sim.refused).toEqual([]);
  });

  it('hands a base optimizer with passes (Prodigy) the gradients at w + ε, fused', async () => {
    const { cpu, device, sim } = await onBoth({ base: 'prodigy', lr: 1 }, 4);
    expectClose(cpu, device);
    // SAM's norm and Prodigy's statistics, one copy each a step
    expect(sim.waitedTasks).toBe(8);
    expect(sim.waitedAt.every((at) => /optim-sam\/src\/device\.ts|optim-prodigy\/src\/fused\.ts/.test(at))).toBe(true);
  });

  it('runs onBeforeStep hooks between the two evaluations, on the gradients at w (the norm sees a scaling hook)', async () => {
    // the hook scales the gradients at w with an in-place op, which runs where they are
    const halve = (opt: ClosureOptimizer) => {
      opt.onBeforeStep(() => {
        for (const p of opt.paramGroups.flatMap((g) => g.params)) p.grad?.mul_(0.25);
      });
    };
    const { cpu, device, sim } = await onBoth({ base: 'sgd', lr: 0.1 }, 3, halve);
    expectClose(cpu, device);
    expect(sim.refused).toEqual([]);
    // the hook scaled the gradients at w: the norm is a quarter of the plain run's, while ε = ρ·g/‖g‖, and so
    // the weights, do not change under a uniform scale of g
    const plain = await train({ base: 'sgd', lr: 0.1 }, 3, false);
    expect(worst(plain.weights, cpu.weights)).toBe(0);
    expect(cpu.norm as number).toBeCloseTo((plain.norm as number) * 0.25, 4);
  });

  it('with the fused steps off, runs the base rule as a host task after the device part (the same numbers)', async () => {
    setFusedUpdates(false);
    const { cpu, device, sim } = await onBoth({ base: 'sgd', lr: 0.1, momentum: 0.9 }, 3);
    expectClose(cpu, device);
    expect(sim.waitedAt.some((at) => at.includes('optim/src/runtime.ts'))).toBe(true);
    expect(sim.refused).toEqual([]);
  });

  it('without any gradient at w, neither climbs nor evaluates again, as the rule', async () => {
    for (const onDevice of [false, true]) {
      if (onDevice) startDeviceSim();
      const w = tensor([1, -2], { requiresGrad: true });
      const opt = sam([w], { base: 'sgd', lr: 0.1 }) as ClosureOptimizer;
      let calls = 0;
      const closure = () => {
        calls++;
        opt.zeroGrad();
        return w.sum(); // no backward: no gradient
      };
      const loss = onDevice ? await opt.stepAsync(closure) : opt.step(closure);
      await syncDeviceSim();
      expect(loss).toBe(-1);
      expect(calls).toBe(1);
      expect(Array.from(w.values)).toEqual([1, -2]);
      stopDeviceSim();
    }
  });

  it('puts every parameter back at w when the second evaluation throws, and rejects with its error', async () => {
    const sim = startDeviceSim();
    const m = fixWeights(new Sequential(new Linear(6, 4)));
    const opt = sam(m.parameters(), { base: 'sgd', lr: 0.1 }) as ClosureOptimizer;
    const x = tensor(X.slice(), { shape: [16, 6] });
    const y = tensor(Y.slice(), { dtype: 'int32' });
    const before = m.parameters().map((p) => Array.from(p.values));
    let calls = 0;
    const closure = (): Tensor => {
      if (calls++ === 1) throw new Error('second evaluation failed');
      opt.zeroGrad();
      const l = crossEntropy(m.forward(x), y);
      l.backward();
      return l;
    };
    await expect(opt.stepAsync(closure)).rejects.toThrow('second evaluation failed');
    await syncDeviceSim();
    expect(m.parameters().map((p) => Array.from(p.values))).toEqual(before);
    expect(sim.refused).toEqual([]);
  });

  it('refuses step(closure) over parameters on the device, naming stepAsync; float64 parameters step on the host', async () => {
    startDeviceSim();
    const m = fixWeights(new Sequential(new Linear(6, 4)));
    const opt = sam(m.parameters(), { base: 'sgd', lr: 0.1 }) as ClosureOptimizer;
    const x = tensor(X.slice(), { shape: [16, 6] });
    const y = tensor(Y.slice(), { dtype: 'int32' });
    const closure = (): Tensor => {
      opt.zeroGrad();
      const l = crossEntropy(m.forward(x), y);
      l.backward();
      return l;
    };
    const first = await opt.stepAsync(closure);
    expect(Number.isFinite(first)).toBe(true);
    let error: unknown;
    try {
      opt.step(closure);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(HostReadError);
    expect(String(error)).toMatch(/sam\.step .*await bringToHost\(params\) first, or use stepAsync\(closure\)/);
    // float64: SAM's device part is float32 only, so stepAsync brings the parameters and steps on the host
    const w = tensor([1, -2], { dtype: 'float64', requiresGrad: true });
    const opt64 = sam([w], { base: 'sgd', lr: 0.1 }) as ClosureOptimizer;
    expect(opt64.closureStepOnDevice()).toBe(false);
    const loss = await opt64.stepAsync(() => {
      opt64.zeroGrad();
      const l = w.mul(w).sum();
      l.backward();
      return l;
    });
    expect(loss).toBe(5);
    // ε = ρ·2w/‖2w‖, so the gradient at w + ε is 2w·(1 + 2ρ/‖2w‖); lr 0.1
    const scale = 1 + (2 * 0.05) / Math.hypot(2, 4);
    const [a, b] = Array.from(w.values);
    expect(a).toBeCloseTo(1 - 0.1 * 2 * scale, 14);
    expect(b).toBeCloseTo(-2 + 0.1 * 4 * scale, 14);
  });
});
