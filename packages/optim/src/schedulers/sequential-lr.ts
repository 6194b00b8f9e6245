import { checkOptions, ValueError } from '@nablajs/core';
import type { Optimizer } from '../types';
import { show } from './checks';
import {
  checkStateHeader,
  checkTarget,
  internalsOf,
  readValues,
  recordedInitialValue,
  registerInternals,
  type Scheduler,
  type SchedulerBase,
  type SchedulerInternals,
  type SchedulerStateDict,
  stateNumber,
  writeValues,
} from './scheduler';

/** Options of {@link sequentialLR} (PyTorch's `SequentialLR` kwargs in lowerCamelCase). */
export interface SequentialLROptions {
  /** The schedulers to run one after the other, all built on the same optimizer (and the same key). */
  schedulers: readonly Scheduler[];
  /** The epochs at which to switch to the next scheduler: strictly increasing, one fewer than `schedulers`. */
  milestones: readonly number[];
  /** The hyperparameter the schedulers drive; defaults to theirs, and must match it if given. */
  key?: string;
}

function subSchedulers(fn: string, optimizer: Optimizer | undefined, schedulers: unknown): SchedulerInternals[] {
  if (!Array.isArray(schedulers) || schedulers.length === 0)
    throw new ValueError(`${fn}: schedulers must be a non-empty array of schedulers, got ${show(schedulers)}`);
  return schedulers.map((s, i) => {
    const internals = internalsOf(fn, s, `schedulers[${i}]`);
    if (internals.metric)
      throw new ValueError(`${fn}: schedulers[${i}] is a ${(s as SchedulerBase).name}, which needs a metric to step`);
    const owner = (s as SchedulerBase).optimizer;
    if (owner !== (optimizer ?? (schedulers[0] as SchedulerBase).optimizer))
      throw new ValueError(`${fn}: schedulers[${i}] drives another optimizer; all must share one optimizer`);
    return internals;
  });
}

function checkChildren(fn: string, state: SchedulerStateDict, internals: readonly SchedulerInternals[]): void {
  const children = state.schedulers;
  if (!Array.isArray(children) || children.length !== internals.length)
    throw new ValueError(
      `${fn}: state.schedulers must hold ${internals.length} scheduler states, got ${show(children)}`,
    );
  for (let i = 0; i < internals.length; i++) internals[i].checkState(children[i] as SchedulerStateDict);
}

/**
 * Checking and restoring the state of a scheduler made of sub-schedulers (sequentialLR, chainedScheduler):
 * the header, `lastEpoch`, every child's state; `restore` receives the restored epoch and values.
 */
function compositeState(
  fn: string,
  optimizer: Optimizer,
  key: string,
  subs: readonly SchedulerInternals[],
  restore: (lastEpoch: number, lastValues: number[]) => void,
): { checkState: (state: SchedulerStateDict) => void; applyState: (state: SchedulerStateDict) => void } {
  return {
    checkState(state) {
      // The optimizer's groups now: the sub-schedulers take in groups added after construction.
      const s = checkStateHeader(fn, state, key, optimizer.paramGroups.length);
      stateNumber(fn, s, 'lastEpoch', true);
      checkChildren(fn, s, subs);
    },
    applyState(state) {
      const children = state.schedulers as unknown as SchedulerStateDict[];
      for (let i = 0; i < subs.length; i++) subs[i].applyState(children[i]);
      const values = [...state.lastValues];
      restore(state.lastEpoch, values);
      writeValues(optimizer, key, values);
    },
  };
}

/**
 * Run schedulers one after the other, switching at the milestones; each one after the first restarts at
 * its epoch 0 from the base values.
 *
 * At construction (as PyTorch): every group's value is reset to its initial value (the `initial_lr` the
 * first scheduler recorded), every sub-scheduler's epoch is moved back by one, and only the first one's
 * initial step runs again. At `t = milestones[i]` the next scheduler is stepped with PyTorch's `step(0)`
 * (its closed form at epoch 0, e.g. `base` for cosine annealing, not the previous scheduler's last value);
 * afterwards it steps normally. So a warm-up then cosine gives `lr[M] = base` and then `cos(t - M)`.
 *
 * Follows `torch.optim.lr_scheduler.SequentialLR`.
 *
 * @example
 * ```ts
 * const warmup = linearLR(opt, { startFactor: 0.1, totalIters: 5 });
 * const cosine = cosineAnnealingLR(opt, { tMax: 95 });
 * const scheduler = sequentialLR(opt, { schedulers: [warmup, cosine], milestones: [5] });
 * ```
 */
