import { nadamUpdateKernel } from '@nablajs/core';
import { checkFusedKernel, type FusedCheckOptions, spyOnKernel } from '@nablajs/optim';
import { describe, expect, it } from 'vitest';
import { expectFlagsLeftToTheChain } from './fused-flags.test-utils';
import { nadam } from './nadam';

// The fused NAdam step against the chain of blocks it replaces: bit for bit in float64 and float32 (the
// kernel rounds where the chain stores a value; the step's scalars and the momentum product are computed
// in JavaScript as the chain does), with the same state layout, on every option combination, with
// hyperparameters changed between steps and a run that switches paths at every step.

const spy = spyOnKernel('nadamUpdate', nadamUpdateKernel);

function check(options: FusedCheckOptions): void {
  const { failures, maxError, kernelCalls } = checkFusedKernel(nadam, spy, { ...options, tolerance: 0 });
  expect({ failures, maxError, ran: kernelCalls > 0 }).toEqual({ failures: [], maxError: 0, ran: true });
}

describe('nadam: fused step vs chain', () => {
  for (const dtype of ['float64', 'float32'] as const)
    for (const weightDecay of [0, 0.1])
      for (const momentumDecay of [4e-3, 0.5])
        for (const [betas, eps] of [
          [[0.9, 0.999], 1e-8],
          [[0.5, 0.9], 1e-2],
        ] as const)
          it(`${dtype}, weightDecay ${weightDecay}, momentumDecay ${momentumDecay}, betas [${betas}], eps ${eps}`, () => {
            check({ dtype, options: { lr: 0.01, betas, eps, weightDecay, momentumDecay } });
          });

  for (const dtype of ['float64', 'float32'] as const)
    it(`${dtype}: betas, eps, decay, momentumDecay and lr changed between steps`, () => {
      check({
        dtype,
        steps: 40,
        options: { lr: 0.01 },
        schedule: (k) => {
          if (k === 6) return { betas: [0.8, 0.95] };
          if (k === 12) return { weightDecay: 0.2, eps: 1e-3 };
          if (k === 18) return { momentumDecay: 0.1, lr: 0.003 };
          if (k > 30) return { lr: 0.01 / k, weightDecay: 0 };
          return null;
        },
      });
    });

  it('leaves maximize and decoupledWeightDecay to the chain: no kernel call in their steps, the same results', () => {
    expectFlagsLeftToTheChain(nadam, spy);
  });

  it('counts one kernel call per parameter with a gradient', () => {
    const { failures, kernelCalls } = checkFusedKernel(nadam, spy, { steps: 4, sizes: [5, 6, 7] });
    expect(failures).toEqual([]);
    // Steps 1-4 of the fused run and steps 1 and 3 of the alternating one; parameter i has no gradient
    // at step k when (k + i) % 4 === 0: 3, 2, 2, 2 gradients at steps 1 to 4.
    expect(kernelCalls).toBe(3 + 2 + 2 + 2 + (3 + 2));
  });
});
