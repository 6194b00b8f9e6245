import { adadeltaUpdateKernel } from '@nablajs/core';
import { checkFusedKernel, type FusedCheckOptions, spyOnKernel } from '@nablajs/optim';
import { describe, expect, it } from 'vitest';
import { adadelta } from './adadelta';

// The fused Adadelta step against the chain of blocks it replaces: bit for bit in float64 and float32 (the
// kernel rounds where the chain stores a value), with the same state layout, on every option combination,
// with hyperparameters changed between steps and a run that switches paths at every step.

const spy = spyOnKernel('adadeltaUpdate', adadeltaUpdateKernel);

function check(options: FusedCheckOptions): void {
  const { failures, maxError, kernelCalls } = checkFusedKernel(adadelta, spy, { ...options, tolerance: 0 });
  expect({ failures, maxError, ran: kernelCalls > 0 }).toEqual({ failures: [], maxError: 0, ran: true });
}

describe('adadelta: fused step vs chain', () => {
  for (const dtype of ['float64', 'float32'] as const)
    for (const weightDecay of [0, 0.1])
      for (const maximize of [false, true])
        for (const [rho, eps] of [
          [0.9, 1e-6],
          [0.5, 1e-3],
        ])
          it(`${dtype}, weightDecay ${weightDecay}, maximize ${maximize}, rho ${rho}, eps ${eps}`, () => {
            check({ dtype, options: { lr: 0.5, rho, eps, weightDecay, maximize } });
          });

  for (const dtype of ['float64', 'float32'] as const)
    it(`${dtype}: rho, eps, decay, lr and maximize changed between steps`, () => {
      check({
        dtype,
        steps: 40,
        options: {},
        schedule: (k) => {
          if (k === 6) return { rho: 0.95 };
          if (k === 12) return { weightDecay: 0.2, eps: 1e-4 };
          if (k === 18) return { maximize: true, lr: 0.3 };
          if (k === 24) return { rho: 0, weightDecay: 0 };
          if (k === 30) return { rho: 1, maximize: false };
          return null;
        },
      });
    });

  it('counts one kernel call per parameter with a gradient', () => {
    const { failures, kernelCalls } = checkFusedKernel(adadelta, spy, { steps: 4, sizes: [5, 6, 7] });
    expect(failures).toEqual([]);
    // Steps 1-4 of the fused run and steps 1 and 3 of the alternating one; parameter i has no gradient at
    // step k when (k + i) % 4 === 0: 3, 2, 2, 2 gradients at steps 1 to 4.
    expect(kernelCalls).toBe(3 + 2 + 2 + 2 + (3 + 2));
  });
});
