// The trials of a comparison: every optimizer on every seed, run after an untimed warm-up in a seeded
// shuffled order, then summarised per optimizer (means, medians, bands) for the table and the charts.
import { Generator } from '@nablajs/core';
import type { OptimizerAggregate, StepTimeStat, TargetStat } from './optimizer-aggregate';
import type { ResolvedOptimizer } from './optimizer-spec';
import type { CompareResult, RunRef, RunResult, TimingInfo, TimingRepeat } from './results';
import { type Band, meanSd, median, pointwiseBand, relativeSpread } from './stats';
import type { RunEvents, TaskRunner } from './task-runner';

/**
 * The largest relative spread `(max - min) / min` of an optimizer's median step times (over its seeds,
 * or between its run and a short timing repeat with one seed) that passes without a note: 0.25.
 *
 * @example
 * ```ts
 * aggregate.stepTime.spread! > SPREAD_THRESHOLD; // the table then notes that the timings are noisy
 * ```
 */
export const SPREAD_THRESHOLD = 0.25;

/**
 * The most steps of the short timing repeat made of each optimizer when there is one seed (it also
 * stops after a tenth of the optimizer's run time).
 *
 * @example
 * ```ts
 * Math.min(runner.totalSteps, REPEAT_STEPS);
 * ```
 */
export const REPEAT_STEPS = 50;

/**
 * `items` in a shuffled order drawn from `seed` (Fisher-Yates with the core's seeded generator): the
 * same seed gives the same order on every machine.
 *
 * @example
 * ```ts
 * shuffled(['a', 'b', 'c'], 0); // a fixed permutation of a, b, c
 * ```
 */
