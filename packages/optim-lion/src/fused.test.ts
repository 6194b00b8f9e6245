import { lionUpdateKernel } from '@nablajs/core';
import { checkFusedUpdate, type FusedCheckOptions, spyOnKernel } from '@nablajs/optim';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { lion } from './lion';

// The fused Lion step against the chain of blocks it replaces: bit for bit in float64 and float32 (the
// kernel rounds the update where the chain stores it), with the same state layout, on every option
// combination, with hyperparameters changed between steps and a run that switches paths at every step.

const spy = spyOnKernel('lionUpdate', lionUpdateKernel);
beforeEach(spy.start);
afterEach(spy.stop);

function check(options: FusedCheckOptions): void {
  const result = checkFusedUpdate(lion, { ...options, tolerance: 0 });
  expect(result.failures).toEqual([]);
  expect(result.maxError).toBe(0);
  expect(spy.calls).toBeGreaterThan(0);
}

describe('lion: fused step vs chain', () => {
  for (const dtype of ['float64', 'float32'] as const)
    for (const weightDecay of [0, 0.1])
      for (const maximize of [false, true])
        for (const betas of [
          [0.9, 0.99],
          [0.5, 0.9],
        ])
          it(`${dtype}, weightDecay ${weightDecay}, maximize ${maximize}, betas [${betas}]`, () => {
            check({ dtype, options: { lr: 0.01, betas, weightDecay, maximize } });
          });

  for (const dtype of ['float64', 'float32'] as const)
    it(`${dtype}: betas, decay, lr and maximize changed between steps`, () => {
      check({
        dtype,
        steps: 40,
        options: { lr: 0.01 },
        schedule: (k) => {
          if (k === 6) return { betas: [0.8, 0.95] };
          if (k === 12) return { weightDecay: 0.2 };
          if (k === 18) return { maximize: true, lr: 0.003 };
          return null;
        },
      });
    });
});
