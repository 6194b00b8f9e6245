import { scheduleFreeUpdateKernel } from '@nablajs/core';
import { checkFusedKernel, type FusedCheckOptions, spyOnKernel } from '@nablajs/optim';
import { describe, expect, it } from 'vitest';
import { adamwScheduleFree } from './adamw-schedulefree';
import { sgdScheduleFree } from './sgd-schedulefree';

// The fused Schedule-Free steps against the chains of blocks they replace: bit for bit in float64 and
// float32 (the kernel rounds where the chains store), with the same state layout (z, v, m and the group's
// counters), on the option combinations, with warmup and hyperparameters changed between steps, and a run
// that switches paths at every step.

const spy = spyOnKernel('scheduleFreeUpdate', scheduleFreeUpdateKernel);

function check(factory: typeof adamwScheduleFree | typeof sgdScheduleFree, options: FusedCheckOptions): void {
  const { failures, maxError, kernelCalls } = checkFusedKernel(factory, spy, { ...options, tolerance: 0 });
  expect({ failures, maxError, ran: kernelCalls > 0 }).toEqual({ failures: [], maxError: 0, ran: true });
}

describe('adamwScheduleFree: fused step vs chain', () => {
  for (const dtype of ['float64', 'float32'] as const)
    for (const weightDecay of [0, 0.1])
      for (const innerMomentum of [0, 0.9])
        for (const warmupSteps of [0, 5])
          it(`${dtype}, weightDecay ${weightDecay}, innerMomentum ${innerMomentum}, warmupSteps ${warmupSteps}`, () => {
            check(adamwScheduleFree, { dtype, options: { lr: 0.01, weightDecay, innerMomentum, warmupSteps, r: 0.5 } });
          });

  for (const dtype of ['float64', 'float32'] as const)
    it(`${dtype}: betas, decay, lr and the averaging power changed between steps`, () => {
      check(adamwScheduleFree, {
        dtype,
        steps: 40,
        options: { lr: 0.01, warmupSteps: 3 },
        schedule: (k) => {
          if (k === 6) return { betas: [0.8, 0.95] };
          if (k === 12) return { weightDecay: 0.2 };
          if (k === 18) return { lr: 0.003, weightLrPower: 1 };
          if (k === 24) return { innerMomentum: 0.5 };
          return null;
        },
      });
    });
});

describe('sgdScheduleFree: fused step vs chain', () => {
  for (const dtype of ['float64', 'float32'] as const)
    for (const weightDecay of [0, 0.1])
      for (const momentum of [0.9, 0.5])
        it(`${dtype}, weightDecay ${weightDecay}, momentum ${momentum}`, () => {
          check(sgdScheduleFree, { dtype, options: { lr: 0.1, weightDecay, momentum, warmupSteps: 4 } });
        });

  for (const dtype of ['float64', 'float32'] as const)
    it(`${dtype}: momentum, decay and lr changed between steps`, () => {
      check(sgdScheduleFree, {
        dtype,
        steps: 40,
        options: { lr: 0.1 },
        schedule: (k) => {
          if (k === 6) return { momentum: 0.7 };
          if (k === 12) return { weightDecay: 0.05 };
          if (k === 18) return { lr: 0.02, r: 1 };
          return null;
        },
      });
    });
});
