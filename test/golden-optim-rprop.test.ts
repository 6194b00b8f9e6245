import { rprop } from '@nablajs/optim-rprop';
import { describe, it } from 'vitest';
import { casesOf, checkFinalState, replayCase } from './helpers/optim-golden';

describe('rprop vs PyTorch', () => {
  for (const c of casesOf(['rprop_default', 'rprop_etas_step_sizes'])) {
    it(c.id, () => {
      const opt = replayCase(c, rprop);
      checkFinalState(c, opt, 1, { step: 'step', prev: 'prev', step_size: 'stepSize' });
    });
  }
});
