import { ValueError } from '@nablajs/core';
import type { Optimizer, ParamGroup } from '../types';
import { nonNegative, show } from './checks';

/** A plain JSON value, as scheduler state dicts hold them. */
export type JsonValue = number | string | boolean | null | JsonValue[] | { [field: string]: JsonValue };

/**
 * The serialised state of a scheduler: plain JSON-safe data (`JSON.parse(JSON.stringify(s))` restores it).
 * Options (`gamma`, `tMax`, lambdas) are not part of it: a state is loaded into a scheduler built with the
 * same options, as in PyTorch.
 *
 * @example
 * ```ts
 * const saved = JSON.stringify(scheduler.stateDict());
 * fresh.loadStateDict(JSON.parse(saved));
 * ```
 */
export interface SchedulerStateDict {
  /** The factory that built the scheduler (`stepLR`, ...); loading into another kind is an error. */
  readonly name: string;
  /** The hyperparameter the scheduler drives (`lr` by default). */
  readonly key: string;
  /** PyTorch's `last_epoch`: how many times `step()` was called since construction. */
  readonly lastEpoch: number;
  /** Per group: the last value the scheduler set (PyTorch's `_last_lr`). */
  readonly lastValues: number[];
  /** Whatever else the scheduler keeps (base values, counters, sub-scheduler states). */
  readonly [field: string]: JsonValue;
}

/**
 * What every scheduler has: the optimizer it drives, the hyperparameter `key`, PyTorch's `last_epoch`,
 * `getLastLr()` and a JSON-safe state.
 *
 * Base values (PyTorch's `base_lrs`) are the value of `key` each group had when the first scheduler was
 * attached to it (PyTorch's `group['initial_lr']`, shared by every later scheduler of that group, as
 * `sequentialLR` needs). They are kept by the schedulers (and in their state dicts), never written onto the
 * param groups.
 *
 * @example
 * ```ts
 * const s: SchedulerBase = stepLR(opt, { stepSize: 10 });
 * s.getLastLr(); // [0.1]
 * ```
 */
export interface SchedulerBase {
  /** The factory that built it (`stepLR`, `cosineAnnealingLR`, ...). */
  readonly name: string;
  /** The optimizer whose param groups it writes. */
  readonly optimizer: Optimizer;
  /** The hyperparameter it drives (`lr` unless the `key` option said otherwise). */
  readonly key: string;
  /** PyTorch's `last_epoch`: 0 right after construction, then one more per `step()`. */
  readonly lastEpoch: number;
  /** The value of `key` the scheduler last set, per param group (PyTorch's `get_last_lr()`). */
  getLastLr(): number[];
  /** The state as plain JSON-safe data. */
  stateDict(): SchedulerStateDict;
  /**
   * Restore a state from {@link SchedulerBase.stateDict} of a scheduler built with the same options. It
   * also writes the restored last values back to the param groups (PyTorch leaves that to the optimizer's
   * state dict), so that a fresh optimizer and scheduler continue identically. On error, nothing changes.
   */
  loadStateDict(state: SchedulerStateDict): void;
}

/**
 * A scheduler stepped once per epoch (or per batch for `oneCycleLR` and `cyclicLR`), after `optimizer.step()`.
 *
 * @example
 * ```ts
 * const scheduler: Scheduler = cosineAnnealingLR(opt, { tMax: 100 });
 * for (let epoch = 0; epoch < 100; epoch++) {
 *   train(opt);
 *   scheduler.step();
 * }
 * ```
 */
export interface Scheduler extends SchedulerBase {
  /** Advance one epoch and write the new values into the optimizer's param groups. */
  step(): void;
}

/**
 * A scheduler stepped with a metric (`reduceLROnPlateau`).
 *
 * @example
 * ```ts
 * const scheduler: MetricScheduler = reduceLROnPlateau(opt, { patience: 5 });
 * scheduler.step(validationLoss);
 * ```
 */
export interface MetricScheduler extends SchedulerBase {
  /** Record this epoch's metric; lower the values when it stopped improving. */
  step(metric: number): void;
}

