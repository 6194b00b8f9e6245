import { rpropUpdateKernel } from '@nablajs/core';
import { checkFusedKernel, type FusedCheckOptions, spyOnKernel } from '@nablajs/optim';
import { describe, expect, it } from 'vitest';
import { rprop } from './rprop';

// The fused Rprop step against the chain of blocks it replaces: bit for bit in float64 and float32 (the
// kernel rounds the step sizes where the chain stores them), with the same state (step, prev, stepSize), on
// every option combination (step sizes that hit both bounds included), with hyperparameters changed between
// steps and a run that switches paths at every step.

const spy = spyOnKernel('rpropUpdate', rpropUpdateKernel);

function check(options: FusedCheckOptions): void {
  const { failures, maxError, kernelCalls } = checkFusedKernel(rprop, spy, { ...options, tolerance: 0 });
  expect({ failures, maxError, ran: kernelCalls > 0 }).toEqual({ failures: [], maxError: 0, ran: true });
}

describe('rprop: fused step vs chain', () => {
  for (const dtype of ['float64', 'float32'] as const)
    for (const maximize of [false, true])
      for (const etas of [
        [0.5, 1.2],
        [0.3, 1.7],
      ])
        for (const stepSizes of [
          [1e-6, 50],
          [2e-3, 0.03],
        ])
          it(`${dtype}, maximize ${maximize}, etas [${etas}], stepSizes [${stepSizes}]`, () => {
            check({ dtype, options: { lr: 0.01, etas, stepSizes, maximize } });
          });

  for (const dtype of ['float64', 'float32'] as const)
    it(`${dtype}: a first step size outside stepSizes`, () => {
      check({ dtype, options: { lr: 0.1, stepSizes: [1e-3, 0.05] } });
    });

  for (const dtype of ['float64', 'float32'] as const)
    it(`${dtype}: etas, stepSizes, lr and maximize changed between steps`, () => {
      check({
        dtype,
        steps: 40,
        options: { lr: 0.01 },
        schedule: (k) => {
          if (k === 4) return { lr: 0.2 }; // read only at a parameter's first step
          if (k === 8) return { etas: [0.2, 1.9] };
          if (k === 14) return { stepSizes: [5e-3, 0.02], maximize: true };
          if (k === 22) return { etas: [0.6, 1.1], stepSizes: [1e-6, 50], maximize: false };
          return null;
        },
      });
    });
});
