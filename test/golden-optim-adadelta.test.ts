import { adadelta } from '@nablajs/optim-adadelta';
import { describe, it } from 'vitest';
import { casesOf, checkFinalState, replayCase } from './helpers/optim-golden';

describe('adadelta vs PyTorch', () => {
  for (const c of casesOf(['adadelta_default', 'adadelta_lr'])) {
    it(c.id, () => {
      const opt = replayCase(c, adadelta);
      checkFinalState(c, opt, 2, { step: 'step', square_avg: 'squareAvg', acc_delta: 'accDelta' });
    });
  }
});