/** Internal hooks that `sequentialLR` and `chainedScheduler` use (PyTorch's private scheduler methods). */
export interface SchedulerInternals {
  /** PyTorch's `_initial_step()`: step again from the current `lastEpoch` (used after an undo). */
  initialStep(): void;
  /** PyTorch's `step(epoch)`: jump to `epoch`, with the closed form where the scheduler has one. */
  stepTo(epoch: number): void;
  /** Add `delta` to `lastEpoch` of every leaf scheduler (PyTorch's `recursive_undo`). */
  shiftEpoch(delta: number): void;
  /** Throw a `ValueError` unless `state` can be loaded; changes nothing. */
  checkState(state: SchedulerStateDict): void;
  /** Load a state that {@link SchedulerInternals.checkState} accepted. */
  applyState(state: SchedulerStateDict): void;
  /** Whether the scheduler is stepped with a metric (not allowed inside sequential or chained schedulers). */
  readonly metric: boolean;
}

const internalsRegistry = new WeakMap<object, SchedulerInternals>();

/** Attach the internal hooks to a scheduler object (every factory of this folder does). */
export function registerInternals<S extends SchedulerBase>(scheduler: S, internals: SchedulerInternals): S {
  internalsRegistry.set(scheduler, internals);
  return scheduler;
}

/** The internal hooks of a scheduler made by this package; throws for anything else. */
export function internalsOf(fn: string, scheduler: unknown, where: string): SchedulerInternals {
  const found = typeof scheduler === 'object' && scheduler !== null ? internalsRegistry.get(scheduler) : undefined;
  if (found === undefined) throw new ValueError(`${fn}: ${where} is not a scheduler made by @nablajs/optim`);
  return found;
}

// NOTE: PyTorch stores `initial_lr` on the param group with `setdefault`, so that every scheduler
// attached to the same group later (SequentialLR's sub-schedulers) shares the first one's base value.
// We keep these initial values here, per group object and key, instead of adding fields to the groups.
const initialValues = new WeakMap<object, Map<string, number>>();

/**
 * The initial value of `key` recorded for `group` (PyTorch's `group['initial_lr']`); records `value`
 * first when there is none (`setdefault`).
 */
export function initialValue(group: ParamGroup, key: string, value: number): number {
  let byKey = initialValues.get(group);
  if (byKey === undefined) {
    byKey = new Map();
    initialValues.set(group, byKey);
  }
  const found = byKey.get(key);
  if (found !== undefined) return found;
  byKey.set(key, value);
  return value;
}

/** Overwrite the initial value of `key` recorded for `group` (OneCycleLR sets `initial_lr` outright). */
export function setInitialValue(group: ParamGroup, key: string, value: number): void {
  let byKey = initialValues.get(group);
  if (byKey === undefined) {
    byKey = new Map();
    initialValues.set(group, byKey);
  }
  byKey.set(key, value);
}

/** The initial value of `key` recorded for `group`, or `undefined`. */
export function recordedInitialValue(group: ParamGroup, key: string): number | undefined {
  return initialValues.get(group)?.get(key);
}

/** Check the optimizer has `paramGroups` and `key` names a hyperparameter (not `params`). */
export function checkTarget(fn: string, optimizer: unknown, key: unknown): string {
  const groups = (optimizer as { paramGroups?: unknown } | null)?.paramGroups;
  if (typeof optimizer !== 'object' || optimizer === null || !Array.isArray(groups))
    throw new ValueError(`${fn}: optimizer must be an optimizer with paramGroups, got ${show(optimizer)}`);
  if (groups.length === 0) throw new ValueError(`${fn}: the optimizer has no param groups`);
  if (typeof key !== 'string' || key === '' || key === 'params')
    throw new ValueError(`${fn}: key must name a numeric hyperparameter (like 'lr'), got ${show(key)}`);
  return key;
}

/**
 * A number per param group from an option that is a number or an array of one number per group
 * (PyTorch's `_format_param`).
 */
