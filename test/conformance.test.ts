// One conformance suite over every optimizer we ship: a new optimizer adds one row.

import optimPlugin, { lookahead, usePlugin } from '@nablajs/optim';
import {
  CONFORMANCE_CHECKS,
  type ConformanceFactory,
  type ConformanceOptions,
  checkOptimizerConformance,
} from '@nablajs/optim/testkit';
import { adabelief } from '@nablajs/optim-adabelief';
import { adadelta } from '@nablajs/optim-adadelta';
import { adafactor } from '@nablajs/optim-adafactor';
import { adagrad } from '@nablajs/optim-adagrad';
import adamPlugin, { adam, adamax, adamw, cautiousAdamw, nadam, radam } from '@nablajs/optim-adam';
import { adan } from '@nablajs/optim-adan';
import { ademamix } from '@nablajs/optim-ademamix';
import { adopt } from '@nablajs/optim-adopt';
import { lamb } from '@nablajs/optim-lamb';
import { lbfgs } from '@nablajs/optim-lbfgs';
import { lion } from '@nablajs/optim-lion';
import { mars } from '@nablajs/optim-mars';
import { muon } from '@nablajs/optim-muon';
import { prodigy } from '@nablajs/optim-prodigy';
import { rmsprop } from '@nablajs/optim-rmsprop';
import { rprop } from '@nablajs/optim-rprop';
import { sam } from '@nablajs/optim-sam';
import { adamwScheduleFree, sgdScheduleFree } from '@nablajs/optim-schedulefree';
import sgdPlugin, { asgd, sgd } from '@nablajs/optim-sgd';
import { soap } from '@nablajs/optim-soap';
import { beforeAll, describe, expect, it } from 'vitest';

// The wrappers (lookahead, sam) find the optimizers they wrap by name.
beforeAll(() => {
  for (const plugin of [optimPlugin, sgdPlugin, adamPlugin]) usePlugin(plugin, { override: true });
});

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
    {
      options: { lineSearchFn: 'strong_wolfe' },
      skip: ['param-groups', 'null-grads'],
      couples: { closure: true, global: true },
    },
  ],
  lion: [lion, {}],
  lamb: [lamb, {}],
  'adam-float32': [adam, { dtype: 'float32' }],
  cautiousAdamw: [cautiousAdamw, { options: { lr: 0.01 } }],
  adan: [adan, { options: { lr: 0.01, maxGradNorm: 0.5 }, invalidOptions: [{ betas: [0.9, 0.9, 1] }] }],
  ademamix: [ademamix, { options: { lr: 0.01, alphaWarmup: 10, beta3Warmup: 10 }, invalidOptions: [{ alpha: -1 }] }],
  // The testkit's parameters are vectors, which Muon sends to its AdamW fallback, whose rate is adamwLr: a group
  // with lr 0 (Muon's rate) still moves. A group with lr 0 and adamwLr 0 stays still (optim-muon's tests).
  muon: [muon, { options: { lr: 0.02, adamwLr: 0.05 }, skip: ['param-groups'], invalidOptions: [{ nsSteps: -1 }] }],
  sgdScheduleFree: [sgdScheduleFree, { options: { lr: 1e-3 }, invalidOptions: [{ momentum: 1.5 }] }],
  adamwScheduleFree: [adamwScheduleFree, { options: { lr: 0.05 }, invalidOptions: [{ warmupSteps: -1 }] }],
  'adamwScheduleFree-float32': [adamwScheduleFree, { options: { lr: 0.05 }, dtype: 'float32' }],
  sam: [sam, { options: { base: 'sgd', lr: 0.002, momentum: 0.9 }, invalidOptions: [{ rho: -1 }] }],
  'asam-adam': [sam, { options: { base: 'adam', lr: 0.05, rho: 0.5, adaptive: true } }],
  prodigy: [prodigy, { invalidOptions: [{ d0: -1 }, { growthRate: 0.5 }] }],
  'prodigy-float32': [prodigy, { dtype: 'float32', options: { useBiasCorrection: true, weightDecay: 0.01 } }],
  soap: [soap, { invalidOptions: [{ preconditionFrequency: 0 }] }],
  'soap-1d-float32': [
    soap,
    { dtype: 'float32', options: { lr: 0.01, precondition1d: true, preconditionFrequency: 2, eps: 1e-6 } },
  ],
  adafactor: [adafactor, { invalidOptions: [{ d: 0.5 }, { beta2Decay: 0.1 }, { eps: [null, -1] }] }],
  'adafactor-float32': [adafactor, { dtype: 'float32', options: { weightDecay: 0.01 } }],
  // AdaBelief's first five steps (rectified) are unnormalised momentum steps: lr 1e-3 keeps Rosenbrock in range.
  adabelief: [adabelief, { invalidOptions: [{ betas: [0.9, 1] }, { eps: -1 }, { rectify: 'yes' }] }],
  'adabelief-float32': [
    adabelief,
    { dtype: 'float32', options: { lr: 0.01, rectify: false, amsgrad: true, weightDecay: 0.01 } },
  ],
  adopt: [
    adopt,
    { options: { lr: 0.01 }, invalidOptions: [{ betas: [0.9, 1] }, { clipLambda: 5 }, { decouple: 'yes' }] },
  ],
  'adopt-float32': [adopt, { dtype: 'float32', options: { lr: 0.01, betas: [0.5, 0.9], eps: 1e-3 } }],
  // The testkit's parameters are vectors: they take MARS's AdamW branch; optimize1d sends them through MARS.
  mars: [mars, { options: { lr: 0.01 }, invalidOptions: [{ marsType: 'adam' }, { betas1d: [0.9, 1] }] }],
  'mars-float32': [
    mars,
    { dtype: 'float32', options: { lr: 0.01, optimize1d: true, amsgrad: true, weightDecay: 0.01 } },
  ],
  lookahead: [lookahead, { options: { inner: 'adam', lr: 0.05 }, invalidOptions: [{ k: 0 }, { alpha: 2 }] }],
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
