import { adagrad } from '@nablajs/optim-adagrad';
import { describe, it } from 'vitest';
import { casesOf, checkFinalState, replayCase } from './helpers/optim-golden';

const configs = ['adagrad_default', 'adagrad_lr_decay', 'adagrad_initial_accumulator', 'adagrad_weight_decay'];

describe('adagrad vs PyTorch', () => {
  const cases = casesOf(configs, ['adagrad_default/mlp/float32']);
  for (const c of cases) {
    it(c.id, () => {
      const opt = replayCase(c, adagrad);
      checkFinalState(c, opt, 2, { step: 'step', sum: 'sum' });
    });
  }
});
