import { asgdUpdateKernel } from '@nablajs/core';
import { checkFusedKernel, type FusedCheckOptions, spyOnKernel } from '@nablajs/optim';
import { describe, expect, it } from 'vitest';
import { asgd } from './asgd';

// The fused ASGD step against the chain of blocks it replaces: bit for bit in float64 and float32 (the
// kernel rounds where the chain stores a value, and averages with the same unrounded p + u), with the same
// state (step, eta, mu, ax), on every option combination, with averaging on from the third step (t0 = 1),
// hyperparameters changed between steps and a run that switches paths at every step.

const spy = spyOnKernel('asgdUpdate', asgdUpdateKernel);

function check(options: FusedCheckOptions): void {
  const { failures, maxError, kernelCalls } = checkFusedKernel(asgd, spy, { ...options, tolerance: 0 });
  expect({ failures, maxError, ran: kernelCalls > 0 }).toEqual({ failures: [], maxError: 0, ran: true });
}

describe('asgd: fused step vs chain', () => {
  for (const dtype of ['float64', 'float32'] as const)
    for (const weightDecay of [0, 0.1])
      for (const maximize of [false, true])
        for (const t0 of [1e6, 1])
          for (const [lambd, alpha] of [
            [1e-4, 0.75],
            [0.5, 0.3],
          ])
            it(`${dtype}, weightDecay ${weightDecay}, maximize ${maximize}, t0 ${t0}, lambd ${lambd}, alpha ${alpha}`, () => {
              check({ dtype, options: { lr: 0.05, lambd, alpha, t0, weightDecay, maximize } });
            });

  for (const dtype of ['float64', 'float32'] as const)
    it(`${dtype}: lr, lambd, alpha, t0, decay and maximize changed between steps`, () => {
      check({
        dtype,
        steps: 40,
        options: { lr: 0.05, t0: 10 },
        schedule: (k) => {
          if (k === 5) return { lr: 0.02, lambd: 0.2 };
          if (k === 9) return { alpha: 1.5, weightDecay: 0.3 };
          if (k === 14) return { t0: 2.5, maximize: true };
          if (k === 22) return { lr: 0.1, weightDecay: 0, maximize: false };
          return null;
        },
      });
    });
});
