import { checkNumber, type Hyperparams } from '@nablajs/optim';

/**
 * Check the options both Schedule-Free optimizers share: `weightDecay ≥ 0`, `warmupSteps` an integer
 * ≥ 0, `r ≥ 0` and `weightLrPower ≥ 0` (a negative power divides by zero when `lr` is 0). Messages
 * name the optimizer and the option: `sgdScheduleFree: r must be in [0, inf), got -1`.
 */
export function checkScheduleFree(fn: string, hp: Readonly<Hyperparams>): void {
  checkNumber(fn, 'weightDecay', hp.weightDecay, { min: 0 });
  checkNumber(fn, 'warmupSteps', hp.warmupSteps, { min: 0, integer: true });
  checkNumber(fn, 'r', hp.r, { min: 0 });
  checkNumber(fn, 'weightLrPower', hp.weightLrPower, { min: 0 });
}
