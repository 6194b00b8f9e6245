import { checkOptions, ValueError } from '@nablajs/core';
import type { Optimizer } from '../types';
import { bool, finite, inRange, oneOf, positive, positiveInt, show } from './checks';
import { type MomentumSlot, momentumSlots, readMomentum, writeMomentum } from './momentum';
import {
  checkTarget,
  createScheduler,
  perGroup,
  readValues,
  type Scheduler,
  type SchedulerStateDict,
  setInitialValue,
  stateNumbers,
} from './scheduler';

/** Options of {@link oneCycleLR} (PyTorch's `OneCycleLR` kwargs in lowerCamelCase). */
export interface OneCycleLROptions {
  /** The peak learning rate, for every group or per group. */
  maxLr: number | readonly number[];
  /** Steps in the cycle; or give `epochs` and `stepsPerEpoch` (then `totalSteps = epochs * stepsPerEpoch`). */
  totalSteps?: number;
  /** Epochs to train for, with `stepsPerEpoch`, when `totalSteps` is not given. */
  epochs?: number;
  /** Steps per epoch, with `epochs`, when `totalSteps` is not given. */
  stepsPerEpoch?: number;
  /** Fraction of the cycle spent increasing the learning rate, in [0, 1]. Default 0.3. */
  pctStart?: number;
  /** `'cos'` (default) or `'linear'` annealing within each phase. */
  annealStrategy?: 'cos' | 'linear';
  /** Cycle momentum (or `betas[0]`) inversely to the learning rate. Default true. */
  cycleMomentum?: boolean;
  /** The momentum at the peak learning rate. Default 0.85. */
  baseMomentum?: number | readonly number[];
  /** The momentum at the start and the end of the cycle. Default 0.95. */
  maxMomentum?: number | readonly number[];
  /** `initialLr = maxLr / divFactor`. Default 25. */
  divFactor?: number;
  /** `minLr = initialLr / finalDivFactor`. Default 1e4. */
  finalDivFactor?: number;
  /** Use three phases (up, down to `initialLr`, down to `minLr`), as in the paper. Default false. */
  threePhase?: boolean;
  /** The hyperparameter to drive. Default `'lr'`. */
  key?: string;
}

type Level = 'initial' | 'max' | 'min';
type MomentumLevel = 'base' | 'max';
interface Phase {
  end: number;
  startLr: Level;
  endLr: Level;
  startMomentum: MomentumLevel;
  endMomentum: MomentumLevel;
}

/**
 * Set each group's learning rate by the 1cycle policy: up from `maxLr / divFactor` to `maxLr`, then down
 * to `maxLr / divFactor / finalDivFactor`, over `totalSteps` steps; momentum goes the opposite way.
 *
 * Phases end at steps `pctStart * T - 1` and `T - 1` (three-phase: `pctStart * T - 1`, `2 pctStart T - 2`,
 * `T - 1`). A phase of no length that a step reaches is a ValueError, where PyTorch raises
 * ZeroDivisionError: at construction when `pctStart * T = 1`, at step T when the last phase is empty
 * (`pctStart = 1`). Within a phase, `pct = (t - start) / (end - start)` and the value is
 * `end + (start - end) / 2 * (1 + cos(pi * pct))` (cos) or `start + (end - start) * pct` (linear).
 * The scheduler overwrites the groups' learning rate (and momentum, or `betas[0]` for Adam-like groups, a
 * new array each time) at construction. Like PyTorch, it allows `totalSteps` calls to `step()` and throws
 * on the next one.
 *
 * Follows `torch.optim.lr_scheduler.OneCycleLR` (Smith & Topin 2017, "Super-Convergence").
 *
 * @example
 * ```ts
 * const scheduler = oneCycleLR(opt, { maxLr: 0.01, epochs: 10, stepsPerEpoch: loader.length });
 * for (let epoch = 0; epoch < 10; epoch++) {
 *   for (const batch of loader) {
 *     trainBatch(opt, batch);
 *     scheduler.step(); // once per batch
 *   }
 * }
 * ```
 */
