// One conformance suite over every optimizer we ship: a new optimizer adds one row.
import {
  CONFORMANCE_CHECKS,
  type ConformanceFactory,
  type ConformanceOptions,
  checkOptimizerConformance,
} from '@nablajs/optim/testkit';
import { adadelta } from '@nablajs/optim-adadelta';
import { adagrad } from '@nablajs/optim-adagrad';
import { adam, adamax, adamw, nadam, radam } from '@nablajs/optim-adam';
import { lamb } from '@nablajs/optim-lamb';
import { lbfgs } from '@nablajs/optim-lbfgs';
import { lion } from '@nablajs/optim-lion';
import { rmsprop } from '@nablajs/optim-rmsprop';
import { rprop } from '@nablajs/optim-rprop';
import { asgd, sgd } from '@nablajs/optim-sgd';
import { describe, expect, it } from 'vitest';

type Row = [factory: ConformanceFactory, options: Omit<ConformanceOptions, 'name'>];

const rows: Record<string, Row> = {
  sgd: [sgd, { options: { lr: 1e-3 }, invalidOptions: [{ momentum: -0.1 }, { nesterov: true }] }],
  'sgd-momentum': [sgd, { options: { lr: 1e-4, momentum: 0.9, nesterov: true } }],
  // PyTorch's default lr of 0.01 diverges on Rosenbrock from the testkit's start.
  asgd: [asgd, { options: { lr: 1e-3 } }],
  adam: [adam, { invalidOptions: [{ betas: [0.9, 1.5] }, { eps: -1 }] }],
  adamw: [adamw, { invalidOptions: [{ weightDecay: -1 }] }],
  adamax: [adamax, {}],
  nadam: [nadam, { invalidOptions: [{ momentumDecay: -1 }] }],
  radam: [radam, {}],
  rmsprop: [rmsprop, { invalidOptions: [{ alpha: -0.5 }] }],
  adagrad: [adagrad, { invalidOptions: [{ lrDecay: -1 }] }],
  adadelta: [adadelta, { invalidOptions: [{ rho: 1.5 }] }],
  // Rprop's minimum step size (1e-6, PyTorch's) moves a group whose lr is 0 from its second step on.
  rprop: [rprop, { skip: ['param-groups'], invalidOptions: [{ etas: [1.5, 1.2] }] }],
  // PyTorch's L-BFGS takes one parameter group and treats a missing gradient as zero.
  lbfgs: [
    lbfgs,
    { options: { lineSearchFn: 'strong_wolfe' }, skip: ['param-groups', 'null-grads'], couples: { closure: true, global: true } },
  ],
  lion: [lion, {}],
  lamb: [lamb, {}],
  'adam-float32': [adam, { dtype: 'float32' }],
};

describe('optimizer conformance', () => {
  for (const [name, [factory, options]] of Object.entries(rows)) {
    it(name, () => {
      const result = checkOptimizerConformance(factory, { name, ...options });
      expect(result.failures).toEqual([]);
      expect(result.skipped.sort()).toEqual([...(options.skip ?? [])].sort());
      expect(result.passed.length + result.skipped.length).toBe(Object.keys(CONFORMANCE_CHECKS).length);
    });
  }
});
