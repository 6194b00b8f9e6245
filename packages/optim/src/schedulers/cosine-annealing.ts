import { checkOptions, ValueError } from '@nablajs/core';
import type { Optimizer } from '../types';
import { finite, positive, positiveInt } from './checks';
import { checkTarget, createScheduler, type Scheduler, type SchedulerStateDict, stateNumber } from './scheduler';

/** Options of {@link cosineAnnealingLR} (PyTorch's `CosineAnnealingLR` kwargs in lowerCamelCase). */
export interface CosineAnnealingLROptions {
  /** Half period of the cosine, in epochs (PyTorch's `T_max`); any positive number. */
  tMax: number;
  /** The lowest value, reached at `t = tMax`. Default 0. */
  etaMin?: number;
  /** The hyperparameter to drive. Default `'lr'`. */
  key?: string;
}

/**
 * Anneal each group's learning rate from its base value to `etaMin` along half a cosine over `tMax` epochs.
 *
 * `lr_t = etaMin + (base - etaMin) * (1 + cos(pi * t / tMax)) / 2`. Like PyTorch, it is computed
 * recursively, `lr_t = etaMin + (lr_{t-1} - etaMin) * (1 + cos(pi t / tMax)) / (1 + cos(pi (t-1) / tMax))`
 * (with PyTorch's special case at `t - 1 - tMax ≡ 0 mod 2 tMax`), so it composes with other schedulers.
 * It does not stop at `tMax`: past it the value rises again, with period `2 tMax`.
 *
 * Follows `torch.optim.lr_scheduler.CosineAnnealingLR` (SGDR, Loshchilov & Hutter 2017, without restarts).
 *
 * @example
 * ```ts
 * const scheduler = cosineAnnealingLR(opt, { tMax: 100, etaMin: 1e-5 });
 * // Any hyperparameter can follow the schedule:
 * const wd = cosineAnnealingLR(opt, { tMax: 100, key: 'weightDecay' });
 * ```
 */
export function cosineAnnealingLR(optimizer: Optimizer, options: CosineAnnealingLROptions): Scheduler {
  const name = 'cosineAnnealingLR';
  const { tMax, etaMin = 0, key = 'lr' } = options ?? ({} as CosineAnnealingLROptions);
  checkOptions(name, options ?? undefined, ['tMax', 'etaMin', 'key']);
  checkTarget(name, optimizer, key);
  // A number of epochs, not necessarily whole (PyTorch takes a float T_max).
  positive(name, 'tMax', tMax);
  finite(name, 'etaMin', etaMin);
  return createScheduler(name, optimizer, key, {
    next: (t, current, base) => {
      if (t === 0) return [...current];
      if ((t - 1 - tMax) % (2 * tMax) === 0)
        // zip(base_lrs, groups) in PyTorch: a group added after construction is left alone at this step.
        return base.map((b, i) => current[i] + ((b - etaMin) * (1 - Math.cos(Math.PI / tMax))) / 2);
      const below = 1 + Math.cos((Math.PI * (t - 1)) / tMax);
      // Only a fractional tMax can get here with the previous value at the bottom of the cosine (Python
      // raises ZeroDivisionError).
      if (below === 0)
        throw new ValueError(
          `${name}: tMax ${tMax} puts step ${t - 1} at the bottom of the cosine; the next value is 0/0`,
        );
      const ratio = (1 + Math.cos((Math.PI * t) / tMax)) / below;
      return current.map((v) => ratio * (v - etaMin) + etaMin);
    },
    closedForm: (t, base) => base.map((b) => etaMin + ((b - etaMin) * (1 + Math.cos((Math.PI * t) / tMax))) / 2),
  });
}

/** Options of {@link cosineAnnealingWarmRestarts} (PyTorch's `CosineAnnealingWarmRestarts` kwargs). */
export interface CosineAnnealingWarmRestartsOptions {
  /** Epochs until the first restart (PyTorch's `T_0`). */
  t0: number;
  /** Factor by which the period grows after each restart (PyTorch's `T_mult`, an integer >= 1). Default 1. */
  tMult?: number;
  /** The lowest value. Default 0. */
  etaMin?: number;
  /** The hyperparameter to drive. Default `'lr'`. */
  key?: string;
}

