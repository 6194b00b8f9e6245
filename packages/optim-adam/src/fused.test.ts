import { adamUpdateKernel } from '@nablajs/core';
import { checkFusedUpdate, type FusedCheckOptions, spyOnKernel } from '@nablajs/optim';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { adam } from './adam';
import { adamw } from './adamw';

// The fused Adam/AdamW step against the chain of blocks it replaces: bit for bit in float64, within
// float32 rounding in float32, with the same state layout, on every option combination, with
// hyperparameters changed between steps and a run that switches paths at every step.

const spy = spyOnKernel('adamUpdate', adamUpdateKernel);
beforeEach(spy.start);
afterEach(spy.stop);

function check(factory: typeof adam, options: FusedCheckOptions): void {
  const result = checkFusedUpdate(factory, options);
  expect(result.failures).toEqual([]);
  if (options.dtype !== 'float32') expect(result.maxError).toBe(0);
  // The fused path ran: one kernel call per parameter with a gradient, in two of the three runs.
  expect(spy.calls).toBeGreaterThan(0);
}

for (const [name, factory] of [
  ['adam', adam],
  ['adamw', adamw],
] as const)
  describe(`${name}: fused step vs chain`, () => {
    for (const dtype of ['float64', 'float32'] as const)
      for (const amsgrad of [false, true])
        for (const weightDecay of [0, 0.1])
          for (const maximize of [false, true])
            it(`${dtype}, amsgrad ${amsgrad}, weightDecay ${weightDecay}, maximize ${maximize}`, () => {
              check(factory, {
                dtype,
                options: { lr: 0.01, betas: [0.8, 0.9], eps: 1e-3, amsgrad, weightDecay, maximize },
              });
            });

    for (const dtype of ['float64', 'float32'] as const)
      it(`${dtype}: hyperparameters changed between steps (AMSGrad switched on, betas, eps, decay, lr, maximize)`, () => {
        check(factory, {
          dtype,
          steps: 40,
          options: { lr: 0.01 },
          schedule: (k) => {
            if (k === 8) return { amsgrad: true, betas: [0.7, 0.95] };
            if (k === 16) return { lr: 0.003, weightDecay: 0.3, eps: 1e-4 };
            if (k === 24) return { maximize: true, amsgrad: false };
            if (k > 30) return { lr: 0.01 / k };
            return null;
          },
        });
      });

    it('decoupledWeightDecay switched on and off between steps (adam: AdamW in those steps)', () => {
      check(factory, {
        steps: 30,
        options: { lr: 0.01, weightDecay: 0.2 },
        schedule: (k) => {
          if (k === 5) return { decoupledWeightDecay: true };
          if (k === 15) return { decoupledWeightDecay: false, maximize: true };
          if (k === 20) return { decoupledWeightDecay: true };
          return null;
        },
      });
    });

    it('counts one kernel call per parameter with a gradient', () => {
      check(factory, { steps: 4, sizes: [5, 6, 7] });
      // Steps 1-4 of the fused run and steps 1 and 3 of the alternating one; parameter i has no
      // gradient at step k when (k + i) % 4 === 0: 3, 2, 2, 2 gradients at steps 1 to 4.
      expect(spy.calls).toBe(3 + 2 + 2 + 2 + (3 + 2));
    });
  });
