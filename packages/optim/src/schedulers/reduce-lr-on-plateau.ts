import { checkOptions, ValueError } from '@nablajs/core';
import type { Optimizer } from '../types';
import { inRange, nonNegative, nonNegativeInt, oneOf, show } from './checks';
import {
  checkStateHeader,
  checkTarget,
  type MetricScheduler,
  readValues,
  registerInternals,
  type SchedulerStateDict,
  stateNumber,
  stateNumbers,
  writeValues,
} from './scheduler';

/** Options of {@link reduceLROnPlateau} (PyTorch's `ReduceLROnPlateau` kwargs in lowerCamelCase). */
export interface ReduceLROnPlateauOptions {
  /** `'min'` (default): the metric should decrease; `'max'`: it should increase. */
  mode?: 'min' | 'max';
  /** `new = value * factor`, in [0, 1). Default 0.1. */
  factor?: number;
  /** Epochs without improvement tolerated before reducing (reduce when the count exceeds it). Default 10. */
  patience?: number;
  /** The least change that counts as an improvement. Default 1e-4. */
  threshold?: number;
  /** `'rel'` (default): relative to the best; `'abs'`: absolute. */
  thresholdMode?: 'rel' | 'abs';
  /** Epochs to wait after a reduction before counting bad epochs again. Default 0. */
  cooldown?: number;
  /** The lower bound, for every group or one per group. Default 0. */
  minLr?: number | readonly number[];
  /** Reductions smaller than this are skipped. Default 1e-8. */
  eps?: number;
  /** The hyperparameter to drive. Default `'lr'`. */
  key?: string;
}

function encode(x: number): number | string {
  if (Number.isFinite(x)) return x;
  return Number.isNaN(x) ? 'nan' : x > 0 ? 'inf' : '-inf';
}

function decode(fn: string, v: unknown): number {
  if (typeof v === 'number') return v;
  if (v === 'inf') return Number.POSITIVE_INFINITY;
  if (v === '-inf') return Number.NEGATIVE_INFINITY;
  if (v === 'nan') return Number.NaN;
  throw new ValueError(`${fn}: state.best must be a number or 'inf', '-inf', 'nan', got ${show(v)}`);
}

/**
 * Reduce each group's learning rate by `factor` when a metric has stopped improving for more than
 * `patience` epochs.
 *
 * Improvement means `a < best * (1 - threshold)` (min, rel), `a < best - threshold` (min, abs),
 * `a > best * (1 + threshold)` (max, rel) or `a > best + threshold` (max, abs); `best` starts at `±inf`.
 * When the count of bad epochs exceeds `patience`: `new = max(lr * factor, minLr)`, applied only if
 * `lr - new > eps`; then the count resets and a cooldown of `cooldown` epochs starts (bad epochs during a
 * cooldown are not counted). There is no initial step: `getLastLr()` starts at the groups' values.
 *
 * Follows `torch.optim.lr_scheduler.ReduceLROnPlateau`.
 *
 * @example
 * ```ts
 * const scheduler = reduceLROnPlateau(opt, { mode: 'min', factor: 0.5, patience: 3 });
 * for (let epoch = 0; epoch < 100; epoch++) {
 *   train(opt);
 *   scheduler.step(validate()); // after validation, with the validation loss
 * }
 * ```
 */
