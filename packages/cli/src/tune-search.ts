// `nabla compare --tune`: which optimizer each search space applies to, every candidate checked before
// any training, the tuning trials on the tuning seeds, and the chosen setting the reported runs use.
import type { HyperValue } from '@nablajs/optim';
import { type ResolvedOptimizer, resolveOptimizers } from './optimizer-spec';
import type { TuningResult } from './results';
import { formatSetting } from './table';
import { type RunEvents, silentEvents, type TaskRunner } from './task-runner';
import {
  bestTrial,
  candidates,
  parseTuneSpace,
  TUNING_SEED_OFFSET,
  type TuneMetric,
  type TuneSetting,
  type TuneSpace,
  type TuneTrial,
  trialMetric,
  tuningResult,
  tuningSeeds,
} from './tune';
import { UsageError, validList } from './usage-error';

/**
 * The default of `--tune-budget`: at most 16 trials per tuned optimizer.
 *
 * @example
 * ```ts
 * DEFAULT_TUNE_BUDGET; // 16
 * ```
 */
export const DEFAULT_TUNE_BUDGET = 16;

/**
 * The largest `--tune-budget`.
 *
 * @example
 * ```ts
 * MAX_TUNE_BUDGET; // 1000
 * ```
 */
export const MAX_TUNE_BUDGET = 1000;

/**
 * The largest `--tune-seeds`.
 *
 * @example
 * ```ts
 * MAX_TUNE_SEEDS; // 10
 * ```
 */
export const MAX_TUNE_SEEDS = 10;

/**
 * The search of one optimizer, as planned: its space and every candidate, each already turned into the
 * optimizer it gives (the spec with the setting merged into its options, checked by the optimizer).
 *
 * @example
 * ```ts
 * const [adam]: TunedOptimizer[] = planTuning({ spaces: ['adam:lr=1e-4..1e-1:4'] }, optimizers, 0)!.optimizers;
 * adam.trials.map((t) => t.setting.lr); // [0.0001, 0.001, 0.01, 0.1]
 * ```
 */
export interface TunedOptimizer {
  /** The optimizer's position in the comparison. */
  index: number;
  /** The space searched. */
  space: TuneSpace;
  /** The candidates in the order they run. */
  trials: { setting: TuneSetting; spec: ResolvedOptimizer }[];
}

/**
 * The checked `--tune` options of a comparison.
 *
 * @example
 * ```ts
 * const plan: TunePlan | null = planTuning({ spaces: ['lr=1e-3..1:4'], mode: 'random', budget: 8 }, optimizers, 0);
 * plan?.seeds; // [1000]
 * ```
 */
export interface TunePlan {
  /** `--tune-mode`. */
  mode: 'grid' | 'random';
  /** `--tune-budget`: the most trials per optimizer. */
  budget: number;
  /** The seeds every trial runs on (see {@link tuningSeeds}): never among the reported seeds. */
  seeds: number[];
  /** The tuned optimizers, in the order of the comparison. */
  optimizers: TunedOptimizer[];
}

/**
 * The `--tune` options as parsed from the command line (absent when not given).
 *
 * @example
 * ```ts
 * const options: TuneOptions = { spaces: ['lr=1e-3..1:4'], mode: 'grid', budget: 16, seeds: 1 };
 * ```
 */
export interface TuneOptions {
  /** Every `--tune` value. */
  spaces?: readonly string[];
  /** `--tune-mode`. */
  mode?: 'grid' | 'random';
  /** `--tune-budget`. */
  budget?: number;
  /** `--tune-seeds`. */
  seeds?: number;
}

/** The optimizers a space's prefix names: those labelled so, else those of that name (`label@name` works too). */
function matching(space: TuneSpace, optimizers: readonly ResolvedOptimizer[]): number[] {
  const all = optimizers.map((_, i) => i);
  const prefix = space.optimizer;
  if (prefix === null) return all;
  const byLabel = all.filter(
    (i) => optimizers[i].label === prefix || `${optimizers[i].label}@${optimizers[i].name}` === prefix,
  );
  if (byLabel.length > 0) return byLabel;
  const byName = all.filter((i) => optimizers[i].name === prefix);
  if (byName.length > 0) return byName;
  throw new UsageError(
    `--tune ${JSON.stringify(space.text)}: no optimizer is labelled or named ${JSON.stringify(prefix)}${validList(
      'optimizers',
      optimizers.map((o) => o.label),
    )}`,
  );
}

