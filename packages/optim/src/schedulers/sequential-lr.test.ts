import { ValueError } from '@nablajs/core';
import { describe, expect, it } from 'vitest';
import { cosineAnnealingLR } from './cosine-annealing';
import { lambdaLR, multiplicativeLR } from './lambda-lr';
import { constantLR, linearLR } from './linear-lr';
import { reduceLROnPlateau } from './reduce-lr-on-plateau';
import { chainedScheduler, sequentialLR } from './sequential-lr';
import { exponentialLR, stepLR } from './step-lr';
import { allClose, fakeOptimizer, groupValues, run } from './testing';

describe('sequentialLR', () => {
  it("restarts the next scheduler at its epoch 0 from the base value (PyTorch's docstring example)", () => {
    const opt = fakeOptimizer([{ lr: 0.05 }]);
    const s = sequentialLR(opt, {
      schedulers: [constantLR(opt, { factor: 0.1, totalIters: 2 }), exponentialLR(opt, { gamma: 0.9 })],
      milestones: [2],
    });
    const rows = run(s, 4).map((r) => r[0]);
    expect(allClose(rows, [0.005, 0.005, 0.05, 0.045, 0.0405])).toBe(true);
    expect(s.lastEpoch).toBe(4);
  });

  it('resets the lr to its initial value and re-runs only the first initial step', () => {
    const opt = fakeOptimizer([{ lr: 1 }]);
    const warmup = linearLR(opt, { startFactor: 0.5, totalIters: 2 });
    const decay = exponentialLR(opt, { gamma: 0.5 });
    const s = sequentialLR(opt, { schedulers: [warmup, decay], milestones: [3] });
    expect(groupValues(opt)).toEqual([0.5]);
    expect(
      allClose(
        run(s, 5).map((r) => r[0]),
        [0.5, 0.75, 1, 1, 0.5, 0.25],
      ),
    ).toBe(true);
  });

  it('warm-up then cosine reaches exactly the base at the milestone', () => {
    const opt = fakeOptimizer([{ lr: 0.1 }]);
    const s = sequentialLR(opt, {
      schedulers: [linearLR(opt, { startFactor: 0.1, totalIters: 5 }), cosineAnnealingLR(opt, { tMax: 10 })],
      milestones: [5],
    });
    const rows = run(s, 15).map((r) => r[0]);
    expect(rows[5]).toBe(0.1);
    for (let t = 5; t <= 15; t++)
      expect(allClose([rows[t]], [(0.1 * (1 + Math.cos((Math.PI * (t - 5)) / 10))) / 2])).toBe(true);
  });

  it('steps schedulers without a closed form with their chainable rule at a milestone', () => {
    const opt = fakeOptimizer([{ lr: 1 }]);
    const s = sequentialLR(opt, {
      schedulers: [
        constantLR(opt, { factor: 0.5, totalIters: 10 }),
        stepLR(opt, { stepSize: 1, gamma: 0.5 }),
        multiplicativeLR(opt, { lrLambda: () => 0.5 }),
      ],
      milestones: [2, 4],
    });
    expect(run(s, 5).map((r) => r[0])).toEqual([0.5, 0.5, 1, 0.5, 0.5, 0.25]);
  });

  it('can hold a chained scheduler', () => {
    const opt = fakeOptimizer([{ lr: 1 }]);
    const s = sequentialLR(opt, {
      schedulers: [
        constantLR(opt, { factor: 0.5, totalIters: 10 }),
        chainedScheduler([exponentialLR(opt, { gamma: 0.5 })]),
      ],
      milestones: [2],
    });
    expect(run(s, 4).map((r) => r[0])).toEqual([0.5, 0.5, 1, 0.5, 0.25]);
  });

  it('rejects bad schedulers and milestones', () => {
    const opt = fakeOptimizer([{ lr: 1 }]);
    const other = fakeOptimizer([{ lr: 1 }]);
    const a = stepLR(opt, { stepSize: 2 });
    expect(() => sequentialLR(opt, { schedulers: [], milestones: [] })).toThrow(ValueError);
    expect(() => sequentialLR(opt, { schedulers: [], milestones: [] })).toThrow(
      'sequentialLR: schedulers must be a non-empty array of schedulers, got []',
    );
    expect(() => sequentialLR(opt, { schedulers: [a, reduceLROnPlateau(opt)] as never, milestones: [2] })).toThrow(
      'sequentialLR: schedulers[1] is a reduceLROnPlateau, which needs a metric to step',
    );
    expect(() => sequentialLR(opt, { schedulers: [a, stepLR(other, { stepSize: 2 })], milestones: [2] })).toThrow(
      'sequentialLR: schedulers[1] drives another optimizer; all must share one optimizer',
    );
    expect(() => sequentialLR(opt, { schedulers: [a, { step() {} } as never], milestones: [2] })).toThrow(
      'sequentialLR: schedulers[1] is not a scheduler made by @nablajs/optim',
    );
    const b = stepLR(opt, { stepSize: 3 });
    expect(() => sequentialLR(opt, { schedulers: [a, b], milestones: [] })).toThrow(
      'sequentialLR: milestones must hold 1 epochs (one fewer than schedulers), got []',
    );
    expect(() => sequentialLR(opt, { schedulers: [a, b, a], milestones: [4, 4] })).toThrow(
      'sequentialLR: milestones must be strictly increasing positive integers, got [4,4]',
    );
    const wd = fakeOptimizer([{ lr: 1, weightDecay: 0.1 }]);
    expect(() =>
      sequentialLR(wd, {
        schedulers: [stepLR(wd, { stepSize: 2 }), stepLR(wd, { stepSize: 2, key: 'weightDecay' })],
        milestones: [2],
      }),
    ).toThrow("sequentialLR: schedulers[1] drives 'weightDecay' but schedulers[0] drives 'lr'");
  });
});

