import { checkOptions, ValueError } from '@nablajs/core';
import type { Optimizer } from '../types';
import { bool, finite, func, nonNegative, oneOf, positive } from './checks';
import { type MomentumSlot, momentumSlots, readMomentum, writeMomentum } from './momentum';
import {
  checkTarget,
  createScheduler,
  perGroup,
  type Scheduler,
  type SchedulerStateDict,
  stateNumbers,
  writeValues,
} from './scheduler';

/** Options of {@link cyclicLR} (PyTorch's `CyclicLR` kwargs in lowerCamelCase). */
export interface CyclicLROptions {
  /** The lower bound of the cycle (and the value at construction), for every group or per group. */
  baseLr: number | readonly number[];
  /** The upper bound of the cycle, for every group or per group. */
  maxLr: number | readonly number[];
  /** Steps in the increasing half of a cycle (any positive number). Default 2000. */
  stepSizeUp?: number;
  /** Steps in the decreasing half of a cycle (any number ≥ 0). Default `stepSizeUp`. */
  stepSizeDown?: number;
  /** `'triangular'` (default), `'triangular2'` (amplitude halved each cycle) or `'exp_range'` (`gamma^t`). */
  mode?: 'triangular' | 'triangular2' | 'exp_range';
  /** The base of `'exp_range'`'s scaling, `gamma^t`. Default 1. */
  gamma?: number;
  /** A custom amplitude scaling, with `0 <= scaleFn(x) <= 1`; when given, `mode` is ignored. */
  scaleFn?: (x: number) => number;
  /** Whether `scaleFn` takes the cycle number (`'cycle'`, default) or the step (`'iterations'`). */
  scaleMode?: 'cycle' | 'iterations';
  /** Cycle momentum (or `betas[0]`) inversely to the learning rate. Default true. */
  cycleMomentum?: boolean;
  /** The momentum at the peak learning rate. Default 0.8. */
  baseMomentum?: number | readonly number[];
  /** The momentum at the base learning rate. Default 0.9. */
  maxMomentum?: number | readonly number[];
  /** The hyperparameter to drive. Default `'lr'`. */
  key?: string;
}

/**
 * Cycle each group's learning rate between `baseLr` and `maxLr` along triangles (cyclical learning rates),
 * and momentum inversely between `maxMomentum` and `baseMomentum`.
 *
 * With `total = up + down`, `cycle = floor(1 + t / total)`, `x = 1 + t / total - cycle`,
 * `scale = x / ratio` if `x <= ratio` else `(x - 1) / (ratio - 1)` (`ratio = up / total`):
 * `lr_t = base + (max - base) * scale * f` and `momentum_t = maxM - (maxM - baseM) * scale * f`, where
 * `f = 1` (triangular), `1 / 2^(cycle - 1)` (triangular2), `gamma^t` (exp_range) or `scaleFn(cycle or t)`.
 * The scheduler overwrites the groups' learning rate with `baseLr` (and momentum, or `betas[0]` for
 * Adam-like groups, with `maxMomentum`) at construction.
 *
 * Follows `torch.optim.lr_scheduler.CyclicLR` (Smith 2017, "Cyclical Learning Rates for Training Neural
 * Networks").
 *
 * @example
 * ```ts
 * const scheduler = cyclicLR(opt, { baseLr: 0.01, maxLr: 0.1, stepSizeUp: 10 });
 * for (const batch of loader) {
 *   trainBatch(opt, batch);
 *   scheduler.step(); // once per batch
 * }
 * ```
 */