/** Check that `spec` has every hyperparameter of `space`, each a number (or null, an optional number). */
function checkAxes(space: TuneSpace, spec: ResolvedOptimizer): void {
  const hp = spec.hyperparams;
  for (const { name } of space.axes) {
    if (!Object.hasOwn(hp, name))
      throw new UsageError(
        `--tune ${JSON.stringify(space.text)}: optimizer ${spec.label === spec.name ? spec.name : `${spec.label} (${spec.name})`} has no hyperparameter ${JSON.stringify(
          name,
        )}${validList(`hyperparameters of ${spec.name}`, Object.keys(hp))}`,
      );
    const value = hp[name] as HyperValue;
    if (typeof value !== 'number' && value !== null)
      throw new UsageError(
        `--tune ${JSON.stringify(space.text)}: ${name} of ${spec.label} is not a number (${name}=${JSON.stringify(
          value,
        )}); --tune searches numeric hyperparameters only`,
      );
  }
}

/** The optimizer a candidate gives, built on a dummy parameter so that the optimizer's checks run now. */
function candidateSpec(space: TuneSpace, spec: ResolvedOptimizer, setting: TuneSetting): ResolvedOptimizer {
  try {
    const [resolved] = resolveOptimizers([{ ...spec, options: { ...spec.options, ...setting } }]);
    return { ...resolved, label: spec.label, text: spec.text };
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    throw new UsageError(
      `--tune ${JSON.stringify(space.text)}: the candidate ${formatSetting(setting)} of ${spec.label} is rejected: ${error.message.replace(
        /^optimizer [^:]*: /,
        '',
      )}`,
    );
  }
}

/**
 * Check the `--tune` options against the comparison's optimizers and plan the searches, before any
 * training: each space applies to the optimizers its prefix names (a label, an optimizer name, or
 * `label@name`), or to every optimizer without a prefix; an optimizer matched by two spaces, a prefix
 * that names no optimizer, a hyperparameter the optimizer does not have or that is not a number, a
 * candidate value the optimizer rejects, a budget outside 1..1000, a count of tuning seeds outside
 * 1..10, or a `--tune-*` option without `--tune` are {@link UsageError}s. The candidates of every
 * space are drawn with `baseSeed` (see {@link candidates}). Returns null without `--tune`.
 *
 * @example
 * ```ts
 * const optimizers = resolveOptimizers(parseOptimizerSpecs(['sgd adam']));
 * const plan = planTuning({ spaces: ['lr=1e-3..1:4'], budget: 16, seeds: 2 }, optimizers, 0)!;
 * plan.optimizers.map((o) => o.trials.length); // [4, 4]
 * plan.seeds; // [1000, 1001]
 * ```
 */