export function perGroup(
  fn: string,
  name: string,
  value: unknown,
  groups: number,
  check: (fn: string, name: string, v: unknown) => number,
): number[] {
  if (Array.isArray(value)) {
    if (value.length !== groups)
      throw new ValueError(`${fn}: ${name} must have one value per param group (${groups}), got ${value.length}`);
    return value.map((v, i) => check(fn, `${name}[${i}]`, v));
  }
  const v = check(fn, name, value);
  return new Array<number>(groups).fill(v);
}

/** Read `key` of every param group, as numbers; throws naming the group when one is not a number. */
export function readValues(fn: string, optimizer: Optimizer, key: string): number[] {
  return optimizer.paramGroups.map((g, i) => {
    const v = (g as Record<string, unknown>)[key];
    if (typeof v !== 'number')
      throw new ValueError(`${fn}: paramGroups[${i}].${key} must be a number to be scheduled, got ${show(v)}`);
    return v;
  });
}

/** Write `values[i]` into `key` of param group `i`. */
export function writeValues(optimizer: Optimizer, key: string, values: readonly number[]): void {
  const groups = optimizer.paramGroups;
  for (let i = 0; i < values.length; i++) (groups[i] as Record<string, unknown>)[key] = values[i];
}

/** Throw unless `state[field]` is an array of `length` finite-or-infinite numbers. */
export function stateNumbers(fn: string, state: SchedulerStateDict, field: string, length: number): number[] {
  const v = state[field];
  if (!Array.isArray(v) || v.length !== length || v.some((x) => typeof x !== 'number'))
    throw new ValueError(`${fn}: state.${field} must be an array of ${length} numbers, got ${show(v)}`);
  return v as number[];
}

/** Throw unless `state[field]` is a number (integer when asked). */
export function stateNumber(fn: string, state: SchedulerStateDict, field: string, integer = false): number {
  const v = state[field];
  if (typeof v !== 'number' || (integer && !Number.isInteger(v)))
    throw new ValueError(`${fn}: state.${field} must be ${integer ? 'an integer' : 'a number'}, got ${show(v)}`);
  return v;
}

/** Check the common fields of a state dict: an object of this scheduler's name and key. */
export function checkStateHeader(fn: string, state: unknown, key: string, groups: number): SchedulerStateDict {
  if (typeof state !== 'object' || state === null || Array.isArray(state))
    throw new ValueError(`${fn}: loadStateDict expects a state object, got ${show(state)}`);
  const s = state as SchedulerStateDict;
  if (s.name !== fn) throw new ValueError(`${fn}: cannot load the state of a ${show(s.name)} scheduler`);
  if (s.key !== key)
    throw new ValueError(`${fn}: the state drives ${show(s.key)}, but this scheduler drives ${show(key)}`);
  stateNumber(fn, s, 'lastEpoch');
  stateNumbers(fn, s, 'lastValues', groups);
  return s;
}

/** A scheduling rule in PyTorch's shape: the chainable `get_lr()` and, optionally, the closed form. */
export interface ScheduleRule {
  /**
   * PyTorch's `get_lr()`: the values at `epoch` (the new `last_epoch`), from the groups' `current`
   * values and the `base` values. May throw (nothing has changed yet).
   */
  next(epoch: number, current: readonly number[], base: readonly number[]): number[];
  /** PyTorch's `_get_closed_form_lr()`, used by `step(epoch)` (SequentialLR's restarts at milestones). */
  closedForm?(epoch: number, base: readonly number[]): number[];
  /** Called after new values were written (momentum cycling writes its own values here). */
  afterWrite?(): void;
  /** Extra state fields. */
  save?(): Record<string, JsonValue>;
  /** Throw unless the extra fields of `state` can be loaded. */
  check?(state: SchedulerStateDict): void;
  /** Load the extra fields (after {@link ScheduleRule.check}), after the values were written back. */
  load?(state: SchedulerStateDict): void;
  /**
   * Why the rule cannot step once param groups were added to the optimizer after construction, if it cannot
   * (PyTorch's OneCycleLR fails there). Other rules get every group's current value in `next` and give
   * values for the groups they schedule, as PyTorch's `get_lr()` does: chainable formulas (`current.map`)
   * schedule the new groups too, formulas over the base values (`base.map`) leave them alone, as
   * PyTorch's `zip(self.base_lrs, ...)` does.
   */
  fixedGroups?: string;
}

