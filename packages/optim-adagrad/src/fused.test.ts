import { adagradUpdateKernel } from '@nablajs/core';
import { checkFusedUpdate, type FusedCheckOptions, spyOnKernel } from '@nablajs/optim';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { adagrad } from './adagrad';

// The fused Adagrad step against the chain of blocks it replaces: bit for bit in float64, within
// float32 rounding in float32, with the same state layout, on every option combination, with
// hyperparameters changed between steps and a run that switches paths at every step.

const spy = spyOnKernel('adagradUpdate', adagradUpdateKernel);
beforeEach(spy.start);
afterEach(spy.stop);

function check(options: FusedCheckOptions): void {
  const result = checkFusedUpdate(adagrad, options);
  expect(result.failures).toEqual([]);
  if (options.dtype !== 'float32') expect(result.maxError).toBe(0);
  expect(spy.calls).toBeGreaterThan(0);
}

describe('adagrad: fused step vs chain', () => {
  for (const dtype of ['float64', 'float32'] as const)
    for (const lrDecay of [0, 0.1])
      for (const weightDecay of [0, 0.1])
        for (const initialAccumulatorValue of [0, 0.5])
          for (const maximize of [false, true])
            it(`${dtype}, lrDecay ${lrDecay}, weightDecay ${weightDecay}, initialAccumulatorValue ${initialAccumulatorValue}, maximize ${maximize}`, () => {
              check({
                dtype,
                options: { lr: 0.05, eps: 1e-3, lrDecay, weightDecay, initialAccumulatorValue, maximize },
              });
            });

  for (const dtype of ['float64', 'float32'] as const)
    it(`${dtype}: lrDecay, eps, decay, lr and maximize changed between steps`, () => {
      check({
        dtype,
        steps: 40,
        options: { lr: 0.05 },
        schedule: (k) => {
          if (k === 6) return { lrDecay: 0.2 };
          if (k === 12) return { eps: 1e-4, weightDecay: 0.2 };
          if (k === 18) return { maximize: true, lr: 0.01 };
          return null;
        },
      });
    });
});