export function planTuning(
  options: TuneOptions,
  optimizers: readonly ResolvedOptimizer[],
  baseSeed: number,
): TunePlan | null {
  const texts = options.spaces ?? [];
  if (texts.length === 0) {
    for (const [name, value] of [
      ['tune-mode', options.mode],
      ['tune-budget', options.budget],
      ['tune-seeds', options.seeds],
    ] as const)
      if (value !== undefined)
        throw new UsageError(`--${name} applies only with --tune (e.g. --tune 'lr=1e-4..1e-1:log:8')`);
    return null;
  }
  const budget = options.budget ?? DEFAULT_TUNE_BUDGET;
  if (!Number.isInteger(budget) || budget < 1 || budget > MAX_TUNE_BUDGET)
    throw new UsageError(`--tune-budget: expected an integer from 1 to ${MAX_TUNE_BUDGET}, got ${budget}`);
  const seedCount = options.seeds ?? 1;
  if (!Number.isInteger(seedCount) || seedCount < 1 || seedCount > MAX_TUNE_SEEDS)
    throw new UsageError(`--tune-seeds: expected an integer from 1 to ${MAX_TUNE_SEEDS}, got ${seedCount}`);
  if (baseSeed + TUNING_SEED_OFFSET + seedCount - 1 > 2 ** 32 - 1)
    throw new UsageError(
      `--seed: the tuning seeds start at --seed + ${TUNING_SEED_OFFSET}; expected at most ${
        2 ** 32 - TUNING_SEED_OFFSET - seedCount
      } with --tune-seeds ${seedCount} (seeds are 32-bit), got ${baseSeed}`,
    );
  const mode = options.mode ?? 'grid';
  const spaces = texts.map(parseTuneSpace);
  const owner = new Map<number, TuneSpace>();
  for (const space of spaces)
    for (const i of matching(space, optimizers)) {
      const other = owner.get(i);
      if (other !== undefined)
        throw new UsageError(
          `--tune: optimizer ${optimizers[i].label} is matched by two spaces, ${JSON.stringify(other.text)} and ${JSON.stringify(
            space.text,
          )}; give each optimizer one space (prefix a space with a label: 'adam:lr=...')`,
        );
      owner.set(i, space);
    }
  const tuned: TunedOptimizer[] = [];
  for (const [index, spec] of optimizers.entries()) {
    const space = owner.get(index);
    if (space === undefined) continue;
    checkAxes(space, spec);
    const settings = candidates(space, mode, budget, baseSeed);
    tuned.push({
      index,
      space,
      trials: settings.map((setting) => ({ setting, spec: candidateSpec(space, spec, setting) })),
    });
  }
  return { mode, budget, seeds: tuningSeeds(baseSeed, seedCount), optimizers: tuned };
}

/**
 * What {@link runTuning} returns.
 *
 * @example
 * ```ts
 * const { optimizers, tuning }: TuningOutcome = await runTuning(runner, plan.optimizers, tunePlan, 'final f', silentEvents);
 * ```
 */
export interface TuningOutcome {
  /** The comparison's optimizers, each tuned one with its chosen setting (its label unchanged). */
  optimizers: ResolvedOptimizer[];
  /** The search of each tuned optimizer, for `result.tuning`. */
  tuning: TuningResult[];
}

/**
 * Run every planned search: each candidate of each tuned optimizer on every tuning seed (untimed, with
 * no progress rows; `events.note` gets a line per trial), then choose the candidate of the lowest mean
 * metric (see {@link bestTrial}; a candidate that diverged on any tuning seed is never chosen). A tuned
 * optimizer is then reported with its chosen setting, or, when every candidate diverged, with its spec
 * as given.
 *
 * @example
 * ```ts
 * const { optimizers, tuning } = await runTuning(runner, plan.optimizers, plan.tune!, 'final validation loss', progress);
 * tuning[0].chosen; // { lr: 0.00316 }
 * ```
 */
export async function runTuning(
  runner: TaskRunner,
  optimizers: readonly ResolvedOptimizer[],
  plan: TunePlan,
  metric: TuneMetric,
  events: RunEvents,
): Promise<TuningOutcome> {
  const chosenSpecs = [...optimizers];
  const tuning: TuningResult[] = [];
  for (const tuned of plan.optimizers) {
    const label = optimizers[tuned.index].label;
    const trials: TuneTrial[] = [];
    for (const [t, trial] of tuned.trials.entries()) {
      events.note?.(`tuning ${label}: trial ${t + 1}/${tuned.trials.length} (${formatSetting(trial.setting)})`);
      const metrics: number[] = [];
      for (const seed of plan.seeds)
        metrics.push(trialMetric(await runner.run(trial.spec, { index: tuned.index, seed }, silentEvents), metric));
      trials.push({ setting: trial.setting, metrics });
    }
    const result = tuningResult(trials, {
      optimizer: label,
      space: tuned.space.text,
      mode: plan.mode,
      budget: plan.budget,
      seeds: plan.seeds,
      metric,
    });
    const best = bestTrial(trials);
    if (best >= 0) chosenSpecs[tuned.index] = tuned.trials[best].spec;
    tuning.push(result);
  }
  return { optimizers: chosenSpecs, tuning };
}
