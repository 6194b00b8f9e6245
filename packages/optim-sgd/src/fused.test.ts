import { sgdUpdateKernel } from '@nablajs/core';
import { checkFusedUpdate, type FusedCheckOptions, spyOnKernel } from '@nablajs/optim';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sgd } from './sgd';

// The fused SGD step against the chain of blocks it replaces: bit for bit in float64, within float32
// rounding in float32, with the same state layout, on every option combination, with hyperparameters
// changed between steps and a run that switches paths at every step.

const spy = spyOnKernel('sgdUpdate', sgdUpdateKernel);
beforeEach(spy.start);
afterEach(spy.stop);

function check(options: FusedCheckOptions): void {
  const result = checkFusedUpdate(sgd, options);
  expect(result.failures).toEqual([]);
  if (options.dtype !== 'float32') expect(result.maxError).toBe(0);
  expect(spy.calls).toBeGreaterThan(0);
}

const momenta = [
  { momentum: 0, dampening: 0, nesterov: false },
  { momentum: 0.9, dampening: 0, nesterov: false },
  { momentum: 0.9, dampening: 0.5, nesterov: false },
  { momentum: 0.9, dampening: 0, nesterov: true },
];

describe('sgd: fused step vs chain', () => {
  for (const dtype of ['float64', 'float32'] as const)
    for (const m of momenta)
      for (const weightDecay of [0, 0.1])
        for (const maximize of [false, true])
          it(`${dtype}, momentum ${m.momentum}, dampening ${m.dampening}, nesterov ${m.nesterov}, weightDecay ${weightDecay}, maximize ${maximize}`, () => {
            check({ dtype, options: { lr: 0.05, ...m, weightDecay, maximize } });
          });

  for (const dtype of ['float64', 'float32'] as const)
    it(`${dtype}: momentum switched on (buffer from the gradient), off (buffer kept, unused) and on again; lr, decay, dampening changed`, () => {
      check({
        dtype,
        steps: 40,
        options: { lr: 0.05 },
        schedule: (k) => {
          if (k === 6) return { momentum: 0.9 };
          if (k === 12) return { momentum: 0, weightDecay: 0.2 };
          if (k === 18) return { momentum: 0.5, dampening: 0.3, maximize: true };
          if (k === 26) return { dampening: 0, nesterov: true, lr: 0.01 };
          return null;
        },
      });
    });
});
