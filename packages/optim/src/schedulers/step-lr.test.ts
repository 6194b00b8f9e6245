import { ValueError } from '@nablajs/core';
import { describe, expect, it } from 'vitest';
import { exponentialLR, multiStepLR, stepLR } from './step-lr';
import { allClose, fakeOptimizer, groupValues, run } from './testing';

describe('stepLR', () => {
  it('decays by gamma every stepSize epochs, at the boundary itself, per group', () => {
    const opt = fakeOptimizer([{ lr: 1 }, { lr: 0.5 }]);
    const rows = run(stepLR(opt, { stepSize: 3, gamma: 0.5 }), 7);
    expect(rows.map((r) => r[0])).toEqual([1, 1, 1, 0.5, 0.5, 0.5, 0.25, 0.25]);
    expect(rows.map((r) => r[1])).toEqual([0.5, 0.5, 0.5, 0.25, 0.25, 0.25, 0.125, 0.125]);
    expect(groupValues(opt)).toEqual([0.25, 0.125]);
  });

  it('defaults gamma to 0.1 and counts lastEpoch from 0', () => {
    const opt = fakeOptimizer([{ lr: 1 }]);
    const s = stepLR(opt, { stepSize: 2 });
    expect(s.lastEpoch).toBe(0);
    const rows = run(s, 4).map((r) => r[0]);
    expect(allClose(rows, [1, 1, 0.1, 0.1, 0.01])).toBe(true);
    expect(s.lastEpoch).toBe(4);
    expect(s.name).toBe('stepLR');
    expect(s.key).toBe('lr');
  });

  it('is chainable: a decay multiplies the current value, including changes made from outside', () => {
    const opt = fakeOptimizer([{ lr: 1 }]);
    const s = stepLR(opt, { stepSize: 2, gamma: 0.5 });
    s.step();
    opt.paramGroups[0].lr = 10;
    s.step();
    expect(s.getLastLr()).toEqual([5]);
  });

  it('rejects bad options naming the scheduler and the option', () => {
    const opt = fakeOptimizer([{ lr: 1 }]);
    expect(() => stepLR(opt, { stepSize: 0 })).toThrow(ValueError);
    expect(() => stepLR(opt, { stepSize: 0 })).toThrow('stepLR: stepSize must be a positive integer, got 0');
    expect(() => stepLR(opt, { stepSize: 1.5 })).toThrow('stepLR: stepSize must be a positive integer, got 1.5');
    expect(() => stepLR(opt, { stepSize: 2, gamma: -1 })).toThrow('stepLR: gamma must be a positive number, got -1');
    expect(() => stepLR(opt, { stepSize: 2, key: 'weightDecay' })).toThrow(
      'stepLR: paramGroups[0].weightDecay must be a number to be scheduled, got undefined',
    );
    expect(() => stepLR(opt, { stepSize: 2, key: 'params' })).toThrow('stepLR: key must name a numeric hyperparameter');
    expect(() => stepLR({} as never, { stepSize: 2 })).toThrow(
      'stepLR: optimizer must be an optimizer with paramGroups',
    );
    expect(opt.paramGroups[0].lr).toBe(1);
  });

  it("schedules a group added after construction (as PyTorch's chainable form does), but refuses one removed", () => {
    const opt = fakeOptimizer([{ lr: 1 }]);
    const s = stepLR(opt, { stepSize: 2 });
    opt.addParamGroup({ params: [], lr: 0.5 });
    s.step();
    s.step();
    expect(s.getLastLr()).toEqual([0.1, 0.05]);
    opt.paramGroups.pop();
    opt.paramGroups.pop();
    expect(() => s.step()).toThrow('stepLR: the optimizer has 0 param groups, but the scheduler was built for 2');
  });

  it('takes no epoch argument', () => {
    const s = stepLR(fakeOptimizer([{ lr: 1 }]), { stepSize: 2 });
    expect(() => (s.step as (e: number) => void)(3)).toThrow('stepLR: step() takes no argument, got 3');
  });
});

describe('multiStepLR', () => {
  it('decays at each milestone, counting a repeated milestone twice, in any order', () => {
    const rows = run(multiStepLR(fakeOptimizer([{ lr: 1 }]), { milestones: [5, 2, 2], gamma: 0.5 }), 6);
    expect(rows.map((r) => r[0])).toEqual([1, 1, 0.25, 0.25, 0.25, 0.125, 0.125]);
  });

  it('defaults gamma to 0.1', () => {
    const rows = run(multiStepLR(fakeOptimizer([{ lr: 2 }]), { milestones: [1] }), 2);
    expect(
      allClose(
        rows.map((r) => r[0]),
        [2, 0.2, 0.2],
      ),
    ).toBe(true);
  });

  it('rejects bad milestones', () => {
    const opt = fakeOptimizer([{ lr: 1 }]);
    expect(() => multiStepLR(opt, { milestones: 3 as never })).toThrow(
      'multiStepLR: milestones must be an array of non-negative integers, got 3',
    );
    expect(() => multiStepLR(opt, { milestones: [2, -1] })).toThrow(
      'multiStepLR: milestones[1] must be a non-negative integer, got -1',
    );
    expect(() => multiStepLR(opt, { milestones: [2], gamma: 0 })).toThrow(
      'multiStepLR: gamma must be a positive number, got 0',
    );
  });
});

describe('exponentialLR', () => {
  it('multiplies by gamma every epoch after the first', () => {
    const rows = run(exponentialLR(fakeOptimizer([{ lr: 1 }, { lr: 4 }]), { gamma: 0.5 }), 3);
    expect(rows).toEqual([
      [1, 4],
      [0.5, 2],
      [0.25, 1],
      [0.125, 0.5],
    ]);
  });

  it('requires gamma', () => {
    expect(() => exponentialLR(fakeOptimizer([{ lr: 1 }]), {} as never)).toThrow(
      'exponentialLR: gamma must be a positive number, got undefined',
    );
  });
});
