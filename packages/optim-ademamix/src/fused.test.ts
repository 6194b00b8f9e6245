import { ademamixUpdateKernel } from '@nablajs/core';
import { checkFusedKernel, type FusedCheckOptions, spyOnKernel } from '@nablajs/optim';
import { describe, expect, it } from 'vitest';
import { ademamix } from './ademamix';

// The fused AdEMAMix step against the chain of blocks it replaces: bit for bit in float64 and float32 (the
// kernel rounds the update where the chain stores it), with the same state layout, with and without the
// warm-ups, β₁ = 0 (no fast EMA), weight decay, hyperparameters changed between steps (β₁ raised from 0,
// which allocates the fast EMA), and a run that switches paths at every step.

const spy = spyOnKernel('ademamixUpdate', ademamixUpdateKernel);

function check(options: FusedCheckOptions): void {
  const { failures, maxError, kernelCalls } = checkFusedKernel(ademamix, spy, { ...options, tolerance: 0 });
  expect({ failures, maxError, ran: kernelCalls > 0 }).toEqual({ failures: [], maxError: 0, ran: true });
}

describe('ademamix: fused step vs chain', () => {
  for (const dtype of ['float64', 'float32'] as const)
    for (const weightDecay of [0, 0.1])
      for (const warmups of [false, true])
        for (const b1 of [0.9, 0])
          it(`${dtype}, weightDecay ${weightDecay}, warm-ups ${warmups}, β₁ ${b1}`, () => {
            check({
              dtype,
              options: {
                lr: 0.01,
                betas: [b1, 0.999, 0.9999],
                alpha: 5,
                weightDecay,
                ...(warmups ? { alphaWarmup: 20, beta3Warmup: 20 } : {}),
              },
            });
          });

  for (const dtype of ['float64', 'float32'] as const)
    it(`${dtype}: β₁ raised from 0, alpha, eps, decay and lr changed between steps`, () => {
      check({
        dtype,
        steps: 40,
        options: { lr: 0.01, betas: [0, 0.999, 0.9999] },
        schedule: (k) => {
          if (k === 6) return { betas: [0.9, 0.999, 0.999] };
          if (k === 12) return { alpha: 2, eps: 1e-3 };
          if (k === 18) return { weightDecay: 0.2, lr: 0.003 };
          return null;
        },
      });
    });
});
