import { describe, expect, it } from 'vitest';
import {
  addWeightDecay,
  chain,
  defineOptimizer,
  flipIfMaximize,
  scaleByLearningRate,
} from '../packages/optim/src/index';
import { optimizerCases, replayCase } from './helpers/optim-golden';

const plainSgd = defineOptimizer({
  name: 'plain-sgd-smoke',
  defaults: { lr: 1e-3, maximize: false, weightDecay: 0, momentum: 0, dampening: 0, nesterov: false },
  rule: chain(flipIfMaximize(), addWeightDecay(), scaleByLearningRate()),
});

describe('harness smoke', () => {
  for (const id of [
    'sgd_plain/rosenbrock2d',
    'sgd_plain/quadratic',
    'sgd_plain/mlp',
    'sgd_weight_decay/mlp',
    'sgd_maximize/mlp',
  ]) {
    it(id, () => {
      const c = optimizerCases().find((x) => x.id === id)!;
      expect(c).toBeDefined();
      replayCase(c, plainSgd);
    });
  }
});
