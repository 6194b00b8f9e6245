// Every scheduler factory refuses an option it does not know (a PyTorch keyword kept in snake_case, a typo)
// rather than run on with the default the caller meant to change.
import { ValueError } from '@nablajs/core';
import { describe, expect, it } from 'vitest';
import type { Optimizer } from '../types';
import { cosineAnnealingLR, cosineAnnealingWarmRestarts } from './cosine-annealing';
import { cyclicLR } from './cyclic-lr';
import { lambdaLR, multiplicativeLR } from './lambda-lr';
import { constantLR, linearLR, polynomialLR } from './linear-lr';
import { oneCycleLR } from './one-cycle-lr';
import { reduceLROnPlateau } from './reduce-lr-on-plateau';
import { sequentialLR } from './sequential-lr';
import { exponentialLR, multiStepLR, stepLR } from './step-lr';
import { fakeOptimizer } from './testing';

const opt = () => fakeOptimizer([{ lr: 0.1, momentum: 0.9, betas: [0.9, 0.999] }]);

const cases: [string, (o: Optimizer, bad: Record<string, unknown>) => unknown, string][] = [
  ['stepLR', (o, bad) => stepLR(o, { stepSize: 3, ...bad }), 'gama'],
  ['multiStepLR', (o, bad) => multiStepLR(o, { milestones: [2], ...bad }), 'gama'],
  ['exponentialLR', (o, bad) => exponentialLR(o, { gamma: 0.5, ...bad }), 'last_epoch'],
  ['cosineAnnealingLR', (o, bad) => cosineAnnealingLR(o, { tMax: 2, ...bad }), 'eta_min'],
  ['cosineAnnealingWarmRestarts', (o, bad) => cosineAnnealingWarmRestarts(o, { t0: 2, ...bad }), 'T_mult'],
  ['cyclicLR', (o, bad) => cyclicLR(o, { baseLr: 0.01, maxLr: 0.1, ...bad }), 'step_size_up'],
  ['lambdaLR', (o, bad) => lambdaLR(o, { lrLambda: () => 1, ...bad }), 'lr_lambda'],
  ['multiplicativeLR', (o, bad) => multiplicativeLR(o, { lrLambda: () => 1, ...bad }), 'verbose'],
  ['linearLR', (o, bad) => linearLR(o, { ...bad }), 'start_factor'],
  ['constantLR', (o, bad) => constantLR(o, { ...bad }), 'total_iters'],
  ['polynomialLR', (o, bad) => polynomialLR(o, { ...bad }), 'powr'],
  ['oneCycleLR', (o, bad) => oneCycleLR(o, { maxLr: 1, totalSteps: 10, ...bad }), 'pct_start'],
  ['reduceLROnPlateau', (o, bad) => reduceLROnPlateau(o, { ...bad }), 'min_lr'],
  [
    'sequentialLR',
    (o, bad) => {
      return sequentialLR(o, {
        schedulers: [constantLR(o, { factor: 0.5, totalIters: 2 }), exponentialLR(o, { gamma: 0.9 })],
        milestones: [2],
        ...bad,
      });
    },
    'last_epoch',
  ],
];

describe('scheduler options', () => {
  it.each(cases)('%s refuses an unknown option by name, before it changes the optimizer', (name, make, key) => {
    expect(make(opt(), {})).toBeDefined();
    const o = opt();
    const before = JSON.stringify(o.paramGroups);
    expect(() => make(o, { [key]: 0.5 })).toThrow(ValueError);
    expect(() => make(o, { [key]: 0.5 })).toThrow(new RegExp(`^${name}: unknown option "${key}"`));
    // (sequentialLR's own sub-schedulers, built first, set the initial values themselves)
    if (name !== 'sequentialLR') expect(JSON.stringify(o.paramGroups)).toBe(before);
  });

  it('suggests the camelCase name of a PyTorch keyword', () => {
    expect(() => cosineAnnealingLR(opt(), { tMax: 2, eta_min: 0.05 } as never)).toThrow(
      /cosineAnnealingLR: unknown option "eta_min" \(did you mean "etaMin"\?\); options are tMax, etaMin, key/,
    );
    expect(() => reduceLROnPlateau(opt(), { min_lr: 0.01 } as never)).toThrow(/did you mean "minLr"/);
  });
});