export function cyclicLR(optimizer: Optimizer, options: CyclicLROptions): Scheduler {
  const name = 'cyclicLR';
  const {
    baseLr,
    maxLr,
    stepSizeUp = 2000,
    stepSizeDown,
    mode = 'triangular',
    gamma = 1,
    scaleFn,
    scaleMode,
    cycleMomentum = true,
    baseMomentum = 0.8,
    maxMomentum = 0.9,
    key = 'lr',
  } = options ?? ({} as CyclicLROptions);
  checkOptions(name, options ?? undefined, [
    'baseLr',
    'maxLr',
    'stepSizeUp',
    'stepSizeDown',
    'mode',
    'gamma',
    'scaleFn',
    'scaleMode',
    'cycleMomentum',
    'baseMomentum',
    'maxMomentum',
    'key',
  ]);
  checkTarget(name, optimizer, key);
  const groups = optimizer.paramGroups.length;
  const baseLrs = perGroup(name, 'baseLr', baseLr, groups, finite);
  const maxLrs = perGroup(name, 'maxLr', maxLr, groups, finite);
  // Numbers of steps, not necessarily whole (PyTorch takes floats).
  const up = positive(name, 'stepSizeUp', stepSizeUp);
  const down = stepSizeDown === undefined ? up : nonNegative(name, 'stepSizeDown', stepSizeDown);
  const totalSize = up + down;
  const stepRatio = up / totalSize;
  finite(name, 'gamma', gamma);
  bool(name, 'cycleMomentum', cycleMomentum);

  let scale: (x: number) => number;
  let byCycle: boolean;
  if (scaleFn !== undefined) {
    scale = func<(x: number) => number>(name, 'scaleFn', scaleFn);
    byCycle = oneOf(name, 'scaleMode', scaleMode ?? 'cycle', ['cycle', 'iterations'] as const) === 'cycle';
  } else {
    const m = oneOf(name, 'mode', mode, ['triangular', 'triangular2', 'exp_range'] as const);
    if (scaleMode !== undefined) oneOf(name, 'scaleMode', scaleMode, ['cycle', 'iterations'] as const);
    // PyTorch forces the scale mode of the built-in policies.
    if (m === 'triangular') scale = () => 1;
    else if (m === 'triangular2') scale = (x) => 1 / 2 ** (x - 1);
    else scale = (x) => gamma ** x;
    byCycle = m !== 'exp_range';
  }

  if (cycleMomentum && key === 'momentum')
    throw new ValueError(`${name}: key 'momentum' conflicts with cycleMomentum; pass cycleMomentum: false`);
  const baseMomentums = cycleMomentum ? perGroup(name, 'baseMomentum', baseMomentum, groups, finite) : [];
  const maxMomentums = cycleMomentum ? perGroup(name, 'maxMomentum', maxMomentum, groups, finite) : [];
  const slots: MomentumSlot[] = cycleMomentum ? momentumSlots(name, optimizer) : [];

  // PyTorch overwrites the lr with baseLr and the momentum with maxMomentum up front.
  writeValues(optimizer, key, baseLrs);
  if (cycleMomentum) writeMomentum(optimizer, slots, maxMomentums);
  let pendingMomentum: number[] = [];
  let lastMomentum: number[] = cycleMomentum ? readMomentum(optimizer, slots) : [];

  return createScheduler(
    name,
    optimizer,
    key,
    {
      next: (t, _current, base) => {
        const cycle = Math.floor(1 + t / totalSize);
        const x = 1 + t / totalSize - cycle;
        const factor = x <= stepRatio ? x / stepRatio : (x - 1) / (stepRatio - 1);
        const f = scale(byCycle ? cycle : t);
        if (typeof f !== 'number')
          throw new ValueError(`${name}: scaleFn(${byCycle ? cycle : t}) must return a number, got ${typeof f}`);
        const values = base.map((b, i) => b + (maxLrs[i] - b) * factor * f);
        pendingMomentum = cycleMomentum ? maxMomentums.map((m, i) => m - (m - baseMomentums[i]) * factor * f) : [];
        return values;
      },
      afterWrite: () => {
        if (!cycleMomentum) return;
        writeMomentum(optimizer, slots, pendingMomentum);
        lastMomentum = readMomentum(optimizer, slots);
      },
      save: () => ({ lastMomentum: [...lastMomentum] }),
      check: (state: SchedulerStateDict) => {
        stateNumbers(name, state, 'lastMomentum', cycleMomentum ? groups : 0);
      },
      load: (state: SchedulerStateDict) => {
        lastMomentum = [...(state.lastMomentum as number[])];
        if (cycleMomentum) writeMomentum(optimizer, slots, lastMomentum);
      },
    },
    { baseValues: baseLrs },
  );
}