/** A {@link Scheduler} whose `step` also accepts an epoch, possibly fractional, as PyTorch's SGDR does. */
export interface WarmRestartsScheduler extends Scheduler {
  /**
   * Advance one epoch, or jump to `epoch` (possibly fractional: `epoch + i / itersPerEpoch` steps within
   * an epoch).
   */
  step(epoch?: number): void;
}

/**
 * Anneal each group's learning rate along a cosine that restarts at the base value every `T_i` epochs,
 * with `T_0 = t0` and `T_{i+1} = T_i * tMult`.
 *
 * `lr = etaMin + (base - etaMin) * (1 + cos(pi * T_cur / T_i)) / 2`, where `T_cur` counts the epochs
 * since the last restart (on `step()`: `T_cur += 1`; when `T_cur >= T_i`, `T_cur -= T_i` and
 * `T_i *= tMult`). The value at a restart is exactly `base`.
 *
 * Follows `torch.optim.lr_scheduler.CosineAnnealingWarmRestarts` (SGDR, Loshchilov & Hutter 2017).
 *
 * @example
 * ```ts
 * const scheduler = cosineAnnealingWarmRestarts(opt, { t0: 10, tMult: 2 });
 * for (let epoch = 0; epoch < 70; epoch++) {
 *   for (let i = 0; i < iters; i++) {
 *     trainBatch(opt);
 *     scheduler.step(epoch + i / iters); // or scheduler.step() once per epoch
 *   }
 * }
 * ```
 */
export function cosineAnnealingWarmRestarts(
  optimizer: Optimizer,
  options: CosineAnnealingWarmRestartsOptions,
): WarmRestartsScheduler {
  const name = 'cosineAnnealingWarmRestarts';
  const { t0, tMult = 1, etaMin = 0, key = 'lr' } = options ?? ({} as CosineAnnealingWarmRestartsOptions);
  checkOptions(name, options ?? undefined, ['t0', 'tMult', 'etaMin', 'key']);
  checkTarget(name, optimizer, key);
  positiveInt(name, 't0', t0);
  positiveInt(name, 'tMult', tMult);
  finite(name, 'etaMin', etaMin);
  let tCur = -1;
  let tI = t0;
  const values = (base: readonly number[]) =>
    base.map((b) => etaMin + ((b - etaMin) * (1 + Math.cos((Math.PI * tCur) / tI))) / 2);
  const jump = (epoch: number, base: readonly number[]) => {
    if (epoch >= t0) {
      if (tMult === 1) {
        tCur = epoch % t0;
      } else {
        const n = Math.trunc(Math.log((epoch / t0) * (tMult - 1) + 1) / Math.log(tMult));
        tCur = epoch - (t0 * (tMult ** n - 1)) / (tMult - 1);
        tI = t0 * tMult ** n;
      }
    } else {
      tI = t0;
      tCur = epoch;
    }
    return values(base);
  };
  return createScheduler(
    name,
    optimizer,
    key,
    {
      next: (t, _current, base) => {
        // PyTorch: a step from last_epoch < 0 (construction, SequentialLR's re-initialisation) is step(0).
        if (t <= 0) return jump(0, base);
        tCur += 1;
        if (tCur >= tI) {
          tCur -= tI;
          tI *= tMult;
        }
        return values(base);
      },
      closedForm: jump,
      save: () => ({ tCur, tI }),
      check: (state: SchedulerStateDict) => {
        stateNumber(name, state, 'tCur');
        stateNumber(name, state, 'tI');
      },
      load: (state: SchedulerStateDict) => {
        tCur = state.tCur as number;
        tI = state.tI as number;
      },
    },
    { epochArgument: true },
  ) as WarmRestartsScheduler;
}
