import { ValueError } from '@nablajs/core';
import {
  cosineAnnealingLR,
  exponentialLR,
  type HyperValue,
  linearLR,
  multiStepLR,
  type Optimizer,
  oneCycleLR,
  polynomialLR,
  reduceLROnPlateau,
  sequentialLR,
  stepLR,
} from '@nablajs/optim';
import { formatValue, parseKeyValues } from './spec-values';
import { UsageError, validList } from './usage-error';

/** A learning-rate schedule as the user wrote it: `name[:key=value,...]` (`step:stepSize=10,gamma=0.5`). */
export interface ScheduleSpec {
  /** The schedule's name (`cosine`, `step`, ...), or `none`. */
  name: string;
  /** The options the user gave. */
  options: Record<string, HyperValue>;
  /** The spec as written. */
  text: string;
}

/**
 * The length of a run, to scale the schedule: the scheduler is stepped after every optimizer step, and
 * the durations the user gives (`stepSize`, `milestones`, `tMax`, `warmup`, `totalIters`) count
 * `unit`s: epochs for a run given in `--epochs`, steps for one given in `--steps`.
 */
export interface RunLength {
  /** Optimizer steps in the whole run. */
  totalSteps: number;
  /** Optimizer steps per unit of duration (steps per epoch, or 1). */
  unit: number;
  /** The name of the unit, for messages (`epoch` or `step`). */
  unitName: string;
}

/** A schedule attached to one optimizer. */
export interface ActiveSchedule {
  /** Call after every optimizer step. */
  afterStep(): void;
  /** Call at the end of every unit (epoch, or step) with the unit's loss (the plateau schedule needs it). */
  afterUnit(loss: number): void;
}

interface ScheduleOption {
  /** The default, as shown in the help (a string when it depends on the run). */
  default: HyperValue | string;
  /** What it does. */
  description: string;
}

/** A schedule the command line knows: its options and how to build it. */
export interface ScheduleDefinition {
  /** One line for the help. */
  description: string;
  /** Its options with their defaults. */
  options: Record<string, ScheduleOption>;
  /** Build it for `optimizer`, with the user's options, for a run of `run`. */
  create(optimizer: Optimizer, options: Record<string, HyperValue>, run: RunLength): ActiveSchedule;
}

const perStep = (scheduler: { step(): void }): ActiveSchedule => ({
  afterStep: () => scheduler.step(),
  afterUnit: () => {},
});

/** A duration option in optimizer steps: `value` (or `fallback`) units of `run.unit` steps, at least 1. */
function inSteps(name: string, value: HyperValue | undefined, run: RunLength, fallback: number): number {
  if (value !== undefined && (typeof value !== 'number' || !Number.isFinite(value) || value <= 0))
    throw new UsageError(`schedule: ${name} must be a positive number of ${run.unitName}s, got ${formatValue(value)}`);
  return Math.max(1, Math.round((value ?? fallback) * run.unit));
}

/** A numeric option, or `fallback` when it is not given; anything but a number is a usage error. */
function num(name: string, value: HyperValue | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number') throw new UsageError(`schedule: ${name} must be a number, got ${formatValue(value)}`);
  return value;
}

/** A boolean option, or `fallback` when it is not given. */
function flag(name: string, value: HyperValue | undefined, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean')
    throw new UsageError(`schedule: ${name} must be true or false, got ${formatValue(value)}`);
  return value;
}

/**
 * Every schedule `--schedule` accepts, by name. Durations count epochs (or steps, for runs given in
 * `--steps`); the scheduler is stepped after every optimizer step, so curves are smooth. Each wraps a
 * scheduler of `@nablajs/optim` (PyTorch's `torch.optim.lr_scheduler`).
 *
 * @example
 * ```ts
 * Object.keys(SCHEDULES); // ['none', 'step', 'multistep', 'exponential', 'linear', 'cosine', 'warmup-cosine', 'onecycle', 'plateau']
 * ```
 */
