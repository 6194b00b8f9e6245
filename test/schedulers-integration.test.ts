// Schedulers driving real optimizers (their unit tests use a stand-in optimizer).
import { tensor } from '@nablajs/core';
import { cosineAnnealingLR, cyclicLR, oneCycleLR, reduceLROnPlateau, stepLR } from '@nablajs/optim';
import { adam } from '@nablajs/optim-adam';
import { sgd } from '@nablajs/optim-sgd';
import { describe, expect, it } from 'vitest';

const param = () => tensor([1, -2], { dtype: 'float64', requiresGrad: true });
function stepOnce(p: ReturnType<typeof param>, opt: { step(): unknown; zeroGrad(): void }) {
  opt.zeroGrad();
  p.mul(p).sum().backward();
  opt.step();
}

describe('schedulers on real optimizers', () => {
  it('stepLR changes the lr that the next sgd step uses', () => {
    const p = param();
    const opt = sgd([p], { lr: 0.1 });
    const sched = stepLR(opt, { stepSize: 1, gamma: 0.5 });
    stepOnce(p, opt); // lr 0.1: p = p - 0.1 * 2p = 0.8 p
    sched.step();
    expect(opt.paramGroups[0].lr).toBe(0.05);
    stepOnce(p, opt); // lr 0.05: p = 0.9 * 0.8 p
    expect(p.data[0]).toBeCloseTo(0.72, 15);
  });

  it('oneCycleLR cycles sgd momentum inversely to the lr', () => {
    const p = param();
    const opt = sgd([p], { lr: 0.01, momentum: 0.9 });
    const sched = oneCycleLR(opt, { maxLr: 0.1, totalSteps: 10 });
    const lrs: number[] = [];
    const moms: number[] = [];
    for (let t = 0; t < 10; t++) {
      lrs.push(opt.paramGroups[0].lr);
      moms.push(opt.paramGroups[0].momentum as number);
      stepOnce(p, opt);
      if (t < 9) sched.step();
    }
    const peak = lrs.indexOf(Math.max(...lrs));
    expect(peak).toBeGreaterThan(0);
    expect(moms[peak]).toBeCloseTo(0.85, 12);
    expect(moms[0]).toBeCloseTo(0.95, 12);
    expect(Math.abs(p.data[0])).toBeLessThan(1);
  });

  it('cyclicLR cycles adam beta1 and keeps beta2, and adam reads it at the next step', () => {
    const p = param();
    const opt = adam([p], { lr: 1e-3, betas: [0.9, 0.999] });
    const sched = cyclicLR(opt, { baseLr: 1e-3, maxLr: 1e-2, stepSizeUp: 2, baseMomentum: 0.8, maxMomentum: 0.9 });
    stepOnce(p, opt);
    sched.step();
    const betas = opt.paramGroups[0].betas as number[];
    expect(betas[0]).toBeCloseTo(0.85, 12);
    expect(betas[1]).toBe(0.999);
    const saved = JSON.parse(JSON.stringify(opt.stateDict()));
    expect(saved.paramGroups[0].betas[0]).toBeCloseTo(0.85, 12);
  });

  it('reduceLROnPlateau lowers the lr of adam after patience bad epochs', () => {
    const opt = adam([param()], { lr: 1e-2 });
    const sched = reduceLROnPlateau(opt, { patience: 1, factor: 0.5 });
    for (const metric of [1, 1, 1]) sched.step(metric);
    expect(opt.paramGroups[0].lr).toBe(5e-3);
  });

  it('a scheduler can drive weight decay instead of the lr', () => {
    const opt = adam([param()], { lr: 1e-3, weightDecay: 0.1 });
    const sched = cosineAnnealingLR(opt, { tMax: 2, key: 'weightDecay' });
    sched.step();
    expect(opt.paramGroups[0].weightDecay).toBeCloseTo(0.05, 15);
    expect(opt.paramGroups[0].lr).toBe(1e-3);
  });
});
