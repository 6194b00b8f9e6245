import { radamUpdateKernel } from '@nablajs/core';
import { checkFusedKernel, type FusedCheckOptions, spyOnKernel } from '@nablajs/optim';
import { describe, expect, it } from 'vitest';
import { expectFlagsLeftToTheChain } from './fused-flags.test-utils';
import { radam } from './radam';

// The fused RAdam step against the chain of blocks it replaces: bit for bit in float64 and float32 (the
// kernel rounds where the chain stores a value), with the same state layout, on every option combination,
// in both branches (momentum steps while ρ_t ≤ 5, rectified steps after), with hyperparameters changed
// between steps and a run that switches paths at every step.

const spy = spyOnKernel('radamUpdate', radamUpdateKernel);

function check(options: FusedCheckOptions): void {
  const { failures, maxError, kernelCalls } = checkFusedKernel(radam, spy, { ...options, tolerance: 0 });
  expect({ failures, maxError, ran: kernelCalls > 0 }).toEqual({ failures: [], maxError: 0, ran: true });
}

describe('radam: fused step vs chain', () => {
  for (const dtype of ['float64', 'float32'] as const)
    for (const weightDecay of [0, 0.1])
      for (const eps of [1e-8, 1e-3])
        for (const betas of [
          [0.9, 0.999], // rectified from step 6
          [0.5, 0.9], // rectified from step 6, ρ_∞ = 19
          [0, 0.5], // ρ_∞ = 3: momentum steps only
        ])
          it(`${dtype}, weightDecay ${weightDecay}, eps ${eps}, betas [${betas}]`, () => {
            check({ dtype, options: { lr: 0.01, betas, eps, weightDecay } });
          });

  for (const dtype of ['float64', 'float32'] as const)
    it(`${dtype}: betas, eps, decay and lr changed between steps`, () => {
      check({
        dtype,
        steps: 40,
        options: { lr: 0.01 },
        schedule: (k) => {
          if (k === 8) return { betas: [0.7, 0.95] };
          if (k === 16) return { lr: 0.003, weightDecay: 0.3, eps: 1e-4 };
          if (k === 24) return { betas: [0.9, 0.6], weightDecay: 0 };
          if (k > 30) return { lr: 0.01 / k, betas: [0.8, 0.99] };
          return null;
        },
      });
    });

  it('leaves maximize and decoupledWeightDecay to the chain: no kernel call in their steps, the same results', () => {
    expectFlagsLeftToTheChain(radam, spy);
  });

  it('counts one kernel call per parameter with a gradient', () => {
    const { failures, kernelCalls } = checkFusedKernel(radam, spy, { steps: 4, sizes: [5, 6, 7] });
    expect(failures).toEqual([]);
    // Steps 1-4 of the fused run and steps 1 and 3 of the alternating one; parameter i has no gradient at
    // step k when (k + i) % 4 === 0: 3, 2, 2, 2 gradients at steps 1 to 4.
    expect(kernelCalls).toBe(3 + 2 + 2 + 2 + (3 + 2));
  });
});
