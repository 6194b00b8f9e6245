import { muonAdamwUpdateKernel, muonMomentumKernel } from '@nablajs/core';
import { checkFusedKernel, type FusedCheckOptions, spyOnKernel } from '@nablajs/optim';
import { describe, expect, it } from 'vitest';
import { muon } from './muon';

// The fused Muon step (momentum kernel, Newton-Schulz with tensor ops, update kernel; the AdamW fallback in
// one kernel) against the chain of blocks it replaces: bit for bit in float64 and float32, with the same
// state, for matrices, a batch of matrices, a 4-D weight and vectors on the fallback, over the options, with
// hyperparameters changed between steps and a run that switches paths at every step.

const spy = spyOnKernel('muonMomentum', muonMomentumKernel);
const adamwSpy = spyOnKernel('muonAdamwUpdate', muonAdamwUpdateKernel);
// group 0: one matrix; group 1: a tall matrix, a vector (the AdamW fallback), a batch of 2 matrices and a 4-D weight
const SHAPES = [[6, 5], [9, 4], [7], [2, 3, 4], [3, 2, 2, 2]];

function check(options: FusedCheckOptions, kernel = spy): void {
  const { failures, maxError, kernelCalls } = checkFusedKernel(muon, kernel, {
    shapes: SHAPES,
    steps: 12,
    ...options,
    tolerance: 0,
  });
  expect({ failures, maxError, ran: kernelCalls > 0 }).toEqual({ failures: [], maxError: 0, ran: true });
}

describe('muon: fused step vs chain', () => {
  for (const dtype of ['float64', 'float32'] as const)
    for (const nesterov of [true, false])
      for (const weightDecay of [0, 0.1])
        for (const adjustLrFn of [null, 'match_rms_adamw'])
          it(`${dtype}, nesterov ${nesterov}, weightDecay ${weightDecay}, adjustLrFn ${adjustLrFn}`, () => {
            check({ dtype, options: { lr: 0.02, nesterov, weightDecay, adjustLrFn, adamwWeightDecay: weightDecay } });
          });

  for (const dtype of ['float64', 'float32'] as const)
    it(`${dtype}: momentum, steps, coefficients, lr and the fallback's hyperparameters changed between steps`, () => {
      check({
        dtype,
        steps: 16,
        options: { lr: 0.02 },
        schedule: (k) => {
          if (k === 3) return { momentum: 0.8, nsSteps: 3 };
          if (k === 6) return { adamwLr: 0.01, adamwBetas: [0.8, 0.9], adamwEps: 1e-6 };
          if (k === 9) return { nsCoefficients: [1.5, -0.5, 0], eps: 0.5, lr: 0.005 };
          if (k === 12) return { weightDecay: 0.2, adamwWeightDecay: 0.1 };
          return null;
        },
      });
    });

  it('sends a whole group to the fallback with useMuon: false, and matrices included', () => {
    check({ dtype: 'float32', shapes: [[4], [6, 5], [3]], options: { useMuon: false, adamwLr: 0.01 } }, adamwSpy);
  });
});
