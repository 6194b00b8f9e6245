import { tensor } from '@nablajs/core';
import { createOptimizer, resetRegistry, usePlugin } from '@nablajs/optim';
import { afterEach, describe, expect, it } from 'vitest';
import lionPlugin, { lion } from './index';

const f64 = (values: number[]) => tensor(values, { dtype: 'float64', requiresGrad: true });
const grad = (values: number[]) => tensor(values, { dtype: 'float64' });

function expectClose(actual: ArrayLike<number>, expected: readonly number[], tol = 1e-12): void {
  expect(actual.length).toBe(expected.length);
  for (let j = 0; j < expected.length; j++)
    expect(Math.abs(actual[j] - expected[j])).toBeLessThanOrEqual(tol * Math.max(1, Math.abs(expected[j])));
}

/** Lion's state buffer m of the first parameter (the one stateful block of the recipe). */
function momentum(opt: ReturnType<typeof lion>): Float64Array {
  const chainState = opt.stateDict().state[0] as unknown[];
  const block = chainState.find((s) => s !== null) as { m: { data: number[] }[] };
  return Float64Array.from(block.m[0].data);
}

afterEach(() => resetRegistry());

describe('lion: a hand-derived case (Chen et al. 2023, Algorithm 2)', () => {
  it('three steps with decoupled weight decay', () => {
    // lr = 0.1, betas = [0.9, 0.99], weightDecay = 0.5, so the decay factor is 1 - lr*wd = 0.95.
    // p0 = [1, -2], m0 = [0, 0]. Each step: c = 0.9*m + 0.1*g; p = 0.95*p - 0.1*sign(c); m = 0.99*m + 0.01*g.
    const p = f64([1, -2]);
    const opt = lion([p], { lr: 0.1, betas: [0.9, 0.99], weightDecay: 0.5 });

    // Step 1: g = [4, 1].
    //   c  = 0.9*[0, 0] + 0.1*[4, 1]            = [0.4, 0.1]     -> sign [+1, +1]
    //   p1 = 0.95*[1, -2] - 0.1*[1, 1]           = [0.85, -2.0]
    //   m1 = 0.99*[0, 0] + 0.01*[4, 1]           = [0.04, 0.01]
    p.grad = grad([4, 1]);
    opt.step();
    expectClose(p.data, [0.85, -2.0]);
    expectClose(momentum(opt), [0.04, 0.01]);

    // Step 2: g = [-0.2, -3].
    //   c  = 0.9*[0.04, 0.01] + 0.1*[-0.2, -3]   = [0.036 - 0.02, 0.009 - 0.3] = [0.016, -0.291] -> sign [+1, -1]
    //        (element 0: the gradient is negative, but the momentum keeps the update positive)
    //   p2 = 0.95*[0.85, -2.0] - 0.1*[1, -1]     = [0.8075 - 0.1, -1.9 + 0.1]  = [0.7075, -1.8]
    //   m2 = 0.99*[0.04, 0.01] + 0.01*[-0.2, -3] = [0.0396 - 0.002, 0.0099 - 0.03] = [0.0376, -0.0201]
    p.grad = grad([-0.2, -3]);
    opt.step();
    expectClose(p.data, [0.7075, -1.8]);
    expectClose(momentum(opt), [0.0376, -0.0201]);

    // Step 3: g = [0, 0.5].
    //   c  = 0.9*[0.0376, -0.0201] + 0.1*[0, 0.5] = [0.03384, -0.01809 + 0.05] = [0.03384, 0.03191] -> sign [+1, +1]
    //        (element 1: m is negative, but c weighs the fresh gradient by 1-b1 = 0.1, enough to flip it)
    //   p3 = 0.95*[0.7075, -1.8] - 0.1*[1, 1]      = [0.672125 - 0.1, -1.71 - 0.1] = [0.572125, -1.81]
    //   m3 = 0.99*[0.0376, -0.0201] + 0.01*[0, 0.5] = [0.037224, -0.019899 + 0.005] = [0.037224, -0.014899]
    p.grad = grad([0, 0.5]);
    opt.step();
    expectClose(p.data, [0.572125, -1.81]);
    expectClose(momentum(opt), [0.037224, -0.014899]);
  });
});

