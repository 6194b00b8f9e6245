import { rmspropUpdateKernel } from '@nablajs/core';
import { checkFusedUpdate, type FusedCheckOptions, spyOnKernel } from '@nablajs/optim';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { rmsprop } from './rmsprop';

// The fused RMSprop step against the chain of blocks it replaces: bit for bit in float64, within
// float32 rounding in float32, with the same state layout, on every option combination, with
// hyperparameters changed between steps and a run that switches paths at every step.

const spy = spyOnKernel('rmspropUpdate', rmspropUpdateKernel);
beforeEach(spy.start);
afterEach(spy.stop);

function check(options: FusedCheckOptions): void {
  const result = checkFusedUpdate(rmsprop, options);
  expect(result.failures).toEqual([]);
  if (options.dtype !== 'float32') expect(result.maxError).toBe(0);
  expect(spy.calls).toBeGreaterThan(0);
}

describe('rmsprop: fused step vs chain', () => {
  for (const dtype of ['float64', 'float32'] as const)
    for (const centered of [false, true])
      for (const momentum of [0, 0.9])
        for (const weightDecay of [0, 0.1])
          for (const maximize of [false, true])
            it(`${dtype}, centered ${centered}, momentum ${momentum}, weightDecay ${weightDecay}, maximize ${maximize}`, () => {
              check({ dtype, options: { lr: 0.01, alpha: 0.9, eps: 1e-3, centered, momentum, weightDecay, maximize } });
            });

  for (const dtype of ['float64', 'float32'] as const)
    it(`${dtype}: centered and momentum switched on mid-run (buffers from zero), alpha, eps, decay and lr changed`, () => {
      check({
        dtype,
        steps: 40,
        options: { lr: 0.01 },
        schedule: (k) => {
          if (k === 6) return { centered: true, alpha: 0.9 };
          if (k === 12) return { momentum: 0.8, eps: 1e-4 };
          if (k === 18) return { centered: false, weightDecay: 0.2, maximize: true };
          if (k === 26) return { momentum: 0, lr: 0.002 };
          return null;
        },
      });
    });
});
