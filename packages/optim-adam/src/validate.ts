import type { Hyperparams } from '@nablajs/optim';
import { checkBoolean, checkNumber, checkTuple } from '@nablajs/optim';

/**
 * Check the options every optimizer of the Adam family shares: `lr >= 0`, `betas` two numbers in
 * [0, 1), `eps >= 0` and `weightDecay >= 0`, plus the named boolean flags. Messages name the
 * optimizer and the option: `adam: betas[1] must be in [0, 1), got 1.5`.
 */
export function checkAdamFamily(fn: string, hp: Readonly<Hyperparams>, flags: readonly string[] = []): void {
  checkNumber(fn, 'lr', hp.lr, { min: 0 });
  checkTuple(fn, 'betas', hp.betas, 2, { min: 0, max: 1, maxInclusive: false });
  checkNumber(fn, 'eps', hp.eps, { min: 0 });
  checkNumber(fn, 'weightDecay', hp.weightDecay, { min: 0 });
  for (const flag of flags) checkBoolean(fn, flag, hp[flag]);
}

/**
 * The hyperparameter that switches Adam's, NAdam's and RAdam's weight decay from L2 on the gradient to
 * decoupled (PyTorch's `decoupled_weight_decay`).
 */
export const DECOUPLED = 'decoupledWeightDecay';