export function sequentialLR(optimizer: Optimizer, options: SequentialLROptions): Scheduler {
  const name = 'sequentialLR';
  const { schedulers, milestones, key: keyOption } = options ?? ({} as SequentialLROptions);
  checkOptions(name, options ?? undefined, ['schedulers', 'milestones', 'key']);
  checkTarget(name, optimizer, keyOption ?? 'lr');
  const subs = subSchedulers(name, optimizer, schedulers);
  const key = schedulers[0].key;
  schedulers.forEach((s, i) => {
    if (s.key !== key)
      throw new ValueError(`${name}: schedulers[${i}] drives '${s.key}' but schedulers[0] drives '${key}'`);
  });
  if (keyOption !== undefined && keyOption !== key)
    throw new ValueError(`${name}: key is '${keyOption}' but the schedulers drive '${key}'`);
  if (!Array.isArray(milestones) || milestones.length !== schedulers.length - 1)
    throw new ValueError(
      `${name}: milestones must hold ${schedulers.length - 1} epochs (one fewer than schedulers), got ${show(milestones)}`,
    );
  milestones.forEach((m, i) => {
    if (typeof m !== 'number' || !Number.isInteger(m) || m < 1 || (i > 0 && m <= milestones[i - 1]))
      throw new ValueError(
        `${name}: milestones must be strictly increasing positive integers, got ${show(milestones)}`,
      );
  });
  const subsList = [...schedulers];

  let lastEpoch = 0;
  let lastValues: number[] = [];
  // PyTorch's constructor: reset every group to its initial value, then redo the first scheduler's
  // initial step (the caller has moved the sub-schedulers' epochs back by one).
  const initialize = () => {
    const current = readValues(name, optimizer, key);
    const initial = optimizer.paramGroups.map((g, i) => recordedInitialValue(g, key) ?? current[i]);
    writeValues(optimizer, key, initial);
    subs[0].initialStep();
    lastEpoch = 0;
    lastValues = subsList[0].getLastLr();
  };

  // PyTorch's bisect_right(milestones, epoch).
  const schedulerAt = (epoch: number) => {
    let idx = 0;
    while (idx < milestones.length && milestones[idx] <= epoch) idx++;
    return idx;
  };
  const advance = () => {
    const epoch = lastEpoch + 1;
    const idx = schedulerAt(epoch);
    if (idx > 0 && milestones[idx - 1] === epoch) subs[idx].stepTo(0);
    else subsList[idx].step();
    lastEpoch = epoch;
    lastValues = subsList[idx].getLastLr();
  };

  const { checkState, applyState } = compositeState(name, optimizer, key, subs, (epoch, values) => {
    lastEpoch = epoch;
    lastValues = values;
  });

  const scheduler: Scheduler = {
    name,
    optimizer,
    key,
    get lastEpoch() {
      return lastEpoch;
    },
    step: advance,
    getLastLr: () => [...lastValues],
    stateDict: () => ({
      name,
      key,
      lastEpoch,
      lastValues: [...lastValues],
      schedulers: subsList.map((s) => s.stateDict()),
    }),
    loadStateDict(state: SchedulerStateDict): void {
      checkState(state);
      applyState(state);
    },
  };
  registerInternals(scheduler, {
    initialStep: initialize,
    // A sequential scheduler nested in another one restarts at a milestone: its scheduler for `epoch`
    // jumps to its own epoch (PyTorch raises there instead).
    stepTo: (epoch: number) => {
      const idx = schedulerAt(epoch);
      subs[idx].stepTo(epoch - (idx > 0 ? milestones[idx - 1] : 0));
      lastEpoch = Math.floor(epoch);
      lastValues = subsList[idx].getLastLr();
    },
    shiftEpoch: (delta: number) => {
      for (const s of subs) s.shiftEpoch(delta);
    },
    checkState,
    applyState,
    metric: false,
  });
  for (const s of subs) s.shiftEpoch(-1);
  initialize();
  return scheduler;
}

/**
 * Step several schedulers together, each after the other, so that their (chainable) effects multiply.
 *
 * At every `step()`, `s.step()` for each scheduler in order; for chainable schedulers the effects compose,
 * e.g. `constantLR(factor 0.1, 20 epochs)` with `exponentialLR(0.9)` gives `base * 0.1 * 0.9^t` for
 * `t < 20`, then `base * 0.9^t`. The schedulers may drive different keys (lr and weight decay); `key`
 * and `getLastLr()` are the last scheduler's. `lastEpoch` counts the chained steps.
 *
 * Follows `torch.optim.lr_scheduler.ChainedScheduler`.
 *
 * @example
 * ```ts
 * const scheduler = chainedScheduler([
 *   constantLR(opt, { factor: 0.1, totalIters: 20 }),
 *   exponentialLR(opt, { gamma: 0.9 }),
 * ]);
 * ```
 */
export function chainedScheduler(schedulers: readonly Scheduler[], optimizer?: Optimizer): Scheduler {
  const name = 'chainedScheduler';
  const subs = subSchedulers(name, optimizer, schedulers);
  const list = [...schedulers];
  const opt = optimizer ?? list[0].optimizer;
  const key = list[list.length - 1].key;
  let lastEpoch = 0;
  let lastValues = readValues(name, opt, key);

  const { checkState, applyState } = compositeState(name, opt, key, subs, (epoch, values) => {
    lastEpoch = epoch;
    lastValues = values;
  });

  const scheduler: Scheduler = {
    name,
    optimizer: opt,
    key,
    get lastEpoch() {
      return lastEpoch;
    },
    step(): void {
      for (const s of list) s.step();
      lastEpoch += 1;
      lastValues = readValues(name, opt, key);
    },
    getLastLr: () => [...lastValues],
    stateDict: () => ({
      name,
      key,
      lastEpoch,
      lastValues: [...lastValues],
      schedulers: list.map((s) => s.stateDict()),
    }),
    loadStateDict(state: SchedulerStateDict): void {
      checkState(state);
      applyState(state);
    },
  };
  return registerInternals(scheduler, {
    initialStep: () => {
      for (const s of subs) s.initialStep();
      lastValues = readValues(name, opt, key);
    },
    stepTo: (epoch: number) => {
      for (const s of subs) s.stepTo(epoch);
      lastValues = readValues(name, opt, key);
    },
    shiftEpoch: (delta: number) => {
      for (const s of subs) s.shiftEpoch(delta);
    },
    checkState,
    applyState,
    metric: false,
  });
}
