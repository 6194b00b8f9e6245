import { checkOptions, ValueError } from '@nablajs/core';
import type { Optimizer } from '../types';
import { nonNegativeInt, positive, positiveInt, show } from './checks';
import { checkTarget, createScheduler, type Scheduler } from './scheduler';

/** Options of {@link stepLR} (PyTorch's `StepLR` kwargs in lowerCamelCase). */
export interface StepLROptions {
  /** Period of the decay, in epochs (PyTorch's `step_size`). */
  stepSize: number;
  /** Multiplicative factor of the decay. Default 0.1. */
  gamma?: number;
  /** The hyperparameter to drive. Default `'lr'`. */
  key?: string;
}

/**
 * Decay each group's learning rate by `gamma` every `stepSize` epochs, at the boundary itself.
 *
 * `lr_t = base * gamma^floor(t / stepSize)`, computed in PyTorch's chainable form (multiply the current
 * value by `gamma` when `t > 0` and `t % stepSize == 0`), so it composes with other schedulers.
 *
 * Follows `torch.optim.lr_scheduler.StepLR`.
 *
 * @example
 * ```ts
 * const scheduler = stepLR(opt, { stepSize: 30, gamma: 0.1 });
 * // lr = 0.05 for epochs 0..29, 0.005 for 30..59, 0.0005 for 60..89, ...
 * ```
 */
export function stepLR(optimizer: Optimizer, options: StepLROptions): Scheduler {
  const name = 'stepLR';
  const { stepSize, gamma = 0.1, key = 'lr' } = options ?? ({} as StepLROptions);
  checkOptions(name, options ?? undefined, ['stepSize', 'gamma', 'key']);
  checkTarget(name, optimizer, key);
  positiveInt(name, 'stepSize', stepSize);
  positive(name, 'gamma', gamma);
  return createScheduler(name, optimizer, key, {
    next: (t, current) => (t === 0 || t % stepSize !== 0 ? [...current] : current.map((v) => v * gamma)),
    closedForm: (t, base) => base.map((b) => b * gamma ** Math.floor(t / stepSize)),
  });
}

/** Options of {@link multiStepLR} (PyTorch's `MultiStepLR` kwargs in lowerCamelCase). */
export interface MultiStepLROptions {
  /** Epochs at which to decay; a milestone listed k times decays by `gamma^k` (a multiset, as in PyTorch). */
  milestones: readonly number[];
  /** Multiplicative factor of the decay. Default 0.1. */
  gamma?: number;
  /** The hyperparameter to drive. Default `'lr'`. */
  key?: string;
}

/**
 * Decay each group's learning rate by `gamma` when the epoch reaches a milestone, counting milestones
 * with multiplicity.
 *
 * `lr_t = base * gamma^|{m in milestones : m <= t}|`, in PyTorch's chainable form (multiply by
 * `gamma^count(t)` at epoch `t`).
 *
 * Follows `torch.optim.lr_scheduler.MultiStepLR`.
 *
 * @example
 * ```ts
 * const scheduler = multiStepLR(opt, { milestones: [30, 80], gamma: 0.1 });
 * // lr = 0.05 for epochs < 30, 0.005 for 30..79, 0.0005 from 80
 * ```
 */
export function multiStepLR(optimizer: Optimizer, options: MultiStepLROptions): Scheduler {
  const name = 'multiStepLR';
  const { milestones, gamma = 0.1, key = 'lr' } = options ?? ({} as MultiStepLROptions);
  checkOptions(name, options ?? undefined, ['milestones', 'gamma', 'key']);
  checkTarget(name, optimizer, key);
  if (!Array.isArray(milestones))
    throw new ValueError(`${name}: milestones must be an array of non-negative integers, got ${show(milestones)}`);
  for (let i = 0; i < milestones.length; i++) nonNegativeInt(name, `milestones[${i}]`, milestones[i]);
  positive(name, 'gamma', gamma);
  const counts = new Map<number, number>();
  for (const m of milestones) counts.set(m, (counts.get(m) ?? 0) + 1);
  const sorted = [...milestones].sort((a, b) => a - b);
  return createScheduler(name, optimizer, key, {
    next: (t, current) => {
      const k = counts.get(t);
      return k === undefined ? [...current] : current.map((v) => v * gamma ** k);
    },
    closedForm: (t, base) => {
      const passed = sorted.filter((m) => m <= t).length;
      return base.map((b) => b * gamma ** passed);
    },
  });
}

/** Options of {@link exponentialLR} (PyTorch's `ExponentialLR` kwargs in lowerCamelCase). */
export interface ExponentialLROptions {
  /** Multiplicative factor of the decay, applied every epoch. */
  gamma: number;
  /** The hyperparameter to drive. Default `'lr'`. */
  key?: string;
}

/**
 * Decay each group's learning rate by `gamma` every epoch.
 *
 * `lr_t = base * gamma^t`, in PyTorch's chainable form (multiply the current value by `gamma` when `t > 0`).
 *
 * Follows `torch.optim.lr_scheduler.ExponentialLR`.
 *
 * @example
 * ```ts
 * const scheduler = exponentialLR(opt, { gamma: 0.95 });
 * ```
 */
export function exponentialLR(optimizer: Optimizer, options: ExponentialLROptions): Scheduler {
  const name = 'exponentialLR';
  const { gamma, key = 'lr' } = options ?? ({} as ExponentialLROptions);
  checkOptions(name, options ?? undefined, ['gamma', 'key']);
  checkTarget(name, optimizer, key);
  positive(name, 'gamma', gamma);
  return createScheduler(name, optimizer, key, {
    next: (t, current) => (t === 0 ? [...current] : current.map((v) => v * gamma)),
    closedForm: (t, base) => base.map((b) => b * gamma ** t),
  });
}