describe('chainedScheduler', () => {
  it("multiplies the effects of chainable schedulers (PyTorch's docstring example)", () => {
    const opt = fakeOptimizer([{ lr: 1 }]);
    const s = chainedScheduler([constantLR(opt, { factor: 0.1, totalIters: 2 }), exponentialLR(opt, { gamma: 0.9 })]);
    const rows = run(s, 4).map((r) => r[0]);
    expect(allClose(rows, [0.1, 0.09, 0.81, 0.729, 0.6561])).toBe(true);
    expect(s.lastEpoch).toBe(4);
  });

  it('can drive several hyperparameters at once', () => {
    const opt = fakeOptimizer([{ lr: 1, weightDecay: 0.5 }]);
    const s = chainedScheduler([
      stepLR(opt, { stepSize: 1, gamma: 0.5 }),
      lambdaLR(opt, { lrLambda: (e) => e + 1, key: 'weightDecay' }),
    ]);
    expect(s.key).toBe('weightDecay');
    s.step();
    s.step();
    expect(groupValues(opt)).toEqual([0.25]);
    expect(groupValues(opt, 'weightDecay')).toEqual([1.5]);
    expect(s.getLastLr()).toEqual([1.5]);
  });

  it('rejects an empty list, plateau schedulers and mixed optimizers', () => {
    const opt = fakeOptimizer([{ lr: 1 }]);
    expect(() => chainedScheduler([])).toThrow(
      'chainedScheduler: schedulers must be a non-empty array of schedulers, got []',
    );
    expect(() => chainedScheduler([reduceLROnPlateau(opt)] as never)).toThrow(
      'chainedScheduler: schedulers[0] is a reduceLROnPlateau, which needs a metric to step',
    );
    const other = fakeOptimizer([{ lr: 1 }]);
    expect(() => chainedScheduler([stepLR(opt, { stepSize: 1 }), stepLR(other, { stepSize: 1 })])).toThrow(
      'chainedScheduler: schedulers[1] drives another optimizer; all must share one optimizer',
    );
  });
});

describe('nesting', () => {
  it('restarts a nested sequential scheduler at the outer milestone', () => {
    const opt = fakeOptimizer([{ lr: 1 }]);
    const inner = sequentialLR(opt, {
      schedulers: [constantLR(opt, { factor: 0.5, totalIters: 10 }), exponentialLR(opt, { gamma: 0.5 })],
      milestones: [2],
    });
    const outer = sequentialLR(opt, {
      schedulers: [linearLR(opt, { startFactor: 0.25, totalIters: 1 }), inner],
      milestones: [2],
    });
    // Outer warm-up: 0.25, 1; then the inner one from its start: 0.5, 0.5, then 1, 0.5, 0.25.
    expect(run(outer, 6).map((r) => r[0])).toEqual([0.25, 1, 0.5, 0.5, 1, 0.5, 0.25]);
  });
});
