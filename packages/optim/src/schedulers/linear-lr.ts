import { checkOptions } from '@nablajs/core';
import type { Optimizer } from '../types';
import { inRange, nonNegative, positiveInt } from './checks';
import { checkTarget, createScheduler, type Scheduler } from './scheduler';

/** Options of {@link linearLR} (PyTorch's `LinearLR` kwargs in lowerCamelCase). */
export interface LinearLROptions {
  /** The factor at epoch 0, in (0, 1]. Default 1/3. */
  startFactor?: number;
  /** The factor from `totalIters` on, in [0, 1]. Default 1. */
  endFactor?: number;
  /** Epochs over which the factor moves from `startFactor` to `endFactor`. Default 5. */
  totalIters?: number;
  /** The hyperparameter to drive. Default `'lr'`. */
  key?: string;
}

/**
 * Scale each group's learning rate by a factor that moves linearly from `startFactor` to `endFactor`
 * over `totalIters` epochs (a warm-up, or a linear decay), then stays.
 *
 * `lr_t = base * (startFactor + (endFactor - startFactor) * min(t, totalIters) / totalIters)`, in PyTorch's
 * chainable form: `lr_0 = lr * startFactor`, then for `1 <= t <= totalIters`
 * `lr_t = lr_{t-1} * (1 + (end - start) / (totalIters * start + (t - 1) * (end - start)))`.
 *
 * Follows `torch.optim.lr_scheduler.LinearLR`.
 *
 * @example
 * ```ts
 * const warmup = linearLR(opt, { startFactor: 0.1, totalIters: 5 }); // 0.1·base, 0.28·base, ..., base
 * ```
 */
export function linearLR(optimizer: Optimizer, options: LinearLROptions = {}): Scheduler {
  const name = 'linearLR';
  const { startFactor = 1 / 3, endFactor = 1, totalIters = 5, key = 'lr' } = options ?? {};
  checkOptions(name, options ?? undefined, ['startFactor', 'endFactor', 'totalIters', 'key']);
  checkTarget(name, optimizer, key);
  inRange(name, 'startFactor', startFactor, 0, 1, true);
  inRange(name, 'endFactor', endFactor, 0, 1);
  positiveInt(name, 'totalIters', totalIters);
  const delta = endFactor - startFactor;
  return createScheduler(name, optimizer, key, {
    next: (t, current) => {
      if (t === 0) return current.map((v) => v * startFactor);
      if (t > totalIters) return [...current];
      return current.map((v) => v * (1 + delta / (totalIters * startFactor + (t - 1) * delta)));
    },
    closedForm: (t, base) => base.map((b) => b * (startFactor + (delta * Math.min(totalIters, t)) / totalIters)),
  });
}

/** Options of {@link constantLR} (PyTorch's `ConstantLR` kwargs in lowerCamelCase). */
export interface ConstantLROptions {
  /** The factor applied until `totalIters`, in (0, 1]. Default 1/3. */
  factor?: number;
  /** Epochs during which the factor applies. Default 5. */
  totalIters?: number;
  /** The hyperparameter to drive. Default `'lr'`. */
  key?: string;
}

/**
 * Scale each group's learning rate by a constant `factor` for the first `totalIters` epochs, then
 * restore it.
 *
 * `lr_t = base * factor` for `t < totalIters`, `base` afterwards; in PyTorch's chainable form
 * (multiply by `factor` at epoch 0 and by `1 / factor` at epoch `totalIters`).
 *
 * Follows `torch.optim.lr_scheduler.ConstantLR`.
 *
 * @example
 * ```ts
 * const scheduler = constantLR(opt, { factor: 0.5, totalIters: 4 }); // 0.5·base for epochs 0..3, then base
 * ```
 */
export function constantLR(optimizer: Optimizer, options: ConstantLROptions = {}): Scheduler {
  const name = 'constantLR';
  const { factor = 1 / 3, totalIters = 5, key = 'lr' } = options ?? {};
  checkOptions(name, options ?? undefined, ['factor', 'totalIters', 'key']);
  checkTarget(name, optimizer, key);
  // NOTE: PyTorch accepts factor 0, then multiplies by 1/0 at totalIters and produces NaN; we reject it.
  inRange(name, 'factor', factor, 0, 1, true);
  positiveInt(name, 'totalIters', totalIters);
  return createScheduler(name, optimizer, key, {
    next: (t, current) => {
      if (t === 0) return current.map((v) => v * factor);
      if (t !== totalIters) return [...current];
      return current.map((v) => v * (1 / factor));
    },
    closedForm: (t, base) => base.map((b) => b * (factor + (t >= totalIters ? 1 : 0) * (1 - factor))),
  });
}

/** Options of {@link polynomialLR} (PyTorch's `PolynomialLR` kwargs in lowerCamelCase). */
export interface PolynomialLROptions {
  /** Epochs over which the value decays to 0. Default 5. */
  totalIters?: number;
  /** The power of the polynomial. Default 1 (linear decay). */
  power?: number;
  /** The hyperparameter to drive. Default `'lr'`. */
  key?: string;
}

/**
 * Decay each group's learning rate to 0 along a polynomial over `totalIters` epochs, then keep it at 0.
 *
 * `lr_t = base * (1 - min(t, totalIters) / totalIters)^power`, in PyTorch's chainable form
 * (`lr_t = lr_{t-1} * ((1 - t/T) / (1 - (t-1)/T))^power` for `1 <= t <= T`).
 *
 * Follows `torch.optim.lr_scheduler.PolynomialLR`.
 *
 * @example
 * ```ts
 * const scheduler = polynomialLR(opt, { totalIters: 50, power: 0.9 });
 * ```
 */
export function polynomialLR(optimizer: Optimizer, options: PolynomialLROptions = {}): Scheduler {
  const name = 'polynomialLR';
  const { totalIters = 5, power = 1, key = 'lr' } = options ?? {};
  checkOptions(name, options ?? undefined, ['totalIters', 'power', 'key']);
  checkTarget(name, optimizer, key);
  positiveInt(name, 'totalIters', totalIters);
  nonNegative(name, 'power', power);
  return createScheduler(name, optimizer, key, {
    next: (t, current) => {
      if (t === 0 || t > totalIters) return [...current];
      const decay = ((1 - t / totalIters) / (1 - (t - 1) / totalIters)) ** power;
      return current.map((v) => v * decay);
    },
    closedForm: (t, base) => base.map((b) => b * (1 - Math.min(totalIters, t) / totalIters) ** power),
  });
}