export function shuffled<T>(items: readonly T[], seed: number): T[] {
  const out = [...items];
  const generator = new Generator(seed);
  for (let i = out.length - 1; i > 0; i--) {
    const j = generator.integer(0, i + 1);
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

/**
 * How {@link runTrials} runs a comparison.
 *
 * @example
 * ```ts
 * const options: TrialsOptions = { seeds: [0, 1, 2], orderSeed: 0, repeatSteps: REPEAT_STEPS };
 * ```
 */
export interface TrialsOptions {
  /** The seeds every optimizer runs on. */
  seeds: readonly number[];
  /** The seed of the shuffled run order. */
  orderSeed: number;
  /** The most steps of each optimizer's timing repeat with one seed (0: no repeat). */
  repeatSteps: number;
}

/**
 * What {@link runTrials} returns.
 *
 * @example
 * ```ts
 * const { runs, order, timing }: TrialsOutcome = await runTrials(runner, optimizers, options, silentEvents);
 * ```
 */
export interface TrialsOutcome {
  /** Every run: the optimizers in the order given, each on every seed in turn. */
  runs: RunResult[];
  /** The order the runs were made in. */
  order: RunRef[];
  /** The warm-up and the timing repeats. */
  timing: TimingInfo;
}

/**
 * Run every optimizer on every seed: first an untimed warm-up with the first optimizer (its results
 * discarded), then the timed runs interleaved in an order shuffled with `orderSeed`, so that no
 * optimizer always runs first, or right after the same other one; with one seed, a short timing repeat
 * of each optimizer afterwards (in another shuffled order), so that a noisy timing can be noticed.
 *
 * @example
 * ```ts
 * const { runs, order } = await runTrials(modelTaskRunner(data, options), optimizers, { seeds: [0, 1, 2], orderSeed: 0, repeatSteps: 0 }, silentEvents);
 * ```
 */
export async function runTrials(
  runner: TaskRunner,
  optimizers: readonly ResolvedOptimizer[],
  options: TrialsOptions,
  events: RunEvents,
): Promise<TrialsOutcome> {
  const trials = optimizers.flatMap((spec, index) => options.seeds.map((seed) => ({ spec, index, seed })));
  const order = shuffled(trials, options.orderSeed);
  let warmUp: TimingInfo['warmUp'] = null;
  if (optimizers.length > 0) {
    const started = performance.now();
    const runs = [];
    for (const [i, spec] of optimizers.entries())
      runs.push({ label: spec.label, steps: await runner.warmUp(spec, i === 0 ? 'full' : 'short', trials.length) });
    warmUp = { runs, ms: performance.now() - started };
  }
  const done = new Map<string, RunResult>();
  const key = (label: string, seed: number) => `${seed}\u0000${label}`;
  for (const t of order)
    done.set(key(t.spec.label, t.seed), await runner.run(t.spec, { index: t.index, seed: t.seed }, events));
  const runs = trials.map((t) => done.get(key(t.spec.label, t.seed))!);
  const repeats: TimingRepeat[] = [];
  if (options.seeds.length === 1 && options.repeatSteps > 0)
    for (const spec of shuffled(optimizers, options.orderSeed + 1)) {
      const run = runs.find((r) => r.label === spec.label)!;
      if (run.status === 'diverged') continue;
      const steps = Math.min(runner.totalSteps, options.repeatSteps);
      const budget = Math.max(20, 0.1 * run.summary.wallTimeMs);
      const medianStepMs = await runner.timeSteps(spec, options.seeds[0], steps, budget);
      repeats.push({ label: spec.label, steps, medianStepMs });
    }
  return {
    runs,
    order: order.map((t) => ({ label: t.spec.label, seed: t.seed })),
    timing: { warmUp, repeats, spreadThreshold: SPREAD_THRESHOLD },
  };
}

/**
 * What of a run is drawn: all of it, except for a run that diverged, whose last step (the diverging
 * one) and last epoch (which holds it) are left out, so that a loss of 1e20 does not set the axis; the
 * chart marks where the curve stops.
 *
 * @example
 * ```ts
 * plotted(run); // { steps: run.steps.step.length - 1, epochs: run.epochs.epoch.length - 1 } for a diverged run
 * ```
 */
export function plotted(run: RunResult): { steps: number; epochs: number } {
  const cut = run.status === 'diverged' ? 1 : 0;
  return {
    steps: Math.max(0, run.steps.step.length - cut),
    epochs: Math.max(0, run.epochs.epoch.length - cut),
  };
}

/**
 * One curve of the charts, as read from a run.
 *
 * @example
 * ```ts
 * const loss: CurveDefinition = curveDefinitions(result)[0];
 * loss.pick(result.runs[0]); // { x: [1, 2, ...], y: [2.3, 2.1, ...] }
 * ```
 */
export interface CurveDefinition {
  /** The chart's id (`loss`, `epoch-loss`, `accuracy`, `distance`, `lr`). */
  id: string;
  /** The points of a run, already cut to what is drawn (see {@link plotted}). */
  pick(run: RunResult): { x: number[]; y: number[] };
}

function hasFinite(values: readonly number[]): boolean {
  return values.some((v) => Number.isFinite(v));
}

/**
 * Whether the runs of a comparison measured a validation loss (and so a validation accuracy, for
 * classification).
 *
 * @example
 * ```ts
 * hasValidation(result.runs) ? 'validation loss' : 'train loss';
 * ```
 */
export function hasValidation(runs: readonly RunResult[]): { loss: boolean; accuracy: boolean } {
  return {
    loss: runs.some((r) => hasFinite(r.epochs.valLoss)),
    accuracy: runs.some((r) => hasFinite(r.epochs.valAccuracy)),
  };
}

/**
 * The curves a comparison draws, in the order of the charts. Model tasks: `loss` (the smoothed training
 * loss per step), `epoch-loss` (the validation loss per epoch, or the training loss without a validation
 * set), `accuracy` (classification; validation accuracy when measured), `lr`. 2-D functions: `loss` (f
 * per iterate), `distance` (to the nearest minimum, when there is one), `lr`.
 *
 * @example
 * ```ts
 * curveDefinitions(result).map((c) => c.id); // ['loss', 'epoch-loss', 'accuracy', 'lr']
 * ```
 */
export function curveDefinitions(result: Pick<CompareResult, 'task' | 'runs' | 'surface'>): CurveDefinition[] {
  const stepCurve = (id: string, y: (run: RunResult) => readonly number[]): CurveDefinition => ({
    id,
    pick(run) {
      const n = plotted(run).steps;
      return { x: run.steps.step.slice(0, n), y: y(run).slice(0, n) };
    },
  });
  const epochCurve = (id: string, y: (run: RunResult) => readonly number[]): CurveDefinition => ({
    id,
    pick(run) {
      const n = plotted(run).epochs;
      return { x: run.epochs.epoch.slice(0, n), y: y(run).slice(0, n) };
    },
  });
  const curves: CurveDefinition[] = [];
  if (result.task.kind === 'function') {
    curves.push(stepCurve('loss', (r) => r.steps.loss));
    const minima = result.surface?.minima ?? [];
    if (minima.length > 0)
      curves.push(
        stepCurve('distance', (r) =>
          (r.steps.x ?? []).map((x, i) =>
            Math.min(...minima.map(([mx, my]) => Math.hypot(x - mx, (r.steps.y ?? [])[i] - my))),
          ),
        ),
      );
  } else {
    const val = hasValidation(result.runs);
    curves.push(stepCurve('loss', (r) => r.steps.smoothedLoss));
    curves.push(epochCurve('epoch-loss', (r) => (val.loss ? r.epochs.valLoss : r.epochs.loss)));
    if (result.task.classification)
      curves.push(epochCurve('accuracy', (r) => (val.accuracy ? r.epochs.valAccuracy : r.epochs.accuracy)));
  }
  curves.push(stepCurve('lr', (r) => r.steps.lr));
  return curves;
}

function targetStat(values: readonly (number | null | undefined)[], of: number): TargetStat {
  const reached = values.filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
  return { median: reached.length > 0 ? median(reached) : null, reached: reached.length, of };
}

/**
 * The statistics of each optimizer over its runs (see {@link OptimizerAggregate}), in the order the
 * optimizers first appear in `result.runs`. Runs that diverged are left out of the means, medians and
 * curves and counted in `diverged`; when every run of an optimizer diverged, its curves are those of its
 * runs up to where they stopped. Works on results written before `--seeds` too (one run per optimizer).
 *
 * @example
 * ```ts
 * const [sgd] = aggregateRuns(result);
 * sgd.finalValLoss; // { mean: 0.31, sd: 0.02, n: 3 }
 * ```
 */
export function aggregateRuns(
  result: Pick<CompareResult, 'task' | 'runs' | 'surface' | 'timing'>,
  spreadThreshold = result.timing?.spreadThreshold ?? SPREAD_THRESHOLD,
): OptimizerAggregate[] {
  const labels = [...new Set(result.runs.map((r) => r.label))];
  const definitions = curveDefinitions(result);
  const val = hasValidation(result.runs);
  const fn = result.task.kind === 'function';
  return labels.map((label) => {
    const runs = result.runs.filter((r) => r.label === label);
    const included = runs.filter((r) => r.status !== 'diverged');
    const drawn = included.length > 0 ? included : runs;
    const first = runs[0];
    const finalValLoss = included.map((r) => r.epochs.valLoss.at(-1) ?? Number.NaN);
    const bestValLoss = included.map((r) => Math.min(...r.epochs.valLoss.filter(Number.isFinite)));
    const timed = included.filter((r) => r.summary.medianStepMs !== undefined && r.summary.steps >= 1);
    const runMedians = timed.map((r) => r.summary.medianStepMs as number);
    // The spread compares medians of at least 5 steps: a median of 1 or 2 steps is one step's noise.
    const samples = [
      ...timed.filter((r) => r.summary.steps >= 5).map((r) => r.summary.medianStepMs as number),
      ...(result.timing?.repeats ?? []).filter((t) => t.label === label).map((t) => t.medianStepMs),
    ].filter(Number.isFinite);
    const spread = relativeSpread(samples);
    const stepTime: StepTimeStat = {
      medianMs: median(runMedians),
      samplesMs: samples,
      spread,
      noisy: spread !== null && spread > spreadThreshold,
    };
    const curves: Record<string, Band> = {};
    for (const def of definitions) {
      const picks = drawn.map((r) => def.pick(r));
      const longest = picks.reduce((a, b) => (b.x.length > a.x.length ? b : a), { x: [] as number[], y: [] });
      curves[def.id] = pointwiseBand(
        longest.x,
        picks.map((p) => p.y),
      );
    }
    const points = included.filter((r) => r.steps.x !== undefined && r.steps.x.length > 0);
    return {
      label,
      optimizer: first.optimizer,
      hyperparams: first.hyperparams,
      color: first.color,
      seeds: runs.map((r, k) => r.seed ?? k),
      diverged: runs.flatMap((r, k) => (r.status === 'diverged' ? [r.seed ?? k] : [])),
      finalLoss: meanSd(included.map((r) => r.summary.finalLoss)),
      bestLoss: meanSd(included.map((r) => r.summary.bestLoss)),
      finalValLoss: val.loss ? meanSd(finalValLoss) : null,
      bestValLoss: val.loss ? meanSd(bestValLoss) : null,
      finalAccuracy: result.task.classification
        ? meanSd(included.map((r) => r.summary.finalAccuracy ?? Number.NaN))
        : null,
      bestAccuracy: result.task.classification
        ? meanSd(included.map((r) => r.summary.bestAccuracy ?? Number.NaN))
        : null,
      finalPoint:
        fn && points.length > 0
          ? [median(points.map((r) => r.steps.x!.at(-1)!)), median(points.map((r) => r.steps.y!.at(-1)!))]
          : null,
      stepsToTarget: targetStat(
        included.map((r) => r.summary.stepsToTarget),
        runs.length,
      ),
      timeToTargetMs: targetStat(
        included.map((r) => (r.summary.stepsToTarget === null ? null : r.summary.timeToTargetMs)),
        runs.length,
      ),
      stepTime,
      wallTimeMs: meanSd(included.map((r) => r.summary.wallTimeMs)),
      curves,
    };
  });
}

/**
 * The aggregates of a comparison: those stored in it, or, for results written before they were,
 * computed from its runs.
 *
 * @example
 * ```ts
 * aggregatesOf(JSON.parse(readFileSync('out/results.json', 'utf8'))).map((a) => a.label);
 * ```
 */
export function aggregatesOf(result: CompareResult): OptimizerAggregate[] {
  return result.aggregates ?? aggregateRuns(result);
}
