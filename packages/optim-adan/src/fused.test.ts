import { adanUpdateKernel } from '@nablajs/core';
import { checkFusedKernel, type FusedCheckOptions, spyOnKernel } from '@nablajs/optim';
import { describe, expect, it } from 'vitest';
import { adan } from './adan';

// The fused Adan step against the chain of blocks it replaces: bit for bit in float64 and float32 (the kernel
// rounds where the chain stores), with the same state layout, on the option combinations, with
// hyperparameters changed between steps, and a run that switches paths at every step. With gradient clipping
// (which needs the norm over every group first) the chain runs: the kernel is not called.

const spy = spyOnKernel('adanUpdate', adanUpdateKernel);

function check(options: FusedCheckOptions, fused = true): void {
  const { failures, maxError, kernelCalls } = checkFusedKernel(adan, spy, { ...options, tolerance: 0 });
  expect({ failures, maxError, ran: kernelCalls > 0 }).toEqual({ failures: [], maxError: 0, ran: fused });
}

describe('adan: fused step vs chain', () => {
  for (const dtype of ['float64', 'float32'] as const)
    for (const weightDecay of [0, 0.02])
      for (const noProx of [false, true])
        for (const betas of [
          [0.98, 0.92, 0.99],
          [0.5, 0.6, 0.7],
        ])
          it(`${dtype}, weightDecay ${weightDecay}, noProx ${noProx}, betas [${betas}]`, () => {
            check({ dtype, options: { lr: 0.01, betas, weightDecay, noProx } });
          });

  for (const dtype of ['float64', 'float32'] as const)
    it(`${dtype}: betas, decay, lr and noProx changed between steps`, () => {
      check({
        dtype,
        steps: 40,
        options: { lr: 0.01 },
        schedule: (k) => {
          if (k === 6) return { betas: [0.9, 0.9, 0.95] };
          if (k === 12) return { weightDecay: 0.05 };
          if (k === 18) return { noProx: true, lr: 0.003 };
          return null;
        },
      });
    });

  it('leaves a step with gradient clipping to the chain', () => {
    check({ dtype: 'float32', options: { lr: 0.01, maxGradNorm: 0.5 } }, false);
  });
});