export const SCHEDULES: Readonly<Record<string, ScheduleDefinition>> = {
  none: {
    description: 'a constant learning rate (the default)',
    options: {},
    create: () => ({ afterStep: () => {}, afterUnit: () => {} }),
  },
  step: {
    description: 'multiply the lr by gamma every stepSize epochs (StepLR)',
    options: {
      stepSize: { default: 'a third of the run', description: 'epochs between decays' },
      gamma: { default: 0.1, description: 'the decay factor' },
    },
    create: (opt, o, run) =>
      perStep(
        stepLR(opt, {
          stepSize: inSteps('stepSize', o.stepSize, run, Math.max(1, Math.round(run.totalSteps / run.unit / 3))),
          gamma: num('gamma', o.gamma, 0.1),
        }),
      ),
  },
  multistep: {
    description: 'multiply the lr by gamma at each milestone epoch (MultiStepLR)',
    options: {
      milestones: { default: 'at half and three quarters of the run', description: 'epochs, e.g. [30,80]' },
      gamma: { default: 0.1, description: 'the decay factor' },
    },
    create: (opt, o, run) => {
      const given = Array.isArray(o.milestones)
        ? o.milestones
        : o.milestones === undefined
          ? null
          : [num('milestones', o.milestones, 0)];
      const milestones =
        given === null
          ? [Math.round(run.totalSteps / 2), Math.round((run.totalSteps * 3) / 4)]
          : given.map((m) => Math.round(m * run.unit));
      return perStep(multiStepLR(opt, { milestones, gamma: num('gamma', o.gamma, 0.1) }));
    },
  },
  exponential: {
    description: 'multiply the lr by gamma every epoch (ExponentialLR)',
    options: { gamma: { default: 0.95, description: 'the factor per epoch' } },
    create: (opt, o, run) => perStep(exponentialLR(opt, { gamma: num('gamma', o.gamma, 0.95) ** (1 / run.unit) })),
  },
  linear: {
    description: 'decay the lr linearly to 0 over the run (PolynomialLR with power 1)',
    options: { totalIters: { default: 'the whole run', description: 'epochs until the lr reaches 0' } },
    create: (opt, o, run) =>
      perStep(
        polynomialLR(opt, {
          totalIters: inSteps('totalIters', o.totalIters, run, run.totalSteps / run.unit),
          power: 1,
        }),
      ),
  },
  cosine: {
    description: 'cosine annealing from the lr to etaMin over the run (CosineAnnealingLR)',
    options: {
      tMax: { default: 'the whole run', description: 'epochs of the half cosine' },
      etaMin: { default: 0, description: 'the final lr' },
    },
    create: (opt, o, run) =>
      perStep(
        cosineAnnealingLR(opt, {
          tMax: inSteps('tMax', o.tMax, run, run.totalSteps / run.unit),
          etaMin: num('etaMin', o.etaMin, 0),
        }),
      ),
  },
  'warmup-cosine': {
    description:
      'linear warm-up from startFactor * lr, then cosine annealing to etaMin (LinearLR then CosineAnnealingLR)',
    options: {
      warmup: { default: 'a tenth of the run', description: 'epochs of warm-up' },
      startFactor: { default: 0.01, description: 'the lr at the start, as a fraction of the lr' },
      etaMin: { default: 0, description: 'the final lr' },
    },
    create: (opt, o, run) => {
      const warmup = Math.min(
        inSteps('warmup', o.warmup, run, run.totalSteps / run.unit / 10),
        Math.max(1, run.totalSteps - 1),
      );
      const first = linearLR(opt, {
        startFactor: num('startFactor', o.startFactor, 0.01),
        endFactor: 1,
        totalIters: warmup,
      });
      const second = cosineAnnealingLR(opt, {
        tMax: Math.max(1, run.totalSteps - warmup),
        etaMin: num('etaMin', o.etaMin, 0),
      });
      return perStep(sequentialLR(opt, { schedulers: [first, second], milestones: [warmup] }));
    },
  },
  onecycle: {
    description: 'the 1cycle policy: up to maxLr, then down to maxLr / (divFactor * finalDivFactor) (OneCycleLR)',
    options: {
      maxLr: { default: "each optimizer's lr", description: 'the peak lr' },
      pctStart: { default: 0.3, description: 'the fraction of the run spent going up' },
      divFactor: { default: 25, description: 'initial lr = maxLr / divFactor' },
      finalDivFactor: { default: 1e4, description: 'final lr = initial lr / finalDivFactor' },
      annealStrategy: { default: 'cos', description: 'cos or linear' },
      threePhase: { default: false, description: 'use the three-phase variant' },
      cycleMomentum: {
        default: false,
        description: 'also cycle momentum / betas[0] (off, unlike PyTorch, so that every optimizer keeps its own)',
      },
    },
    create: (opt, o, run) => {
      const maxLr = num('maxLr', o.maxLr, opt.paramGroups[0].lr);
      const scheduler = oneCycleLR(opt, {
        maxLr,
        totalSteps: run.totalSteps,
        pctStart: num('pctStart', o.pctStart, 0.3),
        divFactor: num('divFactor', o.divFactor, 25),
        finalDivFactor: num('finalDivFactor', o.finalDivFactor, 1e4),
        annealStrategy: (o.annealStrategy ?? 'cos') as 'cos' | 'linear',
        threePhase: flag('threePhase', o.threePhase, false),
        cycleMomentum: flag('cycleMomentum', o.cycleMomentum, false),
      });
      return perStep(scheduler);
    },
  },
  plateau: {
    description: 'multiply the lr by factor when the loss has not improved for patience epochs (ReduceLROnPlateau)',
    options: {
      factor: { default: 0.1, description: 'the decay factor' },
      patience: { default: 10, description: 'epochs without improvement before a decay' },
      threshold: { default: 1e-4, description: 'the relative improvement that counts' },
      cooldown: { default: 0, description: 'epochs to wait after a decay' },
      minLr: { default: 0, description: 'the lowest lr' },
    },
    create: (opt, o) => {
      const scheduler = reduceLROnPlateau(opt, {
        factor: num('factor', o.factor, 0.1),
        patience: num('patience', o.patience, 10),
        threshold: num('threshold', o.threshold, 1e-4),
        cooldown: num('cooldown', o.cooldown, 0),
        minLr: num('minLr', o.minLr, 0),
      });
      return { afterStep: () => {}, afterUnit: (loss) => scheduler.step(loss) };
    },
  },
};

