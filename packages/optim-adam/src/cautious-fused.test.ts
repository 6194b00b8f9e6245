import { cautiousAdamwUpdateKernel } from '@nablajs/core';
import { checkFusedKernel, type FusedCheckOptions, spyOnKernel } from '@nablajs/optim';
import { describe, expect, it } from 'vitest';
import { cautiousAdamw } from './cautious-adamw';

// The fused cautious AdamW step against the chain of blocks it replaces: bit for bit in float64 and float32
// (the kernel rounds where the chain stores and counts the mask as the chain does), with the same state
// layout, on the option combinations, with hyperparameters changed between steps, and a run that switches
// paths at every step.

const spy = spyOnKernel('cautiousAdamwUpdate', cautiousAdamwUpdateKernel);

function check(options: FusedCheckOptions): void {
  const { failures, maxError, kernelCalls } = checkFusedKernel(cautiousAdamw, spy, { ...options, tolerance: 0 });
  expect({ failures, maxError, ran: kernelCalls > 0 }).toEqual({ failures: [], maxError: 0, ran: true });
}

describe('cautiousAdamw: fused step vs chain', () => {
  for (const dtype of ['float64', 'float32'] as const)
    for (const weightDecay of [0, 0.1])
      for (const correctBias of [true, false])
        it(`${dtype}, weightDecay ${weightDecay}, correctBias ${correctBias}`, () => {
          check({ dtype, options: { lr: 0.01, weightDecay, correctBias } });
        });

  for (const dtype of ['float64', 'float32'] as const)
    it(`${dtype}: betas, decay and lr changed between steps`, () => {
      check({
        dtype,
        steps: 40,
        options: { lr: 0.01 },
        schedule: (k) => {
          if (k === 6) return { betas: [0.8, 0.95] };
          if (k === 12) return { weightDecay: 0.2 };
          if (k === 18) return { lr: 0.003, correctBias: false };
          return null;
        },
      });
    });
});
