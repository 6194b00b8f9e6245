import { checkOptions, ValueError } from '@nablajs/core';
import type { Optimizer } from '../types';
import { show } from './checks';
import { checkTarget, createScheduler, type Scheduler } from './scheduler';

/** A function of the epoch giving a multiplicative factor. */
export type LrLambda = (epoch: number) => number;

/** Options of {@link lambdaLR} and {@link multiplicativeLR} (PyTorch's `lr_lambda` in lowerCamelCase). */
export interface LambdaLROptions {
  /** One function for every group, or one function per param group. */
  lrLambda: LrLambda | readonly LrLambda[];
  /** The hyperparameter to drive. Default `'lr'`. */
  key?: string;
}

function lambdas(name: string, optimizer: Optimizer, lrLambda: unknown): LrLambda[] {
  const groups = optimizer.paramGroups.length;
  if (typeof lrLambda === 'function') return new Array<LrLambda>(groups).fill(lrLambda as LrLambda);
  if (!Array.isArray(lrLambda))
    throw new ValueError(`${name}: lrLambda must be a function or an array of functions, got ${show(lrLambda)}`);
  if (lrLambda.length !== groups)
    throw new ValueError(
      `${name}: lrLambda must have one function per param group (${groups}), got ${lrLambda.length}`,
    );
  lrLambda.forEach((f, i) => {
    if (typeof f !== 'function') throw new ValueError(`${name}: lrLambda[${i}] must be a function, got ${show(f)}`);
  });
  return [...lrLambda] as LrLambda[];
}

function factor(name: string, fn: LrLambda, epoch: number): number {
  const f = fn(epoch);
  if (typeof f !== 'number') throw new ValueError(`${name}: lrLambda(${epoch}) must return a number, got ${show(f)}`);
  return f;
}

/**
 * Set each group's learning rate to its base value times a function of the epoch.
 *
 * `lr_t = base * lrLambda(t)` (so `lr_0 = base * lrLambda(0)`).
 *
 * Follows `torch.optim.lr_scheduler.LambdaLR`. The functions are not part of the state dict: rebuild the
 * scheduler with the same functions before loading.
 *
 * @example
 * ```ts
 * const scheduler = lambdaLR(opt, { lrLambda: (epoch) => 0.95 ** epoch });
 * const perGroup = lambdaLR(opt2, { lrLambda: [(e) => Math.floor(e / 30), (e) => 0.95 ** e] });
 * ```
 */
export function lambdaLR(optimizer: Optimizer, options: LambdaLROptions): Scheduler {
  const name = 'lambdaLR';
  const { lrLambda, key = 'lr' } = options ?? ({} as LambdaLROptions);
  checkOptions(name, options ?? undefined, ['lrLambda', 'key']);
  checkTarget(name, optimizer, key);
  const fns = lambdas(name, optimizer, lrLambda);
  return createScheduler(name, optimizer, key, {
    next: (t, _current, base) => base.map((b, i) => b * factor(name, fns[i], t)),
  });
}

/**
 * Multiply each group's learning rate by a function of the epoch, every epoch after the first.
 *
 * `lr_t = lr_{t-1} * lrLambda(t)` for `t > 0`, `lr_0 = base`.
 *
 * Follows `torch.optim.lr_scheduler.MultiplicativeLR`. The functions are not part of the state dict.
 *
 * @example
 * ```ts
 * const scheduler = multiplicativeLR(opt, { lrLambda: () => 0.95 });
 * ```
 */
export function multiplicativeLR(optimizer: Optimizer, options: LambdaLROptions): Scheduler {
  const name = 'multiplicativeLR';
  const { lrLambda, key = 'lr' } = options ?? ({} as LambdaLROptions);
  checkOptions(name, options ?? undefined, ['lrLambda', 'key']);
  checkTarget(name, optimizer, key);
  const fns = lambdas(name, optimizer, lrLambda);
  return createScheduler(name, optimizer, key, {
    // PyTorch zips the lambdas with the groups: a group added after construction is left alone.
    next: (t, current) => (t > 0 ? fns.map((f, i) => current[i] * factor(name, f, t)) : [...current]),
  });
}