export function reduceLROnPlateau(optimizer: Optimizer, options: ReduceLROnPlateauOptions = {}): MetricScheduler {
  const name = 'reduceLROnPlateau';
  const {
    mode = 'min',
    factor = 0.1,
    patience = 10,
    threshold = 1e-4,
    thresholdMode = 'rel',
    cooldown = 0,
    minLr = 0,
    eps = 1e-8,
    key = 'lr',
  } = options ?? {};
  checkOptions(name, options ?? undefined, [
    'mode',
    'factor',
    'patience',
    'threshold',
    'thresholdMode',
    'cooldown',
    'minLr',
    'eps',
    'key',
  ]);
  checkTarget(name, optimizer, key);
  oneOf(name, 'mode', mode, ['min', 'max'] as const);
  inRange(name, 'factor', factor, 0, 1, false, true);
  nonNegativeInt(name, 'patience', patience);
  nonNegative(name, 'threshold', threshold);
  oneOf(name, 'thresholdMode', thresholdMode, ['rel', 'abs'] as const);
  nonNegativeInt(name, 'cooldown', cooldown);
  nonNegative(name, 'eps', eps);
  let minLrs: number[];
  const groups = optimizer.paramGroups.length;
  if (Array.isArray(minLr)) {
    if (minLr.length !== groups)
      throw new ValueError(`${name}: minLr must have one value per param group (${groups}), got ${minLr.length}`);
    minLrs = minLr.map((v, i) => nonNegative(name, `minLr[${i}]`, v));
  } else {
    minLrs = new Array<number>(groups).fill(nonNegative(name, 'minLr', minLr));
  }

  const worse = mode === 'min' ? Number.POSITIVE_INFINITY : Number.NEGATIVE_INFINITY;
  const isBetter = (a: number, best: number): boolean => {
    if (mode === 'min') return thresholdMode === 'rel' ? a < best * (1 - threshold) : a < best - threshold;
    return thresholdMode === 'rel' ? a > best * (threshold + 1) : a > best + threshold;
  };

  let best = worse;
  let numBadEpochs = 0;
  let cooldownCounter = 0;
  let lastEpoch = 0;
  let lastValues = readValues(name, optimizer, key);

  const reduce = () => {
    if (optimizer.paramGroups.length !== minLrs.length) {
      if (Array.isArray(minLr))
        throw new ValueError(
          `${name}: the optimizer has ${optimizer.paramGroups.length} param groups, but minLr has ${minLrs.length} values`,
        );
      minLrs = new Array<number>(optimizer.paramGroups.length).fill(minLr as number);
    }
    const current = readValues(name, optimizer, key);
    const next = current.map((old, i) => {
      const candidate = Math.max(old * factor, minLrs[i]);
      return old - candidate > eps ? candidate : old;
    });
    writeValues(optimizer, key, next);
  };

  const checkState = (state: SchedulerStateDict) => {
    const s = checkStateHeader(name, state, key, groups);
    stateNumber(name, s, 'lastEpoch', true);
    decode(name, s.best);
    stateNumber(name, s, 'numBadEpochs', true);
    stateNumber(name, s, 'cooldownCounter', true);
    stateNumbers(name, s, 'minLrs', groups);
  };
  const applyState = (state: SchedulerStateDict) => {
    lastEpoch = state.lastEpoch;
    best = decode(name, state.best);
    numBadEpochs = state.numBadEpochs as number;
    cooldownCounter = state.cooldownCounter as number;
    minLrs = [...(state.minLrs as number[])];
    lastValues = [...state.lastValues];
    writeValues(optimizer, key, lastValues);
  };

  const scheduler: MetricScheduler = {
    name,
    optimizer,
    key,
    get lastEpoch() {
      return lastEpoch;
    },
    step(metric: number): void {
      if (typeof metric !== 'number') throw new ValueError(`${name}: step(metric) needs a number, got ${show(metric)}`);
      lastEpoch += 1;
      if (isBetter(metric, best)) {
        best = metric;
        numBadEpochs = 0;
      } else {
        numBadEpochs += 1;
      }
      if (cooldownCounter > 0) {
        cooldownCounter -= 1;
        numBadEpochs = 0;
      }
      if (numBadEpochs > patience) {
        reduce();
        cooldownCounter = cooldown;
        numBadEpochs = 0;
      }
      lastValues = readValues(name, optimizer, key);
    },
    getLastLr(): number[] {
      return [...lastValues];
    },
    stateDict(): SchedulerStateDict {
      return {
        name,
        key,
        lastEpoch,
        lastValues: [...lastValues],
        best: encode(best),
        numBadEpochs,
        cooldownCounter,
        minLrs: [...minLrs],
      };
    },
    loadStateDict(state: SchedulerStateDict): void {
      checkState(state);
      applyState(state);
    },
  };
  return registerInternals(scheduler, {
    initialStep() {
      throw new ValueError(`${name} cannot be stepped without a metric`);
    },
    stepTo() {
      throw new ValueError(`${name} cannot be stepped without a metric`);
    },
    shiftEpoch(delta: number) {
      lastEpoch += delta;
    },
    checkState,
    applyState,
    metric: true,
  });
}
