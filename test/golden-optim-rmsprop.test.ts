import { rmsprop } from '@nablajs/optim-rmsprop';
import { describe, it } from 'vitest';
import { casesOf, checkFinalState, replayCase } from './helpers/optim-golden';

const configs = [
  'rmsprop_default',
  'rmsprop_centered',
  'rmsprop_momentum',
  'rmsprop_centered_momentum',
  'rmsprop_weight_decay',
];

describe('rmsprop vs PyTorch', () => {
  const cases = casesOf(configs, ['rmsprop_centered/rosenbrock2d/float32']);
  for (const c of cases) {
    it(c.id, () => {
      const opt = replayCase(c, rmsprop);
      checkFinalState(c, opt, 2, {
        step: 'step',
        square_avg: 'squareAvg',
        grad_avg: 'gradAvg',
        momentum_buffer: 'momentumBuffer',
      });
    });
  }
});