describe('lion: properties', () => {
  it('without weight decay, every element moves by exactly lr per step', () => {
    // lr = 2^-10 and dyadic parameters: p ± lr is exact in float64, so the check is exact equality.
    const lr = 2 ** -10;
    const p = f64([0.5, -0.25, 1.5, 3, -7]);
    const opt = lion([p], { lr, betas: [0.9, 0.99] });
    for (let k = 1; k <= 20; k++) {
      const before = Array.from(p.data);
      p.grad = grad(before.map((_, j) => Math.sin(1.3 * k + j) + 0.1));
      opt.step();
      for (let j = 0; j < before.length; j++) expect(Math.abs(p.data[j] - before[j])).toBe(lr);
    }
  });

  it('a zero interpolated momentum gives a zero update (sign(0) = 0)', () => {
    const p = f64([1, 2]);
    const opt = lion([p], { lr: 0.1 });
    p.grad = grad([0, 3]);
    opt.step();
    expect(Array.from(p.data)).toEqual([1, 2 - 0.1]);
  });

  it('float32 parameters keep a float32 momentum and move by lr', () => {
    const p = tensor([1, -1], { dtype: 'float32', requiresGrad: true });
    const opt = lion([p], { lr: 0.125 });
    p.grad = tensor([0.3, -0.7], { dtype: 'float32' });
    opt.step();
    expect(Array.from(p.data)).toEqual([0.875, -0.875]);
    const block = (opt.stateDict().state[0] as unknown[]).find((s) => s !== null) as { m: { $typed: string }[] };
    expect(block.m[0].$typed).toBe('float32');
  });

  it('maximize: ascends, i.e. minimizes with the gradient negated; weight decay still shrinks p', () => {
    const up = f64([1, -2]);
    const down = f64([1, -2]);
    const optUp = lion([up], { lr: 0.01, maximize: true, weightDecay: 0.3 });
    const optDown = lion([down], { lr: 0.01, weightDecay: 0.3 });
    for (let k = 1; k <= 6; k++) {
      const g = [Math.sin(k), Math.cos(2 * k)];
      up.grad = grad(g);
      down.grad = grad(g.map((x) => -x));
      optUp.step();
      optDown.step();
    }
    expect(Array.from(up.data)).toEqual(Array.from(down.data));
    // From p = 1 with gradient 1 and a large decay: p = 1*(1 - 0.1*2) + 0.1 = 0.9 (ascent, then shrunk).
    const x = f64([1]);
    const opt = lion([x], { lr: 0.1, maximize: true, weightDecay: 2 });
    x.grad = grad([1]);
    opt.step();
    expectClose(x.data, [0.9]);
  });

  it('uses per-group hyperparameters and picks up changes between steps', () => {
    const a = f64([1]);
    const b = f64([1]);
    const opt = lion([{ params: [a] }, { params: [b], lr: 0.5, betas: [0, 0.5] }], { lr: 0.1 });
    // Step 1, g = 1 for both: a -= 0.1; b -= 0.5. m_a = 0.01, m_b = 0.5.
    a.grad = grad([1]);
    b.grad = grad([1]);
    opt.step();
    expectClose(a.data, [0.9]);
    expectClose(b.data, [0.5]);
    // Change group 0 to betas [0.99, 0.99] and lr 0.2. Step 2, g = -0.5 for both:
    //   a: c = 0.99*0.01 + 0.01*(-0.5) = 0.0049 > 0 -> a = 0.9 - 0.2 = 0.7
    //   b: c = 0*0.5 + 1*(-0.5) < 0 -> b = 0.5 + 0.5 = 1.0
    opt.paramGroups[0].betas = [0.99, 0.99];
    opt.paramGroups[0].lr = 0.2;
    a.grad = grad([-0.5]);
    b.grad = grad([-0.5]);
    opt.step();
    expectClose(a.data, [0.7]);
    expectClose(b.data, [1.0]);
  });

  it('has the paper defaults and validates its options', () => {
    const p = [f64([1])];
    expect({ ...lion(p).defaults }).toEqual({ lr: 1e-4, betas: [0.9, 0.99], weightDecay: 0, maximize: false });
    expect(() => lion(p, { betas: [0.9, 1.5] })).toThrow('lion: betas[1] must be in [0, 1), got 1.5');
    expect(() => lion(p, { lr: -1 })).toThrow('lion: lr must be in [0, inf), got -1');
    expect(() => lion(p, { weightDecay: -1 })).toThrow('lion: weightDecay must be in [0, inf), got -1');
    expect(() => lion(p, { maximize: 'yes' as unknown as boolean })).toThrow(
      'lion: maximize must be true or false, got "yes"',
    );
    expect(() => lion(p, { eps: 1e-8 } as object)).toThrow('lion: unknown option "eps"');
  });

  it('is a plugin', () => {
    expect(lionPlugin.name).toBe('@nablajs/optim-lion');
    usePlugin(lionPlugin);
    const opt = createOptimizer('lion', [f64([1])], { lr: 0.01 });
    expect(opt.name).toBe('lion');
  });
});