export function oneCycleLR(optimizer: Optimizer, options: OneCycleLROptions): Scheduler {
  const name = 'oneCycleLR';
  const {
    maxLr,
    totalSteps: total,
    epochs,
    stepsPerEpoch,
    pctStart = 0.3,
    annealStrategy = 'cos',
    cycleMomentum = true,
    baseMomentum = 0.85,
    maxMomentum = 0.95,
    divFactor = 25,
    finalDivFactor = 1e4,
    threePhase = false,
    key = 'lr',
  } = options ?? ({} as OneCycleLROptions);
  checkOptions(name, options ?? undefined, [
    'maxLr',
    'totalSteps',
    'epochs',
    'stepsPerEpoch',
    'pctStart',
    'annealStrategy',
    'cycleMomentum',
    'baseMomentum',
    'maxMomentum',
    'divFactor',
    'finalDivFactor',
    'threePhase',
    'key',
  ]);
  checkTarget(name, optimizer, key);
  readValues(name, optimizer, key);
  const groups = optimizer.paramGroups.length;
  let totalSteps: number;
  if (total !== undefined) totalSteps = positiveInt(name, 'totalSteps', total);
  else if (epochs !== undefined && stepsPerEpoch !== undefined)
    totalSteps = positiveInt(name, 'epochs', epochs) * positiveInt(name, 'stepsPerEpoch', stepsPerEpoch);
  else throw new ValueError(`${name}: give either totalSteps, or both epochs and stepsPerEpoch`);
  inRange(name, 'pctStart', pctStart, 0, 1);
  const strategy = oneOf(name, 'annealStrategy', annealStrategy, ['cos', 'linear'] as const);
  bool(name, 'cycleMomentum', cycleMomentum);
  bool(name, 'threePhase', threePhase);
  positive(name, 'divFactor', divFactor);
  positive(name, 'finalDivFactor', finalDivFactor);
  const maxLrs = perGroup(name, 'maxLr', maxLr, groups, positive);
  if (cycleMomentum && key === 'momentum')
    throw new ValueError(`${name}: key 'momentum' conflicts with cycleMomentum; pass cycleMomentum: false`);
  const maxMomentums = cycleMomentum ? perGroup(name, 'maxMomentum', maxMomentum, groups, finite) : [];
  const baseMomentums = cycleMomentum ? perGroup(name, 'baseMomentum', baseMomentum, groups, finite) : [];
  const slots: MomentumSlot[] = cycleMomentum ? momentumSlots(name, optimizer) : [];

  const phases: Phase[] = threePhase
    ? [
        { end: pctStart * totalSteps - 1, startLr: 'initial', endLr: 'max', startMomentum: 'max', endMomentum: 'base' },
        {
          end: 2 * pctStart * totalSteps - 2,
          startLr: 'max',
          endLr: 'initial',
          startMomentum: 'base',
          endMomentum: 'max',
        },
        { end: totalSteps - 1, startLr: 'initial', endLr: 'min', startMomentum: 'max', endMomentum: 'max' },
      ]
    : [
        { end: pctStart * totalSteps - 1, startLr: 'initial', endLr: 'max', startMomentum: 'max', endMomentum: 'base' },
        { end: totalSteps - 1, startLr: 'max', endLr: 'min', startMomentum: 'base', endMomentum: 'max' },
      ];
  const initialLrs = maxLrs.map((m) => m / divFactor);
  const lrs: Record<Level, number[]> = {
    initial: initialLrs,
    max: maxLrs,
    min: initialLrs.map((v) => v / finalDivFactor),
  };
  const momentums: Record<MomentumLevel, number[]> = { base: baseMomentums, max: maxMomentums };
  const anneal =
    strategy === 'cos'
      ? (start: number, end: number, pct: number) => end + ((start - end) / 2) * (Math.cos(Math.PI * pct) + 1)
      : (start: number, end: number, pct: number) => (end - start) * pct + start;

  const emptyPhase = (t: number, index: number) =>
    new ValueError(
      `${name}: step ${t} falls in phase ${index + 1} of ${phases.length}, which has no length ` +
        `(pctStart · totalSteps = ${pctStart * totalSteps}); choose pctStart and totalSteps so that every phase has a length (PyTorch raises ZeroDivisionError here)`,
    );
  // Step 0 is taken below: fail before anything is written.
  if (phases[0].end === 0) throw emptyPhase(0, 0);
  // PyTorch writes initial_lr (overwriting any earlier one) and sets momentum to maxMomentum up front.
  for (let i = 0; i < groups; i++) setInitialValue(optimizer.paramGroups[i], key, initialLrs[i]);
  if (cycleMomentum) writeMomentum(optimizer, slots, maxMomentums);
  let pendingMomentum: number[] = [];
  let lastMomentum: number[] = cycleMomentum ? readMomentum(optimizer, slots) : [];

  return createScheduler(
    name,
    optimizer,
    key,
    {
      fixedGroups: 'its maxLr and momentum bounds are per param group, set at construction',
      next: (t) => {
        if (t > totalSteps)
          throw new ValueError(`${name}: step() was called ${t} times, more than totalSteps (${totalSteps})`);
        let start = 0;
        let index = phases.length - 1;
        for (let p = 0; p < phases.length; p++) {
          if (t <= phases[p].end || p === phases.length - 1) {
            index = p;
            break;
          }
          start = phases[p].end;
        }
        const phase = phases[index];
        const span = phase.end - start;
        // PyTorch raises ZeroDivisionError where a phase of no length is reached: at construction when
        // pctStart · totalSteps = 1, at the last step when the last phase is empty (pctStart = 1, say).
        if (span === 0) throw emptyPhase(t, index);
        const pct = (t - start) / span;
        const values = lrs[phase.startLr].map((s, i) => anneal(s, lrs[phase.endLr][i], pct));
        pendingMomentum = cycleMomentum
          ? momentums[phase.startMomentum].map((s, i) => anneal(s, momentums[phase.endMomentum][i], pct))
          : [];
        return values;
      },
      afterWrite: () => {
        if (!cycleMomentum) return;
        writeMomentum(optimizer, slots, pendingMomentum);
        lastMomentum = readMomentum(optimizer, slots);
      },
      save: () => ({ lastMomentum: [...lastMomentum], totalSteps }),
      check: (state: SchedulerStateDict) => {
        stateNumbers(name, state, 'lastMomentum', cycleMomentum ? groups : 0);
        if (state.totalSteps !== totalSteps)
          throw new ValueError(`${name}: the state has totalSteps ${show(state.totalSteps)}, this one ${totalSteps}`);
      },
      load: (state: SchedulerStateDict) => {
        lastMomentum = [...(state.lastMomentum as number[])];
        if (cycleMomentum) writeMomentum(optimizer, slots, lastMomentum);
      },
    },
    { baseValues: initialLrs },
  );
}
