import { asgd, asgdAverages, sgd } from '@nablajs/optim-sgd';
import { describe, it } from 'vitest';
import { casesOf, checkFinalState, closeNumbers, optimizerTolerance, replayCase } from './helpers/optim-golden';

const sgdConfigs = [
  'sgd_plain',
  'sgd_momentum',
  'sgd_momentum_dampening',
  'sgd_nesterov',
  'sgd_weight_decay',
  'sgd_momentum_weight_decay',
  'sgd_maximize',
];

describe('sgd vs PyTorch', () => {
  const cases = casesOf(sgdConfigs, ['sgd_momentum/quadratic/float32']);
  for (const c of cases) {
    it(c.id, () => {
      const opt = replayCase(c, sgd);
      checkFinalState(c, opt, 2, { momentum_buffer: 'momentumBuffer' });
    });
  }
});

describe('asgd vs PyTorch', () => {
  for (const c of casesOf(['asgd_default', 'asgd_averaging'])) {
    it(c.id, () => {
      const opt = replayCase(c, asgd);
      checkFinalState(c, opt, 2, { step: 'step', eta: 'eta', mu: 'mu', ax: 'ax' });
      const torch = (c as unknown as { final_state: Record<string, { ax: { data: number[] } }> }).final_state;
      const averaged = asgdAverages(opt);
      c.params.forEach((p, i) => {
        closeNumbers(averaged[i].data, torch[p.name].ax.data, optimizerTolerance(c), `${c.id}: asgdAverages ${p.name}`);
      });
    });
  }
});