/**
 * Parse `--schedule` (`cosine`, `step:stepSize=10,gamma=0.5`, `onecycle:maxLr=0.1`): the name must be
 * one of {@link SCHEDULES} and every option one of its options.
 *
 * @example
 * ```ts
 * parseSchedule('step:stepSize=10,gamma=0.5'); // { name: 'step', options: { stepSize: 10, gamma: 0.5 }, text: ... }
 * ```
 */
export function parseSchedule(text: string): ScheduleSpec {
  const t = text.trim();
  const colon = t.indexOf(':');
  const name = colon < 0 ? t : t.slice(0, colon);
  const definition = SCHEDULES[name];
  if (!Object.hasOwn(SCHEDULES, name) || definition === undefined)
    throw new UsageError(`unknown schedule ${JSON.stringify(name)}${validList('schedules', Object.keys(SCHEDULES))}`);
  const options = colon < 0 ? {} : parseKeyValues(t.slice(colon + 1), `schedule ${JSON.stringify(t)}`);
  for (const key of Object.keys(options))
    if (!Object.hasOwn(definition.options, key))
      throw new UsageError(
        `unknown option ${JSON.stringify(key)} for schedule ${name}${validList(`options of ${name}`, Object.keys(definition.options))}`,
      );
  return { name, options, text: t };
}

/**
 * Attach the schedule to `optimizer` for a run of `run`; a value the scheduler rejects becomes a
 * {@link UsageError} naming the schedule.
 *
 * @example
 * ```ts
 * const schedule = attachSchedule(parseSchedule('cosine'), opt, { totalSteps: 100, unit: 1, unitName: 'step' });
 * opt.step();
 * schedule.afterStep();
 * ```
 */
export function attachSchedule(spec: ScheduleSpec, optimizer: Optimizer, run: RunLength): ActiveSchedule {
  try {
    return SCHEDULES[spec.name].create(optimizer, spec.options, run);
  } catch (error) {
    if (error instanceof ValueError) throw new UsageError(`schedule ${spec.text}: ${error.message}`);
    throw error;
  }
}

/**
 * The help lines of every schedule: name, description, options with defaults.
 *
 * @example
 * ```ts
 * describeSchedules().join('\n');
 * ```
 */
export function describeSchedules(): string[] {
  return Object.entries(SCHEDULES).map(([name, def]) => {
    const options = Object.entries(def.options)
      .map(
        ([k, o]) =>
          `${k}=${typeof o.default === 'string' && /\s/.test(o.default) ? `(${o.default})` : formatValue(o.default as HyperValue)}`,
      )
      .join(',');
    return `${name}${options ? `:${options}` : ''}\n      ${def.description}`;
  });
}
