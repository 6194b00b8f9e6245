import { lambUpdateKernel } from '@nablajs/core';
import { checkFusedKernel, type FusedCheckOptions, spyOnKernel } from '@nablajs/optim';
import { describe, expect, it } from 'vitest';
import { lamb } from './lamb';

// The fused LAMB step against the chain of blocks it replaces: bit for bit in float64 and float32 (the kernel
// rounds where the chain stores and sums the norms in the chain's order), with the same state layout, on the
// option combinations, with hyperparameters changed between steps, and a run that switches paths at every step.

const spy = spyOnKernel('lambUpdate', lambUpdateKernel);

function check(options: FusedCheckOptions): void {
  const { failures, maxError, kernelCalls } = checkFusedKernel(lamb, spy, { ...options, tolerance: 0 });
  expect({ failures, maxError, ran: kernelCalls > 0 }).toEqual({ failures: [], maxError: 0, ran: true });
}

describe('lamb: fused step vs chain', () => {
  for (const dtype of ['float64', 'float32'] as const)
    for (const weightDecay of [0, 0.1])
      for (const biasCorrection of [true, false])
        for (const trustClip of [false, true])
          it(`${dtype}, weightDecay ${weightDecay}, biasCorrection ${biasCorrection}, trustClip ${trustClip}`, () => {
            check({ dtype, options: { lr: 0.01, weightDecay, biasCorrection, trustClip } });
          });

  for (const dtype of ['float64', 'float32'] as const)
    it(`${dtype}: betas, decay, lr and the clip changed between steps`, () => {
      check({
        dtype,
        steps: 40,
        options: { lr: 0.01 },
        schedule: (k) => {
          if (k === 6) return { betas: [0.8, 0.95] };
          if (k === 12) return { weightDecay: 0.2 };
          if (k === 18) return { trustClip: true, lr: 0.003 };
          return null;
        },
      });
    });
});
