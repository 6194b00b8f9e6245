import { checkOptions, ValueError } from '@nablajs/core';
import type { Optimizer } from '../types';
import { nonNegative, nonNegativeInt, oneOf, show } from './checks';
import {
  checkTarget,
  createScheduler,
  internalsOf,
  perGroup,
  registerInternals,
  type Scheduler,
  type SchedulerStateDict,
  stateNumber,
} from './scheduler';

/** Options of {@link swaLR} (PyTorch's `SWALR` kwargs in lowerCamelCase). */
export interface SwaLROptions {
  /** The value to anneal to and then hold: one for every param group, or one per group. Required. */
  swaLr: number | readonly number[];
  /** Epochs (steps) the annealing takes, a non-negative integer; 0 jumps to `swaLr` at once. Default 10. */
  annealEpochs?: number;
  /** The shape of the annealing: `'cos'` (half a cosine) or `'linear'`. Default `'cos'`. */
  annealStrategy?: 'cos' | 'linear';
  /** The hyperparameter to drive. Default `'lr'`. */
  key?: string;
}

const STRATEGIES = ['cos', 'linear'] as const;

/** The share of the way from the starting value to `swaLr` at fraction `t` of the annealing. */
const annealers: Record<(typeof STRATEGIES)[number], (t: number) => number> = {
  cos: (t) => (1 - Math.cos(Math.PI * t)) / 2,
  linear: (t) => t,
};

const clamp01 = (x: number) => Math.max(0, Math.min(1, x));

/**
 * Anneal each group's learning rate from its current value to a fixed `swaLr` over `annealEpochs` steps,
 * then hold it there: the learning-rate schedule of stochastic weight averaging (see {@link swaWeights}).
 *
 * With `s` the number of steps since construction (0 at construction) and
 * `α(s) = anneal(clamp(s / annealEpochs, 0, 1))` (`anneal(t) = (1 − cos πt)/2` or `t`), each step sets
 * `lr = α(s)·swaLr + (1 − α(s))·lr₀`. It is computed from the group's current value, not a stored `lr₀`:
 * the step first recovers the value the group would have started from, `lr₀ = (lr − α(s−1)·swaLr) / (1 −
 * α(s−1))` (`swaLr` when `α(s−1) = 1`), then applies `α(s)`. So the schedule starts from whatever value the
 * group has when the scheduler is built or first stepped (another scheduler's last value, typically), and
 * it keeps PyTorch's float rounding. Construction runs step `s = 0`, which leaves the value unchanged,
 * except with `annealEpochs: 0`, where it sets `swaLr` at once.
 *
 * Like PyTorch, `s` counts calls to `step()` (PyTorch's `_step_count`), which is not always `lastEpoch`:
 * inside {@link sequentialLR}, the switch to this scheduler is its second step (`α(1)` already), as in
 * PyTorch. The `swaLr` values are kept by the scheduler (PyTorch writes them onto the param groups as
 * `swa_lr`), and its state dict holds them; loading a state saved with other options is an error.
 * Param groups added to the optimizer after construction are not scheduled: stepping then throws.
 *
 * Follows `torch.optim.swa_utils.SWALR`.
 *
 * @example
 * ```ts
 * const opt = sgd(model.parameters(), { lr: 0.1, momentum: 0.9 });
 * const cosine = cosineAnnealingLR(opt, { tMax: 100 });
 * const swaScheduler = swaLR(opt, { swaLr: 0.05, annealEpochs: 5, annealStrategy: 'linear' });
 * const swa = swaWeights(model.parameters());
 * for (let epoch = 0; epoch < 100; epoch++) {
 *   trainOneEpoch(model, opt);
 *   if (epoch >= 75) {
 *     swa.update();
 *     swaScheduler.step(); // from cosine's last value down to 0.05 over 5 epochs
 *   } else cosine.step();
 * }
 * ```
 */
export function swaLR(optimizer: Optimizer, options: SwaLROptions): Scheduler {
  const name = 'swaLR';
  const { swaLr, annealEpochs = 10, annealStrategy = 'cos', key = 'lr' } = options ?? ({} as SwaLROptions);
  checkOptions(name, options ?? undefined, ['swaLr', 'annealEpochs', 'annealStrategy', 'key']);
  checkTarget(name, optimizer, key);
  const swaLrs = perGroup(name, 'swaLr', swaLr, optimizer.paramGroups.length, nonNegative);
  nonNegativeInt(name, 'annealEpochs', annealEpochs);
  const anneal = annealers[oneOf(name, 'annealStrategy', annealStrategy, STRATEGIES)];
  const span = Math.max(1, annealEpochs);
  // PyTorch's _step_count: the calls to step() since construction (or since the initial step was redone).
  let stepCount = 0;

  const scheduler = createScheduler(name, optimizer, key, {
    fixedGroups: 'its swaLr is per param group, set at construction',
    next: (_epoch, current) => {
      stepCount += 1;
      const s = annealEpochs === 0 ? Math.max(1, stepCount - 1) : stepCount - 1;
      const prevAlpha = anneal(clamp01((s - 1) / span));
      const alpha = anneal(clamp01(s / span));
      return current.map((lr, i) => {
        const start = prevAlpha === 1 ? swaLrs[i] : (lr - prevAlpha * swaLrs[i]) / (1 - prevAlpha);
        return swaLrs[i] * alpha + start * (1 - alpha);
      });
    },
    save: () => ({ stepCount, swaLrs: [...swaLrs], annealEpochs, annealStrategy }),
    check: (state: SchedulerStateDict) => {
      const count = stateNumber(name, state, 'stepCount', true);
      if (count < 0) throw new ValueError(`${name}: state.stepCount must be non-negative, got ${count}`);
      const same =
        Array.isArray(state.swaLrs) &&
        state.swaLrs.length === swaLrs.length &&
        state.swaLrs.every((v, i) => v === swaLrs[i]) &&
        state.annealEpochs === annealEpochs &&
        state.annealStrategy === annealStrategy;
      if (!same)
        throw new ValueError(
          `${name}: the state was saved with swaLr ${show(state.swaLrs)}, annealEpochs ${show(state.annealEpochs)} and annealStrategy ${show(state.annealStrategy)}; this scheduler has swaLr ${show(swaLrs)}, annealEpochs ${annealEpochs} and annealStrategy ${show(annealStrategy)}`,
        );
    },
    load: (state: SchedulerStateDict) => {
      stepCount = state.stepCount as number;
    },
  });
  // PyTorch's _initial_step() (sequentialLR redoes it) starts the step count again.
  const internals = internalsOf(name, scheduler, 'the scheduler');
  return registerInternals(scheduler, {
    ...internals,
    initialStep() {
      const saved = stepCount;
      stepCount = 0;
      try {
        internals.initialStep();
      } catch (e) {
        stepCount = saved;
        throw e;
      }
    },
  });
}