/** Options of {@link createScheduler}. */
export interface CreateSchedulerOptions {
  /** The base values (PyTorch's `base_lrs`); default: the groups' initial values of `key`. */
  baseValues?: number[];
  /** Whether `step(epoch)` is public (CosineAnnealingWarmRestarts' fractional epochs). */
  epochArgument?: boolean;
}

/**
 * Build a scheduler from a rule with PyTorch's `LRScheduler` machinery: base values from the groups'
 * initial values, `lastEpoch = -1`, then the initial step (so `getLastLr()` is the epoch-0 value).
 */
export function createScheduler(
  name: string,
  optimizer: Optimizer,
  key: string,
  rule: ScheduleRule,
  options: CreateSchedulerOptions = {},
): Scheduler {
  let groups = optimizer.paramGroups.length;
  const current = readValues(name, optimizer, key);
  const initial = optimizer.paramGroups.map((g, i) => initialValue(g, key, current[i]));
  let base: number[] = options.baseValues ? [...options.baseValues] : initial;
  let lastEpoch = -1;
  let lastValues: number[] = [];

  const write = (values: number[]) => {
    writeValues(optimizer, key, values);
    lastValues = readValues(name, optimizer, key);
    rule.afterWrite?.();
  };
  /** The groups' values; groups added since construction are taken in unless the rule cannot (fixedGroups). */
  const readGroups = (): number[] => {
    const now = readValues(name, optimizer, key);
    if (now.length === groups) return now;
    if (now.length < groups || rule.fixedGroups !== undefined)
      throw new ValueError(
        `${name}: the optimizer has ${now.length} param groups, but the scheduler was built for ${groups}` +
          (now.length > groups ? ` (${rule.fixedGroups}); build a new scheduler for the new groups` : ''),
      );
    groups = now.length;
    return now;
  };
  const advance = () => {
    const epoch = lastEpoch + 1;
    const values = rule.next(epoch, readGroups(), base);
    lastEpoch = epoch;
    write(values);
  };
  const stepTo = (epoch: number) => {
    const now = readGroups();
    const values = rule.closedForm ? rule.closedForm(epoch, base) : rule.next(epoch, now, base);
    lastEpoch = Math.floor(epoch);
    write(values);
  };
  const checkState = (state: SchedulerStateDict) => {
    const s = checkStateHeader(name, state, key, groups);
    stateNumber(name, s, 'lastEpoch', true);
    stateNumbers(name, s, 'baseValues', groups);
    rule.check?.(s);
  };
  const applyState = (state: SchedulerStateDict) => {
    lastEpoch = state.lastEpoch;
    base = [...(state.baseValues as number[])];
    writeValues(optimizer, key, state.lastValues);
    lastValues = [...state.lastValues];
    rule.load?.(state);
  };

  const scheduler = {
    name,
    optimizer,
    key,
    get lastEpoch() {
      return lastEpoch;
    },
    step(epoch?: number): void {
      if (epoch === undefined) {
        advance();
        return;
      }
      if (!options.epochArgument) throw new ValueError(`${name}: step() takes no argument, got ${show(epoch)}`);
      nonNegative(name, 'epoch', epoch);
      stepTo(epoch);
    },
    getLastLr(): number[] {
      return [...lastValues];
    },
    stateDict(): SchedulerStateDict {
      return { name, key, lastEpoch, lastValues: [...lastValues], baseValues: [...base], ...rule.save?.() };
    },
    loadStateDict(state: SchedulerStateDict): void {
      checkState(state);
      applyState(state);
    },
  };
  registerInternals(scheduler, {
    initialStep: advance,
    stepTo,
    shiftEpoch(delta: number) {
      lastEpoch += delta;
    },
    checkState,
    applyState,
    metric: false,
  });
  advance();
  return scheduler;
}
